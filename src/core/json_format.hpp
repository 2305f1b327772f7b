#pragma once
// Pretty printing for what people read: config files we write and `pincer config get` output.
// Stable (keys keep their order, output depends only on the value) and lossless: json5::parse
// of the output gives back the same tree, number kinds included.
//
// Output is JSON with two exceptions JSON cannot express: non-finite doubles print as the JSON5
// literals NaN, Infinity and -Infinity. Doubles print in their shortest round-trip form and
// always with a '.' or an exponent (1.0, not 1), so they read back as doubles.

#include <string>

#include <boost/json/value.hpp>

namespace pincer::core {

// Members and elements one per line, nested levels indented by `indent` spaces (negative counts
// as 0); `{}` and `[]` when empty; non-ASCII text kept as UTF-8. No trailing newline.
std::string to_pretty_json(const boost::json::value& value, int indent = 2);

}  // namespace pincer::core
