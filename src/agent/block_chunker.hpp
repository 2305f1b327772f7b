#pragma once
// Block chunking of a streamed reply, for chat channels that cannot edit a message once sent
// (WhatsApp, Signal, iMessage, ...): instead of one message per token delta, or one wall of text
// at the end, the reply goes out as a few complete blocks of readable size.
//
// What it does. Text deltas are buffered and cut into blocks of at most `max_chars`:
//   - nothing is cut before a block would hold `min_chars`;
//   - the preferred break (by default a blank line) is taken at its first occurrence past
//     `min_chars`, as soon as it streams in;
//   - when the text runs past `max_chars` without one, the block ends at the last weaker break in
//     the window, in the order blank line, line end, sentence end (. ! or ? before whitespace),
//     whitespace, and failing all of them it is hard-cut at `max_chars` on a UTF-8 boundary;
//   - no cut lands inside a fenced code block (``` or ~~~) when any break outside one is in the
//     window; when a fence is longer than the window, the block closes it and the next block
//     reopens it with the same info string, so every block renders as valid Markdown.
// Blocks lose their trailing whitespace; the next block loses its leading blank lines (and, after
// a cut inside a line, its leading spaces). Indentation of a block's first line is kept.
//
// Ordering promise: the blocks depend only on the text, never on how it was split into deltas.
// For that, a cut at a weaker break waits until the text is known kLookahead bytes past
// `max_chars`, and a blank line is a line holding at most kLookahead - 2 spaces or tabs.
//
// Lengths are UTF-8 bytes, not characters: a byte count never exceeds a channel limit counted in
// characters or UTF-16 units, and no cut splits a multi-byte sequence. Every block, including a
// synthetic fence-closing line, is at most max_chars() bytes.
//
// What it does not do: no I/O, timers or coalescing of small blocks (idle flushes belong to the
// caller), and it flushes only when told: the caller calls finish() at each text_end, or once at
// message_end. Markdown other than fences (indented code, lists, tables) is not protected, a line
// cap such as Discord's maxLinesPerMessage is not applied, and an opening fence line longer than
// the window is cut like text (the rest of its info string becomes the first code line).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::agent {

// How a reply is cut into blocks. Lengths count UTF-8 bytes.
struct BlockChunkSettings {
  // The break the chunker waits for. Weaker ones are used only once the text passes max_chars.
  enum class Break { paragraph, newline, sentence };

  std::size_t min_chars = 800;   // no earlier cut (blocks before the last are this long when the
                                 // text allows; a fence can force a shorter one)
  std::size_t max_chars = 1200;  // no block is longer; clamped to hard_limit
  Break prefer = Break::paragraph;
  std::size_t hard_limit = 4000;  // the channel's textChunkLimit
};

// Cuts one streamed text into blocks; see the note at the top of this file. Not thread-safe: one
// chunker belongs to one reply stream.
class BlockChunker {
 public:
  // The smallest block size the chunker accepts: room for a closing and a reopening fence line
  // around at least one UTF-8 character.
  static constexpr std::size_t kMinMaxChars = 32;
  // Bytes a fallback cut waits for past max_chars: a blank line's second '\n' and the fence marker
  // of a line starting inside the window are then known.
  static constexpr std::size_t kLookahead = 8;

  // max_chars becomes min(max_chars, hard_limit), at least kMinMaxChars; min_chars is clamped to
  // [1, max_chars].
  explicit BlockChunker(BlockChunkSettings settings);

  // Appends `delta` and returns the blocks it completed, in order; usually none. Blocks are
  // non-empty and at most max_chars() bytes.
  std::vector<std::string> push(std::string_view delta);

  // The end of the text (text_end or message_end): returns the buffered rest as blocks (several
  // when it is longer than max_chars(), none when it is only whitespace) and leaves the chunker
  // empty, ready for the next text.
  std::vector<std::string> finish();

  // Drops the buffered text without emitting it (an aborted run, a superseded reply).
  void reset();

  std::size_t min_chars() const { return min_; }
  std::size_t max_chars() const { return max_; }

 private:
  // What to drop from the head of the pending text before the next block starts.
  enum class Skip { none, spaces, blank_lines };

  std::string_view pending() const { return std::string_view(buf_).substr(head_); }
  void normalize_head();
  bool cut_one(bool final, std::vector<std::string>& out);

  std::size_t min_;
  std::size_t max_;
  BlockChunkSettings::Break prefer_;

  std::string buf_;  // pending text is buf_[head_, end); the consumed prefix is erased lazily
  std::size_t head_ = 0;
  Skip skip_ = Skip::blank_lines;
  std::size_t blank_scanned_ = 0;  // head bytes already known to be spaces/tabs (blank_lines)
  bool line_start_ = true;         // the pending text begins at the start of a line
  std::size_t reopen_len_ = 0;     // length of a synthetic reopening fence line (and its '\n')
};

// Cuts a whole text (a final reply longer than a channel's limit) exactly as streaming it through
// a BlockChunker and finishing would.
std::vector<std::string> chunk_text(std::string_view text, const BlockChunkSettings& settings);

}  // namespace pincer::agent
