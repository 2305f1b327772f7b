#pragma once
// Message text as the fake Telegram server stores it: plain text plus MessageEntity objects whose
// offsets and lengths count UTF-16 code units, parsed from the Bot API's "HTML style" the way
// Telegram does (the documented tags only, properly nested and closed; the documented entities).

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>

namespace pincer::fakes {

struct TelegramText {
  std::string text;
  boost::json::array entities;  // sorted by offset, longer first
};

// UTF-16 code units in valid UTF-8 (a code point above U+FFFF counts 2).
std::size_t utf16_length(std::string_view utf8);
bool is_valid_utf8(std::string_view text);

// Parses HTML-style markup. On failure returns the reason as Telegram words it after
// "Bad Request: can't parse entities: " (e.g. `Unsupported start tag "p" at byte offset 3`).
// strict_entities: an "&" that starts no supported entity is an error (true) or text (false).
std::expected<TelegramText, std::string> parse_telegram_html(std::string_view html,
                                                             bool strict_entities);

// Trims leading and trailing whitespace like Telegram, moving and clipping the entities; drops
// empty entities and sorts them.
void normalize_telegram_text(TelegramText& text);

}  // namespace pincer::fakes
