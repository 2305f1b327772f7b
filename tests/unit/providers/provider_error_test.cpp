#include "providers/provider_error.hpp"

#include <gtest/gtest.h>

namespace pincer::providers {
namespace {

TEST(ProviderError, StatusCodesMapToFailoverReasons) {
  EXPECT_EQ(classify_provider_error(401, "").reason, FailoverReason::auth);
  EXPECT_EQ(classify_provider_error(429, "slow down").reason, FailoverReason::rate_limit);
  EXPECT_EQ(classify_provider_error(529, "").reason, FailoverReason::overloaded);
  EXPECT_EQ(classify_provider_error(503, "").reason, FailoverReason::server_error);
  EXPECT_EQ(classify_provider_error(504, "").reason, FailoverReason::timeout);
  EXPECT_EQ(classify_provider_error(404, "no such model").reason, FailoverReason::model_not_found);
  EXPECT_EQ(classify_provider_error(400, "bad field").reason, FailoverReason::format);
}

TEST(ProviderError, TextRefinesAmbiguousStatuses) {
  EXPECT_EQ(
      classify_provider_error(400, "prompt is too long: 210000 tokens > 200000 maximum").reason,
      FailoverReason::context_overflow);
  EXPECT_EQ(classify_provider_error(400, "Your credit balance is too low").reason,
            FailoverReason::billing);
  EXPECT_EQ(classify_provider_error(429, "You exceeded your current quota").reason,
            FailoverReason::billing);
  EXPECT_EQ(classify_provider_error(403, "weekly usage limit reached").reason,
            FailoverReason::rate_limit);
  EXPECT_FALSE(is_failover_worthy(FailoverReason::context_overflow));
  EXPECT_TRUE(is_failover_worthy(FailoverReason::rate_limit));
}

TEST(ProviderError, MessagesComeOutOfTheUsualBodies) {
  EXPECT_EQ(error_message_from_body(
                R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"),
            "Overloaded");
  EXPECT_EQ(error_message_from_body(R"([{"error":{"code":429,"message":"Quota"}}])"), "Quota");
  EXPECT_EQ(error_message_from_body(R"({"error":"model not found"})"), "model not found");
  EXPECT_EQ(error_message_from_body("<html>bad gateway</html>"), "<html>bad gateway</html>");
  std::string long_body(1000, 'x');
  EXPECT_LE(error_message_from_body(long_body).size(), 303U);
}

TEST(ProviderError, RetryAfterIsKept) {
  auto error = classify_provider_error(429, "", std::chrono::milliseconds(1500));
  ASSERT_TRUE(error.retry_after);
  EXPECT_EQ(error.retry_after->count(), 1500);
  EXPECT_EQ(error.message, "HTTP 429");
}

}  // namespace
}  // namespace pincer::providers
