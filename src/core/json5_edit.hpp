#pragma once
// Comment-preserving edits of a JSON5 config text, for `pincer config set/unset`: people keep
// notes in their config, and a rewrite from the parsed tree would drop them and reorder keys.
//
// Only the bytes of the touched value or member change; comments, formatting and key order stay
// everywhere else. New members go after the last member of the deepest existing object, with the
// indentation, line ending, key quoting and trailing-comma habit of their neighbours; inside
// one-line objects/arrays they stay on that line. Multi-line values are pretty printed and
// indented to their place. A file whose keys are all quoted gets quoted keys, so strict JSON
// stays strict JSON (as long as no NaN or Infinity is set). Duplicate keys: set replaces the last
// one (the one that counts), unset removes all of them.
//
// Safety net: the result is parsed again before it is returned, and must equal the parsed input
// with set_at/erase_at applied. Anything else is a bug and comes back as Errc::internal instead
// of a broken text.

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/json_path.hpp"
#include "core/result.hpp"

namespace pincer::core {

// `text` with the value at `path` set to `value` (see set_at for what gets created). Text that
// is empty or holds only whitespace and comments counts as {}. Errors: Errc::parse when `text`
// is not JSON5, Errc::invalid_argument when set_at refuses or `value` holds invalid UTF-8.
// Setting a value equal to the current one returns `text` unchanged (0x10 stays 0x10).
Result<std::string> json5_set(std::string_view text, const JsonPath& path,
                              const boost::json::value& value);

// `text` without the member or element at `path`: its comma goes too, and its line when nothing
// else is on it; comments are never removed, even one sharing its line. An object or array left
// with nothing but whitespace inside becomes {} or [].
// Errors: Errc::not_found when the path is absent, Errc::parse, Errc::invalid_argument for the
// empty path.
Result<std::string> json5_unset(std::string_view text, const JsonPath& path);

}  // namespace pincer::core
