#include "tools/exec/sandbox_command.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include <boost/json.hpp>

#include "sessions/session_key.hpp"

namespace pincer::tools {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Host files a sandboxed command must not read even though their folder is bound.
constexpr std::array kHiddenEtcFiles{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-",
                                     "/etc/sudoers"};
constexpr std::array kHiddenEtcDirs{"/etc/ssh", "/etc/sudoers.d", "/etc/pincer"};

const json::object* sandbox_object(const json::value& holder) {
  const auto* object = holder.if_object();
  if (object == nullptr) {
    return nullptr;
  }
  const json::value* sandbox = object->if_contains("sandbox");
  return sandbox != nullptr ? sandbox->if_object() : nullptr;
}

void apply(const json::object& sandbox, SandboxSettings& out) {
  if (const json::value* mode = sandbox.if_contains("mode"); mode != nullptr) {
    std::string_view text = mode->is_string() ? std::string_view(mode->get_string()) : "";
    if (text == "off") {
      out.mode = SandboxMode::off;
    } else if (text == "non-main") {
      out.mode = SandboxMode::non_main;
    } else {
      out.mode = SandboxMode::all;  // "all", or something unknown: fail closed
    }
  }
  if (const json::value* docker = sandbox.if_contains("docker");
      docker != nullptr && docker->is_object()) {
    if (const json::value* network = docker->get_object().if_contains("network");
        network != nullptr && network->is_string()) {
      out.network = network->get_string() != "none";
    }
  }
}

bool is_under(const fs::path& path, const fs::path& root) {
  auto at = path.begin();
  for (const auto& part : root) {
    if (part.empty()) {
      continue;  // a trailing separator
    }
    if (at == path.end() || *at != part) {
      return false;
    }
    ++at;
  }
  return true;
}

// Masks `path` when it exists: an empty tmpfs over a folder, /dev/null over a file.
void hide(std::vector<std::string>& args, const fs::path& path) {
  std::error_code ec;
  auto status = fs::symlink_status(path, ec);
  if (ec || !fs::exists(status)) {
    return;
  }
  if (fs::is_directory(status)) {
    args.insert(args.end(), {"--tmpfs", path.string()});
  } else {
    args.insert(args.end(), {"--ro-bind", "/dev/null", path.string()});
  }
}

// /bin, /lib ... are symlinks into /usr on merged-/usr systems and folders elsewhere.
void bind_system_dir(std::vector<std::string>& args, const char* dir) {
  std::error_code ec;
  auto status = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(status)) {
    return;
  }
  if (fs::is_symlink(status)) {
    auto target = fs::read_symlink(dir, ec);
    if (!ec) {
      args.insert(args.end(), {"--symlink", target.string(), dir});
    }
    return;
  }
  args.insert(args.end(), {"--ro-bind", dir, dir});
}

std::optional<Error> probe_bwrap() {
  if (::access(kBwrapPath, X_OK) != 0) {
    return Error{Errc::unavailable,
                 std::string("the sandbox needs bubblewrap, and ") + kBwrapPath +
                     " is missing or not executable",
                 "install it (apt install bubblewrap) or set agents.defaults.sandbox.mode to "
                 "\"off\""};
  }
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return Error{Errc::io, std::string("cannot create a pipe: ") + std::strerror(errno), ""};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  std::vector<std::string> words{
      kBwrapPath, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/", "/",
      "--proc",   "/proc",         "--cap-drop",        "ALL",           "/bin/true"};
  std::vector<char*> argv;
  for (auto& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  std::array<char*, 1> envp{nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, kBwrapPath, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  std::string stderr_text;
  if (rc == 0) {
    std::array<char, 1024> buffer{};
    ssize_t n = 0;
    while ((n = ::read(pipe_fds[0], buffer.data(), buffer.size())) > 0 ||
           (n < 0 && errno == EINTR)) {
      if (n > 0 && stderr_text.size() < 4096) {
        stderr_text.append(buffer.data(), static_cast<std::size_t>(n));
      }
    }
  }
  ::close(pipe_fds[0]);
  if (rc != 0) {
    return Error{Errc::unavailable, std::string("cannot start bwrap: ") + std::strerror(rc), ""};
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return std::nullopt;
  }
  while (!stderr_text.empty() && (stderr_text.back() == '\n' || stderr_text.back() == ' ')) {
    stderr_text.pop_back();
  }
  return Error{Errc::unavailable,
               "bwrap cannot create namespaces on this machine (" +
                   (stderr_text.empty() ? std::string("no message") : stderr_text) +
                   "), so sandboxed commands cannot run",
               "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) "
               "or run outside a restrictive container, or set agents.defaults.sandbox.mode to "
               "\"off\""};
}

}  // namespace

SandboxSettings sandbox_settings(const core::Config& config, std::string_view agent_id) {
  SandboxSettings settings;
  if (const auto* agents =
          config.raw.is_object() ? config.raw.get_object().if_contains("agents") : nullptr;
      agents != nullptr && agents->is_object()) {
    if (const json::value* defaults = agents->get_object().if_contains("defaults");
        defaults != nullptr) {
      if (const auto* sandbox = sandbox_object(*defaults); sandbox != nullptr) {
        apply(*sandbox, settings);
      }
    }
  }
  for (const auto& entry : config.agents.list) {
    if (entry.id == agent_id) {
      if (const auto* sandbox = sandbox_object(entry.raw); sandbox != nullptr) {
        apply(*sandbox, settings);
      }
      break;
    }
  }
  return settings;
}

bool session_is_sandboxed(const SandboxSettings& settings, const core::Config& config,
                          std::string_view agent_id, std::string_view session_key) {
  switch (settings.mode) {
    case SandboxMode::off:
      return false;
    case SandboxMode::all:
      return true;
    case SandboxMode::non_main:
      return session_key != sessions::main_session_key(agent_id, config.session);
  }
  return true;
}

std::vector<std::string> bwrap_arguments(const SandboxPolicy& policy, const fs::path& cwd) {
  std::vector<std::string> args{kBwrapPath,      "--die-with-parent", "--new-session",
                                "--unshare-all", "--cap-drop",        "ALL"};
  if (policy.network) {
    args.emplace_back("--share-net");
  }
  args.insert(args.end(), {"--ro-bind", "/usr", "/usr"});
  for (const char* dir : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    bind_system_dir(args, dir);
  }
  args.insert(args.end(), {"--ro-bind", "/etc", "/etc"});
  for (const char* file : kHiddenEtcFiles) {
    hide(args, file);
  }
  for (const char* dir : kHiddenEtcDirs) {
    hide(args, dir);
  }
  args.insert(args.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs",
                           "/var/tmp", "--tmpfs", "/run"});
  args.insert(args.end(), {"--bind", policy.workspace.string(), policy.workspace.string()});
  // The state dir (and whatever else must stay hidden) is masked wherever a bind exposes it:
  // a workspace that contains it, or a system folder.
  std::vector<fs::path> hidden = policy.extra_hidden;
  if (!policy.state_dir.empty()) {
    hidden.push_back(policy.state_dir);
  }
  for (const auto& path : hidden) {
    const fs::path normal = path.lexically_normal();
    for (const char* root : {"/usr", "/etc"}) {
      if (is_under(normal, root)) {
        hide(args, normal);
      }
    }
    if (is_under(normal, policy.workspace.lexically_normal())) {
      hide(args, normal);
    }
  }
  args.insert(args.end(), {"--chdir", cwd.string(), "--"});
  return args;
}

Status check_sandbox_available() {
  static std::once_flag once;
  static std::optional<Error> problem;
  std::call_once(once, [] { problem = probe_bwrap(); });
  if (problem) {
    return std::unexpected(*problem);
  }
  return {};
}

}  // namespace pincer::tools
