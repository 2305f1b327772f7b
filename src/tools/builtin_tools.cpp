#include "tools/builtin_tools.hpp"

#include "tools/exec/approval_gate.hpp"
#include "tools/exec/exec_tools.hpp"
#include "tools/fs/fs_tools.hpp"
#include "tools/memory/memory_tools.hpp"
#include "tools/tool_policy.hpp"
#include "tools/web/web_tools.hpp"

namespace pincer::tools {

void register_builtin_tools(agent::AgentService& agent, const ToolDeps& deps,
                            core::HttpClient& http) {
  agent::ToolRegistry& registry = agent.tools();
  register_fs_tools(registry, deps);
  register_exec_tools(registry, deps,
                      make_approval_gate(deps, deps.paths.state_dir / "exec-approvals.json"));
  register_web_tools(registry, deps, http);
  register_memory_tools(registry, deps);
  agent.set_tool_filter(make_tool_filter(deps.config));
}

}  // namespace pincer::tools
