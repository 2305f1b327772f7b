#pragma once
// Which files of a workspace are memory, and the one way a requested path is turned into a
// memory file on disk.
//
// Memory files (as the reference indexes by default): MEMORY.md and its legacy spelling
// memory.md at the workspace root, USER.md at the root when it exists, and every *.md under
// memory/ at any depth (daily notes, memory/imports/..., nested reports). Symlinks are skipped
// (a link could pull any file of the host into the index) and so are dot-directories
// (memory/.dreams holds machine state, not notes).
//
// Not here: extra paths outside the workspace (memory.search.extraPaths) — a follow-up.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::tools::memory {

struct MemoryFile {
  std::string path;  // relative to the workspace, '/' separators: "memory/2025-01-02.md"
  std::filesystem::path absolute;
  int64_t mtime_ns = 0;  // last modification, nanoseconds since the epoch
  int64_t size = 0;      // bytes
};

// The memory files under `workspace`, sorted by path. A missing workspace or memory/ directory
// is no error (nothing is listed); a directory that cannot be read is (Errc::io).
Result<std::vector<MemoryFile>> list_memory_files(const std::filesystem::path& workspace);

// Whether `relative` (normalized, '/' separators) names a memory file by its shape alone.
bool is_memory_path(std::string_view relative);

// Turns a path a tool call asked for ("memory/x.md", "./MEMORY.md", or an absolute path inside
// the workspace) into a memory file. Refused (Errc::invalid_argument): paths outside the
// workspace, ".." escapes, non-memory files, symlinks anywhere below the workspace. A memory
// path with no file behind it: Errc::not_found.
Result<MemoryFile> resolve_memory_path(const std::filesystem::path& workspace,
                                       std::string_view requested);

}  // namespace pincer::tools::memory
