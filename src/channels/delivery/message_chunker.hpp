#pragma once
// Splitting a long reply into chat messages under a channel's length limit.
//
// Why: Telegram refuses a text over 4096 UTF-16 units (after entity parsing), and a reply cut at
// an arbitrary byte breaks its formatting: a fence opened in one message and closed in the next,
// a tag left open. The cutting itself is agent::chunk_text (block_chunker.hpp): it breaks at
// paragraphs, then lines, sentences and spaces, and never inside a code fence (a fence longer than
// a message is closed at the cut and reopened with its language in the next block). This file
// sizes those blocks for a channel and renders each one on its own, so every message is complete
// Markdown turned into complete HTML.
//
// Contract of render_telegram_messages():
//   - every part's html is well-formed Telegram HTML (telegram_html.hpp), `plain` is the same part
//     as plain text (plain_text.hpp), and neither is empty or whitespace-only;
//   - telegram_visible_length(html) and utf16_length(plain) are both at most the limit (clamped
//     to [kMinTelegramLimit, kTelegramMaxLength]), so the plain fallback fits as well;
//   - parts are in reply order and together carry the whole reply;
//   - ChunkMode::length (the default) sends the reply as one message when it fits and otherwise
//     packs whole paragraphs into as few messages as fit; ChunkMode::newline sends each paragraph
//     (blank-line separated block) as its own message, splitting only paragraphs over the limit.
// Rendering can lengthen a block (a table redrawn in monospace, a link's URL in the plain
// fallback), so each block is measured after rendering; one that does not fit is cut again
// smaller. As a last resort (a block that cannot shrink) its plain text is hard-cut by length and
// sent as escaped text.
//
// What it does not do: no I/O, no streaming (BlockChunker is the streaming form), and a table or
// list longer than one message continues as plain lines in the next one; reference-style link
// definitions resolve only within their own message; an emphasis span cut at a message boundary
// shows its markers.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "channels/delivery/table_mode.hpp"

namespace pincer::channels {

// The reference's `streaming.chunkMode`.
enum class ChunkMode {
  length,   // split only when the reply exceeds the limit; fill each message
  newline,  // one message per paragraph (blank-line boundary); length splitting past the limit
};

inline constexpr std::size_t kTelegramMaxLength = 4096;     // Bot API sendMessage text limit
inline constexpr std::size_t kTelegramDefaultLimit = 4000;  // the reference's textChunkLimit
inline constexpr std::size_t kMinTelegramLimit = 64;

struct TelegramRenderOptions {
  std::size_t limit = kTelegramDefaultLimit;  // textChunkLimit, in UTF-16 units
  TableMode tables = kDefaultTableMode;       // markdown.tables
  ChunkMode chunk_mode = ChunkMode::length;   // streaming.chunkMode
};

// One Telegram message: send `html` with parse_mode "HTML"; if Telegram answers 400 "can't parse
// entities", send `plain` without a parse mode.
struct TelegramMessagePart {
  std::string html;
  std::string plain;
};

// The reply as Telegram messages; see the contract above. Empty for a reply with nothing visible.
std::vector<TelegramMessagePart> render_telegram_messages(std::string_view markdown,
                                                          const TelegramRenderOptions& options);

// Plain-text channels: `text` cut into pieces of at most `limit` UTF-16 units (at least 2; a unit
// count also bounds a count of characters), at the same breaks and with the same fence handling as
// agent::chunk_text. Pieces that fit are packed together, joined by a blank line. No piece is empty
// or whitespace-only; pieces lose their trailing whitespace.
std::vector<std::string> chunk_for_limit(std::string_view text, std::size_t limit);

}  // namespace pincer::channels
