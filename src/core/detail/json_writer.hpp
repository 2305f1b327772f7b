#pragma once
// Private to core: the writer behind to_pretty_json, with the knobs json5_edit needs to make
// inserted text look like the file around it (indent unit, line ending, key quoting).

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace pincer::core::detail {

enum class KeyQuoting {
  double_quotes,  // "key"
  single_quotes,  // 'key'
  bare,           // key, when it is an identifier; else "key"
};

struct JsonStyle {
  std::string indent = "  ";  // one nesting level
  std::string newline = "\n";
  KeyQuoting keys = KeyQuoting::double_quotes;
};

// Multi-line form. The first line is not indented; every later line starts with `base` (the
// indentation of the line the value starts on) before its nesting indentation.
void write_pretty(std::string& out, const boost::json::value& value, const JsonStyle& style,
                  std::string_view base = {});

// One-line form: {"a": 1, "b": [1, 2]}.
void write_compact(std::string& out, const boost::json::value& value, const JsonStyle& style);

// A quoted string literal; escapes the quote, '\\' and control characters.
void write_string(std::string& out, std::string_view text, char quote = '"');

// An object key in the given quoting.
void write_key(std::string& out, std::string_view key, KeyQuoting quoting);

// An ES5 identifier made of ASCII letters, digits, '_' and '$' (not starting with a digit),
// which JSON5 accepts as an unquoted key.
bool is_bare_key(std::string_view key);

}  // namespace pincer::core::detail
