#include "sessions/chat_type.hpp"

#include <gtest/gtest.h>

namespace pincer::sessions {
namespace {

TEST(ChatType, RoundTripsEveryKind) {
  for (ChatType type : {ChatType::direct, ChatType::group, ChatType::channel}) {
    EXPECT_EQ(parse_chat_type(to_string(type)), type);
  }
}

TEST(ChatType, ReadsLegacyDmAndRejectsOthers) {
  EXPECT_EQ(parse_chat_type("dm"), ChatType::direct);
  EXPECT_FALSE(parse_chat_type("thread").has_value());
  EXPECT_FALSE(parse_chat_type("").has_value());
}

}  // namespace
}  // namespace pincer::sessions
