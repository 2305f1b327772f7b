#pragma once
// Addresses one value inside the config tree, as users type it on the command line:
//   gateway.auth.token    agents.list[0].id    channels.telegram.accounts["my.bot"].botToken
//
// Syntax: keys separated by '.'; [N] is an array index; ["..."] or ['...'] is a key holding
// characters a bare key cannot (a bare key is ASCII letters, digits, '_', '$', '-' or any
// non-ASCII UTF-8). Quoted keys use JSON5 string escapes. A path may start with a key or [N].
// The empty path (no segments) means the root; parse_json_path does not produce it.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace pincer::core {

struct JsonPath {
  // A std::string is an object key, a std::size_t an array index.
  std::vector<std::variant<std::string, std::size_t>> segments;

  // The path in the syntax above; parse_json_path(to_string()) gives back the same segments.
  // Keys are quoted only when they are not bare keys.
  std::string to_string() const;

  bool operator==(const JsonPath&) const = default;
};

// Errc::invalid_argument naming the column for an empty path, an empty key (a..b, a., .a), a
// bad or unclosed bracket, a non-numeric or too large index, or a stray character.
Result<JsonPath> parse_json_path(std::string_view text);

// The value at `path`, or nullptr when some segment is missing or meets the wrong kind.
const boost::json::value* find_at(const boost::json::value& root, const JsonPath& path);

// Sets the value at `path`, creating what is missing on the way: an object for a missing key,
// or an array when the next segment is an index. An index may be at most the array's size; equal
// to it appends. Errc::invalid_argument (nothing changed) when a scalar or the wrong kind of
// container is in the way, or an index is past the end. The empty path replaces the root.
Status set_at(boost::json::value& root, const JsonPath& path, boost::json::value value);

// Removes the member or element at `path` (later elements shift down). false when it is absent,
// including when a scalar is in the way. Errc::invalid_argument for the empty path.
Result<bool> erase_at(boost::json::value& root, const JsonPath& path);

}  // namespace pincer::core
