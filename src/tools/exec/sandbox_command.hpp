#pragma once
// The bubblewrap sandbox policy: which sessions run sandboxed (agents.defaults.sandbox.mode and
// per-agent overrides) and the bwrap command line that confines one command. Kept apart from
// the exec tool so file tools can apply the same policy later.
//
// What a sandboxed command sees: /usr, /bin, /sbin, /lib* and /etc read-only (minus the
// password hashes and SSH host keys), its workspace read-write, a private /tmp, /proc and a
// minimal /dev. Nothing else of the host: not the home directory, not the state directory
// (pincer.json holds tokens, state.db the transcripts), not the network unless the config
// allows it. All namespaces are unshared, the command gets its own session (no TIOCSTI into
// the daemon's terminal), and it dies with the bwrap process that the exec tool supervises.
//
// It does not limit CPU, memory or process count, and it is no defence against kernel bugs.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"

namespace pincer::tools {

inline constexpr const char* kBwrapPath = "/usr/bin/bwrap";

enum class SandboxMode { off, non_main, all };

struct SandboxSettings {
  SandboxMode mode = SandboxMode::off;
  // agents.*.sandbox.docker.network: "none" (default) isolates; any other value shares the
  // host's network (bwrap has no bridge of its own).
  bool network = false;
};

// agents.defaults.sandbox, overridden key by key by the agent's own entry
// (agents.entries.<id>.sandbox or the agents.list item). An unknown mode fails closed: "all".
SandboxSettings sandbox_settings(const core::Config& config, std::string_view agent_id);

// Whether a call in `session_key` runs sandboxed: never under "off", always under "all", and
// under "non-main" for every session but the agent's main one.
bool session_is_sandboxed(const SandboxSettings& settings, const core::Config& config,
                          std::string_view agent_id, std::string_view session_key);

struct SandboxPolicy {
  std::filesystem::path workspace;  // bound read-write at the same path
  std::filesystem::path state_dir;  // never visible, even when under the workspace
  bool network = false;
  std::vector<std::filesystem::path> extra_hidden;  // more host paths to mask
};

// The bwrap argv (starting with kBwrapPath, ending with "--") that runs the words after it
// under `policy` with `cwd` as working directory. `cwd` must be inside the workspace.
std::vector<std::string> bwrap_arguments(const SandboxPolicy& policy,
                                         const std::filesystem::path& cwd);

// Whether bwrap exists and may create namespaces here (some containers forbid it). Blocking
// (spawns bwrap once and waits): call on the pool. The answer is cached for the process.
Status check_sandbox_available();

}  // namespace pincer::tools
