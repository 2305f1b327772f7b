#include "channels/delivery/telegram_html.hpp"

#include <cstdint>
#include <optional>

#include "channels/delivery/detail/markdown_render.hpp"
#include "channels/delivery/plain_text.hpp"

namespace pincer::channels {

namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The code point of an entity name ("lt", "#60", "#x3C"), if it is one.
std::optional<std::uint32_t> entity_code_point(std::string_view name) {
  if (name == "lt") {
    return '<';
  }
  if (name == "gt") {
    return '>';
  }
  if (name == "amp") {
    return '&';
  }
  if (name == "quot") {
    return '"';
  }
  if (name == "apos") {
    return '\'';
  }
  if (name.size() < 2 || name[0] != '#') {
    return std::nullopt;
  }
  bool hex = name[1] == 'x' || name[1] == 'X';
  std::string_view digits = name.substr(hex ? 2 : 1);
  if (digits.empty() || digits.size() > 8) {
    return std::nullopt;
  }
  std::uint32_t cp = 0;
  for (char c : digits) {
    std::uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (hex && c >= 'a' && c <= 'f') {
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (hex && c >= 'A' && c <= 'F') {
      d = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    cp = cp * (hex ? 16 : 10) + d;
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  return cp;
}

}  // namespace

std::string markdown_to_telegram_html(std::string_view markdown, TableMode tables) {
  return detail::render_markdown(markdown, tables, detail::RenderOutputs::html).html;
}

std::string telegram_html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string telegram_visible_text(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (std::size_t i = 0; i < html.size();) {
    char c = html[i];
    if (c == '<') {
      std::size_t close = html.find('>', i);
      if (close != std::string_view::npos) {
        i = close + 1;
        continue;
      }
    } else if (c == '&') {
      std::size_t semi = html.find(';', i);
      if (semi != std::string_view::npos && semi - i <= 10) {
        if (auto cp = entity_code_point(html.substr(i + 1, semi - i - 1))) {
          append_utf8(out, *cp);
          i = semi + 1;
          continue;
        }
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::size_t telegram_visible_length(std::string_view html) {
  return utf16_length(telegram_visible_text(html));
}

}  // namespace pincer::channels
