#pragma once
// Markdown -> readable plain text, for channels without markup and for a Telegram message that
// Telegram refused as HTML (400 "can't parse entities"): the same document as
// markdown_to_telegram_html() prints, with the markup left out.
//
// Contract: no Markdown or HTML syntax of the reply's own formatting survives (emphasis, heading
// and fence markers are gone); code blocks keep their text verbatim; lists keep "• " / "1. "
// markers; quoted lines start with "│ "; a link prints as "label (url)" unless its label already is
// the URL; an image as "alt (url)"; raw HTML stays the text the model wrote. Blocks are separated
// by one blank line, and there is no trailing whitespace.

#include <cstddef>
#include <string>
#include <string_view>

#include "channels/delivery/table_mode.hpp"

namespace pincer::channels {

std::string markdown_to_plain_text(std::string_view markdown, TableMode tables = kDefaultTableMode);

// Length of `text` in UTF-16 code units (a 4-byte UTF-8 sequence counts 2, any other character 1);
// how Telegram and several other chat APIs count their length limits.
std::size_t utf16_length(std::string_view text);

}  // namespace pincer::channels
