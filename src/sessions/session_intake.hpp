#pragma once
// take_in_message: what an inbound message does to its session before the agent sees it.
//
//   1. The route's session is found or created (ensure).
//   2. A reset trigger (session.resetTriggers, "/new" and "/reset" by default) as the first word
//      archives the session and starts the next generation; text after the trigger stays the
//      message ("/new summarize my inbox" resets, then asks). A bare trigger is a command only.
//   3. Otherwise, a session that the reset policy (session.reset, resetByType, resetByChannel)
//      says is stale is rolled the same way before the message lands in it. Only real
//      interactions roll sessions: a heartbeat or cron event never does.
//   4. The delivery context (channel, account, recipient, thread) and, for real interactions,
//      last_interaction_at are recorded, and the message is appended to the transcript.
//
// All of it is one transaction (one commit, one fsync): a crash leaves either the whole intake or
// none of it, never a recorded inbound without its message. Runs on a blocking pool thread (it
// does SQLite I/O).

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "sessions/chat_type.hpp"
#include "sessions/reset_policy.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::core {
struct SessionConfig;
}
namespace pincer::store {
class Database;
}

namespace pincer::sessions {

struct IntakeMessage {
  std::string session_key;  // from resolve_route()
  std::string agent_id;
  std::string channel;
  std::string account_id;
  ChatType chat_type = ChatType::direct;
  std::string to;  // where replies go
  std::string thread_id;
  std::string display_name;  // the peer's or room's name, for the session row
  std::string text;          // the message text (reset triggers are read from it)
  // True for a person's message; false for heartbeat, cron and system events.
  bool interaction = true;
  int64_t received_at_ms = 0;
  std::string run_id;  // the run the message starts, recorded on its entry
};

struct IntakeResult {
  SessionRecord session;               // the generation the message belongs to (after any reset)
  std::optional<ArchiveReason> reset;  // set when this message rolled the session
  std::optional<StaleReason> stale;    // why, when the reset policy rolled it
  bool command_only = false;           // a bare reset trigger: nothing was appended
  std::string text;                    // the message text without a leading trigger
  std::optional<AppendedEntry> entry;  // the appended user entry
};

Result<IntakeResult> take_in_message(store::Database& db, const core::SessionConfig& config,
                                     const IntakeMessage& message,
                                     const date::time_zone* zone = host_time_zone());

}  // namespace pincer::sessions
