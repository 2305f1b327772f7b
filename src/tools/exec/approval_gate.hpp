#pragma once
// The ExecGate the daemon uses: the exec-approvals engine over the approvals file
// (<state>/exec-approvals.json, the reference's format) and tools.exec.security / tools.exec.ask.
// An "ask" goes to the reviewer when one is connected; until the approval broker is wired to the
// gateway and channels, an ask is settled by askFallback (deny by default), and the model is
// told that the command needs approval.

#include <filesystem>

#include "tools/exec/exec_gate.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools {

ExecGate make_approval_gate(const ToolDeps& deps, std::filesystem::path approvals_file);

}  // namespace pincer::tools
