#include "providers/retry_after.hpp"

#include <gtest/gtest.h>

namespace pincer::providers {
namespace {

using std::chrono::milliseconds;

// retry-after-ms wins; retry-after reads as seconds or as an HTTP date.
TEST(RetryAfter, ReadsMillisecondsSecondsAndDates) {
  auto now = std::chrono::system_clock::from_time_t(1445412470);  // 2015-10-21 07:27:50 UTC
  EXPECT_EQ(parse_retry_after("7", "", now), milliseconds(7000));
  EXPECT_EQ(parse_retry_after("1.5", "", now), milliseconds(1500));
  EXPECT_EQ(parse_retry_after("7", "250", now), milliseconds(250));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", "", now), milliseconds(10000));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", "", now), milliseconds(0));
  EXPECT_FALSE(parse_retry_after("soon", "", now).has_value());
  EXPECT_FALSE(parse_retry_after("", "", now).has_value());
  EXPECT_FALSE(parse_retry_after("-3", "x", now).has_value());
}

}  // namespace
}  // namespace pincer::providers
