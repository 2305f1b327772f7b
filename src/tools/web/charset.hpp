#pragma once
// Turning a fetched page's bytes into UTF-8. The charset comes from, in order: a byte-order
// mark, the Content-Type header's charset parameter, and for HTML a <meta charset> or
// <meta http-equiv="Content-Type" content="...; charset=..."> in the first 4 kB. Unknown or
// absent: UTF-8. Conversion uses glibc's iconv; ISO-8859-1 and US-ASCII are read as
// windows-1252, as browsers do (WHATWG Encoding). Invalid sequences become U+FFFD, never an error.

#include <string>
#include <string_view>

namespace pincer::tools::web {

// The charset label ("utf-8", "windows-1252" ...), lower-case; "utf-8" when nothing says.
std::string detect_charset(std::string_view content_type, std::string_view body, bool html);

// `body` in UTF-8; invalid input is replaced with U+FFFD.
std::string to_utf8(std::string_view body, std::string_view charset);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string sanitize_utf8(std::string_view text);

}  // namespace pincer::tools::web
