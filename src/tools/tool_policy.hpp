#pragma once
// The tool policy (docs: gateway/config-tools/tool-policy.md): which built-in tools a run may
// see. Layers, each of which can only narrow what the one before allowed:
//
//   1. profile     tools.profile (an agent's tools.profile replaces it): minimal | coding |
//                  messaging | full; unset = every tool. tools.alsoAllow adds to the profile.
//   2. allow/deny  tools.allow (when set, only those) and tools.deny; then the agent's own.
//   3. provider    tools.byProvider["provider/model"] or ["provider"]: {profile, allow,
//                  alsoAllow, deny}.
//   4. sender      tools.toolsBySender and the agent's: the first key that matches
//                  ("channel:<channel>:<id>", "id:<id>", then "*") applies {allow, alsoAllow,
//                  deny}; an agent's match replaces the global one.
//
// Names may be globs ("memory_*") or groups ("group:fs", "group:runtime" ...); "bash" means
// exec. A deny always wins over an allow in the same layer.

#include <string>
#include <string_view>
#include <vector>

#include "agent/tool_registry.hpp"
#include "core/config.hpp"

namespace pincer::tools {

// The tool names a group stands for ("group:fs" -> read, write, edit, apply_patch); empty for a
// name that is not a known group.
std::vector<std::string_view> tool_group(std::string_view group);

// True when `tool` may be offered in a run described by `input` under `config`.
bool tool_allowed(const core::Config& config, std::string_view tool,
                  const agent::ToolFilterInput& input);

// The filter the agent applies to every run; reads the config through `config` at each call,
// so a reload applies to the next turn.
agent::ToolFilter make_tool_filter(std::function<const core::Config&()> config);

}  // namespace pincer::tools
