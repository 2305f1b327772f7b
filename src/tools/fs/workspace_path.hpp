#pragma once
// Where a file tool's `path` argument points. Relative paths start at the agent's workspace;
// "~/" means the home directory (as in the reference; "./~/x" names a directory called "~").
// Every existing component is resolved (symlinks followed) before the containment check, so a
// symlink or a "../" that leaves the workspace is refused, and the tools then work on the
// resolved path, never on the name the model wrote.
//
// Not covered: a symlink swapped in between the check and the use (reads open the final
// component with O_NOFOLLOW; writes replace a symlink rather than writing through it).

#include <filesystem>
#include <string_view>

#include "core/result.hpp"

namespace pincer::tools::file_tools {

// The policy a call runs under: `workspace_only` is tools.fs.workspaceOnly (for apply_patch also
// tools.exec.applyPatch.workspaceOnly).
struct FsScope {
  std::filesystem::path workspace;
  bool workspace_only = true;
};

// The absolute, symlink-free path `requested` names. Fails (Errc::invalid_argument, with a
// message the model can act on) for an empty path, a path outside the workspace when confined,
// and a path through a dangling symlink.
Result<std::filesystem::path> resolve_tool_path(std::string_view requested, const FsScope& scope);

// `path` shown relative to the workspace when inside it, else absolute.
std::string display_path(const std::filesystem::path& path, const FsScope& scope);

}  // namespace pincer::tools::file_tools
