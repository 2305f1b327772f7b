#include "providers/retry_after.hpp"

#include <charconv>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <string>

#include "core/text.hpp"

namespace pincer::providers {
namespace {

// Seconds or milliseconds as a non-negative decimal ("2", "1.5"); nullopt otherwise.
std::optional<double> parse_number(std::string_view text) {
  text = core::trim(text);
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0 || value > 1e12) {
    return std::nullopt;
  }
  return value;
}

// IMF-fixdate, the one form servers send: "Wed, 21 Oct 2015 07:28:00 GMT".
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  std::tm tm{};
  std::istringstream in{std::string(core::trim(text))};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) {
    return std::nullopt;
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after, std::string_view retry_after_ms,
    std::chrono::system_clock::time_point now) {
  if (auto ms = parse_number(retry_after_ms)) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
  }
  if (auto seconds = parse_number(retry_after)) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(*seconds * 1000));
  }
  if (auto date = parse_http_date(retry_after)) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*date - now);
    return std::max(wait, std::chrono::milliseconds(0));
  }
  return std::nullopt;
}

}  // namespace pincer::providers
