#include "core/duration.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "core/text.hpp"

namespace pincer::core {

namespace {

constexpr double kMaxSafe = 9'007'199'254'740'991.0;

// Splits "12.5 h" into 12.5 and "h" (lowercased); nullopt when the number part is malformed.
std::optional<std::pair<double, std::string>> split_number_unit(std::string_view text) {
  text = trim(text);
  size_t end = 0;
  while (end < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[end])) != 0 || text[end] == '.')) {
    ++end;
  }
  if (end == 0) {
    return std::nullopt;
  }
  double number = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + end, number);
  if (ec != std::errc() || ptr != text.data() + end || !std::isfinite(number)) {
    return std::nullopt;
  }
  std::string unit;
  for (char c : trim(text.substr(end))) {
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return std::pair{number, unit};
}

std::optional<int64_t> scaled(double number, double scale) {
  double value = std::round(number * scale);
  if (value < 0 || value > kMaxSafe) {
    return std::nullopt;
  }
  return static_cast<int64_t>(value);
}

}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text, int64_t bare_unit_ms) {
  auto parts = split_number_unit(text);
  if (!parts) {
    return std::nullopt;
  }
  constexpr std::array<std::pair<std::string_view, double>, 6> kUnits = {
      {{"ms", 1.0}, {"s", 1e3}, {"m", 60e3}, {"h", 3600e3}, {"d", 86400e3}, {"w", 604800e3}}};
  if (parts->second.empty()) {
    return scaled(parts->first, static_cast<double>(bare_unit_ms));
  }
  for (const auto& [unit, scale] : kUnits) {
    if (parts->second == unit) {
      return scaled(parts->first, scale);
    }
  }
  return std::nullopt;
}

std::optional<int64_t> parse_byte_size(std::string_view text) {
  auto parts = split_number_unit(text);
  if (!parts) {
    return std::nullopt;
  }
  constexpr double kKb = 1024.0;
  constexpr std::array<std::pair<std::string_view, double>, 6> kUnits = {
      {{"", 1.0},
       {"b", 1.0},
       {"kb", kKb},
       {"mb", kKb * kKb},
       {"gb", kKb * kKb * kKb},
       {"tb", kKb * kKb * kKb * kKb}}};
  for (const auto& [unit, scale] : kUnits) {
    if (parts->second == unit) {
      return scaled(parts->first, scale);
    }
  }
  return std::nullopt;
}

}  // namespace pincer::core
