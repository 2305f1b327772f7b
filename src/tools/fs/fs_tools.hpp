#pragma once
// The file tools (docs: tools/index.md "Files", tools/apply-patch.md): `read`, `write`, `edit`
// and `apply_patch`, with the reference's names and parameters so prompts and skills written for
// it work unchanged.
//
// Paths are relative to the agent's workspace or absolute. While tools.fs.workspaceOnly is on
// (Pincer's default; the reference defaults it off) every path must resolve inside the
// workspace, symlinks included; apply_patch is also confined by
// tools.exec.applyPatch.workspaceOnly (default on). The config is read per call, so a hot
// reload applies to the next call. All file work runs on the blocking pool.

#include "agent/tool_registry.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools {

void register_fs_tools(agent::ToolRegistry& registry, const ToolDeps& deps);

}  // namespace pincer::tools
