#include "store/channel_queue_store.hpp"

#include "store/database.hpp"
#include "store/rows.hpp"
#include "store/transaction.hpp"

namespace pincer::store {

namespace {

// Joins the caller's transaction when one is open, else runs `body` as its own.
template <class Body>
auto in_transaction(Database& db, Body body) -> decltype(body()) {
  if (db.in_transaction()) {
    return body();
  }
  auto tx = Transaction::begin(db);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  auto result = body();
  if (!result) {
    return result;
  }
  if (auto committed = tx->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return result;
}

constexpr std::string_view kInboundColumns =
    "id, channel, account_id, dedupe_key, message, state, COALESCE(run_id, ''), "
    "COALESCE(session_key, ''), COALESCE(draft_message_id, ''), received_at_ms";

InboundRow read_inbound(const Statement& row) {
  return InboundRow{row.column_int64(0), row.column_text(1), row.column_text(2), row.column_text(3),
                    row.column_text(4),  row.column_text(5), row.column_text(6), row.column_text(7),
                    row.column_text(8),  row.column_int64(9)};
}

constexpr std::string_view kOutboundColumns =
    "id, channel, account_id, target, thread_id, reply_to, text, kind, "
    "COALESCE(draft_message_id, ''), parts_sent, attempts, next_attempt_at_ms, "
    "COALESCE(last_error, ''), COALESCE(run_id, ''), inbound_id, created_at_ms, media, silent";

OutboundRow read_outbound(const Statement& row) {
  OutboundRow out;
  out.id = row.column_int64(0);
  out.channel = row.column_text(1);
  out.account_id = row.column_text(2);
  out.target = row.column_text(3);
  out.thread_id = row.column_text(4);
  out.reply_to = row.column_text(5);
  out.text = row.column_text(6);
  out.kind = row.column_text(7);
  out.draft_message_id = row.column_text(8);
  out.parts_sent = row.column_int64(9);
  out.attempts = row.column_int64(10);
  out.next_attempt_at_ms = row.column_int64(11);
  out.last_error = row.column_text(12);
  out.run_id = row.column_text(13);
  if (!row.column_is_null(14)) {
    out.inbound_id = row.column_int64(14);
  }
  out.created_at_ms = row.column_int64(15);
  out.media_json = row.column_text(16);
  out.silent = row.column_int64(17) != 0;
  return out;
}

std::optional<std::string_view> non_empty(std::string_view text) {
  return text.empty() ? std::nullopt : std::optional<std::string_view>(text);
}

}  // namespace

Result<std::optional<int64_t>> ChannelQueueStore::insert_inbound(
    std::string_view channel, std::string_view account_id, std::string_view dedupe_key,
    std::string_view message_json, int64_t now_ms, std::optional<std::string> cursor) {
  return in_transaction(db_, [&]() -> Result<std::optional<int64_t>> {
    auto seen = query_int(db_,
                          "SELECT COUNT(*) FROM channel_inbound WHERE channel = ?1 AND "
                          "account_id = ?2 AND dedupe_key = ?3",
                          channel, account_id, dedupe_key);
    if (!seen) {
      return std::unexpected(seen.error());
    }
    std::optional<int64_t> id;
    if (*seen == 0) {
      auto inserted = run_sql(db_,
                              "INSERT INTO channel_inbound (channel, account_id, dedupe_key, "
                              "message, state, received_at_ms, updated_at_ms) "
                              "VALUES (?1, ?2, ?3, ?4, 'received', ?5, ?5)",
                              channel, account_id, dedupe_key, message_json, now_ms);
      if (!inserted) {
        return std::unexpected(inserted.error());
      }
      auto last = query_int(db_, "SELECT last_insert_rowid()");
      if (!last) {
        return std::unexpected(last.error());
      }
      id = *last;
    }
    if (cursor) {
      if (auto stored = set_cursor(channel, account_id, *cursor, now_ms); !stored) {
        return std::unexpected(stored.error());
      }
    }
    return id;
  });
}

Status ChannelQueueStore::set_inbound_state(int64_t id, std::string_view state,
                                            std::string_view run_id, std::string_view session_key,
                                            int64_t now_ms) {
  return run_sql(db_,
                 "UPDATE channel_inbound SET state = ?2, run_id = COALESCE(?3, run_id), "
                 "session_key = COALESCE(?4, session_key), updated_at_ms = ?5 WHERE id = ?1",
                 id, state, non_empty(run_id), non_empty(session_key), now_ms);
}

Status ChannelQueueStore::set_inbound_draft(int64_t id, std::string_view draft_message_id,
                                            int64_t now_ms) {
  return run_sql(db_,
                 "UPDATE channel_inbound SET draft_message_id = ?2, updated_at_ms = ?3 "
                 "WHERE id = ?1",
                 id, draft_message_id, now_ms);
}

Result<std::optional<InboundRow>> ChannelQueueStore::find_inbound(int64_t id) {
  return first_row(query_rows<InboundRow>(
      db_, "SELECT " + std::string(kInboundColumns) + " FROM channel_inbound WHERE id = ?1",
      read_inbound, id));
}

Result<std::vector<InboundRow>> ChannelQueueStore::open_inbound() {
  return query_rows<InboundRow>(db_,
                                "SELECT " + std::string(kInboundColumns) +
                                    " FROM channel_inbound WHERE state IN ('received', "
                                    "'submitted') ORDER BY id",
                                read_inbound);
}

Result<int64_t> ChannelQueueStore::prune_inbound(int64_t before_ms) {
  auto removed = run_sql(db_,
                         "DELETE FROM channel_inbound WHERE state IN ('answered', 'dropped') "
                         "AND received_at_ms < ?1",
                         before_ms);
  if (!removed) {
    return std::unexpected(removed.error());
  }
  return query_int(db_, "SELECT changes()");
}

Result<int64_t> ChannelQueueStore::enqueue(const OutboundRow& row,
                                           std::optional<int64_t> answered_inbound_id,
                                           int64_t now_ms) {
  return in_transaction(db_, [&]() -> Result<int64_t> {
    auto inserted = run_sql(
        db_,
        "INSERT INTO channel_outbound (channel, account_id, target, thread_id, reply_to, text, "
        "kind, draft_message_id, parts_sent, attempts, next_attempt_at_ms, run_id, inbound_id, "
        "created_at_ms, media, silent) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0, ?9, ?10, ?11, ?9, ?12, ?13)",
        std::string_view(row.channel), std::string_view(row.account_id),
        std::string_view(row.target), std::string_view(row.thread_id),
        std::string_view(row.reply_to), std::string_view(row.text), std::string_view(row.kind),
        non_empty(row.draft_message_id), now_ms, non_empty(row.run_id), row.inbound_id,
        std::string_view(row.media_json.empty() ? "[]" : row.media_json),
        int64_t{row.silent ? 1 : 0});
    if (!inserted) {
      return std::unexpected(inserted.error());
    }
    auto id = query_int(db_, "SELECT last_insert_rowid()");
    if (!id) {
      return id;
    }
    if (answered_inbound_id) {
      auto marked = run_sql(db_,
                            "UPDATE channel_inbound SET state = 'answered', updated_at_ms = ?2 "
                            "WHERE id = ?1",
                            *answered_inbound_id, now_ms);
      if (!marked) {
        return std::unexpected(marked.error());
      }
    }
    return id;
  });
}

Result<std::vector<OutboundRow>> ChannelQueueStore::due_outbound(int64_t now_ms, int64_t limit) {
  return query_rows<OutboundRow>(db_,
                                 "SELECT " + std::string(kOutboundColumns) +
                                     " FROM channel_outbound WHERE next_attempt_at_ms <= ?1 "
                                     "ORDER BY id LIMIT ?2",
                                 read_outbound, now_ms, limit);
}

Result<std::vector<OutboundRow>> ChannelQueueStore::all_outbound() {
  return query_rows<OutboundRow>(
      db_, "SELECT " + std::string(kOutboundColumns) + " FROM channel_outbound ORDER BY id",
      read_outbound);
}

Result<std::optional<int64_t>> ChannelQueueStore::next_due_at() {
  return first_row(query_rows<int64_t>(
      db_, "SELECT MIN(next_attempt_at_ms) FROM channel_outbound HAVING COUNT(*) > 0",
      [](const Statement& row) { return row.column_int64(0); }));
}

Status ChannelQueueStore::record_progress(int64_t id, int64_t parts_sent,
                                          std::string_view draft_message_id) {
  return run_sql(db_,
                 "UPDATE channel_outbound SET parts_sent = ?2, draft_message_id = ?3 WHERE id = ?1",
                 id, parts_sent, non_empty(draft_message_id));
}

Status ChannelQueueStore::reschedule(int64_t id, int64_t attempts, int64_t next_attempt_at_ms,
                                     std::string_view error) {
  return run_sql(db_,
                 "UPDATE channel_outbound SET attempts = ?2, next_attempt_at_ms = ?3, "
                 "last_error = ?4 WHERE id = ?1",
                 id, attempts, next_attempt_at_ms, error);
}

Status ChannelQueueStore::complete(int64_t id) {
  return run_sql(db_, "DELETE FROM channel_outbound WHERE id = ?1", id);
}

Result<std::optional<std::string>> ChannelQueueStore::cursor(std::string_view channel,
                                                             std::string_view account_id) {
  return first_row(query_rows<std::string>(
      db_, "SELECT cursor FROM channel_cursors WHERE channel = ?1 AND account_id = ?2",
      [](const Statement& row) { return row.column_text(0); }, channel, account_id));
}

Status ChannelQueueStore::set_cursor(std::string_view channel, std::string_view account_id,
                                     std::string_view cursor, int64_t now_ms) {
  return run_sql(db_,
                 "INSERT INTO channel_cursors (channel, account_id, cursor, updated_at_ms) "
                 "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (channel, account_id) DO UPDATE SET "
                 "cursor = excluded.cursor, updated_at_ms = excluded.updated_at_ms",
                 channel, account_id, cursor, now_ms);
}

}  // namespace pincer::store
