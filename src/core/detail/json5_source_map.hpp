#pragma once
// Private to core: where each value, key and comma of a JSON5 text sits, recorded by the same
// parser as json5::parse, so json5_edit can rewrite just the bytes of one value.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace pincer::core::json5::detail {

inline constexpr std::size_t kNoComma = static_cast<std::size_t>(-1);

// Byte offsets into the parsed text: [begin, end).
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

struct SourceMember;

// One value. For containers, `span` runs from the opening to the closing bracket inclusive.
struct SourceNode {
  enum class Kind { scalar, object, array };
  Kind kind = Kind::scalar;
  Span span;
  std::size_t comma_after = kNoComma;  // offset of the ',' that follows it in its container
  std::vector<SourceMember> members;   // objects, in text order, duplicates included
  std::vector<SourceNode> elements;    // arrays
};

struct SourceMember {
  std::string key;  // decoded
  Span key_span;    // including quotes
  SourceNode value;
};

// json5::parse, also filling `map` (cleared first) with the spans of the root value.
Result<boost::json::value> parse_with_source_map(std::string_view text, SourceNode& map);

// True when `text` holds only whitespace and comments (and is valid UTF-8).
bool is_blank(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

}  // namespace pincer::core::json5::detail
