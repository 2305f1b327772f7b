#pragma once
// Every built-in tool the daemon offers, registered in one place: files, exec and process
// (through the exec-approvals gate), web, memory. Which of them a run sees is the tool policy's
// decision (tool_policy.hpp), applied by the agent per run.

#include "agent/agent_service.hpp"
#include "core/http_client.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools {

void register_builtin_tools(agent::AgentService& agent, const ToolDeps& deps,
                            core::HttpClient& http);

}  // namespace pincer::tools
