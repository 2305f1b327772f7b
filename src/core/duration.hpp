#pragma once
// Human-written durations and sizes from config values: "30d", "12h", "1.5s", "500mb".
//
// The reference spells retention windows and budgets as short strings with a unit; the same
// grammar is used everywhere a config key takes one, so it lives here once.

#include <cstdint>
#include <optional>
#include <string_view>

namespace pincer::core {

// "<number><unit>" with unit ms, s, m, h, d or w (case-insensitive, spaces around allowed); a
// bare number is read in `bare_unit_ms` (1 = milliseconds). Fractions are allowed ("1.5h").
// nullopt for anything else, negative values, or results beyond 2^53 ms.
std::optional<int64_t> parse_duration_ms(std::string_view text, int64_t bare_unit_ms = 1);

// "<number><unit>" with unit b, kb, mb, gb or tb (1024-based, case-insensitive); a bare number
// is bytes. nullopt for anything else or negative values.
std::optional<int64_t> parse_byte_size(std::string_view text);

}  // namespace pincer::core
