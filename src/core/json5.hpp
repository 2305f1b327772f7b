#pragma once
// JSON5 (https://spec.json5.org) reader for config files, which people write by hand: comments,
// trailing commas, unquoted keys, single-quoted strings, hex numbers, Infinity and NaN.
//
// Why hand-written: Boost.JSON only knows comments and trailing commas, and `config set` needs the
// byte spans of keys and values (core/detail/json5_source_map.hpp) from the same parser, so what
// is edited is exactly what was read.
//
// What it promises:
//  - Strict JSON parses to the same tree as boost::json::parse.
//  - Numbers: integers that fit int64 become int64, larger positive ones uint64, the rest double
//    (hex too); anything with '.', an exponent, Infinity or NaN is a double; -0 is int64 0.
//  - Duplicate keys: the last one wins (its value; the key keeps its first position).
//  - Text must be valid UTF-8. \u escapes must pair surrogates: a lone surrogate (\uD800 alone)
//    is an error, since it cannot be stored in a UTF-8 string.
//  - Unquoted keys are ES5 IdentifierNames. Without Unicode tables we accept any non-ASCII code
//    point that is not whitespace or punctuation as a letter, a superset of ES5.
//  - Linear time and at most kMaxDepth nested arrays/objects, so hostile input cannot crash it.
//  - Errors are Errc::parse with "line L, column C: expected X, found Y"; lines and columns start
//    at 1, columns count code points, and CR, LF, CRLF, U+2028 and U+2029 end lines.

#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace pincer::core::json5 {

// Deepest nesting of arrays and objects accepted; the 257th level is an error.
inline constexpr int kMaxDepth = 256;

// Parses one JSON5 value surrounded by optional whitespace and comments.
Result<boost::json::value> parse(std::string_view text);

}  // namespace pincer::core::json5
