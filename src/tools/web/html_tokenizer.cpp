#include "tools/web/html_tokenizer.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

namespace pincer::tools::web {

namespace {

struct NamedEntity {
  std::string_view name;
  std::string_view utf8;
};

// The references pages commonly use; the rest stay as written.
constexpr std::array<NamedEntity, 40> kEntities{{
    {"amp", "&"},        {"lt", "<"},          {"gt", ">"},          {"quot", "\""},
    {"apos", "'"},       {"nbsp", " "},        {"copy", "\u00A9"},   {"reg", "\u00AE"},
    {"trade", "\u2122"}, {"hellip", "\u2026"}, {"mdash", "\u2014"},  {"ndash", "\u2013"},
    {"lsquo", "\u2018"}, {"rsquo", "\u2019"},  {"ldquo", "\u201C"},  {"rdquo", "\u201D"},
    {"laquo", "\u00AB"}, {"raquo", "\u00BB"},  {"middot", "\u00B7"}, {"bull", "\u2022"},
    {"euro", "\u20AC"},  {"pound", "\u00A3"},  {"yen", "\u00A5"},    {"cent", "\u00A2"},
    {"deg", "\u00B0"},   {"times", "\u00D7"},  {"divide", "\u00F7"}, {"shy", ""},
    {"zwj", "\u200D"},   {"zwnj", "\u200C"},   {"thinsp", " "},      {"ensp", " "},
    {"emsp", " "},       {"eacute", "\u00E9"}, {"egrave", "\u00E8"}, {"auml", "\u00E4"},
    {"ouml", "\u00F6"},  {"uuml", "\u00FC"},   {"szlig", "\u00DF"},  {"para", "\u00B6"},
}};

void append_utf8(std::string& out, std::uint32_t code) {
  if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    code = 0xFFFD;
  }
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

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// Where `needle` (lower-case) starts in `haystack` at or after `from`, any case; npos if nowhere.
std::size_t find_ignoring_case(std::string_view haystack, std::string_view needle,
                               std::size_t from) {
  auto it = std::search(haystack.begin() + static_cast<std::ptrdiff_t>(from), haystack.end(),
                        needle.begin(), needle.end(), [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) == b;
                        });
  return it == haystack.end() ? std::string_view::npos
                              : static_cast<std::size_t>(it - haystack.begin());
}

bool is_raw_text(std::string_view name) {
  return name == "script" || name == "style" || name == "textarea" || name == "title" ||
         name == "xmp" || name == "iframe" || name == "noembed" || name == "noframes" ||
         name == "plaintext";
}

// Reads a tag starting at html[pos] == '<'; returns the position after it, or npos when the
// '<' does not open a tag (it is then text).
std::size_t read_tag(std::string_view html, std::size_t pos, HtmlToken& token) {
  std::size_t i = pos + 1;
  bool end_tag = false;
  if (i < html.size() && html[i] == '/') {
    end_tag = true;
    ++i;
  }
  if (i >= html.size() || !std::isalpha(static_cast<unsigned char>(html[i]))) {
    return std::string_view::npos;
  }
  std::size_t name_start = i;
  while (i < html.size() && !is_space(html[i]) && html[i] != '>' && html[i] != '/') {
    ++i;
  }
  token.kind = end_tag ? HtmlToken::Kind::end_tag : HtmlToken::Kind::start_tag;
  token.name = lower(html.substr(name_start, i - name_start));
  while (i < html.size()) {
    while (i < html.size() && is_space(html[i])) {
      ++i;
    }
    if (i >= html.size()) {
      break;
    }
    if (html[i] == '>') {
      return i + 1;
    }
    if (html[i] == '/') {
      token.self_closing = true;
      ++i;
      continue;
    }
    std::size_t attr_start = i;
    while (i < html.size() && !is_space(html[i]) && html[i] != '>' && html[i] != '=' &&
           html[i] != '/') {
      ++i;
    }
    std::string name = lower(html.substr(attr_start, i - attr_start));
    if (name.empty()) {  // a stray character: skip it
      ++i;
      continue;
    }
    token.self_closing = false;
    while (i < html.size() && is_space(html[i])) {
      ++i;
    }
    std::string value;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && is_space(html[i])) {
        ++i;
      }
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        char quote = html[i++];
        auto close = html.find(quote, i);
        if (close == std::string_view::npos) {
          close = html.size();
        }
        value = decode_html_entities(html.substr(i, close - i));
        i = std::min(close + 1, html.size());
      } else {
        std::size_t value_start = i;
        while (i < html.size() && !is_space(html[i]) && html[i] != '>') {
          ++i;
        }
        value = decode_html_entities(html.substr(value_start, i - value_start));
      }
    }
    if (!end_tag) {
      token.attributes.emplace_back(std::move(name), std::move(value));
    }
  }
  return html.size();
}

void push_text(std::vector<HtmlToken>& tokens, std::string text) {
  if (text.empty()) {
    return;
  }
  if (!tokens.empty() && tokens.back().kind == HtmlToken::Kind::text) {
    tokens.back().text += text;
    return;
  }
  HtmlToken token;
  token.text = std::move(text);
  tokens.push_back(std::move(token));
}

}  // namespace

std::string_view HtmlToken::attribute(std::string_view attribute_name) const {
  for (const auto& [key, value] : attributes) {
    if (key == attribute_name) {
      return value;
    }
  }
  return {};
}

bool HtmlToken::has_attribute(std::string_view attribute_name) const {
  return std::any_of(attributes.begin(), attributes.end(),
                     [&](const auto& entry) { return entry.first == attribute_name; });
}

bool is_void_element(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kVoid{
      "area",  "base", "br",   "col",    "embed", "hr",  "img",
      "input", "link", "meta", "source", "track", "wbr", "param"};
  return std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end();
}

std::string decode_html_entities(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && end - i <= 32 &&
           std::isalnum(static_cast<unsigned char>(text[end]))) {
      ++end;
    }
    if (end < text.size() && text[end] == '#' && end == i + 1) {
      ++end;
      bool hex = end < text.size() && (text[end] == 'x' || text[end] == 'X');
      if (hex) {
        ++end;
      }
      std::size_t digits_start = end;
      while (end < text.size() && end - digits_start < 8 &&
             (hex ? std::isxdigit(static_cast<unsigned char>(text[end]))
                  : std::isdigit(static_cast<unsigned char>(text[end])))) {
        ++end;
      }
      if (end > digits_start) {
        auto code = static_cast<std::uint32_t>(std::stoul(
            std::string(text.substr(digits_start, end - digits_start)), nullptr, hex ? 16 : 10));
        append_utf8(out, code);
        i = end < text.size() && text[end] == ';' ? end + 1 : end;
        continue;
      }
      out.push_back(text[i++]);
      continue;
    }
    std::string_view name = text.substr(i + 1, end - i - 1);
    auto found = std::find_if(kEntities.begin(), kEntities.end(),
                              [&](const NamedEntity& entity) { return entity.name == name; });
    if (found != kEntities.end()) {
      out.append(found->utf8);
      i = end < text.size() && text[end] == ';' ? end + 1 : end;
      continue;
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::vector<HtmlToken> tokenize_html(std::string_view html) {
  std::vector<HtmlToken> tokens;
  std::size_t pos = 0;
  while (pos < html.size()) {
    auto lt = html.find('<', pos);
    if (lt == std::string_view::npos) {
      push_text(tokens, decode_html_entities(html.substr(pos)));
      break;
    }
    if (lt > pos) {
      push_text(tokens, decode_html_entities(html.substr(pos, lt - pos)));
    }
    if (html.substr(lt, 4) == "<!--") {
      auto close = html.find("-->", lt + 4);
      pos = close == std::string_view::npos ? html.size() : close + 3;
      continue;
    }
    if (lt + 1 < html.size() && (html[lt + 1] == '!' || html[lt + 1] == '?')) {
      auto close = html.find('>', lt);  // doctype, CDATA, processing instruction
      pos = close == std::string_view::npos ? html.size() : close + 1;
      continue;
    }
    HtmlToken token;
    auto after = read_tag(html, lt, token);
    if (after == std::string_view::npos) {
      push_text(tokens, "<");
      pos = lt + 1;
      continue;
    }
    pos = after;
    bool raw =
        token.kind == HtmlToken::Kind::start_tag && is_raw_text(token.name) && !token.self_closing;
    std::string name = token.name;
    tokens.push_back(std::move(token));
    if (raw) {
      // Everything up to the matching end tag is this element's text.
      std::string closing = "</" + name;
      auto close = find_ignoring_case(html, closing, pos);
      std::size_t content_end = close == std::string_view::npos ? html.size() : close;
      std::string_view content = html.substr(pos, content_end - pos);
      HtmlToken text;
      text.text = name == "title" || name == "textarea" ? decode_html_entities(content)
                                                        : std::string(content);
      tokens.push_back(std::move(text));
      HtmlToken end;
      end.kind = HtmlToken::Kind::end_tag;
      end.name = name;
      tokens.push_back(std::move(end));
      auto gt =
          close == std::string_view::npos ? std::string_view::npos : html.find('>', content_end);
      pos = gt == std::string_view::npos ? html.size() : gt + 1;
    }
  }
  return tokens;
}

}  // namespace pincer::tools::web
