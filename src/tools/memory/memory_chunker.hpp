#pragma once
// Splitting a Markdown memory file into passages for the index.
//
// The reference chunks memory into ~400-token pieces with 80 tokens of overlap. Tokens are
// estimated at 4 characters, so a passage holds up to `max_chars` (1600) characters of whole
// lines. A heading (outside a code fence) starts a new passage, so a note's sections are found
// on their own; a passage cut for size carries its last lines (up to `overlap_chars`) into the
// next one, so a fact that straddles the cut is still found whole. A single line longer than
// `max_chars` is cut into pieces on UTF-8 boundaries, all citing that line.
//
// Line numbers are 1-based and inclusive; blank lines at a passage's edges are left out of it,
// and passages with no text are dropped.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::tools::memory {

struct ChunkingOptions {
  std::size_t max_chars = 1600;     // ~400 tokens
  std::size_t overlap_chars = 320;  // ~80 tokens
};

struct TextChunk {
  int64_t start_line = 0;
  int64_t end_line = 0;
  std::string text;  // the lines start_line..end_line joined by '\n'
};

std::vector<TextChunk> chunk_markdown(std::string_view text, const ChunkingOptions& options = {});

}  // namespace pincer::tools::memory
