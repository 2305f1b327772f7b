// HTML style as the Bot API documents it: <b>/<strong>, <i>/<em>, <u>/<ins>,
// <s>/<strike>/<del>, <span class="tg-spoiler">/<tg-spoiler>, <a href>, <code>, <pre>,
// <pre><code class="language-x">, <blockquote [expandable]>, <tg-emoji emoji-id>. Tags nest and
// close properly; the only named entities are &lt; &gt; &amp; &quot;, plus numeric ones. The
// error reasons follow the wording Telegram answers with, byte offsets included.
//
// Like Telegram it silently drops entities it cannot show (anything inside code or pre, a
// blockquote inside a blockquote, empty ones) rather than failing.

#include "fakes/fake_telegram_html.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <vector>

#include <boost/json/object.hpp>

namespace pincer::fakes {
namespace {

namespace json = boost::json;

struct Entity {
  std::string type;
  std::size_t offset = 0;  // UTF-16 units
  std::size_t length = 0;
  std::size_t depth = 0;  // how many tags were open around it
  std::string url;
  std::string language;
  std::string custom_emoji_id;
};

struct OpenTag {
  std::string name;
  std::size_t start = 0;  // UTF-16 offset in the output
  std::string argument;   // href, language, spoiler class or emoji id
  bool expandable = false;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// The entity starting at html[i] == '&': its UTF-8 text and its length in bytes.
std::optional<std::pair<std::string, std::size_t>> decode_entity(std::string_view html,
                                                                 std::size_t i) {
  std::string_view rest = html.substr(i);
  for (auto [name, text] : {std::pair{"&lt;", "<"}, std::pair{"&gt;", ">"}, std::pair{"&amp;", "&"},
                            std::pair{"&quot;", "\""}}) {
    if (rest.starts_with(name)) {
      return std::pair{std::string(text), std::string_view(name).size()};
    }
  }
  if (!rest.starts_with("&#")) {
    return std::nullopt;
  }
  std::size_t j = 2;
  bool hex = j < rest.size() && (rest[j] == 'x' || rest[j] == 'X');
  if (hex) {
    ++j;
  }
  std::uint32_t code = 0;
  std::size_t digits = 0;
  for (; j < rest.size() && rest[j] != ';'; ++j, ++digits) {
    unsigned char c = static_cast<unsigned char>(rest[j]);
    int value = -1;
    if (std::isdigit(c)) {
      value = c - '0';
    } else if (hex && std::isxdigit(c)) {
      value = std::tolower(c) - 'a' + 10;
    }
    if (value < 0 || digits > 7) {
      return std::nullopt;
    }
    code = code * (hex ? 16 : 10) + static_cast<std::uint32_t>(value);
  }
  if (j >= rest.size() || digits == 0 || code == 0 || code > 0x10FFFF ||
      (code >= 0xD800 && code <= 0xDFFF)) {
    return std::nullopt;
  }
  std::string text;
  append_utf8(text, code);
  return std::pair{std::move(text), j + 1};
}

// Why an undecodable "&" at `pos` is rejected in strict mode.
std::string bad_ampersand(std::string_view html, std::size_t pos) {
  std::size_t end = pos + 1;
  while (end < html.size() && end - pos < 32 &&
         (std::isalnum(static_cast<unsigned char>(html[end])) || html[end] == '#')) {
    ++end;
  }
  if (end < html.size() && html[end] == ';' && end > pos + 1) {
    return "Unsupported HTML entity \"" + std::string(html.substr(pos, end + 1 - pos)) +
           "\" at byte offset " + std::to_string(pos);
  }
  return "Character \"&\" must be escaped as \"&amp;\" at byte offset " + std::to_string(pos);
}

bool is_supported_tag(std::string_view name) {
  static constexpr std::string_view kTags[] = {
      "a",      "b",   "strong", "i",          "em",       "u",    "ins", "s",
      "strike", "del", "span",   "tg-spoiler", "tg-emoji", "code", "pre", "blockquote"};
  return std::find(std::begin(kTags), std::end(kTags), name) != std::end(kTags);
}

std::string entity_type(const OpenTag& tag) {
  const std::string& n = tag.name;
  if (n == "b" || n == "strong") {
    return "bold";
  }
  if (n == "i" || n == "em") {
    return "italic";
  }
  if (n == "u" || n == "ins") {
    return "underline";
  }
  if (n == "s" || n == "strike" || n == "del") {
    return "strikethrough";
  }
  if (n == "span" || n == "tg-spoiler") {
    return "spoiler";
  }
  if (n == "a") {
    return tag.argument.empty() ? "" : "text_link";
  }
  if (n == "tg-emoji") {
    return "custom_emoji";
  }
  if (n == "blockquote") {
    return tag.expandable ? "expandable_blockquote" : "blockquote";
  }
  return n;  // code, pre
}

bool is_code(const Entity& e) {
  return e.type == "code" || e.type == "pre";
}
bool is_quote(const Entity& e) {
  return e.type == "blockquote" || e.type == "expandable_blockquote";
}

json::array to_json_entities(std::vector<Entity> entities) {
  std::vector<Entity> kept;
  for (const auto& e : entities) {
    bool hidden = false;
    for (const auto& outer : entities) {
      bool contains = outer.depth < e.depth && outer.offset <= e.offset &&
                      e.offset + e.length <= outer.offset + outer.length;
      if (contains && (is_code(outer) || (is_quote(outer) && is_quote(e)))) {
        hidden = true;
        break;
      }
    }
    if (!hidden && e.length > 0) {
      kept.push_back(e);
    }
  }
  std::stable_sort(kept.begin(), kept.end(), [](const Entity& a, const Entity& b) {
    if (a.offset != b.offset) {
      return a.offset < b.offset;
    }
    if (a.length != b.length) {
      return a.length > b.length;
    }
    return a.depth < b.depth;
  });
  json::array out;
  for (const auto& e : kept) {
    json::object o{{"offset", e.offset}, {"length", e.length}, {"type", e.type}};
    if (!e.url.empty()) {
      o["url"] = e.url;
    }
    if (!e.language.empty()) {
      o["language"] = e.language;
    }
    if (!e.custom_emoji_id.empty()) {
      o["custom_emoji_id"] = e.custom_emoji_id;
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::size_t utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  for (char ch : utf8) {
    auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) {
      units += c >= 0xF0 ? 2 : 1;
    }
  }
  return units;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) {
      return false;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        return false;
      }
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMin[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::expected<TelegramText, std::string> parse_telegram_html(std::string_view html,
                                                             bool strict_entities) {
  std::string out;
  std::size_t out16 = 0;
  std::vector<OpenTag> open;
  std::vector<Entity> entities;
  auto emit = [&](std::string_view bytes) {
    out += bytes;
    out16 += utf16_length(bytes);
  };
  auto at = [&](std::size_t pos) { return " at byte offset " + std::to_string(pos); };

  std::size_t i = 0;
  const std::size_t n = html.size();
  while (i < n) {
    char c = html[i];
    if (c == '&') {
      if (auto decoded = decode_entity(html, i)) {
        emit(decoded->first);
        i += decoded->second;
      } else if (strict_entities) {
        return std::unexpected(bad_ampersand(html, i));
      } else {
        emit("&");
        ++i;
      }
      continue;
    }
    if (c != '<') {
      std::size_t run = i;
      while (run < n && html[run] != '<' && html[run] != '&') {
        ++run;
      }
      emit(html.substr(i, run - i));
      i = run;
      continue;
    }

    const std::size_t begin = i++;
    if (i < n && html[i] == '/') {
      ++i;
      std::size_t name_begin = i;
      while (i < n && html[i] != '>' && !is_space(html[i])) {
        ++i;
      }
      std::string name = lower(html.substr(name_begin, i - name_begin));
      if (open.empty()) {
        return std::unexpected("Unexpected end tag" + at(begin));
      }
      while (i < n && is_space(html[i])) {
        ++i;
      }
      if (i >= n || html[i] != '>') {
        return std::unexpected("Unclosed end tag" + at(begin));
      }
      ++i;
      OpenTag tag = std::move(open.back());
      open.pop_back();
      if (!name.empty() && name != tag.name) {
        return std::unexpected("Unmatched end tag" + at(begin) + ", expected \"</" + tag.name +
                               ">\", found \"</" + name + ">\"");
      }
      std::string type = entity_type(tag);
      if (type.empty()) {
        continue;
      }
      Entity entity{type, tag.start, out16 - tag.start, open.size(), {}, {}, {}};
      if (type == "text_link") {
        entity.url = tag.argument;
      } else if (type == "custom_emoji") {
        entity.custom_emoji_id = tag.argument;
      } else if (type == "code") {
        entity.language = tag.argument;  // only kept when it merges into a <pre>
      } else if (type == "pre") {
        // <pre><code class="language-x">...</code></pre> is one pre entity with a language.
        auto inner = std::find_if(entities.begin(), entities.end(), [&](const Entity& e) {
          return e.type == "code" && e.offset == entity.offset && e.length == entity.length &&
                 e.depth == entity.depth + 1;
        });
        if (inner != entities.end()) {
          entity.language = inner->language;
          entities.erase(inner);
        }
      }
      if (type == "code") {
        // A lone <code> carries no language in its entity; keep it for a closing </pre>.
        bool inside_pre = !open.empty() && open.back().name == "pre";
        if (!inside_pre) {
          entity.language.clear();
        }
      }
      entities.push_back(std::move(entity));
      continue;
    }

    // A start tag: its name runs to the first space or '>'.
    std::size_t name_begin = i;
    while (i < n && html[i] != '>' && !is_space(html[i])) {
      ++i;
    }
    if (i >= n) {
      return std::unexpected("Unclosed start tag" + at(begin));
    }
    OpenTag tag{lower(html.substr(name_begin, i - name_begin)), out16, {}, false};
    if (!is_supported_tag(tag.name)) {
      return std::unexpected("Unsupported start tag \"" + tag.name + "\"" + at(begin));
    }
    for (;;) {
      while (i < n && is_space(html[i])) {
        ++i;
      }
      if (i >= n) {
        return std::unexpected("Unclosed start tag" + at(begin));
      }
      if (html[i] == '>') {
        ++i;
        break;
      }
      std::size_t attr_begin = i;
      while (i < n && !is_space(html[i]) && html[i] != '=' && html[i] != '>') {
        ++i;
      }
      std::string attribute = lower(html.substr(attr_begin, i - attr_begin));
      if (attribute.empty()) {
        return std::unexpected("Empty attribute name in the tag \"" + tag.name + "\"" + at(begin));
      }
      while (i < n && is_space(html[i])) {
        ++i;
      }
      if (i >= n) {
        return std::unexpected("Unclosed start tag" + at(begin));
      }
      if (html[i] != '=') {
        if (tag.name == "blockquote" && attribute == "expandable") {
          tag.expandable = true;
          continue;
        }
        return std::unexpected("Expected equal sign in declaration of an attribute of the tag \"" +
                               tag.name + "\"" + at(begin));
      }
      ++i;
      while (i < n && is_space(html[i])) {
        ++i;
      }
      if (i >= n) {
        return std::unexpected("Unclosed start tag" + at(begin));
      }
      std::string value;
      if (html[i] == '"' || html[i] == '\'') {
        char quote = html[i++];
        while (i < n && html[i] != quote) {
          if (html[i] == '&') {
            if (auto decoded = decode_entity(html, i)) {
              value += decoded->first;
              i += decoded->second;
              continue;
            }
          }
          value.push_back(html[i++]);
        }
        if (i >= n) {
          return std::unexpected("Unclosed start tag" + at(begin));
        }
        ++i;
      } else {
        std::size_t token_begin = i;
        while (i < n && (std::isalnum(static_cast<unsigned char>(html[i])) || html[i] == '.' ||
                         html[i] == '-')) {
          ++i;
        }
        value = lower(html.substr(token_begin, i - token_begin));
        if (i < n && !is_space(html[i]) && html[i] != '>') {
          return std::unexpected("Unexpected end of name token" + at(token_begin));
        }
      }
      if (tag.name == "a" && attribute == "href") {
        tag.argument = value;
      } else if (tag.name == "span" && attribute == "class") {
        tag.argument = value;
      } else if (tag.name == "code" && attribute == "class" && value.starts_with("language-")) {
        tag.argument = value.substr(9);
      } else if (tag.name == "tg-emoji" && attribute == "emoji-id") {
        tag.argument = value;
      } else if (tag.name == "blockquote" && attribute == "expandable") {
        tag.expandable = true;
      }
    }
    if (tag.name == "span" && tag.argument != "tg-spoiler") {
      return std::unexpected("Tag \"span\" must have class \"tg-spoiler\"" + at(begin));
    }
    if (tag.name == "tg-emoji" && tag.argument.empty()) {
      return std::unexpected("Tag \"tg-emoji\" must have attribute \"emoji-id\"" + at(begin));
    }
    open.push_back(std::move(tag));
  }
  if (!open.empty()) {
    return std::unexpected("Can't find end tag corresponding to start tag \"" + open.back().name +
                           "\"");
  }
  return TelegramText{std::move(out), to_json_entities(std::move(entities))};
}

void normalize_telegram_text(TelegramText& text) {
  std::size_t first = 0;
  while (first < text.text.size() && is_space(text.text[first])) {
    ++first;
  }
  std::size_t last = text.text.size();
  while (last > first && is_space(text.text[last - 1])) {
    --last;
  }
  text.text = text.text.substr(first, last - first);
  auto cut = static_cast<std::int64_t>(first);  // ASCII whitespace: one UTF-16 unit per byte
  auto size = static_cast<std::int64_t>(utf16_length(text.text));

  struct Sorted {
    std::int64_t offset;
    std::int64_t length;
    json::object entity;
  };
  std::vector<Sorted> kept;
  for (const auto& value : text.entities) {
    const json::object* entity = value.if_object();
    if (entity == nullptr) {
      continue;
    }
    const json::value* offset = entity->if_contains("offset");
    const json::value* length = entity->if_contains("length");
    if (offset == nullptr || length == nullptr || !offset->is_number() || !length->is_number()) {
      continue;
    }
    std::int64_t begin = std::max<std::int64_t>(offset->to_number<std::int64_t>() - cut, 0);
    std::int64_t end =
        std::min(offset->to_number<std::int64_t>() + length->to_number<std::int64_t>() - cut, size);
    if (end <= begin) {
      continue;
    }
    json::object moved = *entity;
    moved["offset"] = begin;
    moved["length"] = end - begin;
    kept.push_back({begin, end - begin, std::move(moved)});
  }
  std::stable_sort(kept.begin(), kept.end(), [](const Sorted& a, const Sorted& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
  });
  text.entities.clear();
  for (auto& one : kept) {
    text.entities.push_back(std::move(one.entity));
  }
}

}  // namespace pincer::fakes
