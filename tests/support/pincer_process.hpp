#pragma once
// Runs the real `pincer` binary for integration tests: one-shot CLI commands with captured
// output, and the gateway daemon on a free loopback port with a fresh temporary state dir,
// started, awaited until GET /health answers, and stopped. Every later integration test uses
// these rather than poking at internals.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.hpp"

namespace pincer::testing {

// Path of the pincer binary under test ($PINCER_BINARY, else the one this build made).
std::filesystem::path pincer_binary();

struct RunResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

using EnvVars = std::map<std::string, std::string>;

// Environment for a child: HOME and PINCER_STATE_DIR pointing into `state_dir`, PATH kept, and
// nothing else from the parent (no stray API keys or tokens leak into tests).
EnvVars isolated_env(const std::filesystem::path& state_dir);

// Runs `pincer args...` to completion; kills it after `timeout`.
RunResult run_pincer(const std::vector<std::string>& args, const EnvVars& env,
                     const std::string& stdin_text = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Runs `/bin/sh -c command` (for tests that need a shell around pincer, e.g. script(1)).
RunResult run_pincer_shell(const std::string& command, const EnvVars& env,
                           const std::string& stdin_text = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

// GET http://127.0.0.1:port/path; nullopt when nothing answers. Returns {status, body}.
std::optional<std::pair<int, std::string>> http_get(uint16_t port, const std::string& path);

// A port nothing listens on right now (bind to 0, read it, close).
uint16_t free_loopback_port();

class GatewayProcess {
 public:
  struct Options {
    std::vector<std::string> extra_args;
    EnvVars extra_env;
    std::string config;               // written to <state>/pincer.json before start when not empty
    std::filesystem::path state_dir;  // reuse this state dir (e.g. after a crash); else a fresh one
    std::chrono::milliseconds ready_timeout = std::chrono::seconds(15);
    uint16_t port = 0;  // 0: a free one (set it when the config must name the port)
  };

  // Starts `pincer gateway --port <free>` in a fresh state dir and waits until /health answers.
  // Throws std::runtime_error with the daemon's stderr when it does not become ready.
  static std::unique_ptr<GatewayProcess> start(const Options& options);
  static std::unique_ptr<GatewayProcess> start() { return start(Options{}); }

  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;
  ~GatewayProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& state_dir() const { return state_dir_; }
  EnvVars env() const;  // the daemon's environment, for CLI commands against the same state

  // Everything the daemon wrote to stderr so far.
  std::string output() const;
  // Waits until the daemon's stderr contains `text`; false on timeout or exit.
  bool wait_for_output(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  bool running();

  // SIGTERM, then waits (SIGKILL after `timeout`); returns the exit code.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // SIGKILL, as a crash would; returns once the process is gone.
  void kill_hard();

 private:
  GatewayProcess() = default;
  bool launch(const Options& options);

  std::unique_ptr<TempDir> owned_state_;  // null when the caller supplied the state dir
  std::filesystem::path state_dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  EnvVars env_;
};

}  // namespace pincer::testing
