#include "tools/web/charset.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>

namespace pincer::tools::web {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The value after "charset=" in `text` (quotes and spaces stripped); empty when absent.
std::string charset_parameter(std::string_view text) {
  std::string low = lower(text);
  auto at = low.find("charset");
  if (at == std::string::npos) {
    return {};
  }
  auto pos = at + 7;
  while (pos < low.size() && (low[pos] == ' ' || low[pos] == '\t')) {
    ++pos;
  }
  if (pos >= low.size() || low[pos] != '=') {
    return {};
  }
  ++pos;
  while (pos < low.size() && (low[pos] == ' ' || low[pos] == '"' || low[pos] == '\'')) {
    ++pos;
  }
  auto end = pos;
  while (end < low.size() &&
         (std::isalnum(static_cast<unsigned char>(low[end])) || low[end] == '-' ||
          low[end] == '_' || low[end] == '.' || low[end] == ':')) {
    ++end;
  }
  return low.substr(pos, end - pos);
}

std::string canonical(std::string label) {
  if (label == "utf8" || label == "unicode-1-1-utf-8") {
    return "utf-8";
  }
  // WHATWG: these labels all mean windows-1252.
  if (label == "latin1" || label == "iso-8859-1" || label == "iso8859-1" || label == "l1" ||
      label == "us-ascii" || label == "ascii" || label == "cp1252" || label == "x-cp1252" ||
      label == "iso_8859-1" || label == "cp819") {
    return "windows-1252";
  }
  return label;
}

}  // namespace

std::string detect_charset(std::string_view content_type, std::string_view body, bool html) {
  if (body.starts_with("\xEF\xBB\xBF")) {
    return "utf-8";
  }
  if (body.starts_with("\xFF\xFE")) {
    return "utf-16le";
  }
  if (body.starts_with("\xFE\xFF")) {
    return "utf-16be";
  }
  if (auto from_header = charset_parameter(content_type); !from_header.empty()) {
    return canonical(from_header);
  }
  if (html) {
    std::string head = lower(body.substr(0, 4096));
    std::size_t pos = 0;
    while ((pos = head.find("<meta", pos)) != std::string::npos) {
      auto end = head.find('>', pos);
      std::string_view tag(head.data() + pos, (end == std::string::npos ? head.size() : end) - pos);
      if (auto found = charset_parameter(tag); !found.empty()) {
        return canonical(found);
      }
      pos += 5;
    }
  }
  return "utf-8";
}

std::string sanitize_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xE  ? 3
                         : (c >> 3) == 0x1E ? 4
                                            : 0;
    bool ok = length > 0 && i + length <= text.size();
    if (ok && length > 1) {
      std::uint32_t code = c & (0xFF >> (length + 1));
      for (std::size_t k = 1; k < length && ok; ++k) {
        auto next = static_cast<unsigned char>(text[i + k]);
        ok = (next & 0xC0) == 0x80;
        code = (code << 6) | (next & 0x3F);
      }
      // Overlong forms, surrogates and values past U+10FFFF are invalid too.
      ok = ok && !(length == 2 && code < 0x80) && !(length == 3 && code < 0x800) &&
           !(length == 4 && (code < 0x10000 || code > 0x10FFFF)) &&
           !(code >= 0xD800 && code <= 0xDFFF);
    }
    if (ok) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

std::string to_utf8(std::string_view body, std::string_view charset) {
  std::string label = canonical(lower(charset));
  if (label.empty() || label == "utf-8") {
    if (body.starts_with("\xEF\xBB\xBF")) {
      body.remove_prefix(3);
    }
    return sanitize_utf8(body);
  }
  iconv_t converter = iconv_open("UTF-8", label.c_str());
  if (converter == reinterpret_cast<iconv_t>(-1)) {
    return sanitize_utf8(body);  // a charset glibc does not know: best effort
  }
  std::string out;
  out.reserve(body.size() + body.size() / 4);
  std::string input(body);
  char* in_ptr = input.data();
  std::size_t in_left = input.size();
  std::array<char, 8192> buffer{};
  while (in_left > 0) {
    char* out_ptr = buffer.data();
    std::size_t out_left = buffer.size();
    std::size_t rc = iconv(converter, &in_ptr, &in_left, &out_ptr, &out_left);
    out.append(buffer.data(), buffer.size() - out_left);
    if (rc == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) {
        continue;
      }
      // EILSEQ, or EINVAL for a sequence cut off at the end: replace one byte and go on.
      out.append(kReplacement);
      ++in_ptr;
      --in_left;
    }
  }
  iconv_close(converter);
  return sanitize_utf8(out);
}

}  // namespace pincer::tools::web
