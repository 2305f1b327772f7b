#include "core/json5.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include <boost/json.hpp>
#include <boost/system/system_error.hpp>

#include "core/detail/json5_source_map.hpp"

namespace pincer::core::json5 {

namespace json = boost::json;

namespace {

constexpr std::size_t kNpos = std::string_view::npos;

// Length of the well-formed UTF-8 sequence starting at s[pos], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t pos) {
  auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    return 1;
  }
  std::size_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  if (pos + len > s.size()) {
    return 0;
  }
  char32_t cp = b0 & (0x7Fu >> len);
  for (std::size_t i = 1; i < len; ++i) {
    auto b = static_cast<unsigned char>(s[pos + i]);
    if ((b & 0xC0) != 0x80) {
      return 0;
    }
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) {
    return 0;
  }
  if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) {
    return 0;
  }
  return len;
}

std::size_t first_invalid_utf8(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t len = utf8_sequence_length(s, pos);
    if (len == 0) {
      return pos;
    }
    pos += len;
  }
  return kNpos;
}

struct CodePoint {
  char32_t value = 0;
  std::size_t length = 0;
};

// Decodes the code point at s[pos]; the text was validated as UTF-8 before parsing starts.
CodePoint decode_at(std::string_view s, std::size_t pos) {
  auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    return {b0, 1};
  }
  std::size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
  char32_t cp = b0 & (0x7Fu >> len);
  for (std::size_t i = 1; i < len; ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3Fu);
  }
  return {cp, len};
}

void append_utf8(std::string& out, char32_t cp) {
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

bool is_line_terminator(char32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029;
}

// JSON5 WhiteSpace: the ASCII ones, NBSP, BOM, line terminators and the Zs category.
bool is_space(char32_t cp) {
  switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_ascii_alpha(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// ES5 IdentifierStart. Non-ASCII: everything but whitespace, controls, Latin-1 and general
// punctuation, surrogates and specials counts as a letter (see the note in json5.hpp).
bool is_identifier_start(char32_t cp) {
  if (cp < 0x80) {
    return is_ascii_alpha(cp) || cp == '$' || cp == '_';
  }
  if (is_space(cp)) {
    return false;
  }
  if (cp < 0xC0) {
    return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
  }
  if (cp == 0xD7 || cp == 0xF7) {
    return false;
  }
  if (cp >= 0x2000 && cp <= 0x206F) {
    return cp == 0x203F || cp == 0x2040 || cp == 0x2054;
  }
  if (cp >= 0x3000 && cp <= 0x3003) {
    return false;
  }
  if (cp >= 0xD800 && cp <= 0xDFFF) {
    return false;
  }
  return cp < 0xFFF0;
}

bool is_identifier_part(char32_t cp) {
  return is_identifier_start(cp) || (cp >= '0' && cp <= '9') || cp == 0x200C || cp == 0x200D;
}

bool is_word_char(char c) {
  return is_ascii_alpha(static_cast<unsigned char>(c)) || is_digit(c) || c == '_' || c == '$';
}

struct Location {
  std::size_t line = 1;
  std::size_t column = 1;
};

Location locate(std::string_view text, std::size_t offset) {
  Location loc;
  std::size_t i = 0;
  const std::size_t end = std::min(offset, text.size());
  while (i < end) {
    auto b = static_cast<unsigned char>(text[i]);
    std::size_t terminator = 0;
    if (b == '\n') {
      terminator = 1;
    } else if (b == '\r') {
      terminator = (i + 1 < end && text[i + 1] == '\n') ? 2 : 1;
    } else if (b == 0xE2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) == 0xA8 ||
                static_cast<unsigned char>(text[i + 2]) == 0xA9)) {
      terminator = 3;
    }
    if (terminator != 0) {
      ++loc.line;
      loc.column = 1;
      i += terminator;
      continue;
    }
    if ((b & 0xC0) != 0x80) {
      ++loc.column;
    }
    ++i;
  }
  return loc;
}

std::string hex4(char32_t cp) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "U+";
  int width = cp > 0xFFFF ? 6 : 4;
  for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) {
    out += kDigits[(cp >> shift) & 0xF];
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, detail::SourceNode* map) : text_(text), map_(map) {}

  Result<json::value> run() {
    if (std::size_t bad = first_invalid_utf8(text_); bad != kNpos) {
      static constexpr char kDigits[] = "0123456789ABCDEF";
      auto b = static_cast<unsigned char>(text_[bad]);
      std::string byte = {'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
      fail_at(bad, "expected UTF-8 text, found the invalid byte " + byte);
      return failure();
    }
    try {
      json::value root;
      if (!skip_trivia() || !parse_value(root, map_, 0) || !skip_trivia()) {
        return failure();
      }
      if (pos_ != text_.size()) {
        fail_at(pos_, "expected the end of the text after the value, found " + describe(pos_));
        return failure();
      }
      return root;
    } catch (const std::length_error&) {
      return fail(Errc::parse, "the JSON5 text is too large to hold in memory");
    } catch (const boost::system::system_error&) {
      return fail(Errc::parse, "the JSON5 text is too large to hold in memory");
    }
  }

  // True when only whitespace and comments remain.
  bool blank() {
    return first_invalid_utf8(text_) == kNpos && skip_trivia() && pos_ == text_.size();
  }

 private:
  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  bool fail_at(std::size_t offset, std::string what) {
    if (!failed_) {
      failed_ = true;
      error_at_ = offset;
      error_ = std::move(what);
    }
    return false;
  }

  std::unexpected<Error> failure() const {
    Location loc = locate(text_, error_at_);
    return fail(Errc::parse, "line " + std::to_string(loc.line) + ", column " +
                                 std::to_string(loc.column) + ": " + error_);
  }

  // What is at `offset`, for "found ..." in messages.
  std::string describe(std::size_t offset) const {
    if (offset >= text_.size()) {
      return "end of input";
    }
    CodePoint cp = decode_at(text_, offset);
    if (is_line_terminator(cp.value)) {
      return "a line break";
    }
    if (cp.value < 0x20 || cp.value == 0x7F) {
      return "the control character " + hex4(cp.value);
    }
    if (cp.value < 0x80) {
      return std::string("'") + static_cast<char>(cp.value) + "'";
    }
    return "'" + std::string(text_.substr(offset, cp.length)) + "' (" + hex4(cp.value) + ")";
  }

  // A run of identifier-ish ASCII starting at `offset`, for messages and literal words.
  std::string_view word_at(std::size_t offset) const {
    std::size_t end = offset;
    while (end < text_.size() && is_word_char(text_[end])) {
      ++end;
    }
    return text_.substr(offset, end - offset);
  }

  std::string where(std::size_t offset) const {
    Location loc = locate(text_, offset);
    return "line " + std::to_string(loc.line) + ", column " + std::to_string(loc.column);
  }

  bool skip_trivia() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        ++pos_;
        continue;
      }
      if (c == '/') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
          pos_ += 2;
          while (pos_ < text_.size()) {
            CodePoint cp = decode_at(text_, pos_);
            if (is_line_terminator(cp.value)) {
              break;
            }
            pos_ += cp.length;
          }
          continue;
        }
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
          std::size_t close = text_.find("*/", pos_ + 2);
          if (close == kNpos) {
            return fail_at(pos_, "expected '*/' to close this comment, found end of input");
          }
          pos_ = close + 2;
          continue;
        }
        return fail_at(pos_ + 1, "expected '/' or '*' after '/' to start a comment, found " +
                                     describe(pos_ + 1));
      }
      if (static_cast<unsigned char>(c) >= 0x80) {
        CodePoint cp = decode_at(text_, pos_);
        if (is_space(cp.value)) {
          pos_ += cp.length;
          continue;
        }
      }
      break;
    }
    return true;
  }

  bool parse_value(json::value& out, detail::SourceNode* node, int depth) {
    std::size_t begin = pos_;
    if (pos_ >= text_.size()) {
      return fail_at(pos_, "expected a value, found end of input");
    }
    char c = text_[pos_];
    bool ok = false;
    if (c == '{') {
      ok = parse_object(out, node, depth);
    } else if (c == '[') {
      ok = parse_array(out, node, depth);
    } else if (c == '"' || c == '\'') {
      std::string s;
      ok = parse_string(s);
      if (ok) {
        out = json::string(s);
      }
    } else if (c == '-' || c == '+' || c == '.' || is_digit(c)) {
      ok = parse_number(out);
    } else {
      ok = parse_literal(out);
    }
    if (ok && node != nullptr) {
      node->span = {begin, pos_};
    }
    return ok;
  }

  bool parse_literal(json::value& out) {
    std::string_view word = word_at(pos_);
    if (word == "null") {
      out = nullptr;
    } else if (word == "true") {
      out = true;
    } else if (word == "false") {
      out = false;
    } else if (word == "Infinity") {
      out = std::numeric_limits<double>::infinity();
    } else if (word == "NaN") {
      out = std::numeric_limits<double>::quiet_NaN();
    } else if (!word.empty() && is_ascii_alpha(static_cast<unsigned char>(word[0]))) {
      constexpr std::size_t kShown = 24;
      std::string shown(word.substr(0, kShown));
      return fail_at(pos_, "expected a value, found '" + shown +
                               (word.size() > kShown ? "...'" : "'") + " (strings need quotes)");
    } else {
      return fail_at(pos_, "expected a value, found " + describe(pos_));
    }
    pos_ += word.size();
    return true;
  }

  bool parse_object(json::value& out, detail::SourceNode* node, int depth) {
    if (depth >= kMaxDepth) {
      return fail_at(pos_, "expected at most " + std::to_string(kMaxDepth) +
                               " nested arrays and objects, found deeper nesting");
    }
    json::object& object = out.emplace_object();
    if (node != nullptr) {
      node->kind = detail::SourceNode::Kind::object;
    }
    ++pos_;  // '{'
    if (!skip_trivia()) {
      return false;
    }
    while (true) {
      if (at('}')) {
        ++pos_;
        return true;
      }
      std::size_t key_begin = pos_;
      std::string key;
      if (!parse_key(key)) {
        return false;
      }
      std::size_t key_end = pos_;
      if (!skip_trivia()) {
        return false;
      }
      if (!at(':')) {
        return fail_at(pos_, "expected ':' after the key, found " + describe(pos_));
      }
      ++pos_;
      if (!skip_trivia()) {
        return false;
      }
      detail::SourceNode* child = nullptr;
      if (node != nullptr) {
        node->members.push_back(detail::SourceMember{key, {key_begin, key_end}, {}});
        child = &node->members.back().value;
      }
      json::value value;
      if (!parse_value(value, child, depth + 1)) {
        return false;
      }
      object.insert_or_assign(key, std::move(value));
      if (!skip_trivia()) {
        return false;
      }
      if (at(',')) {
        if (child != nullptr) {
          child->comma_after = pos_;
        }
        ++pos_;
        if (!skip_trivia()) {
          return false;
        }
        continue;
      }
      if (!at('}')) {
        return fail_at(pos_, "expected ',' or '}' after the member, found " + describe(pos_));
      }
    }
  }

  bool parse_array(json::value& out, detail::SourceNode* node, int depth) {
    if (depth >= kMaxDepth) {
      return fail_at(pos_, "expected at most " + std::to_string(kMaxDepth) +
                               " nested arrays and objects, found deeper nesting");
    }
    json::array& array = out.emplace_array();
    if (node != nullptr) {
      node->kind = detail::SourceNode::Kind::array;
    }
    ++pos_;  // '['
    if (!skip_trivia()) {
      return false;
    }
    while (true) {
      if (at(']')) {
        ++pos_;
        return true;
      }
      detail::SourceNode* child = nullptr;
      if (node != nullptr) {
        child = &node->elements.emplace_back();
      }
      json::value& value = array.emplace_back(nullptr);
      if (!parse_value(value, child, depth + 1) || !skip_trivia()) {
        return false;
      }
      if (at(',')) {
        if (child != nullptr) {
          child->comma_after = pos_;
        }
        ++pos_;
        if (!skip_trivia()) {
          return false;
        }
        continue;
      }
      if (!at(']')) {
        return fail_at(pos_, "expected ',' or ']' after the element, found " + describe(pos_));
      }
    }
  }

  bool parse_key(std::string& out) {
    if (at('"') || at('\'')) {
      return parse_string(out);
    }
    if (pos_ < text_.size() &&
        (text_[pos_] == '\\' || is_identifier_start(decode_at(text_, pos_).value))) {
      return parse_identifier(out);
    }
    return fail_at(pos_, "expected a key or '}', found " + describe(pos_));
  }

  // ES5 IdentifierName, with \uXXXX escapes.
  bool parse_identifier(std::string& out) {
    bool first = true;
    while (pos_ < text_.size()) {
      if (text_[pos_] == '\\') {
        std::size_t escape = pos_;
        if (pos_ + 1 >= text_.size() || text_[pos_ + 1] != 'u') {
          return fail_at(pos_ + 1, "expected 'u' after '\\' in a key, found " + describe(pos_ + 1));
        }
        pos_ += 2;
        char32_t cp = 0;
        if (!read_hex(4, cp, "\\u")) {
          return false;
        }
        if (first ? !is_identifier_start(cp) : !is_identifier_part(cp)) {
          return fail_at(escape, "expected an escaped identifier character in the key, found " +
                                     hex4(cp) + " (quote the key instead)");
        }
        append_utf8(out, cp);
        first = false;
        continue;
      }
      CodePoint cp = decode_at(text_, pos_);
      if (first ? !is_identifier_start(cp.value) : !is_identifier_part(cp.value)) {
        break;
      }
      out.append(text_.substr(pos_, cp.length));
      pos_ += cp.length;
      first = false;
    }
    return true;
  }

  // Reads exactly `count` hex digits at pos_.
  bool read_hex(int count, char32_t& out, std::string_view escape) {
    out = 0;
    for (int i = 0; i < count; ++i) {
      int digit = pos_ < text_.size() ? hex_value(text_[pos_]) : -1;
      if (digit < 0) {
        return fail_at(pos_, "expected " + std::to_string(count) + " hex digits after '" +
                                 std::string(escape) + "', found " + describe(pos_));
      }
      out = out * 16 + static_cast<char32_t>(digit);
      ++pos_;
    }
    return true;
  }

  bool parse_string(std::string& out) {
    const char quote = text_[pos_];
    const std::size_t open = pos_;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        return fail_at(pos_, std::string("expected ") + quote + " to close the string at " +
                                 where(open) + ", found " + describe(pos_) +
                                 (pos_ < text_.size() ? " (write \\n for a line break)" : ""));
      }
      char c = text_[pos_];
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!parse_escape(out)) {
          return false;
        }
        continue;
      }
      std::size_t run = pos_;
      while (pos_ < text_.size()) {
        char r = text_[pos_];
        if (r == quote || r == '\\' || r == '\n' || r == '\r') {
          break;
        }
        ++pos_;
      }
      out.append(text_.substr(run, pos_ - run));
    }
  }

  bool parse_escape(std::string& out) {
    const std::size_t escape = pos_;
    ++pos_;  // '\\'
    if (pos_ >= text_.size()) {
      return fail_at(pos_, "expected an escaped character after '\\', found end of input");
    }
    char c = text_[pos_];
    switch (c) {
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '0':
        if (pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) {
          return fail_at(escape, "expected no digit after '\\0', found '\\0" +
                                     std::string(1, text_[pos_ + 1]) +
                                     "' (octal escapes are not allowed)");
        }
        out += '\0';
        break;
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        return fail_at(escape, std::string("expected an escape other than a digit, found '\\") + c +
                                   "' (octal escapes are not allowed)");
      case 'x': {
        ++pos_;
        char32_t cp = 0;
        if (!read_hex(2, cp, "\\x")) {
          return false;
        }
        append_utf8(out, cp);
        return true;
      }
      case 'u':
        return parse_unicode_escape(escape, out);
      case '\r':  // line continuation
        ++pos_;
        if (at('\n')) {
          ++pos_;
        }
        return true;
      case '\n':
        break;
      default: {
        CodePoint cp = decode_at(text_, pos_);
        if (cp.value != 0x2028 && cp.value != 0x2029) {  // else a line continuation
          out.append(text_.substr(pos_, cp.length));     // \' \" \\ and any other: itself
        }
        pos_ += cp.length;
        return true;
      }
    }
    ++pos_;
    return true;
  }

  bool parse_unicode_escape(std::size_t escape, std::string& out) {
    ++pos_;  // 'u'
    char32_t cp = 0;
    if (!read_hex(4, cp, "\\u")) {
      return false;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return fail_at(escape, "expected a high surrogate before the low surrogate " + hex4(cp) +
                                 ", found none (lone surrogates are not allowed)");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      const std::size_t second = pos_;
      char32_t low = 0;
      bool paired = pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u';
      if (paired) {
        pos_ += 2;
        if (!read_hex(4, low, "\\u")) {
          return false;
        }
        paired = low >= 0xDC00 && low <= 0xDFFF;
      }
      if (!paired) {
        std::string found =
            pos_ > second ? "'" + std::string(text_.substr(second, 6)) + "'" : describe(second);
        return fail_at(escape, "expected a low surrogate escape \\uDC00-\\uDFFF after " + hex4(cp) +
                                   ", found " + found + " (lone surrogates are not allowed)");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  bool parse_number(json::value& out) {
    bool negative = false;
    std::string_view sign;
    if (at('+') || at('-')) {
      negative = text_[pos_] == '-';
      sign = text_.substr(pos_, 1);
      ++pos_;
      if (pos_ < text_.size() && is_ascii_alpha(static_cast<unsigned char>(text_[pos_]))) {
        std::string_view word = word_at(pos_);
        if (word == "Infinity") {
          out = negative ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity();
        } else if (word == "NaN") {
          out = std::numeric_limits<double>::quiet_NaN();
        } else {
          return fail_at(pos_, "expected a number after '" + std::string(sign) + "', found '" +
                                   std::string(word.substr(0, 24)) + "'");
        }
        pos_ += word.size();
        return true;
      }
    }
    if (at('0') && pos_ + 1 < text_.size() && (text_[pos_ + 1] == 'x' || text_[pos_ + 1] == 'X')) {
      pos_ += 2;
      return parse_hex(negative, out);
    }

    const std::size_t int_begin = pos_;
    if (at('0')) {
      ++pos_;
      if (pos_ < text_.size() && is_digit(text_[pos_])) {
        return fail_at(pos_,
                       "expected '.', 'e' or the end of the number after a leading 0, found " +
                           describe(pos_) + " (leading zeros are not allowed)");
      }
    } else {
      while (pos_ < text_.size() && is_digit(text_[pos_])) {
        ++pos_;
      }
    }
    const std::size_t int_end = pos_;
    bool is_double = false;
    std::size_t frac_begin = pos_;
    std::size_t frac_end = pos_;
    if (at('.')) {
      is_double = true;
      ++pos_;
      frac_begin = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) {
        ++pos_;
      }
      frac_end = pos_;
      if (int_begin == int_end && frac_begin == frac_end) {
        return fail_at(pos_, "expected a digit after '.', found " + describe(pos_));
      }
    } else if (int_begin == int_end) {
      return fail_at(
          pos_, "expected a number after '" + std::string(sign) + "', found " + describe(pos_));
    }
    std::int64_t exponent = 0;
    std::size_t exp_begin = pos_;
    if (at('e') || at('E')) {
      is_double = true;
      ++pos_;
      bool exp_negative = false;
      if (at('+') || at('-')) {
        exp_negative = text_[pos_] == '-';
        ++pos_;
      }
      std::size_t digits = pos_;
      while (pos_ < text_.size() && is_digit(text_[pos_])) {
        if (exponent < 1'000'000'000) {
          exponent = exponent * 10 + (text_[pos_] - '0');
        }
        ++pos_;
      }
      if (digits == pos_) {
        return fail_at(pos_, "expected a digit in the exponent, found " + describe(pos_));
      }
      if (exp_negative) {
        exponent = -exponent;
      }
    }

    std::string_view int_digits = text_.substr(int_begin, int_end - int_begin);
    if (!is_double) {
      std::uint64_t magnitude = 0;
      auto parsed =
          std::from_chars(int_digits.data(), int_digits.data() + int_digits.size(), magnitude);
      if (parsed.ec == std::errc()) {
        set_integer(negative, magnitude, out);
        return true;
      }
      // Too big for 64 bits: a double, like Boost.JSON.
    }

    // from_chars wants neither '+', a bare '.', nor an empty integer part.
    std::string normalized = negative ? "-" : "";
    normalized += int_digits.empty() ? std::string_view("0") : int_digits;
    if (frac_end > frac_begin) {
      normalized += '.';
      normalized += text_.substr(frac_begin, frac_end - frac_begin);
    }
    normalized += text_.substr(exp_begin, pos_ - exp_begin);
    double value = 0;
    auto parsed = std::from_chars(normalized.data(), normalized.data() + normalized.size(), value);
    if (parsed.ec == std::errc::result_out_of_range) {
      value = out_of_range_value(int_digits, text_.substr(frac_begin, frac_end - frac_begin),
                                 exponent, negative);
    }
    out = value;
    return true;
  }

  // from_chars leaves the value alone when it over- or underflows; JavaScript gives Infinity
  // or 0, decided by the decimal exponent of the first significant digit.
  static double out_of_range_value(std::string_view int_digits, std::string_view frac_digits,
                                   std::int64_t exponent, bool negative) {
    std::size_t leading = int_digits.find_first_not_of('0');
    std::int64_t magnitude = 0;
    if (leading != kNpos) {
      magnitude = static_cast<std::int64_t>(int_digits.size() - leading) - 1 + exponent;
    } else {
      std::size_t first = frac_digits.find_first_not_of('0');
      magnitude = -static_cast<std::int64_t>(first == kNpos ? 0 : first) - 1 + exponent;
    }
    double value = magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return negative ? -value : value;
  }

  static void set_integer(bool negative, std::uint64_t magnitude, json::value& out) {
    constexpr auto kMaxInt = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!negative) {
      if (magnitude <= kMaxInt) {
        out = static_cast<std::int64_t>(magnitude);
      } else {
        out = magnitude;
      }
    } else if (magnitude <= kMaxInt) {
      out = -static_cast<std::int64_t>(magnitude);
    } else if (magnitude == kMaxInt + 1) {
      out = std::numeric_limits<std::int64_t>::min();
    } else {
      out = -static_cast<double>(magnitude);
    }
  }

  bool parse_hex(bool negative, json::value& out) {
    const std::size_t begin = pos_;
    std::uint64_t magnitude = 0;
    double big = 0;  // used once the digits no longer fit 64 bits
    bool overflow = false;
    while (pos_ < text_.size() && hex_value(text_[pos_]) >= 0) {
      auto digit = static_cast<std::uint64_t>(hex_value(text_[pos_]));
      if (!overflow && magnitude > (std::numeric_limits<std::uint64_t>::max() >> 4)) {
        overflow = true;
        big = static_cast<double>(magnitude);
      }
      if (overflow) {
        big = big * 16 + static_cast<double>(digit);
      } else {
        magnitude = magnitude * 16 + digit;
      }
      ++pos_;
    }
    if (pos_ == begin) {
      return fail_at(pos_, "expected a hex digit after '0x', found " + describe(pos_));
    }
    if (overflow) {
      out = negative ? -big : big;
    } else {
      set_integer(negative, magnitude, out);
    }
    return true;
  }

  std::string_view text_;
  detail::SourceNode* map_ = nullptr;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::size_t error_at_ = 0;
  std::string error_;
};

}  // namespace

Result<json::value> parse(std::string_view text) {
  return Parser(text, nullptr).run();
}

namespace detail {

Result<json::value> parse_with_source_map(std::string_view text, SourceNode& map) {
  map = SourceNode{};
  return Parser(text, &map).run();
}

bool is_blank(std::string_view text) {
  return Parser(text, nullptr).blank();
}

bool is_valid_utf8(std::string_view text) {
  return first_invalid_utf8(text) == kNpos;
}

}  // namespace detail

}  // namespace pincer::core::json5
