#pragma once
// The `exec` and `process` tools (reference: tools/exec.md, gateway/background-process.md).
//
// exec runs one shell command with /bin/sh -c (no login shell, no rc files) in the workspace,
// with a scrubbed environment (exec_environment.hpp), under bwrap when the session is
// sandboxed (sandbox_command.hpp), after the ExecGate allowed it. It waits up to yieldMs
// (tools.exec.backgroundMs, default 10 s) and returns the output (stdout and stderr
// interleaved, head and tail kept when long) with the exit code or signal; a command still
// running then, or started with background: true, goes on as a session the process tool
// manages (list, poll, log, write, send-keys, submit, paste, kill, clear, remove). The
// timeout (timeoutSeconds, tools.exec.timeoutSeconds, default 1800 s; 0: none) applies to
// background sessions too. Aborting the turn kills a command the call is still waiting for;
// sessions already in the background keep running.
//
// Not supported: host "node", elevated mode (exec never leaves a required sandbox), approval
// flows beyond the gate, completion wake-ups (notifyOnExit), the shell startup snapshot.

#include <chrono>
#include <cstddef>

#include "agent/tool_registry.hpp"
#include "core/paths.hpp"
#include "tools/exec/exec_gate.hpp"
#include "tools/exec/exec_session.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools {

struct ExecToolOptions {
  std::size_t max_result_bytes = 30'000;  // of one exec / poll / log result
  std::chrono::milliseconds kill_grace{2000};
  std::chrono::milliseconds drain{2000};
  core::EnvLookup host_env = core::process_env();  // where the env allowlist is read from
  SteadyNow now = [] { return std::chrono::steady_clock::now(); };
};

void register_exec_tools(agent::ToolRegistry& registry, const ToolDeps& deps, ExecGate gate);
void register_exec_tools(agent::ToolRegistry& registry, const ToolDeps& deps, ExecGate gate,
                         ExecToolOptions options);

}  // namespace pincer::tools
