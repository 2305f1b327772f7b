#pragma once
// The environment a command gets. It starts empty, not from the daemon's: the daemon holds
// provider API keys, channel tokens and PINCER_* settings, and none of them may leak into a
// shell the model drives. A short allowlist is copied from the host (PATH, HOME, locale,
// terminal, time zone, user name), then the call's `env` is laid on top, minus the keys that
// would let a command hijack binaries or loaders (PATH on the host, LD_*, DYLD_*).

#include <map>
#include <string>
#include <vector>

#include "core/paths.hpp"
#include "core/result.hpp"

namespace pincer::tools {

struct ExecEnvironmentRequest {
  std::map<std::string, std::string> overrides;  // the call's `env`
  bool sandboxed = false;                        // the sandbox has its own PATH and HOME (/tmp)
  bool pty = false;                              // TERM=xterm-256color instead of dumb
};

// "KEY=value" strings for execve. Fails (naming the key) on a refused or malformed override.
Result<std::vector<std::string>> build_exec_environment(const ExecEnvironmentRequest& request,
                                                        const core::EnvLookup& host_env);

}  // namespace pincer::tools
