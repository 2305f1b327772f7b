#pragma once
// How the delivery formatters turn a Markdown table into chat text: the reference's per-channel
// `markdown.tables` setting. Chat apps have no table markup (Telegram only with rich messages,
// which Pincer does not send), so a table is either redrawn in monospace, flattened to bullets, or
// left as the raw pipe text the model wrote.

#include <optional>
#include <string_view>

namespace pincer::channels {

enum class TableMode {
  off,      // no table parsing: the pipe text is shown as written (lines of a paragraph)
  bullets,  // each body row: its first cell as a bold label, then "• header: value" lines
  code,     // an aligned monospace table in a code block (<pre>)
  block,    // a native table where the transport has one; without rich messages this is `code`
};

// Telegram's default (`block`, which resolves to `code` for plain HTML messages).
inline constexpr TableMode kDefaultTableMode = TableMode::block;

// The config spelling ("off", "bullets", "code", "block"); nullopt for anything else.
std::optional<TableMode> parse_table_mode(std::string_view name);

}  // namespace pincer::channels
