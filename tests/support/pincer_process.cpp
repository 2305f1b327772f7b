#include "support/pincer_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "core/files.hpp"

namespace pincer::testing {

namespace fs = std::filesystem;
using core::read_file;
using namespace std::chrono_literals;

namespace {

// Spawns `program args` with stdin/stdout/stderr redirected to files.
pid_t spawn_program(const std::string& program, const std::vector<std::string>& args,
                    const EnvVars& env, const fs::path& in, const fs::path& out,
                    const fs::path& err) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  argv.reserve(argv_storage.size() + 1);
  for (auto& a : argv_storage) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const auto& [k, v] : env) {
    env_storage.push_back(k + "=" + v);
  }
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (auto& e : env_storage) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv_storage[0]);
  }
  return pid;
}

pid_t spawn(const std::vector<std::string>& args, const EnvVars& env, const fs::path& in,
            const fs::path& out, const fs::path& err) {
  return spawn_program(pincer_binary().string(), args, env, in, out, err);
}

int decode_status(int status) {
  if (WIFEXITED(status)) {
    return WEXITSTATUS(status);
  }
  if (WIFSIGNALED(status)) {
    return 128 + WTERMSIG(status);
  }
  return -1;
}

// Waits for `pid` up to `timeout`; nullopt if it is still running.
std::optional<int> wait_for_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      return decode_status(status);
    }
    if (r < 0) {
      return -1;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(5ms);
  }
}

}  // namespace

fs::path pincer_binary() {
  if (const char* path = std::getenv("PINCER_BINARY");
      path != nullptr && *path != '\0') {  // NOLINT(concurrency-mt-unsafe)
    return path;
  }
  return PINCER_BINARY_PATH;
}

EnvVars isolated_env(const fs::path& state_dir) {
  EnvVars env;
  env["HOME"] = state_dir.string();
  env["PINCER_STATE_DIR"] = state_dir.string();
  const char* path = std::getenv("PATH");  // NOLINT(concurrency-mt-unsafe)
  env["PATH"] = path != nullptr ? path : "/usr/bin:/bin";
  for (const char* keep : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TMPDIR", "TZ"}) {
    if (const char* value = std::getenv(keep)) {  // NOLINT(concurrency-mt-unsafe)
      env[keep] = value;
    }
  }
  return env;
}

namespace {

RunResult run_to_end(const std::string& program, const std::vector<std::string>& args,
                     const EnvVars& env, const std::string& stdin_text,
                     std::chrono::milliseconds timeout) {
  TempDir io;
  { std::ofstream(io / "stdin") << stdin_text; }
  pid_t pid = spawn_program(program, args, env, io / "stdin", io / "stdout", io / "stderr");
  auto code = wait_for_exit(pid, timeout);
  if (!code) {
    ::kill(pid, SIGKILL);
    code = wait_for_exit(pid, 5s);
  }
  return RunResult{code.value_or(-1), read_file(io / "stdout").value_or(""),
                   read_file(io / "stderr").value_or("")};
}

}  // namespace

RunResult run_pincer(const std::vector<std::string>& args, const EnvVars& env,
                     const std::string& stdin_text, std::chrono::milliseconds timeout) {
  return run_to_end(pincer_binary().string(), args, env, stdin_text, timeout);
}

RunResult run_pincer_shell(const std::string& command, const EnvVars& env,
                           const std::string& stdin_text, std::chrono::milliseconds timeout) {
  return run_to_end("/bin/sh", {"-c", command}, env, stdin_text, timeout);
}

std::optional<std::pair<int, std::string>> http_get(uint16_t port, const std::string& path) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::nullopt;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{.tv_sec = 5, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return std::nullopt;
  }
  std::string response;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      break;
    }
    response.append(buffer.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) {
    return std::nullopt;
  }
  int status = std::atoi(response.substr(9, 3).c_str());
  auto body_at = response.find("\r\n\r\n");
  return std::make_pair(status, body_at == std::string::npos ? "" : response.substr(body_at + 4));
}

uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::unique_ptr<GatewayProcess> GatewayProcess::start(const Options& options) {
  std::unique_ptr<GatewayProcess> gateway(new GatewayProcess());
  if (options.state_dir.empty()) {
    gateway->owned_state_ = std::make_unique<TempDir>();
    gateway->state_dir_ = gateway->owned_state_->path();
  } else {
    gateway->state_dir_ = options.state_dir;
  }
  if (!options.config.empty()) {
    std::ofstream(gateway->state_dir_ / "pincer.json") << options.config;
  }
  // Another process may grab the free port between our probe and the daemon's bind: retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (gateway->launch(options)) {
      return gateway;
    }
    if (gateway->output().find("already in use") == std::string::npos) {
      break;
    }
  }
  throw std::runtime_error("pincer gateway did not become ready:\n" + gateway->output());
}

bool GatewayProcess::launch(const Options& options) {
  port_ = options.port != 0 ? options.port : free_loopback_port();
  env_ = isolated_env(state_dir_);
  for (const auto& [k, v] : options.extra_env) {
    env_[k] = v;
  }
  std::vector<std::string> args{"gateway", "--port", std::to_string(port_)};
  args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
  exit_code_.reset();
  pid_ =
      spawn(args, env_, "/dev/null", state_dir_ / "gateway.stdout", state_dir_ / "gateway.stderr");
  auto deadline = std::chrono::steady_clock::now() + options.ready_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      return false;
    }
    if (auto response = http_get(port_, "/health"); response && response->first == 200) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  kill_hard();
  return false;
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && !exit_code_) {
    kill_hard();
  }
}

EnvVars GatewayProcess::env() const {
  return env_;
}

std::string GatewayProcess::output() const {
  return read_file(state_dir_ / "gateway.stderr").value_or("");
}

bool GatewayProcess::wait_for_output(const std::string& text,
                                     std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(text) != std::string::npos) {
      return true;
    }
    std::this_thread::sleep_for(10ms);
  }
  return output().find(text) != std::string::npos;
}

bool GatewayProcess::running() {
  if (exit_code_) {
    return false;
  }
  if (auto code = wait_for_exit(pid_, 0ms)) {
    exit_code_ = code;
    return false;
  }
  return true;
}

int GatewayProcess::stop(std::chrono::milliseconds timeout) {
  if (exit_code_) {
    return *exit_code_;
  }
  ::kill(pid_, SIGTERM);
  exit_code_ = wait_for_exit(pid_, timeout);
  if (!exit_code_) {
    ::kill(pid_, SIGKILL);
    exit_code_ = wait_for_exit(pid_, 5s);
  }
  return exit_code_.value_or(-1);
}

void GatewayProcess::kill_hard() {
  if (exit_code_) {
    return;
  }
  ::kill(pid_, SIGKILL);
  exit_code_ = wait_for_exit(pid_, 5s);
}

}  // namespace pincer::testing
