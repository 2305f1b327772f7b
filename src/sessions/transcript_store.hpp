#pragma once
// TranscriptStore: the ordered entries of each session generation, in state.db.
//
// Entries are append-only and numbered per session id by `seq` (1, 2, 3, ... with no gaps):
// append() takes the write lock (BEGIN IMMEDIATE), reads the session's last seq, inserts the
// batch with the following numbers and bumps the session row's entry_count and updated_at, all
// in one transaction. So concurrent appenders, in this process or another, never lose an entry
// or share a seq, and an append that returned success survives a crash (WAL, synchronous=FULL).
// Each entry also gets an entry_id (UUID) that stays stable for chat.message.get.
//
// Content and meta are JSON text kept opaque: the agent runner decides their shape (a content
// array or a text), the store only keeps them.
//
// Reads are indexed range scans on (session_id, seq): the last N of a 100 000-entry session cost
// the same as of a 10-entry one. Pages come back oldest first. for_each streams; nothing reads a
// whole large transcript into memory.
//
// Not here: what a session is (session_store.hpp), compaction (it appends a `compaction` entry
// through this store), history windows after resets (the reader above decides).

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::store {
class Database;
}

namespace pincer::sessions {

enum class EntryKind { user, assistant, tool_call, tool_result, system, event, compaction };
std::string_view to_string(EntryKind kind);
std::optional<EntryKind> parse_entry_kind(std::string_view text);

// An entry to append. Empty strings and nullopt are stored as NULL.
struct NewTranscriptEntry {
  EntryKind kind = EntryKind::user;
  std::string role;     // "user", "assistant", "toolResult"... as the runner names it
  std::string content;  // JSON text; must not be empty ("\"\"" or "[]" for nothing)
  int64_t created_at_ms = 0;
  std::string run_id;
  std::string model;
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> duration_ms;
  std::string meta;      // JSON text or ""
  std::string entry_id;  // "" : a new UUID is assigned
};

struct TranscriptEntry {
  std::string session_id;
  int64_t seq = 0;
  std::string entry_id;
  EntryKind kind = EntryKind::user;
  std::string role;
  std::string content;
  int64_t created_at_ms = 0;
  std::string run_id;
  std::string model;
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> duration_ms;
  std::string meta;
};

struct AppendedEntry {
  int64_t seq = 0;
  std::string entry_id;
};

class TranscriptStore {
 public:
  explicit TranscriptStore(store::Database& db) : db_(db) {}

  // Appends `entries` in order, in one transaction (the caller's, when one is open on the
  // connection; then its commit makes them durable), and returns their seqs and ids in the same
  // order. Errc::not_found when the session id does not exist (archived generations accept
  // appends: a run that outlives a reset finishes where it started). An empty batch is a
  // no-op.
  //
  // `also` runs inside the same transaction after the inserts, for writes that belong to the
  // same step (usage, credential state): one commit, one fsync, all or nothing. Its failure
  // rolls the whole append back.
  using AlsoInTransaction = std::function<Status(store::Database&)>;
  Result<std::vector<AppendedEntry>> append(std::string_view session_id,
                                            std::span<const NewTranscriptEntry> entries,
                                            int64_t now_ms, const AlsoInTransaction& also = {});

  // The last `n` entries, oldest first.
  Result<std::vector<TranscriptEntry>> last(std::string_view session_id, int64_t n);
  // Up to `n` entries with seq < before_seq, the nearest ones, oldest first (paging backwards).
  Result<std::vector<TranscriptEntry>> before(std::string_view session_id, int64_t before_seq,
                                              int64_t n);
  // Up to `n` entries with seq > after_seq, oldest first (catching up from a cursor).
  Result<std::vector<TranscriptEntry>> after(std::string_view session_id, int64_t after_seq,
                                             int64_t n);
  Result<std::optional<TranscriptEntry>> get(std::string_view entry_id);
  // Every entry a run wrote, oldest first (a resumed channel message checks what is done).
  Result<std::vector<TranscriptEntry>> of_run(std::string_view session_id, std::string_view run_id);
  // The newest entry of `kind` (e.g. the last compaction summary), if any.
  Result<std::optional<TranscriptEntry>> last_of_kind(std::string_view session_id, EntryKind kind);
  Result<int64_t> count(std::string_view session_id);
  // The highest seq, 0 for an empty transcript.
  Result<int64_t> last_seq(std::string_view session_id);

  // Calls `visit` for every entry in seq order, reading in bounded chunks (each chunk its own
  // read, so a long export does not pin one snapshot). Stops at the first failed Status and
  // returns it.
  using Visitor = std::function<Status(const TranscriptEntry&)>;
  Status for_each(std::string_view session_id, const Visitor& visit);

 private:
  store::Database& db_;
};

// Appends `text` as an assistant message (no model turn) to the active session of `session_key`:
// chat.inject's operator notes and `send` to the web chat. `model` labels where it came from
// ("gateway-injected"). Errc::not_found when no active session has that key.
Result<AppendedEntry> append_assistant_text(store::Database& db, std::string_view session_key,
                                            std::string_view text, std::string_view model,
                                            std::string_view run_id, int64_t now_ms);

}  // namespace pincer::sessions
