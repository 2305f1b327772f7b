#include "sessions/session_intake.hpp"

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

using pincer::testing::TempDir;
constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
// 2026-11-24T00:00:00Z: midnight UTC, so hours of the day are easy to read below.
constexpr int64_t kMidnight = 1'795'478'400'000;

class SessionIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  IntakeResult take(std::string text, int64_t at_ms, bool interaction = true) {
    IntakeMessage message;
    message.session_key = "agent:main:telegram:direct:42";
    message.agent_id = "main";
    message.channel = "telegram";
    message.account_id = "default";
    message.to = "42";
    message.text = std::move(text);
    message.interaction = interaction;
    message.received_at_ms = at_ms;
    auto result = take_in_message(*db_, config_, message, nullptr);  // zone: UTC
    EXPECT_TRUE(result) << result.error().describe();
    return result ? *result : IntakeResult{};
  }

  std::vector<std::string> texts(const std::string& session_id) {
    auto entries = TranscriptStore(*db_).last(session_id, 100);
    EXPECT_TRUE(entries);
    std::vector<std::string> out;
    for (const auto& entry : *entries) {
      out.push_back(entry.content);
    }
    return out;
  }

  TempDir dir_;
  std::optional<store::Database> db_;
  core::SessionConfig config_;
};

TEST_F(SessionIntakeTest, FirstMessageCreatesTheSessionAndAppendsIt) {
  auto result = take("hello", kMidnight);
  EXPECT_FALSE(result.reset);
  EXPECT_EQ(result.session.channel, "telegram");
  EXPECT_EQ(result.session.last_to, "42");
  EXPECT_EQ(result.session.last_interaction_at_ms, kMidnight);
  ASSERT_TRUE(result.entry);
  EXPECT_EQ(result.entry->seq, 1);
  EXPECT_EQ(texts(result.session.session_id),
            std::vector<std::string>{R"([{"type":"text","text":"hello"}])"});
}

TEST_F(SessionIntakeTest, BareNewArchivesTheSessionAndAppendsNothing) {
  auto first = take("hello", kMidnight);
  auto reset = take("  /NEW ", kMidnight + kMinute);
  EXPECT_EQ(reset.reset, ArchiveReason::new_session);
  EXPECT_TRUE(reset.command_only);
  EXPECT_FALSE(reset.entry);
  EXPECT_NE(reset.session.session_id, first.session.session_id);
  EXPECT_EQ(reset.session.previous_session_id, first.session.session_id);
  EXPECT_TRUE(texts(reset.session.session_id).empty());
  auto old = SessionStore(*db_).get(first.session.session_id);
  ASSERT_TRUE(old && *old);
  EXPECT_EQ((*old)->archive_reason, ArchiveReason::new_session);
  EXPECT_EQ(texts(first.session.session_id).size(), 1U) << "the old transcript is kept";
}

TEST_F(SessionIntakeTest, ResetWithTextResetsThenKeepsTheRestAsTheMessage) {
  auto first = take("hello", kMidnight);
  auto reset = take("/reset what is on today?", kMidnight + kMinute);
  EXPECT_EQ(reset.reset, ArchiveReason::reset);
  EXPECT_FALSE(reset.command_only);
  EXPECT_EQ(reset.text, "what is on today?");
  EXPECT_EQ(texts(reset.session.session_id),
            std::vector<std::string>{R"([{"type":"text","text":"what is on today?"}])"});
  // A word that only starts like a trigger is an ordinary message.
  auto plain = take("/newsletter please", kMidnight + 2 * kMinute);
  EXPECT_FALSE(plain.reset);
  EXPECT_EQ(plain.session.session_id, reset.session.session_id);
}

TEST_F(SessionIntakeTest, IdlePolicyRollsAStaleSessionOnTheNextMessage) {
  config_.reset.mode = core::ResetMode::idle;
  config_.reset.idle_minutes = 60;
  auto first = take("hello", kMidnight);
  auto soon = take("still there?", kMidnight + 59 * kMinute);
  EXPECT_FALSE(soon.reset);
  EXPECT_EQ(soon.session.session_id, first.session.session_id);
  auto later = take("good morning", kMidnight + 59 * kMinute + 61 * kMinute);
  EXPECT_EQ(later.reset, ArchiveReason::reset);
  EXPECT_EQ(later.stale, StaleReason::idle);
  EXPECT_NE(later.session.session_id, first.session.session_id);
  EXPECT_EQ(texts(later.session.session_id).size(), 1U);
}

TEST_F(SessionIntakeTest, SystemEventsNeitherRollNorKeepASessionAlive) {
  config_.reset.mode = core::ResetMode::idle;
  config_.reset.idle_minutes = 60;
  auto first = take("hello", kMidnight);
  auto heartbeat = take("[heartbeat]", kMidnight + 2 * kHour, /*interaction=*/false);
  EXPECT_FALSE(heartbeat.reset) << "a heartbeat never rolls a session";
  EXPECT_EQ(heartbeat.session.session_id, first.session.session_id);
  EXPECT_EQ(heartbeat.session.last_interaction_at_ms, kMidnight) << "nor extends it";
  auto entries = TranscriptStore(*db_).last(first.session.session_id, 1);
  ASSERT_TRUE(entries && entries->size() == 1);
  EXPECT_EQ(entries->front().kind, EntryKind::event);
  auto person = take("hi again", kMidnight + 2 * kHour + kMinute);
  EXPECT_EQ(person.stale, StaleReason::idle);
}

TEST_F(SessionIntakeTest, DailyPolicyRollsAtTheConfiguredHour) {
  config_.reset.mode = core::ResetMode::daily;
  config_.reset.at_hour = 4;
  auto first = take("late night", kMidnight + 3 * kHour);
  auto before_four = take("still up", kMidnight + 3 * kHour + 50 * kMinute);
  EXPECT_FALSE(before_four.reset);
  auto after_four = take("morning", kMidnight + 4 * kHour + kMinute);
  EXPECT_EQ(after_four.stale, StaleReason::daily);
  EXPECT_NE(after_four.session.session_id, first.session.session_id);
}

}  // namespace
}  // namespace pincer::sessions
