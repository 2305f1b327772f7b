#pragma once
// SessionStore: session records in state.db, one row per session generation.
//
// A session key ("agent:main:main", "cron:nightly") names a conversation bucket; a session id
// (a UUID) names one generation of it — the transcript identity. A key has at most one active
// generation (archived_at_ms NULL; a partial unique index enforces it) and any number of
// archived ones. Reset archives the active generation and starts the next one, linked back
// through previous_session_id; nothing is deleted unless delete is asked to.
//
// Timestamps kept apart, because reset policies must not be fooled by bookkeeping writes:
//   started_at_ms          when this generation began (daily reset freshness)
//   last_interaction_at_ms last real user/channel message (idle freshness); heartbeat, cron and
//                          system events do not move it
//   updated_at_ms          any change to the row or its transcript (listing and pruning)
//
// Per-session overrides set by sessions.patch (model, thinkingLevel, verboseLevel, sendPolicy,
// pinned, ...) live in `settings`, a JSON object with merge-patch semantics (null removes a
// key); only label and displayName have columns of their own.
//
// Each call is one statement or one transaction (BEGIN IMMEDIATE), so several processes can
// share the file. Times are Unix ms passed in by the caller (the Clock lives above the store).
//
// Not here: transcripts (transcript_store.hpp), maintenance (session_maintenance.hpp), reset
// policy decisions (when a reset is due) and key building (routing).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "sessions/chat_type.hpp"

namespace pincer::store {
class Database;
}

namespace pincer::sessions {

// Why a generation stopped being active. `new_session` is spelled "new" in the store and on
// the wire (the /new command), the others as written.
enum class ArchiveReason { reset, new_session, deleted, maintenance, manual };
std::string_view to_string(ArchiveReason reason);
std::optional<ArchiveReason> parse_archive_reason(std::string_view text);

struct SessionRecord {
  std::string session_id;
  std::string session_key;
  std::string agent_id;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  int64_t started_at_ms = 0;
  std::optional<int64_t> last_interaction_at_ms;
  std::optional<int64_t> archived_at_ms;  // nullopt: the active generation of its key
  std::optional<ArchiveReason> archive_reason;
  std::optional<std::string> previous_session_id;
  std::optional<ChatType> chat_type;
  std::string channel;     // last channel a message came in on; "" when none
  std::string account_id;  // last channel account
  std::string last_to;     // recipient for replies and heartbeat delivery
  std::string last_thread_id;
  boost::json::object origin;    // where the session came from: channel, account, peer, label...
  std::string label;             // operator-chosen name; "" when none
  std::string display_name;      // channel-provided or generated title; "" when none
  boost::json::object settings;  // per-session overrides (camelCase keys, as sessions.patch)
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  int64_t context_tokens = 0;  // the last run's context size, not a sum
  int64_t compaction_count = 0;
  int64_t entry_count = 0;  // transcript entries of this generation

  bool archived() const { return archived_at_ms.has_value(); }
};

// What a new generation starts with (ensure). Empty strings are stored as empty.
struct SessionInit {
  std::string key;
  std::string agent_id;
  std::optional<ChatType> chat_type;
  std::string channel;
  std::string account_id;
  std::string last_to;
  std::string last_thread_id;
  boost::json::object origin;
  std::string display_name;
};

struct EnsureResult {
  SessionRecord session;
  bool created = false;  // false: the key already had an active generation, returned as is
};

// The delivery context of an inbound message. nullopt leaves a field as it is.
struct InboundContext {
  std::optional<std::string> channel;
  std::optional<std::string> account_id;
  std::optional<std::string> to;
  std::optional<std::string> thread_id;  // "" clears it (a message outside any thread)
  std::optional<std::string> display_name;
  // True for real user/channel messages; false for heartbeat, cron and system events, which
  // update updated_at_ms but never last_interaction_at_ms.
  bool interaction = true;
};

enum class ArchivedFilter { active, archived, all };
enum class SessionSort { updated_at, last_interaction_at };  // both newest first

struct SessionListFilter {
  std::optional<std::string> agent_id;
  // Only rows whose sort time (updated_at, or last_interaction_at falling back to started_at)
  // is at or after this. The caller computes it: now - activeMinutes.
  std::optional<int64_t> active_since_ms;
  // With sort last_interaction_at: leave out rows that never had a real interaction.
  bool require_last_interaction = false;
  ArchivedFilter archived = ArchivedFilter::active;
  // Case-insensitive (ASCII) substring of key, label or display name; "" matches all.
  std::string search;
  std::optional<std::string> label;  // exact label
  SessionSort sort = SessionSort::updated_at;
  int64_t limit = 100;  // 0: no limit
  int64_t offset = 0;
};

struct ResetResult {
  SessionRecord archived;  // the generation that ended
  SessionRecord current;   // the new active generation
};

struct RemoveResult {
  bool deleted = false;  // true: rows and transcripts are gone; false: archived as "deleted"
  std::vector<std::string> session_ids;  // the generations affected
};

// Token usage of one run, added to the generation's counters.
struct SessionUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;               // 0: input + output
  std::optional<int64_t> context_tokens;  // replaces the stored value when set
};

class SessionStore {
 public:
  explicit SessionStore(store::Database& db) : db_(db) {}

  Result<std::optional<SessionRecord>> find_active(std::string_view key);
  Result<std::optional<SessionRecord>> get(std::string_view session_id);
  // Every generation of a key, newest first (the active one, if any, is first).
  Result<std::vector<SessionRecord>> generations(std::string_view key);

  // A page of rows per the filter; count() is the total the same filter matches, ignoring
  // limit and offset.
  Result<std::vector<SessionRecord>> list(const SessionListFilter& filter);
  Result<int64_t> count(const SessionListFilter& filter);

  // The key's active generation, created (with a new session id, started now) when there is
  // none. The check and the insert share one write transaction, so two processes racing here
  // get the same row.
  Result<EnsureResult> ensure(const SessionInit& init, int64_t now_ms);

  // An inbound message arrived for the key's active generation: updates the delivery context,
  // updated_at and, for real interactions, last_interaction_at. Errc::not_found when the key has
  // no active generation (call ensure first).
  Result<SessionRecord> record_inbound(std::string_view key, const InboundContext& context,
                                       int64_t now_ms);

  // Applies a sessions.patch mutation to the key's active generation. "label" and
  // "displayName" (string, or null to clear) go to their columns; every other member is merged
  // into settings, null removing the key. When expected_session_id is given and is not the
  // active generation's id, nothing changes and the call fails with Errc::invalid_argument
  // ("session changed"). Errc::not_found when there is no active generation.
  Result<SessionRecord> patch(std::string_view key, const boost::json::object& mutation,
                              int64_t now_ms,
                              std::optional<std::string_view> expected_session_id = {});

  // Ends the active generation (archived with `reason`: reset or new_session) and starts the
  // next one in one transaction: new session id, previous_session_id linking back, started now.
  // Carried over: agent, label, display name, chat type, delivery context (channel, account,
  // to, thread), origin and the settings overrides except read state (unread, lastReadAt,
  // markedUnreadAt). Started fresh: token counts, compaction count, transcript,
  // last_interaction_at. Errc::not_found when the key has no active generation.
  Result<ResetResult> reset(std::string_view key, ArchiveReason reason, int64_t now_ms,
                            std::optional<std::string_view> expected_session_id = {});

  // delete_transcript false: archives the active generation with reason "deleted" (the key is
  // then free for a new one; earlier archived generations stay); Errc::not_found when the key
  // has no active generation. delete_transcript true: removes every generation of the key,
  // active and archived, with their transcripts; Errc::not_found when the key has no rows.
  Result<RemoveResult> remove(std::string_view key, bool delete_transcript, int64_t now_ms);

  // Archives the key's active generation with `reason` (manual by default). Errc::not_found
  // when there is none.
  Result<SessionRecord> archive(std::string_view key, int64_t now_ms,
                                ArchiveReason reason = ArchiveReason::manual);
  // Makes an archived generation active again. Errc::invalid_argument when its key already has
  // an active generation (reset or archive that one first); Errc::not_found for an unknown id.
  Result<SessionRecord> unarchive(std::string_view session_id, int64_t now_ms);

  // Adds a run's usage to the generation (by id, so a run that outlives a reset still counts
  // where it ran). Errc::not_found for an unknown id.
  Result<SessionRecord> add_usage(std::string_view session_id, const SessionUsage& usage,
                                  int64_t now_ms);
  // A compaction completed: returns the new compaction_count.
  Result<int64_t> increment_compaction(std::string_view session_id, int64_t now_ms);

 private:
  store::Database& db_;
};

}  // namespace pincer::sessions
