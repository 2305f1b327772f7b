#pragma once
// Small ASCII text helpers shared across subsystems: config values, session keys, channel ids
// and header values are compared trimmed and case-insensitively the same way everywhere.

#include <string>
#include <string_view>

namespace pincer::core {

// Without leading and trailing whitespace (std::isspace in the C locale).
std::string_view trim(std::string_view text);
// ASCII letters lowercased; other bytes (UTF-8 included) unchanged.
std::string to_lower_ascii(std::string_view text);
// to_lower_ascii(trim(text)).
std::string lowercase_trimmed(std::string_view text);

}  // namespace pincer::core
