#include "sessions/reset_policy.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

namespace pincer::sessions {
namespace {

using core::ResetMode;
using core::ResetPolicy;
using std::chrono::hours;
using std::chrono::minutes;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;

const date::time_zone* new_york() {
  return date::locate_zone("America/New_York");
}

// Unix ms of a wall-clock time in `zone` (earliest instant for a repeated hour).
int64_t local_ms(const date::time_zone* zone, date::year_month_day day, int hour, int minute = 0) {
  date::local_time<std::chrono::milliseconds> local =
      date::local_days{day} + hours(hour) + minutes(minute);
  return zone->to_sys(local, date::choose::earliest).time_since_epoch().count();
}

int64_t utc_ms(date::year_month_day day, int hour, int minute = 0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             (date::sys_days{day} + hours(hour) + minutes(minute)).time_since_epoch())
      .count();
}

ResetPolicy daily(int64_t at_hour, std::optional<int64_t> idle = std::nullopt) {
  return {.mode = ResetMode::daily, .at_hour = at_hour, .idle_minutes = idle};
}

ResetPolicy idle(int64_t idle_minutes) {
  return {.mode = ResetMode::idle, .idle_minutes = idle_minutes};
}

struct FreshCase {
  std::string_view name;
  ResetPolicy policy;
  int64_t started;
  std::optional<int64_t> last;
  int64_t now;
  bool stale;
  std::optional<StaleReason> reason;
  std::optional<int64_t> expires;
};

// 2026 in New York: clocks jump 02:00 -> 03:00 on March 8 and fall 02:00 -> 01:00 on November 1.
TEST(ResetPolicy, EvaluatesFreshnessInTheHostZone) {
  using namespace date::literals;
  const auto* ny = new_york();
  const auto mar7 = 2026_y / date::March / 7;
  const auto mar8 = 2026_y / date::March / 8;
  const auto mar9 = 2026_y / date::March / 9;
  const auto oct31 = 2026_y / date::October / 31;
  const auto nov1 = 2026_y / date::November / 1;
  const auto nov2 = 2026_y / date::November / 2;
  const int64_t t0 = local_ms(ny, mar7, 12);
  const FreshCase cases[] = {
      {"no reset never expires", {}, t0, t0, t0 + 400 * 24 * kHour, false, {}, {}},
      {"daily before the boundary",
       daily(4),
       local_ms(ny, mar7, 22),
       {},
       local_ms(ny, mar8, 3, 59),
       false,
       {},
       utc_ms(mar8, 8)},  // 04:00 EDT is 08:00Z: the 23-hour day is honoured
      {"daily at the boundary",
       daily(4),
       local_ms(ny, mar7, 22),
       {},
       local_ms(ny, mar8, 4),
       true,
       StaleReason::daily,
       utc_ms(mar8, 8)},
      {"daily started after today's boundary",
       daily(4),
       local_ms(ny, mar8, 5),
       {},
       local_ms(ny, mar9, 3),
       false,
       {},
       local_ms(ny, mar9, 4)},
      {"daily started exactly at the boundary",
       daily(4),
       local_ms(ny, mar8, 4),
       {},
       local_ms(ny, mar8, 12),
       false,
       {},
       local_ms(ny, mar9, 4)},
      {"daily at a skipped hour fires at the jump",
       daily(2),
       local_ms(ny, mar7, 23),
       {},
       utc_ms(mar8, 7),
       true,
       StaleReason::daily,
       utc_ms(mar8, 7)},
      {"daily at a repeated hour fires at its first occurrence",
       daily(1),
       local_ms(ny, oct31, 23),
       {},
       utc_ms(nov1, 5, 30),
       true,
       StaleReason::daily,
       utc_ms(nov1, 5)},  // 01:00 EDT
      {"inside the repeated hour the next boundary is tomorrow",
       daily(1),
       utc_ms(nov1, 5, 30),
       {},
       utc_ms(nov1, 6, 30),
       false,
       {},
       utc_ms(nov2, 6)},  // 01:00 EST on Nov 2
      {"idle from the last interaction",
       idle(30),
       t0,
       t0 + 10 * kMinute,
       t0 + 39 * kMinute,
       false,
       {},
       t0 + 40 * kMinute},
      {"idle expires exactly", idle(30), t0, t0 + 10 * kMinute, t0 + 40 * kMinute, true,
       StaleReason::idle, t0 + 40 * kMinute},
      {"idle without an interaction counts from the start",
       idle(30),
       t0,
       {},
       t0 + 30 * kMinute,
       true,
       StaleReason::idle,
       t0 + 30 * kMinute},
      {"daily plus idle: idle first", daily(4, 60), local_ms(ny, mar8, 10), local_ms(ny, mar8, 11),
       local_ms(ny, mar8, 12, 30), true, StaleReason::idle, local_ms(ny, mar8, 12)},
      {"daily plus idle: daily first", daily(4, 600), local_ms(ny, mar8, 1), local_ms(ny, mar8, 3),
       local_ms(ny, mar8, 5), true, StaleReason::daily, local_ms(ny, mar8, 4)},
      {"daily plus idle: both fresh",
       daily(4, 600),
       local_ms(ny, mar8, 5),
       local_ms(ny, mar8, 6),
       local_ms(ny, mar8, 7),
       false,
       {},
       local_ms(ny, mar8, 16)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Freshness f = evaluate_freshness(c.policy, c.started, c.last, c.now, ny);
    EXPECT_EQ(f.stale, c.stale);
    EXPECT_EQ(f.reason, c.reason);
    EXPECT_EQ(f.expires_at_ms, c.expires);
  }
}

// Without a zone the hour is read in UTC.
TEST(ResetPolicy, NullZoneIsUtc) {
  using namespace date::literals;
  const auto day = 2026_y / date::June / 1;
  Freshness f = evaluate_freshness(daily(4), utc_ms(day, 3), {}, utc_ms(day, 4), nullptr);
  EXPECT_TRUE(f.stale);
  EXPECT_EQ(f.expires_at_ms, utc_ms(day, 4));
  EXPECT_NE(host_time_zone(), nullptr);
}

// resetByChannel wins outright, then resetByType (thread before direct/group), then reset.
TEST(ResetPolicy, ResolvesTheMostSpecificPolicy) {
  core::SessionConfig s;
  s.reset = daily(4);
  s.reset_by_type.direct = idle(240);
  s.reset_by_type.group = idle(120);
  s.reset_by_type.thread = daily(6);
  s.reset_by_channel["discord"] = idle(10080);

  EXPECT_EQ(resolve_reset_policy(s, "Discord", ChatType::group, true).idle_minutes, 10080);
  EXPECT_EQ(resolve_reset_policy(s, "slack", ChatType::channel, true).at_hour, 6);
  EXPECT_EQ(resolve_reset_policy(s, "slack", ChatType::channel, false).idle_minutes, 120);
  EXPECT_EQ(resolve_reset_policy(s, "slack", ChatType::group, false).idle_minutes, 120);
  EXPECT_EQ(resolve_reset_policy(s, "telegram", ChatType::direct, false).idle_minutes, 240);
  EXPECT_EQ(resolve_reset_policy(s, "", ChatType::direct, false).idle_minutes, 240);

  core::SessionConfig base;
  base.reset = daily(5);
  EXPECT_EQ(resolve_reset_policy(base, "telegram", ChatType::group, true).at_hour, 5);

  // From keys: the key's own channel and type, or the caller's channel for the main session.
  EXPECT_EQ(resolve_reset_policy_for_key(s, "agent:main:discord:channel:1").idle_minutes, 10080);
  EXPECT_EQ(resolve_reset_policy_for_key(s, "agent:main:slack:channel:1:thread:2").at_hour, 6);
  EXPECT_EQ(resolve_reset_policy_for_key(s, "agent:main:telegram:group:-1").idle_minutes, 120);
  EXPECT_EQ(resolve_reset_policy_for_key(s, "agent:main:main").idle_minutes, 240);
  EXPECT_EQ(resolve_reset_policy_for_key(s, "agent:main:main", "discord").idle_minutes, 10080);
  EXPECT_EQ(resolve_reset_policy_for_key(s, "agent:main:main:thread:9").at_hour, 6);
}

}  // namespace
}  // namespace pincer::sessions
