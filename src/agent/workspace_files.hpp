#pragma once
// Reads the workspace files that go into every system prompt (AGENTS.md, SOUL.md, TOOLS.md,
// IDENTITY.md, USER.md, HEARTBEAT.md, MEMORY.md, and BOOTSTRAP.md while it exists), each capped
// so one runaway file cannot eat the context window or the user's money. A capped file keeps its
// head and tail and says, in the middle, that it was cut and where the whole file is.
//
// HEARTBEAT.md with only headings and blank lines (the "no checks" form) is skipped too.
// Missing files are skipped without a word: a workspace may hold any subset. A file that exists
// but cannot be read is injected as a one-line note, so the model knows and can tell its person.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace pincer::agent {

// Byte caps (the reference counts characters; bytes are what the tokens follow, and for ASCII
// they are the same). Defaults are the reference's.
struct WorkspaceFileCaps {
  std::size_t per_file = 20000;  // agents.defaults.bootstrapMaxChars
  std::size_t total = 60000;     // agents.defaults.bootstrapTotalMaxChars
};

struct WorkspaceFile {
  std::string name;  // "AGENTS.md"
  std::filesystem::path path;
  std::string text;  // as injected: capped, maybe with a truncation marker
  std::size_t raw_bytes = 0;
  bool truncated = false;
};

// The files in prompt order. MEMORY.md falls back to memory.md when only that exists.
std::vector<WorkspaceFile> load_workspace_files(const std::filesystem::path& dir,
                                                const WorkspaceFileCaps& caps = {});

// Caps one file's text to `max_bytes` (head + tail around a marker naming `path`).
std::string cap_workspace_file(std::string_view text, const std::filesystem::path& path,
                               std::size_t max_bytes);

}  // namespace pincer::agent
