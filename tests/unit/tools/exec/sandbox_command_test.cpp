#include "tools/exec/sandbox_command.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "exec_test_support.hpp"

namespace pincer::tools {
namespace {

using testing::ExecHarness;

core::Config config_with(const std::string& json) {
  core::Config config;
  config.raw = boost::json::parse(json);
  return config;
}

bool contains_sequence(const std::vector<std::string>& args, std::vector<std::string> seq) {
  return std::search(args.begin(), args.end(), seq.begin(), seq.end()) != args.end();
}

// Off by default; non-main sandboxes every session but the agent's main one; all sandboxes all.
TEST(SandboxPolicy, ModesDecideWhichSessions) {
  auto off = config_with("{}");
  EXPECT_FALSE(session_is_sandboxed(sandbox_settings(off, "main"), off, "main", "agent:main:x"));
  auto non_main = config_with(R"({"agents": {"defaults": {"sandbox": {"mode": "non-main"}}}})");
  auto settings = sandbox_settings(non_main, "main");
  EXPECT_FALSE(session_is_sandboxed(settings, non_main, "main", "agent:main:main"));
  EXPECT_TRUE(session_is_sandboxed(settings, non_main, "main", "agent:main:telegram:direct:42"));
  auto all = config_with(R"({"agents": {"defaults": {"sandbox": {"mode": "all"}}}})");
  EXPECT_TRUE(session_is_sandboxed(sandbox_settings(all, "main"), all, "main", "agent:main:main"));
  // Unknown values fail closed.
  auto typo = config_with(R"({"agents": {"defaults": {"sandbox": {"mode": "sometimes"}}}})");
  EXPECT_EQ(sandbox_settings(typo, "main").mode, SandboxMode::all);
  EXPECT_FALSE(sandbox_settings(all, "main").network);
}

// The bwrap line unshares everything, binds the workspace read-write and masks the state dir
// when the workspace contains it.
TEST(SandboxPolicy, BwrapArgumentsConfine) {
  ExecHarness harness;  // makes a state dir with a workspace inside
  auto root = harness.state_dir().parent_path();
  SandboxPolicy policy{root, harness.state_dir(), false, {}};
  auto args = bwrap_arguments(policy, root);
  EXPECT_EQ(args.front(), kBwrapPath);
  EXPECT_EQ(args.back(), "--");
  EXPECT_TRUE(contains_sequence(args, {"--unshare-all"}));
  EXPECT_TRUE(contains_sequence(args, {"--die-with-parent"}));
  EXPECT_TRUE(contains_sequence(args, {"--new-session"}));
  EXPECT_FALSE(contains_sequence(args, {"--share-net"}));
  EXPECT_TRUE(contains_sequence(args, {"--bind", root.string(), root.string()}));
  EXPECT_TRUE(contains_sequence(args, {"--tmpfs", harness.state_dir().string()}));
  policy.network = true;
  EXPECT_TRUE(contains_sequence(bwrap_arguments(policy, root), {"--share-net"}));
}

class SandboxExec : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto available = check_sandbox_available(); !available) {
      GTEST_SKIP() << "bwrap cannot run here: " << available.error().describe();
    }
  }
};

// A sandboxed command works in its workspace but cannot read the state dir (pincer.json).
TEST_F(SandboxExec, CannotReadStateDir) {
  ExecHarness harness(R"({"agents": {"defaults": {"sandbox": {"mode": "all"}}}})");
  auto state_file = (harness.state_dir() / "pincer.json").string();
  auto out = harness.call(
      "exec", R"({"command": "echo inside > made && cat made; cat )" + state_file + R"("})");
  EXPECT_NE(out.text.find("inside"), std::string::npos) << out.text;
  EXPECT_EQ(out.text.find("secret-token-42"), std::string::npos) << out.text;
  EXPECT_TRUE(out.is_error) << out.text;  // cat failed
  EXPECT_TRUE(std::filesystem::exists(harness.workspace() / "made"));
  // The host's home folder is not there either.
  auto home = harness.call("exec", R"({"command": "ls /root /home 2>&1; echo $HOME"})");
  EXPECT_NE(home.text.find("/tmp"), std::string::npos) << home.text;
}

// The main session stays on the host under non-main.
TEST_F(SandboxExec, NonMainLeavesMainSessionOnHost) {
  ExecHarness harness(R"({"agents": {"defaults": {"sandbox": {"mode": "non-main"}}}})");
  auto state_file = (harness.state_dir() / "pincer.json").string();
  auto command = R"({"command": "cat )" + state_file + R"("})";
  auto main = harness.call("exec", command, harness.context("agent:main:main"));
  EXPECT_NE(main.text.find("secret-token-42"), std::string::npos) << main.text;
  auto group = harness.call("exec", command, harness.context("agent:main:telegram:group:7"));
  EXPECT_EQ(group.text.find("secret-token-42"), std::string::npos) << group.text;
}

// A sandboxed command cannot reach a listener on the host's loopback.
TEST_F(SandboxExec, NoNetwork) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  socklen_t length = sizeof(address);
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::string port = std::to_string(ntohs(address.sin_port));
  std::string command = R"({"command": "bash -c 'exec 3<>/dev/tcp/127.0.0.1/)" + port +
                        R"(' 2>/dev/null && echo CONNECTED || echo REFUSED"})";

  ExecHarness host;  // control: the probe does connect without the sandbox
  auto direct = host.call("exec", command);
  EXPECT_NE(direct.text.find("CONNECTED"), std::string::npos) << direct.text;

  ExecHarness harness(R"({"agents": {"defaults": {"sandbox": {"mode": "all"}}}})");
  auto boxed = harness.call("exec", command);
  EXPECT_EQ(boxed.text.find("CONNECTED"), std::string::npos) << boxed.text;
  EXPECT_NE(boxed.text.find("REFUSED"), std::string::npos) << boxed.text;
  ::close(listener);
}

// host "gateway" cannot escape a sandboxed session.
TEST_F(SandboxExec, GatewayHostRefusedWhenSandboxed) {
  ExecHarness harness(R"({"agents": {"defaults": {"sandbox": {"mode": "all"}}}})");
  auto out = harness.call("exec", R"({"command": "true", "host": "gateway"})");
  EXPECT_TRUE(out.is_error);
}

}  // namespace
}  // namespace pincer::tools
