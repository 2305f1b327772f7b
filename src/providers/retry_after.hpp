#pragma once
// How long a provider asks us to wait before the next call, read from its response headers:
// `retry-after-ms` (milliseconds, OpenAI and Anthropic send it) wins over `retry-after`
// (delay-seconds or an HTTP date, RFC 9110 §10.2.3). The runner uses it for profile cooldowns.

#include <chrono>
#include <optional>
#include <string_view>

namespace pincer::providers {

// Either header may be empty. Values that do not parse are ignored; a date in the past is 0 ms.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after, std::string_view retry_after_ms,
    std::chrono::system_clock::time_point now);

}  // namespace pincer::providers
