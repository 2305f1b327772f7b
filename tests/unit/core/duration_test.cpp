#include "core/duration.hpp"

#include <gtest/gtest.h>

namespace pincer::core {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

// Every documented unit, fractions, case and spaces; a bare number is read in the given unit.
TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("2s"), 2000);
  EXPECT_EQ(parse_duration_ms("5m"), 300'000);
  EXPECT_EQ(parse_duration_ms("12h"), 12 * kHour);
  EXPECT_EQ(parse_duration_ms("30d"), 30 * kDay);
  EXPECT_EQ(parse_duration_ms("1w"), 7 * kDay);
  EXPECT_EQ(parse_duration_ms("1.5h"), 90 * 60'000);
  EXPECT_EQ(parse_duration_ms(" 7D "), 7 * kDay);
  EXPECT_EQ(parse_duration_ms("3 h"), 3 * kHour);
  EXPECT_EQ(parse_duration_ms("0"), 0);
  EXPECT_EQ(parse_duration_ms("500"), 500);
  EXPECT_EQ(parse_duration_ms("2", 60'000), 120'000);
}

// Anything else is rejected rather than guessed at.
TEST(Duration, RejectsMalformedText) {
  for (const char* text :
       {"", "d", "-5m", "5x", "5 minutes", "1.2.3h", "h5", "5mm", "1e3s", "99999999999999w"}) {
    EXPECT_FALSE(parse_duration_ms(text).has_value()) << text;
  }
}

// Sizes are 1024-based; a bare number is bytes.
TEST(ByteSize, ParsesUnits) {
  EXPECT_EQ(parse_byte_size("512"), 512);
  EXPECT_EQ(parse_byte_size("1kb"), 1024);
  EXPECT_EQ(parse_byte_size("500mb"), int64_t{500} * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("10GB"), int64_t{10} * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("1tb"), int64_t{1} << 40);
  EXPECT_EQ(parse_byte_size("0"), 0);
  EXPECT_FALSE(parse_byte_size("10 gigs").has_value());
  EXPECT_FALSE(parse_byte_size("-1mb").has_value());
  EXPECT_FALSE(parse_byte_size("").has_value());
}

}  // namespace
}  // namespace pincer::core
