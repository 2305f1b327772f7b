#include "tools/exec/exec_environment.hpp"

#include <array>
#include <string_view>

namespace pincer::tools {

namespace {

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Copied from the host when set. Nothing secret-looking belongs here.
constexpr std::array kHostAllowlist{
    "PATH",     "HOME",        "USER",       "LOGNAME", "LANG",       "LANGUAGE", "LC_ALL",
    "LC_CTYPE", "LC_MESSAGES", "LC_NUMERIC", "LC_TIME", "LC_COLLATE", "TZ",       "TMPDIR"};

bool refused_key(std::string_view key, bool sandboxed) {
  if (key.starts_with("LD_") || key.starts_with("DYLD_")) {
    return true;  // loader injection
  }
  return key == "PATH" && !sandboxed;  // binary hijacking on the host
}

}  // namespace

Result<std::vector<std::string>> build_exec_environment(const ExecEnvironmentRequest& request,
                                                        const core::EnvLookup& host_env) {
  std::map<std::string, std::string> env;
  for (const char* key : kHostAllowlist) {
    if (auto value = host_env(key); value && !value->empty()) {
      env[key] = *value;
    }
  }
  if (request.sandboxed) {
    env["PATH"] = kDefaultPath;
    env["HOME"] = "/tmp";
    env.erase("TMPDIR");  // the host's TMPDIR need not exist inside
  } else if (!env.contains("PATH")) {
    env["PATH"] = kDefaultPath;
  }
  env["SHELL"] = "/bin/sh";
  env["TERM"] = request.pty ? "xterm-256color" : "dumb";
  // Pagers would wait for a keypress nobody sends.
  env["PAGER"] = "cat";
  env["GIT_PAGER"] = "cat";
  // Lets shell rc files and scripts tell they run under the exec tool.
  env["PINCER_SHELL"] = "exec";

  for (const auto& [key, value] : request.overrides) {
    if (key.empty() || key.find_first_of("=\0", 0, 2) != std::string::npos) {
      return fail(Errc::invalid_argument, "env: \"" + key + "\" is not a valid variable name");
    }
    if (value.find('\0') != std::string::npos) {
      return fail(Errc::invalid_argument, "env." + key + ": contains a NUL byte");
    }
    if (refused_key(key, request.sandboxed)) {
      return fail(Errc::invalid_argument,
                  "env." + key + ": may not be overridden (binary or loader hijacking)");
    }
    env[key] = value;
  }

  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [key, value] : env) {
    out.push_back(key + "=" + value);
  }
  return out;
}

}  // namespace pincer::tools
