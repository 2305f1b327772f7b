#pragma once
// Session reset policies: which policy applies to a session, and whether it is still fresh.
//
// Resolution (docs: concepts/session.md, gateway/config-agents/sessions.md): a
// session.resetByChannel entry for the session's channel wins outright; else the
// session.resetByType entry for its type (thread when the session is a thread, else direct or
// group — rooms count as group); else session.reset. Freshness: "daily" expires at the first
// atHour:00 local time (gateway host zone) after the current session started; "idle" expires
// idleMinutes after the last real interaction (system events do not count; rows without one
// fall back to the start). A daily policy with idleMinutes set expires at whichever comes first.
// Pure functions: the caller passes the clock reading and the zone.

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/config.hpp"
#include "sessions/chat_type.hpp"

namespace date {
class time_zone;
}

namespace pincer::sessions {

// The policy for a session on `channel` of type `chat_type`, in a thread or not.
const core::ResetPolicy& resolve_reset_policy(const core::SessionConfig& session,
                                              std::string_view channel, ChatType chat_type,
                                              bool in_thread);

// Same, reading type and thread from the session key; `channel` is the session's channel
// (its last route) for keys that do not name one, such as the main session.
const core::ResetPolicy& resolve_reset_policy_for_key(const core::SessionConfig& session,
                                                      std::string_view key,
                                                      std::string_view channel = {});

enum class StaleReason { daily, idle };
std::string_view to_string(StaleReason reason);

struct Freshness {
  bool stale = false;
  std::optional<StaleReason> reason;     // set when stale: the expiry that came first
  std::optional<int64_t> expires_at_ms;  // the earliest expiry; unset when it never expires
};

// Whether a session that started at `session_started_at_ms` and last saw a real interaction at
// `last_interaction_at_ms` (Unix ms) is stale at `now_ms` under `policy`. Stale from the expiry
// instant on. `zone` is where atHour is read (nullptr: UTC).
Freshness evaluate_freshness(const core::ResetPolicy& policy, int64_t session_started_at_ms,
                             std::optional<int64_t> last_interaction_at_ms, int64_t now_ms,
                             const date::time_zone* zone);

// The gateway host's time zone, or UTC when the host's cannot be determined.
const date::time_zone* host_time_zone();

}  // namespace pincer::sessions
