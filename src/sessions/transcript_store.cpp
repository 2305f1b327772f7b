#include "sessions/transcript_store.hpp"

#include <algorithm>
#include <array>

#include <boost/json.hpp>

#include "sessions/detail/sql_rows.hpp"
#include "sessions/session_store.hpp"
#include "store/database.hpp"
#include "store/transaction.hpp"

namespace pincer::sessions {

using detail::first_row;
using detail::query_int;
using detail::query_rows;
using store::Statement;

namespace {

constexpr std::string_view kColumns =
    "session_id, seq, entry_id, kind, role, content, created_at_ms, run_id, model, "
    "input_tokens, output_tokens, duration_ms, meta";

// Rows per read in for_each: big enough to amortize the query, small enough to keep memory
// flat whatever the transcript's size.
constexpr int64_t kChunk = 256;

constexpr std::array kKinds{EntryKind::user,        EntryKind::assistant, EntryKind::tool_call,
                            EntryKind::tool_result, EntryKind::system,    EntryKind::event,
                            EntryKind::compaction};

std::optional<int64_t> optional_int(const Statement& row, int column) {
  if (row.column_is_null(column)) {
    return std::nullopt;
  }
  return row.column_int64(column);
}

std::optional<std::string_view> optional_text(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  return text;
}

TranscriptEntry read_entry(const Statement& row) {
  TranscriptEntry e;
  e.session_id = row.column_text(0);
  e.seq = row.column_int64(1);
  e.entry_id = row.column_text(2);
  // Kinds are written only by append(); an unknown one (a newer Pincer) reads as an event.
  e.kind = parse_entry_kind(row.column_text_view(3)).value_or(EntryKind::event);
  e.role = row.column_text(4);
  e.content = row.column_text(5);
  e.created_at_ms = row.column_int64(6);
  e.run_id = row.column_text(7);
  e.model = row.column_text(8);
  e.input_tokens = optional_int(row, 9);
  e.output_tokens = optional_int(row, 10);
  e.duration_ms = optional_int(row, 11);
  e.meta = row.column_text(12);
  return e;
}

Result<std::vector<TranscriptEntry>> oldest_first(Result<std::vector<TranscriptEntry>> rows) {
  if (rows) {
    std::reverse(rows->begin(), rows->end());
  }
  return rows;
}

}  // namespace

std::string_view to_string(EntryKind kind) {
  switch (kind) {
    case EntryKind::user:
      return "user";
    case EntryKind::assistant:
      return "assistant";
    case EntryKind::tool_call:
      return "tool_call";
    case EntryKind::tool_result:
      return "tool_result";
    case EntryKind::system:
      return "system";
    case EntryKind::event:
      return "event";
    case EntryKind::compaction:
      return "compaction";
  }
  return "event";
}

std::optional<EntryKind> parse_entry_kind(std::string_view text) {
  for (auto kind : kKinds) {
    if (text == to_string(kind)) {
      return kind;
    }
  }
  return std::nullopt;
}

Result<std::vector<AppendedEntry>> TranscriptStore::append(
    std::string_view session_id, std::span<const NewTranscriptEntry> entries, int64_t now_ms,
    const AlsoInTransaction& also) {
  if (entries.empty()) {
    return std::vector<AppendedEntry>{};
  }
  for (const auto& entry : entries) {
    if (entry.content.empty()) {
      return fail(Errc::invalid_argument, "a transcript entry needs content",
                  "store the message as JSON text (\"[]\" for nothing)");
    }
  }
  // The write lock is taken before the last seq is read, so no other appender, in this process
  // or another, can take the same numbers. Inside a caller's transaction (take_in_message) that
  // transaction holds the lock, and its commit makes the entries durable.
  std::optional<store::Transaction> tx;
  if (!db_.in_transaction()) {
    auto begun = store::Transaction::begin(db_);
    if (!begun) {
      return std::unexpected(begun.error());
    }
    tx.emplace(std::move(*begun));
  }
  auto exists = query_int(db_, "SELECT COUNT(*) FROM sessions WHERE session_id = ?1", session_id);
  if (!exists) {
    return std::unexpected(exists.error());
  }
  if (*exists == 0) {
    return fail(Errc::not_found, "no session with id " + std::string(session_id));
  }
  auto last = query_int(db_,
                        "SELECT seq FROM transcript_entries WHERE session_id = ?1 ORDER BY seq "
                        "DESC LIMIT 1",
                        session_id);
  if (!last) {
    return std::unexpected(last.error());
  }
  std::vector<AppendedEntry> appended;
  appended.reserve(entries.size());
  int64_t seq = *last;
  for (const auto& entry : entries) {
    AppendedEntry out{++seq, entry.entry_id.empty() ? detail::random_uuid() : entry.entry_id};
    auto inserted = detail::run_sql(
        db_,
        "INSERT INTO transcript_entries (session_id, seq, entry_id, kind, role, content, "
        "created_at_ms, run_id, model, input_tokens, output_tokens, duration_ms, meta) VALUES "
        "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        session_id, out.seq, std::string_view(out.entry_id), to_string(entry.kind),
        optional_text(entry.role), std::string_view(entry.content), entry.created_at_ms,
        optional_text(entry.run_id), optional_text(entry.model), entry.input_tokens,
        entry.output_tokens, entry.duration_ms, optional_text(entry.meta));
    if (!inserted) {
      return std::unexpected(inserted.error());
    }
    appended.push_back(std::move(out));
  }
  if (auto counted = detail::run_sql(db_,
                                     "UPDATE sessions SET entry_count = entry_count + ?2, "
                                     "updated_at_ms = ?3 WHERE session_id = ?1",
                                     session_id, static_cast<int64_t>(entries.size()), now_ms);
      !counted) {
    return std::unexpected(counted.error());
  }
  if (also) {
    if (auto done = also(db_); !done) {
      return std::unexpected(done.error());
    }
  }
  if (tx) {
    if (auto committed = tx->commit(); !committed) {
      return std::unexpected(committed.error());
    }
  }
  return appended;
}

Result<std::vector<TranscriptEntry>> TranscriptStore::last(std::string_view session_id, int64_t n) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM transcript_entries WHERE session_id = ?1 ORDER BY seq DESC LIMIT ?2";
  return oldest_first(
      query_rows<TranscriptEntry>(db_, sql, read_entry, session_id, std::max<int64_t>(n, 0)));
}

Result<std::vector<TranscriptEntry>> TranscriptStore::before(std::string_view session_id,
                                                             int64_t before_seq, int64_t n) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM transcript_entries WHERE session_id = ?1 AND seq < ?2 ORDER BY seq "
                    "DESC LIMIT ?3";
  return oldest_first(query_rows<TranscriptEntry>(db_, sql, read_entry, session_id, before_seq,
                                                  std::max<int64_t>(n, 0)));
}

Result<std::vector<TranscriptEntry>> TranscriptStore::after(std::string_view session_id,
                                                            int64_t after_seq, int64_t n) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM transcript_entries WHERE session_id = ?1 AND seq > ?2 ORDER BY seq "
                    "LIMIT ?3";
  return query_rows<TranscriptEntry>(db_, sql, read_entry, session_id, after_seq,
                                     std::max<int64_t>(n, 0));
}

Result<std::vector<TranscriptEntry>> TranscriptStore::of_run(std::string_view session_id,
                                                             std::string_view run_id) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM transcript_entries WHERE session_id = ?1 AND run_id = ?2 ORDER BY seq";
  return query_rows<TranscriptEntry>(db_, sql, read_entry, session_id, run_id);
}

Result<std::optional<TranscriptEntry>> TranscriptStore::get(std::string_view entry_id) {
  std::string sql =
      "SELECT " + std::string(kColumns) + " FROM transcript_entries WHERE entry_id = ?1";
  return first_row(query_rows<TranscriptEntry>(db_, sql, read_entry, entry_id));
}

Result<std::optional<TranscriptEntry>> TranscriptStore::last_of_kind(std::string_view session_id,
                                                                     EntryKind kind) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM transcript_entries WHERE session_id = ?1 AND kind = ?2 ORDER BY seq "
                    "DESC LIMIT 1";
  return first_row(query_rows<TranscriptEntry>(db_, sql, read_entry, session_id, to_string(kind)));
}

Result<int64_t> TranscriptStore::count(std::string_view session_id) {
  return query_int(db_, "SELECT COUNT(*) FROM transcript_entries WHERE session_id = ?1",
                   session_id);
}

Result<int64_t> TranscriptStore::last_seq(std::string_view session_id) {
  return query_int(
      db_, "SELECT seq FROM transcript_entries WHERE session_id = ?1 ORDER BY seq DESC LIMIT 1",
      session_id);
}

Status TranscriptStore::for_each(std::string_view session_id, const Visitor& visit) {
  int64_t cursor = 0;
  while (true) {
    auto chunk = after(session_id, cursor, kChunk);
    if (!chunk) {
      return std::unexpected(chunk.error());
    }
    for (const auto& entry : *chunk) {
      if (auto visited = visit(entry); !visited) {
        return visited;
      }
    }
    if (static_cast<int64_t>(chunk->size()) < kChunk) {
      return {};
    }
    cursor = chunk->back().seq;
  }
}

Result<AppendedEntry> append_assistant_text(store::Database& db, std::string_view session_key,
                                            std::string_view text, std::string_view model,
                                            std::string_view run_id, int64_t now_ms) {
  namespace json = boost::json;
  auto active = SessionStore(db).find_active(session_key);
  if (!active) {
    return std::unexpected(active.error());
  }
  if (!*active) {
    return fail(Errc::not_found, "session not found: " + std::string(session_key));
  }
  NewTranscriptEntry entry;
  entry.kind = EntryKind::assistant;
  entry.role = "assistant";
  entry.content = json::serialize(json::array{json::object{{"type", "text"}, {"text", text}}});
  entry.model = std::string(model);
  entry.run_id = std::string(run_id);
  entry.created_at_ms = now_ms;
  const std::string& session_id = active->value().session_id;  // engaged: checked above
  auto appended = TranscriptStore(db).append(session_id, std::span(&entry, 1), now_ms);
  if (!appended) {
    return std::unexpected(appended.error());
  }
  return appended->front();
}

}  // namespace pincer::sessions
