#pragma once
// Shortens text by keeping its head and tail and putting a marker where the middle was. Used for
// workspace files over their cap and tool results over their share of the context window: the
// start of a file or log says what it is, the end usually says how it finished, so both are
// worth more to the model than the middle.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace pincer::agent {

// Builds the marker from the number of bytes cut out of the middle.
using CutMarker = std::function<std::string(std::size_t cut_bytes)>;

// `text` unchanged when it fits in `max_bytes`; otherwise about 70 % head and 30 % tail around
// `marker(cut)`, at most `max_bytes` in total (when the marker alone is longer than that, only
// the marker). Cuts fall on UTF-8 character boundaries, and on a line break when one is close.
std::string keep_head_and_tail(std::string_view text, std::size_t max_bytes,
                               const CutMarker& marker);

// The largest n <= `max` such that text[0, n) ends on a UTF-8 character boundary.
std::size_t utf8_floor(std::string_view text, std::size_t max);

}  // namespace pincer::agent
