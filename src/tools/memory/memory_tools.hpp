#pragma once
// The memory tools (docs: concepts/memory*.md in the reference):
//
//   memory_search {query, maxResults?, minScore?}
//       Brings the workspace's memory index up to date (only changed files are re-read) and
//       returns the best passages, each citing "path#Lstart-Lend". Keyword (FTS5 bm25) ranking;
//       embeddings are not wired yet (see PROGRESS.md), so a configured provider is reported
//       in the answer's "mode" and keyword ranking is used.
//   memory_get {path, from?, lines?}
//       Reads a memory file (MEMORY.md, USER.md, memory/**/*.md) or a line range of it;
//       without `lines` a 120-line window, capped at memoryGetMaxChars, with a note telling
//       where to continue. Paths outside the memory files are refused.
//
// Both run their file and SQLite work on the blocking pool; the index writes go through
// ToolDeps::database so they never interleave with other state.db writers.

#include "agent/tool_registry.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools {

void register_memory_tools(agent::ToolRegistry& registry, const ToolDeps& deps);

}  // namespace pincer::tools
