// `pincer logs` against log files in a temporary state directory: the real binary, its real
// output, and --follow awaited with deadlines (never a sleep).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "support/temp_dir.hpp"

extern char** environ;  // NOLINT

namespace pincer {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The `pincer` binary as a child process with its stdout and stderr on pipes.
class Process {
 public:
  Process(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    std::array<int, 2> out{};
    std::array<int, 2> err{};
    if (::pipe2(out.data(), O_CLOEXEC) != 0 || ::pipe2(err.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);

    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      if (!env.contains(entry.substr(0, entry.find('=')))) {
        env_strings.push_back(entry);
      }
    }
    for (const auto& [name, value] : env) {
      env_strings.push_back(name + "=" + value);
    }
    std::vector<char*> argv;
    std::vector<std::string> arg_copy = args;
    for (auto& a : arg_copy) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) {
      envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    if (rc != 0) {
      throw std::runtime_error("posix_spawn failed");
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    close_fd(out_fd_);
    close_fd(err_fd_);
  }

  // Reads until stdout contains `needle`; false when the deadline passes first.
  bool wait_for_stdout(std::string_view needle, std::chrono::milliseconds timeout = 10s) {
    auto deadline = Clock::now() + timeout;
    while (out_.find(needle) == std::string::npos) {
      if (!read_some(deadline)) {
        return out_.find(needle) != std::string::npos;
      }
    }
    return true;
  }

  // Reads both pipes to their end and reaps the process: its exit code, or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = 10s) {
    auto deadline = Clock::now() + timeout;
    while (out_fd_ >= 0 || err_fd_ >= 0) {
      if (!read_some(deadline)) {
        if (Clock::now() >= deadline) {
          return -1;
        }
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  void signal(int sig) { ::kill(pid_, sig); }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) {
      ::close(fd);
    }
    fd = -1;
  }

  // Waits for output on either pipe until the deadline; false on timeout or when both closed.
  bool read_some(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms || (out_fd_ < 0 && err_fd_ < 0)) {
      return false;
    }
    std::array<pollfd, 2> fds = {pollfd{out_fd_, POLLIN, 0}, pollfd{err_fd_, POLLIN, 0}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) {
      return false;
    }
    std::array<char, 4096> buf{};
    for (auto [fd, text] : {std::pair{&out_fd_, &out_}, std::pair{&err_fd_, &err_}}) {
      pollfd& p = fds[fd == &out_fd_ ? 0 : 1];
      if (*fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      ssize_t n = ::read(*fd, buf.data(), buf.size());
      if (n > 0) {
        text->append(buf.data(), static_cast<size_t>(n));
      } else {
        close_fd(*fd);
      }
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

std::string line(std::string_view time, std::string_view level, std::string_view subsystem,
                 std::string_view message) {
  return fmt::format(
      R"({{"time":"{}","level":"{}","subsystem":"{}","message":"{}","pid":1,"hostname":"h"}})",
      time, level, subsystem, message);
}

void append(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

class LogsCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* binary = std::getenv("PINCER_BINARY");  // NOLINT(concurrency-mt-unsafe)
    if (binary == nullptr) {
      GTEST_SKIP() << "PINCER_BINARY is not set (ctest sets it)";
    }
    binary_ = binary;
    fs::create_directories(logs_);
  }

  std::unique_ptr<Process> run(std::vector<std::string> args) {
    args.insert(args.begin(), {binary_, "logs"});
    return std::make_unique<Process>(
        args, std::map<std::string, std::string>{{"PINCER_STATE_DIR", state_.path().string()},
                                                 {"NO_COLOR", ""}});
  }

  testing::TempDir state_;
  fs::path logs_ = state_ / "logs";
  fs::path active_ = logs_ / "pincer.log";
  std::string binary_;
};

// --limit reaches back into pincer.1.log when the active file has fewer lines; --json prints
// the lines unchanged, oldest first.
TEST_F(LogsCommandTest, PrintsLastLinesAcrossRotatedFiles) {
  append(logs_ / "pincer.2.log", line("2025-01-02T03:00:00.000Z", "info", "a", "oldest") + "\n");
  append(logs_ / "pincer.1.log", line("2025-01-02T03:04:05.001Z", "info", "a", "one") + "\n" +
                                     line("2025-01-02T03:04:05.002Z", "info", "a", "two") + "\n");
  append(active_, line("2025-01-02T03:04:06.003Z", "warn", "b", "three") + "\n" +
                      line("2025-01-02T03:04:06.004Z", "error", "b", "four") + "\n");
  auto p = run({"--limit", "3", "--json"});
  ASSERT_EQ(p->wait_exit(), 0) << p->err();
  EXPECT_EQ(p->out(), line("2025-01-02T03:04:05.002Z", "info", "a", "two") + "\n" +
                          line("2025-01-02T03:04:06.003Z", "warn", "b", "three") + "\n" +
                          line("2025-01-02T03:04:06.004Z", "error", "b", "four") + "\n");
}

// Human output: time, level, [subsystem], message; lines that are not JSON are shown raw.
TEST_F(LogsCommandTest, PrintsHumanLinesAndMalformedLinesRaw) {
  append(active_, line("2025-01-02T03:04:05.678Z", "info", "gateway", "listening on 18789") +
                      "\n{\"cut off\n" + line("2025-01-02T03:04:06.000Z", "warn", "cron", "late") +
                      "\nescape \x1b[2J here\n");
  auto p = run({"--utc", "--no-color"});
  ASSERT_EQ(p->wait_exit(), 0) << p->err();
  EXPECT_EQ(p->out(),
            "2025-01-02 03:04:05.678Z info  [gateway] listening on 18789\n"
            "{\"cut off\n"
            "2025-01-02 03:04:06.000Z warn  [cron] late\n"
            "escape \\x1b[2J here\n");
}

// What the logger writes is what `pincer logs` reads.
TEST_F(LogsCommandTest, ReadsWhatTheLoggerWrites) {
  core::LogOptions options;
  options.console = false;
  options.dir = logs_;
  ASSERT_TRUE(core::init_logging(options));
  log::info("gateway", "hello from {}", "the logger");
  core::shutdown_logging();

  auto p = run({"--plain"});
  ASSERT_EQ(p->wait_exit(), 0) << p->err();
  EXPECT_NE(p->out().find(" info [gateway] hello from the logger\n"), std::string::npos)
      << p->out();
}

// No log yet is not an error: say where it will be and how to get one.
TEST_F(LogsCommandTest, MissingLogSaysWhereItWillBe) {
  auto p = run({});
  ASSERT_EQ(p->wait_exit(), 0);
  EXPECT_EQ(p->out(), "");
  EXPECT_NE(p->err().find(active_.string()), std::string::npos) << p->err();
  EXPECT_NE(p->err().find("pincer gateway"), std::string::npos) << p->err();
}

TEST_F(LogsCommandTest, RejectsInvalidLimit) {
  auto p = run({"--limit", "-1"});
  EXPECT_NE(p->wait_exit(), 0);
  EXPECT_NE(p->err().find("--limit"), std::string::npos) << p->err();
}

// --follow prints appended lines, then the rest of a rotated file and the new file, then a
// truncated file from its start, and stops cleanly on SIGINT.
TEST_F(LogsCommandTest, FollowSurvivesRotationAndTruncation) {
  append(active_, line("2025-01-02T03:04:05.000Z", "info", "a", "before") + "\n");
  auto p = run({"--follow", "--json", "--limit", "1", "--interval", "50"});
  ASSERT_TRUE(p->wait_for_stdout("\"before\"")) << p->err();

  append(active_, line("2025-01-02T03:04:05.100Z", "info", "a", "appended") + "\n");
  ASSERT_TRUE(p->wait_for_stdout("\"appended\"")) << p->out();

  // Rotation as spdlog does it: a last line, rename away, a new file.
  append(active_, line("2025-01-02T03:04:05.200Z", "info", "a", "last-in-old-file") + "\n");
  fs::rename(active_, logs_ / "pincer.1.log");
  append(active_, line("2025-01-02T03:04:05.300Z", "info", "a", "first-in-new-file") + "\n");
  ASSERT_TRUE(p->wait_for_stdout("\"first-in-new-file\"")) << p->out();
  EXPECT_LT(p->out().find("last-in-old-file"), p->out().find("first-in-new-file"));

  // Truncation in place.
  std::ofstream(active_, std::ios::trunc) << "x\n";
  ASSERT_TRUE(p->wait_for_stdout("\nx\n")) << p->out();

  // A line is printed only once it is complete.
  append(active_, "partial");
  append(active_, "-done\n");
  ASSERT_TRUE(p->wait_for_stdout("\npartial-done\n")) << p->out();

  p->signal(SIGINT);
  EXPECT_EQ(p->wait_exit(), 0) << p->err();
  EXPECT_EQ(p->out().find("before"), p->out().rfind("before")) << "printed twice: " << p->out();
}

// Following before the gateway ever ran: the file is picked up when it appears.
TEST_F(LogsCommandTest, FollowWaitsForTheFileToAppear) {
  fs::remove_all(logs_);
  auto p = run({"--follow", "--json", "--interval", "50"});
  std::string first = line("2025-01-02T03:04:05.000Z", "info", "a", "first ever");
  // The command has started once it has said there is no log yet.
  auto deadline = Clock::now() + 10s;
  while (p->err().find("No logs yet") == std::string::npos && Clock::now() < deadline) {
    p->wait_for_stdout("never", 50ms);
  }
  ASSERT_NE(p->err().find("No logs yet"), std::string::npos);
  fs::create_directories(logs_);
  append(active_, first + "\n");
  ASSERT_TRUE(p->wait_for_stdout(first)) << p->err();
  p->signal(SIGTERM);
  EXPECT_EQ(p->wait_exit(), 0);
}

}  // namespace
}  // namespace pincer
