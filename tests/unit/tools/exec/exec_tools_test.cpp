#include "tools/exec/exec_tools.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "exec_test_support.hpp"

namespace pincer::tools {
namespace {

using testing::ExecHarness;
using testing::session_id_of;
using namespace std::chrono_literals;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Both tools are registered, neither runs alongside other calls.
TEST(ExecTools, RegistersExecAndProcess) {
  ExecHarness harness;
  ASSERT_NE(harness.registry().find("exec"), nullptr);
  ASSERT_NE(harness.registry().find("process"), nullptr);
  EXPECT_FALSE(harness.registry().find("exec")->parallel_safe);
}

// A command's stdout and stderr come back interleaved, with the exit code.
TEST(ExecTools, RunsCommandInWorkspace) {
  ExecHarness harness;
  auto out = harness.call("exec", R"({"command": "pwd; echo out; echo err >&2"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_NE(out.text.find(harness.workspace().string()), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("out\nerr\n"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("[exit code 0]"), std::string::npos) << out.text;
}

// workdir resolves against the workspace; a missing folder is refused before anything runs.
TEST(ExecTools, WorkdirRelativeToWorkspace) {
  ExecHarness harness;
  std::filesystem::create_directories(harness.workspace() / "sub");
  auto out = harness.call("exec", R"({"command": "pwd", "workdir": "sub"})");
  EXPECT_NE(out.text.find((harness.workspace() / "sub").string()), std::string::npos) << out.text;
  auto missing = harness.call("exec", R"({"command": "pwd", "workdir": "nope"})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("workdir"), std::string::npos) << missing.text;
}

// A non-zero exit is an error result that names the code.
TEST(ExecTools, ReportsExitCode) {
  ExecHarness harness;
  auto out = harness.call("exec", R"({"command": "echo failing; exit 3"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("failing"), std::string::npos);
  EXPECT_NE(out.text.find("[exit code 3]"), std::string::npos) << out.text;
}

// A command killed by a signal reports the signal.
TEST(ExecTools, ReportsSignal) {
  ExecHarness harness;
  auto out = harness.call("exec", R"({"command": "kill -9 $$"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("SIGKILL"), std::string::npos) << out.text;
}

// Bad arguments come back as error text naming the field.
TEST(ExecTools, RejectsBadArguments) {
  ExecHarness harness;
  auto missing = harness.call("exec", R"({})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("command"), std::string::npos);
  auto bad_timeout = harness.call("exec", R"({"command": "true", "timeoutSeconds": "soon"})");
  EXPECT_TRUE(bad_timeout.is_error);
  EXPECT_NE(bad_timeout.text.find("timeoutSeconds"), std::string::npos);
  auto bad_env = harness.call("exec", R"({"command": "true", "env": "A=1"})");
  EXPECT_TRUE(bad_env.is_error);
  auto bad_host = harness.call("exec", R"({"command": "true", "host": "example.com"})");
  EXPECT_TRUE(bad_host.is_error);
  auto loader = harness.call("exec", R"({"command": "true", "env": {"LD_PRELOAD": "/x.so"}})");
  EXPECT_TRUE(loader.is_error);
  EXPECT_NE(loader.text.find("LD_PRELOAD"), std::string::npos);
}

// Huge output is cut in the middle: the head and the tail survive, with a note of the cut.
TEST(ExecTools, CapsHugeOutputHeadAndTail) {
  ExecHarness harness;
  auto out = harness.call("exec", R"({"command": "echo FIRST; seq 1 300000; echo LAST"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_LE(out.text.size(), 31'000U);
  EXPECT_EQ(out.text.rfind("FIRST", 0), 0U) << out.text.substr(0, 100);
  EXPECT_NE(out.text.find("LAST\n[exit code 0]"), std::string::npos);
  EXPECT_NE(out.text.find("bytes of output omitted"), std::string::npos);
}

// A hung command is killed at its timeout, process group included.
TEST(ExecTools, TimeoutKillsHungCommand) {
  ExecHarness harness;
  auto started = std::chrono::steady_clock::now();
  auto out = harness.call("exec", R"({"command": "sleep 30 & sleep 30", "timeoutSeconds": 0.5})");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("timed out"), std::string::npos) << out.text;
}

// The daemon's secrets never reach a command; the call's env does.
TEST(ExecTools, EnvironmentScrubbed) {
  ::setenv("PINCER_TEST_SECRET", "hunter2-secret", 1);
  ::setenv("ANTHROPIC_API_KEY", "sk-ant-secret", 1);
  ExecHarness harness;
  auto out = harness.call("exec", R"({"command": "env", "env": {"EXTRA_VAR": "visible"}})");
  ::unsetenv("PINCER_TEST_SECRET");
  ::unsetenv("ANTHROPIC_API_KEY");
  EXPECT_EQ(out.text.find("hunter2-secret"), std::string::npos) << out.text;
  EXPECT_EQ(out.text.find("sk-ant-secret"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("EXTRA_VAR=visible"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("PINCER_SHELL=exec"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("PATH="), std::string::npos) << out.text;
}

// The gate sees the command and its denial is the tool's error; nothing runs.
TEST(ExecTools, GateDenies) {
  std::string seen;
  ExecGate gate = [&seen](const GateRequest& request) -> boost::asio::awaitable<GateDecision> {
    seen = request.command;
    co_return GateDecision::deny("not on the allowlist");
  };
  ExecHarness harness("{}", gate);
  auto out = harness.call("exec", R"({"command": "touch ran"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("not on the allowlist"), std::string::npos);
  EXPECT_EQ(seen, "touch ran");
  EXPECT_FALSE(std::filesystem::exists(harness.workspace() / "ran"));
}

// Aborting the turn kills the command the call waits for.
TEST(ExecTools, AbortKillsCommand) {
  ExecHarness harness;
  sessions::RunControl control;
  auto context = harness.context();
  context.control = &control;
  boost::json::object arguments{{"command", "echo $$ > pid; exec sleep 30"}};
  auto future = boost::asio::co_spawn(
      harness.io(), harness.registry().find("exec")->handler(arguments, context),
      boost::asio::bind_cancellation_slot(control.abort_slot(), boost::asio::use_future));
  auto pid_file = harness.workspace() / "pid";
  ASSERT_TRUE(harness.run_until(
      [&] { return std::filesystem::exists(pid_file) && !read_file(pid_file).empty(); }, 5s));
  pid_t pid = std::stoi(read_file(pid_file));
  control.abort();
  ASSERT_TRUE(
      harness.run_until([&] { return future.wait_for(0s) == std::future_status::ready; }, 5s));
  auto out = future.get();
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("aborted"), std::string::npos) << out.text;
  EXPECT_TRUE(harness.run_until([&] { return ::kill(pid, 0) != 0; }, 5s)) << "still alive";
}

// A pty session has a terminal on stdin/stdout.
TEST(ExecTools, PtyGivesTerminal) {
  ExecHarness harness;
  auto out =
      harness.call("exec", R"({"command": "test -t 0 && test -t 1 && echo tty", "pty": true})");
  EXPECT_NE(out.text.find("tty"), std::string::npos) << out.text;
  EXPECT_FALSE(out.is_error) << out.text;
}

// background: true returns a session at once; poll shows new output and, later, the exit.
TEST(ProcessTool, BackgroundPollAndLog) {
  ExecHarness harness;
  auto started =
      harness.call("exec", R"({"command": "echo one; sleep 0.3; echo two", "background": true})");
  EXPECT_FALSE(started.is_error);
  std::string id = session_id_of(started.text);
  ASSERT_EQ(id.size(), 8U) << started.text;

  auto list = harness.call("process", R"({"action": "list"})");
  EXPECT_NE(list.text.find(id), std::string::npos) << list.text;

  auto poll = harness.call("process",
                           R"({"action": "poll", "sessionId": ")" + id + R"(", "timeout": 5000})");
  EXPECT_NE(poll.text.find("one\n"), std::string::npos) << poll.text;
  EXPECT_NE(poll.text.find("two\n"), std::string::npos) << poll.text;
  EXPECT_NE(poll.text.find("[exit code 0]"), std::string::npos) << poll.text;
  auto again = harness.call("process", R"({"action": "poll", "sessionId": ")" + id + R"("})");
  EXPECT_NE(again.text.find("(no new output)"), std::string::npos) << again.text;

  auto log = harness.call(
      "process", R"({"action": "log", "sessionId": ")" + id + R"(", "offset": 1, "limit": 1})");
  EXPECT_EQ(log.text.rfind("two\n", 0), 0U) << log.text;
  EXPECT_NE(log.text.find("lines 1-2 of 2"), std::string::npos) << log.text;

  auto cleared = harness.call("process", R"({"action": "clear", "sessionId": ")" + id + R"("})");
  EXPECT_FALSE(cleared.is_error) << cleared.text;
  auto gone = harness.call("process", R"({"action": "poll", "sessionId": ")" + id + R"("})");
  EXPECT_TRUE(gone.is_error);
}

// A command still running after yieldMs goes to the background.
TEST(ProcessTool, YieldMovesToBackground) {
  ExecHarness harness;
  auto out = harness.call("exec", R"({"command": "echo early; sleep 30", "yieldMs": 200})");
  EXPECT_FALSE(out.is_error);
  std::string id = session_id_of(out.text);
  ASSERT_FALSE(id.empty()) << out.text;
  EXPECT_NE(out.text.find("early"), std::string::npos) << out.text;
  auto killed = harness.call("process", R"({"action": "kill", "sessionId": ")" + id + R"("})");
  EXPECT_NE(killed.text.find("killed"), std::string::npos) << killed.text;
}

// write feeds stdin; eof closes it so the command can finish.
TEST(ProcessTool, WriteToStdin) {
  ExecHarness harness;
  auto started =
      harness.call("exec", R"({"command": "read line; echo got:$line; cat", "background": true})");
  std::string id = session_id_of(started.text);
  ASSERT_FALSE(id.empty()) << started.text;
  auto wrote = harness.call("process", R"({"action": "write", "sessionId": ")" + id +
                                           R"(", "data": "hello\nrest\n", "eof": true})");
  EXPECT_FALSE(wrote.is_error) << wrote.text;
  auto poll = harness.call("process",
                           R"({"action": "poll", "sessionId": ")" + id + R"(", "timeout": 5000})");
  EXPECT_NE(poll.text.find("got:hello"), std::string::npos) << poll.text;
  EXPECT_NE(poll.text.find("rest"), std::string::npos) << poll.text;
  EXPECT_NE(poll.text.find("[exit code 0]"), std::string::npos) << poll.text;
}

// kill ends a background session (and its group); a command ignoring SIGTERM gets SIGKILL.
TEST(ProcessTool, KillEndsSession) {
  ExecHarness harness;
  auto started = harness.call(
      "exec",
      R"({"command": "trap '' TERM; echo ready; while :; do sleep 0.1; done", "yieldMs": 300})");
  std::string id = session_id_of(started.text);
  ASSERT_FALSE(id.empty()) << started.text;
  ASSERT_NE(started.text.find("ready"), std::string::npos) << started.text;  // trap is set
  auto killed = harness.call("process", R"({"action": "kill", "sessionId": ")" + id + R"("})");
  EXPECT_NE(killed.text.find("SIGKILL"), std::string::npos) << killed.text;
  auto poll = harness.call("process", R"({"action": "poll", "sessionId": ")" + id + R"("})");
  EXPECT_NE(poll.text.find("killed"), std::string::npos) << poll.text;
}

// Sessions are per agent, and unknown ids and actions are errors.
TEST(ProcessTool, ScopedPerAgentAndValidated) {
  ExecHarness harness;
  auto started = harness.call("exec", R"({"command": "sleep 30", "background": true})");
  std::string id = session_id_of(started.text);
  auto other = harness.context();
  other.agent_id = "other";
  auto foreign =
      harness.call("process", R"({"action": "poll", "sessionId": ")" + id + R"("})", other);
  EXPECT_TRUE(foreign.is_error);
  auto unknown = harness.call("process", R"({"action": "dance", "sessionId": ")" + id + R"("})");
  EXPECT_TRUE(unknown.is_error);
  auto no_id = harness.call("process", R"({"action": "poll"})");
  EXPECT_TRUE(no_id.is_error);
  auto removed = harness.call("process", R"({"action": "remove", "sessionId": ")" + id + R"("})");
  EXPECT_FALSE(removed.is_error);
}

}  // namespace
}  // namespace pincer::tools
