#pragma once
// The blocking bodies of the file tools: each runs on the blocking pool, takes arguments already
// checked for type, and returns what the model sees (errors included, as text it can act on).
// fs_tools.cpp wraps them into agent::ToolSpec handlers.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/tool_registry.hpp"
#include "tools/fs/workspace_path.hpp"

namespace pincer::tools::file_tools {

// Limits of `read` (the reference's defaults): one call returns at most this many lines or
// bytes of text; the note at the end says which offset to read on from.
inline constexpr int64_t kReadMaxLines = 2000;
inline constexpr std::size_t kReadMaxBytes = 50 * 1024;
// Images larger than this are refused (providers reject them anyway).
inline constexpr std::size_t kReadMaxImageBytes = 5 * 1024 * 1024;
// Files larger than this are refused by edit and apply_patch, which hold them in memory.
inline constexpr std::size_t kEditMaxFileBytes = 16 * 1024 * 1024;

struct ReadRequest {
  std::string path;
  std::optional<int64_t> offset;  // first line, 1-based
  std::optional<int64_t> limit;   // lines
};
agent::ToolOutput read_file(const ReadRequest& request, const FsScope& scope);

struct WriteRequest {
  std::string path;
  std::string content;
};
agent::ToolOutput write_file(const WriteRequest& request, const FsScope& scope);

struct TextReplacement {
  std::string old_text;
  std::string new_text;
};
struct EditRequest {
  std::string path;
  std::vector<TextReplacement> edits;  // applied in order
  bool replace_all = false;
};
agent::ToolOutput edit_file(const EditRequest& request, const FsScope& scope);

agent::ToolOutput apply_patch(const std::string& input, const FsScope& scope);

}  // namespace pincer::tools::file_tools
