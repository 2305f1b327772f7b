#pragma once
// What kind of bytes a file holds (image, binary, text) and turning text into something safe to
// hand to a model (valid UTF-8, cut at character boundaries).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pincer::tools::file_tools {

// "image/png", "image/jpeg", "image/gif" or "image/webp" when `head` (the first bytes of a file)
// starts with that format's magic bytes.
std::optional<std::string> image_media_type(std::string_view head);

// True when `head` holds a NUL byte or is mostly control characters: not text a model can use.
bool looks_binary(std::string_view head);

// `text` with every invalid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that does not split a UTF-8 character.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

}  // namespace pincer::tools::file_tools
