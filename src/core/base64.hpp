#pragma once
// Standard base64 (RFC 4648 §4, with padding), as model APIs and the gateway protocol carry
// binary data. OpenSSL does the work.

#include <optional>
#include <string>
#include <string_view>

namespace pincer::core {

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not base64. Whitespace (line breaks of wrapped base64) is ignored.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace pincer::core
