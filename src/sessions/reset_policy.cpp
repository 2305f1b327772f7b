#include "sessions/reset_policy.hpp"

#include <date/tz.h>

#include <chrono>
#include <exception>
#include <string>

#include "sessions/session_key.hpp"

namespace pincer::sessions {

namespace {

using Millis = std::chrono::milliseconds;

// The first atHour:00 local time strictly after `start` (a wall-clock hour skipped by a DST
// jump maps to the instant the jump happens; a repeated hour counts at its first occurrence).
int64_t next_daily_boundary_ms(int64_t start_ms, int64_t at_hour, const date::time_zone* zone) {
  date::sys_time<Millis> start{Millis(start_ms)};
  auto local =
      zone != nullptr ? zone->to_local(start) : date::local_time<Millis>{start.time_since_epoch()};
  auto day = date::floor<date::days>(local);
  for (int step = 0; step < 3; ++step) {
    date::local_time<Millis> candidate = day + std::chrono::hours(at_hour);
    date::sys_time<Millis> instant = zone != nullptr
                                         ? zone->to_sys(candidate, date::choose::earliest)
                                         : date::sys_time<Millis>{candidate.time_since_epoch()};
    if (instant > start) {
      return instant.time_since_epoch().count();
    }
    day += date::days(1);
  }
  // Two local days always contain a boundary after `start`; reaching here means the zone data
  // is broken, and a day later is the safe answer.
  return start_ms + int64_t{24} * 3'600'000;
}

const core::ResetPolicy* by_type(const core::SessionConfig& session, ChatType chat_type,
                                 bool in_thread) {
  if (in_thread) {
    return session.reset_by_type.thread ? &*session.reset_by_type.thread : nullptr;
  }
  const auto& entry =
      chat_type == ChatType::direct ? session.reset_by_type.direct : session.reset_by_type.group;
  return entry ? &*entry : nullptr;
}

}  // namespace

const core::ResetPolicy& resolve_reset_policy(const core::SessionConfig& session,
                                              std::string_view channel, ChatType chat_type,
                                              bool in_thread) {
  if (!channel.empty() && !session.reset_by_channel.empty()) {
    if (auto it = session.reset_by_channel.find(canonical_key_part(channel));
        it != session.reset_by_channel.end()) {
      return it->second;
    }
  }
  if (const core::ResetPolicy* policy = by_type(session, chat_type, in_thread)) {
    return *policy;
  }
  return session.reset;
}

const core::ResetPolicy& resolve_reset_policy_for_key(const core::SessionConfig& session,
                                                      std::string_view key,
                                                      std::string_view channel) {
  std::string key_channel = channel_of_key(key).value_or(std::string(channel));
  ChatType type = chat_type_of_key(key).value_or(ChatType::direct);
  return resolve_reset_policy(session, key_channel, type, thread_id_of_key(key).has_value());
}

std::string_view to_string(StaleReason reason) {
  return reason == StaleReason::daily ? "daily" : "idle";
}

Freshness evaluate_freshness(const core::ResetPolicy& policy, int64_t session_started_at_ms,
                             std::optional<int64_t> last_interaction_at_ms, int64_t now_ms,
                             const date::time_zone* zone) {
  std::optional<int64_t> daily_at;
  std::optional<int64_t> idle_at;
  if (policy.mode == core::ResetMode::daily) {
    daily_at = next_daily_boundary_ms(session_started_at_ms, policy.at_hour, zone);
  }
  bool idle_applies = policy.mode == core::ResetMode::idle ||
                      (policy.mode == core::ResetMode::daily && policy.idle_minutes);
  if (idle_applies) {
    int64_t minutes = policy.idle_minutes.value_or(core::ResetPolicy::kDefaultIdleMinutes);
    idle_at = last_interaction_at_ms.value_or(session_started_at_ms) + minutes * 60'000;
  }

  Freshness out;
  std::optional<StaleReason> first;
  if (daily_at && (!idle_at || *daily_at <= *idle_at)) {
    out.expires_at_ms = daily_at;
    first = StaleReason::daily;
  } else if (idle_at) {
    out.expires_at_ms = idle_at;
    first = StaleReason::idle;
  }
  if (out.expires_at_ms && now_ms >= *out.expires_at_ms) {
    out.stale = true;
    out.reason = first;
  }
  return out;
}

const date::time_zone* host_time_zone() {
  static const date::time_zone* const zone = []() -> const date::time_zone* {
    try {
      return date::current_zone();
    } catch (const std::exception&) {
      try {
        return date::locate_zone("Etc/UTC");
      } catch (const std::exception&) {
        return nullptr;  // no tz database at all: UTC arithmetic
      }
    }
  }();
  return zone;
}

}  // namespace pincer::sessions
