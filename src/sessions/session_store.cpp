#include "sessions/session_store.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <variant>

#include <boost/json.hpp>

#include "sessions/detail/sql_rows.hpp"
#include "store/database.hpp"
#include "store/transaction.hpp"

namespace pincer::sessions {

namespace json = boost::json;
using detail::first_row;
using detail::query_rows;
using detail::run_sql;
using store::Statement;

namespace {

constexpr std::string_view kColumns =
    "session_id, session_key, agent_id, created_at_ms, updated_at_ms, started_at_ms, "
    "last_interaction_at_ms, archived_at_ms, archive_reason, previous_session_id, chat_type, "
    "channel, account_id, last_to, last_thread_id, origin, label, display_name, settings, "
    "input_tokens, output_tokens, total_tokens, context_tokens, compaction_count, entry_count";

// Settings that describe one generation's read state, not the conversation: a reset starts
// them over.
constexpr std::array<std::string_view, 3> kPerGenerationSettings{"unread", "lastReadAt",
                                                                 "markedUnreadAt"};

// sessions.patch members that address the request rather than mutate the session: skipped so
// the gateway can pass the params object as it came. "archived" is an action (archive or
// unarchive), not a setting.
bool is_envelope_member(std::string_view name) {
  return name == "key" || name == "agentId" || name == "archived" || name.starts_with("expected");
}

// JSON columns are written only by this file; anything unreadable reads as empty rather than
// failing every operation on the session.
json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return {};
  }
  return std::move(value.get_object());
}

std::optional<int64_t> optional_int(const Statement& row, int column) {
  if (row.column_is_null(column)) {
    return std::nullopt;
  }
  return row.column_int64(column);
}

SessionRecord read_session(const Statement& row) {
  SessionRecord r;
  r.session_id = row.column_text(0);
  r.session_key = row.column_text(1);
  r.agent_id = row.column_text(2);
  r.created_at_ms = row.column_int64(3);
  r.updated_at_ms = row.column_int64(4);
  r.started_at_ms = row.column_int64(5);
  r.last_interaction_at_ms = optional_int(row, 6);
  r.archived_at_ms = optional_int(row, 7);
  if (!row.column_is_null(8)) {
    r.archive_reason = parse_archive_reason(row.column_text_view(8));
  }
  if (!row.column_is_null(9)) {
    r.previous_session_id = row.column_text(9);
  }
  if (!row.column_is_null(10)) {
    r.chat_type = parse_chat_type(row.column_text_view(10));
  }
  r.channel = row.column_text(11);
  r.account_id = row.column_text(12);
  r.last_to = row.column_text(13);
  r.last_thread_id = row.column_text(14);
  r.origin = parse_object(row.column_text_view(15));
  r.label = row.column_text(16);
  r.display_name = row.column_text(17);
  r.settings = parse_object(row.column_text_view(18));
  r.input_tokens = row.column_int64(19);
  r.output_tokens = row.column_int64(20);
  r.total_tokens = row.column_int64(21);
  r.context_tokens = row.column_int64(22);
  r.compaction_count = row.column_int64(23);
  r.entry_count = row.column_int64(24);
  return r;
}

std::optional<std::string_view> reason_text(const std::optional<ArchiveReason>& reason) {
  if (!reason) {
    return std::nullopt;
  }
  return to_string(*reason);
}

std::optional<std::string_view> chat_type_text(const std::optional<ChatType>& type) {
  if (!type) {
    return std::nullopt;
  }
  return to_string(*type);
}

Status insert_session(store::Database& db, const SessionRecord& r) {
  std::string sql = "INSERT INTO sessions (" + std::string(kColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)";
  return run_sql(db, sql, std::string_view(r.session_id), std::string_view(r.session_key),
                 std::string_view(r.agent_id), r.created_at_ms, r.updated_at_ms, r.started_at_ms,
                 r.last_interaction_at_ms, r.archived_at_ms, reason_text(r.archive_reason),
                 r.previous_session_id, chat_type_text(r.chat_type), std::string_view(r.channel),
                 std::string_view(r.account_id), std::string_view(r.last_to),
                 std::string_view(r.last_thread_id), json::serialize(r.origin),
                 std::string_view(r.label), std::string_view(r.display_name),
                 json::serialize(r.settings), r.input_tokens, r.output_tokens, r.total_tokens,
                 r.context_tokens, r.compaction_count, r.entry_count);
}

// Writes every column a caller may change (not the id, key, agent or creation time). Used
// inside a transaction after reading the row, so the read-modify-write is atomic.
Status update_session(store::Database& db, const SessionRecord& r) {
  return run_sql(
      db,
      "UPDATE sessions SET updated_at_ms = ?2, started_at_ms = ?3, last_interaction_at_ms = ?4, "
      "archived_at_ms = ?5, archive_reason = ?6, chat_type = ?7, channel = ?8, account_id = ?9, "
      "last_to = ?10, last_thread_id = ?11, origin = ?12, label = ?13, display_name = ?14, "
      "settings = ?15 WHERE session_id = ?1",
      std::string_view(r.session_id), r.updated_at_ms, r.started_at_ms, r.last_interaction_at_ms,
      r.archived_at_ms, reason_text(r.archive_reason), chat_type_text(r.chat_type),
      std::string_view(r.channel), std::string_view(r.account_id), std::string_view(r.last_to),
      std::string_view(r.last_thread_id), json::serialize(r.origin), std::string_view(r.label),
      std::string_view(r.display_name), json::serialize(r.settings));
}

Result<std::optional<SessionRecord>> select_active(store::Database& db, std::string_view key) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM sessions WHERE session_key = ?1 AND archived_at_ms IS NULL";
  return first_row(query_rows<SessionRecord>(db, sql, read_session, key));
}

Result<std::optional<SessionRecord>> select_by_id(store::Database& db, std::string_view id) {
  std::string sql = "SELECT " + std::string(kColumns) + " FROM sessions WHERE session_id = ?1";
  return first_row(query_rows<SessionRecord>(db, sql, read_session, id));
}

std::unexpected<Error> no_active(std::string_view key) {
  return fail(Errc::not_found, "no active session with key " + std::string(key),
              "list sessions with `pincer sessions list`");
}

Status check_expected(const SessionRecord& session,
                      std::optional<std::string_view> expected_session_id) {
  if (expected_session_id && *expected_session_id != session.session_id) {
    return fail(Errc::invalid_argument,
                "session changed: " + session.session_key + " is now session " +
                    session.session_id + ", not " + std::string(*expected_session_id),
                "re-read the session before retrying");
  }
  return {};
}

// Runs `body` (returning Result<T>) inside BEGIN IMMEDIATE ... COMMIT, or inside the caller's
// transaction when one is open (TranscriptStore::append's `also`): then the caller's commit
// makes it durable, together with the rest of its step.
template <class Body>
auto in_transaction(store::Database& db, Body body) -> decltype(body()) {
  if (db.in_transaction()) {
    return body();
  }
  auto tx = store::Transaction::begin(db);
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

// "%needle%" with LIKE's wildcards escaped by '\'.
std::string like_pattern(std::string_view needle) {
  std::string out = "%";
  for (char c : needle) {
    if (c == '%' || c == '_' || c == '\\') {
      out += '\\';
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  out += '%';
  return out;
}

// The WHERE clause for a list filter with its values bound in order (?1, ?2, ...). Values are
// kept as text or integers so one bind loop serves them all.
struct Where {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> values;

  void add(std::string clause) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += clause;
  }
  std::string next() const { return "?" + std::to_string(values.size() + 1); }
};

std::string_view sort_expression(SessionSort sort) {
  return sort == SessionSort::updated_at ? "updated_at_ms"
                                         : "COALESCE(last_interaction_at_ms, started_at_ms)";
}

Where where_for(const SessionListFilter& filter) {
  Where where;
  if (filter.archived == ArchivedFilter::active) {
    where.add("archived_at_ms IS NULL");
  } else if (filter.archived == ArchivedFilter::archived) {
    where.add("archived_at_ms IS NOT NULL");
  }
  if (filter.agent_id) {
    where.add("agent_id = " + where.next());
    where.values.emplace_back(*filter.agent_id);
  }
  if (filter.active_since_ms) {
    where.add(std::string(sort_expression(filter.sort)) + " >= " + where.next());
    where.values.emplace_back(*filter.active_since_ms);
  }
  if (filter.require_last_interaction && filter.sort == SessionSort::last_interaction_at) {
    where.add("last_interaction_at_ms IS NOT NULL");
  }
  if (filter.label) {
    where.add("label = " + where.next());
    where.values.emplace_back(*filter.label);
  }
  if (!filter.search.empty()) {
    auto p = where.next();
    where.add("(LOWER(session_key) LIKE " + p + " ESCAPE '\\' OR LOWER(label) LIKE " + p +
              " ESCAPE '\\' OR LOWER(display_name) LIKE " + p + " ESCAPE '\\')");
    where.values.emplace_back(like_pattern(filter.search));
  }
  return where;
}

Status bind_where(Statement& statement, const Where& where) {
  int index = 1;
  for (const auto& value : where.values) {
    auto bound = std::visit([&](const auto& v) { return statement.bind(index, v); }, value);
    if (!bound) {
      return bound;
    }
    ++index;
  }
  return {};
}

// The key's active generation for a change: Errc::not_found without one, and the
// expected-session guard checked (sessions.patch/reset pass the id the caller saw).
Result<SessionRecord> require_active(store::Database& db, std::string_view key,
                                     std::optional<std::string_view> expected_session_id = {}) {
  auto found = select_active(db, key);
  if (!found) {
    return std::unexpected(found.error());
  }
  if (!*found) {
    return no_active(key);
  }
  if (auto expected = check_expected(**found, expected_session_id); !expected) {
    return std::unexpected(expected.error());
  }
  return std::move(**found);
}

}  // namespace

std::string_view to_string(ArchiveReason reason) {
  switch (reason) {
    case ArchiveReason::reset:
      return "reset";
    case ArchiveReason::new_session:
      return "new";
    case ArchiveReason::deleted:
      return "deleted";
    case ArchiveReason::maintenance:
      return "maintenance";
    case ArchiveReason::manual:
      return "manual";
  }
  return "manual";
}

std::optional<ArchiveReason> parse_archive_reason(std::string_view text) {
  for (auto reason : {ArchiveReason::reset, ArchiveReason::new_session, ArchiveReason::deleted,
                      ArchiveReason::maintenance, ArchiveReason::manual}) {
    if (text == to_string(reason)) {
      return reason;
    }
  }
  return std::nullopt;
}

Result<std::optional<SessionRecord>> SessionStore::find_active(std::string_view key) {
  return select_active(db_, key);
}

Result<std::optional<SessionRecord>> SessionStore::get(std::string_view session_id) {
  return select_by_id(db_, session_id);
}

Result<std::vector<SessionRecord>> SessionStore::generations(std::string_view key) {
  std::string sql = "SELECT " + std::string(kColumns) +
                    " FROM sessions WHERE session_key = ?1 ORDER BY CASE WHEN archived_at_ms IS "
                    "NULL THEN 0 ELSE 1 END, created_at_ms DESC, session_id DESC";
  return query_rows<SessionRecord>(db_, sql, read_session, key);
}

Result<std::vector<SessionRecord>> SessionStore::list(const SessionListFilter& filter) {
  auto where = where_for(filter);
  int64_t limit = filter.limit > 0 ? filter.limit : std::numeric_limits<int64_t>::max();
  auto limit_param = where.next();
  where.values.emplace_back(limit);
  auto offset_param = where.next();
  where.values.emplace_back(std::max<int64_t>(filter.offset, 0));
  std::string sql = "SELECT " + std::string(kColumns) + " FROM sessions" + where.sql +
                    " ORDER BY " + std::string(sort_expression(filter.sort)) +
                    " DESC, session_id DESC LIMIT " + limit_param + " OFFSET " + offset_param;
  auto statement = db_.prepare(sql);
  if (!statement) {
    return std::unexpected(statement.error());
  }
  if (auto bound = bind_where(*statement, where); !bound) {
    return std::unexpected(bound.error());
  }
  std::vector<SessionRecord> out;
  while (true) {
    auto row = statement->step();
    if (!row) {
      return std::unexpected(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(read_session(*statement));
  }
}

Result<int64_t> SessionStore::count(const SessionListFilter& filter) {
  auto where = where_for(filter);
  auto statement = db_.prepare("SELECT COUNT(*) FROM sessions" + where.sql);
  if (!statement) {
    return std::unexpected(statement.error());
  }
  if (auto bound = bind_where(*statement, where); !bound) {
    return std::unexpected(bound.error());
  }
  auto row = statement->step();
  if (!row) {
    return std::unexpected(row.error());
  }
  return *row ? statement->column_int64(0) : 0;
}

Result<EnsureResult> SessionStore::ensure(const SessionInit& init, int64_t now_ms) {
  if (init.key.empty()) {
    return fail(Errc::invalid_argument, "a session key must not be empty");
  }
  // BEGIN IMMEDIATE serializes this check-then-insert against every other writer, in this
  // process or another, so two callers can never both create a generation for the key.
  return in_transaction(db_, [&]() -> Result<EnsureResult> {
    auto existing = select_active(db_, init.key);
    if (!existing) {
      return std::unexpected(existing.error());
    }
    if (*existing) {
      return EnsureResult{std::move(**existing), false};
    }
    SessionRecord r;
    r.session_id = detail::random_uuid();
    r.session_key = init.key;
    r.agent_id = init.agent_id;
    r.created_at_ms = r.updated_at_ms = r.started_at_ms = now_ms;
    r.chat_type = init.chat_type;
    r.channel = init.channel;
    r.account_id = init.account_id;
    r.last_to = init.last_to;
    r.last_thread_id = init.last_thread_id;
    r.origin = init.origin;
    r.display_name = init.display_name;
    if (auto inserted = insert_session(db_, r); !inserted) {
      return std::unexpected(inserted.error());
    }
    return EnsureResult{std::move(r), true};
  });
}

Result<SessionRecord> SessionStore::record_inbound(std::string_view key,
                                                   const InboundContext& context, int64_t now_ms) {
  return in_transaction(db_, [&]() -> Result<SessionRecord> {
    auto active = require_active(db_, key);
    if (!active) {
      return std::unexpected(active.error());
    }
    SessionRecord r = std::move(*active);
    if (context.channel) {
      r.channel = *context.channel;
    }
    if (context.account_id) {
      r.account_id = *context.account_id;
    }
    if (context.to) {
      r.last_to = *context.to;
    }
    if (context.thread_id) {
      r.last_thread_id = *context.thread_id;
    }
    if (context.display_name) {
      r.display_name = *context.display_name;
    }
    r.updated_at_ms = now_ms;
    if (context.interaction) {
      r.last_interaction_at_ms = now_ms;
    }
    if (auto updated = update_session(db_, r); !updated) {
      return std::unexpected(updated.error());
    }
    return r;
  });
}

Result<SessionRecord> SessionStore::patch(std::string_view key, const json::object& mutation,
                                          int64_t now_ms,
                                          std::optional<std::string_view> expected_session_id) {
  return in_transaction(db_, [&]() -> Result<SessionRecord> {
    auto active = require_active(db_, key, expected_session_id);
    if (!active) {
      return std::unexpected(active.error());
    }
    SessionRecord r = std::move(*active);
    for (const auto& member : mutation) {
      std::string_view name = member.key();
      const json::value& value = member.value();
      if (is_envelope_member(name)) {
        continue;
      }
      if (name == "label" || name == "displayName") {
        if (!value.is_null() && !value.is_string()) {
          return fail(Errc::invalid_argument,
                      "session " + std::string(name) + " must be a string or null",
                      "pass text, or null to clear it");
        }
        std::string text = value.is_string() ? std::string(value.get_string()) : std::string();
        (name == "label" ? r.label : r.display_name) = std::move(text);
        continue;
      }
      if (value.is_null()) {
        r.settings.erase(name);
      } else {
        r.settings[name] = value;
      }
    }
    r.updated_at_ms = now_ms;
    if (auto updated = update_session(db_, r); !updated) {
      return std::unexpected(updated.error());
    }
    return r;
  });
}

Result<ResetResult> SessionStore::reset(std::string_view key, ArchiveReason reason, int64_t now_ms,
                                        std::optional<std::string_view> expected_session_id) {
  return in_transaction(db_, [&]() -> Result<ResetResult> {
    auto active = require_active(db_, key, expected_session_id);
    if (!active) {
      return std::unexpected(active.error());
    }
    SessionRecord old = std::move(*active);
    // Archive first: the partial unique index allows one active row per key.
    SessionRecord next = old;
    old.archived_at_ms = now_ms;
    old.archive_reason = reason;
    old.updated_at_ms = now_ms;
    if (auto archived = update_session(db_, old); !archived) {
      return std::unexpected(archived.error());
    }
    next.session_id = detail::random_uuid();
    next.previous_session_id = old.session_id;
    next.created_at_ms = next.updated_at_ms = next.started_at_ms = now_ms;
    next.last_interaction_at_ms.reset();
    next.archived_at_ms.reset();
    next.archive_reason.reset();
    for (auto name : kPerGenerationSettings) {
      next.settings.erase(name);
    }
    next.input_tokens = next.output_tokens = next.total_tokens = next.context_tokens = 0;
    next.compaction_count = 0;
    next.entry_count = 0;
    if (auto inserted = insert_session(db_, next); !inserted) {
      return std::unexpected(inserted.error());
    }
    return ResetResult{std::move(old), std::move(next)};
  });
}

Result<RemoveResult> SessionStore::remove(std::string_view key, bool delete_transcript,
                                          int64_t now_ms) {
  if (!delete_transcript) {
    auto archived = archive(key, now_ms, ArchiveReason::deleted);
    if (!archived) {
      return std::unexpected(archived.error());
    }
    return RemoveResult{false, {archived->session_id}};
  }
  return in_transaction(db_, [&]() -> Result<RemoveResult> {
    auto ids = query_rows<std::string>(
        db_, "SELECT session_id FROM sessions WHERE session_key = ?1 ORDER BY created_at_ms",
        [](const Statement& row) { return row.column_text(0); }, key);
    if (!ids) {
      return std::unexpected(ids.error());
    }
    if (ids->empty()) {
      return fail(Errc::not_found, "no session with key " + std::string(key),
                  "list sessions with `pincer sessions list --archived`");
    }
    if (auto entries = run_sql(db_,
                               "DELETE FROM transcript_entries WHERE session_id IN (SELECT "
                               "session_id FROM sessions WHERE session_key = ?1)",
                               key);
        !entries) {
      return std::unexpected(entries.error());
    }
    if (auto rows = run_sql(db_, "DELETE FROM sessions WHERE session_key = ?1", key); !rows) {
      return std::unexpected(rows.error());
    }
    return RemoveResult{true, std::move(*ids)};
  });
}

Result<SessionRecord> SessionStore::archive(std::string_view key, int64_t now_ms,
                                            ArchiveReason reason) {
  return in_transaction(db_, [&]() -> Result<SessionRecord> {
    auto active = require_active(db_, key);
    if (!active) {
      return std::unexpected(active.error());
    }
    SessionRecord r = std::move(*active);
    r.archived_at_ms = now_ms;
    r.archive_reason = reason;
    r.updated_at_ms = now_ms;
    if (auto updated = update_session(db_, r); !updated) {
      return std::unexpected(updated.error());
    }
    return r;
  });
}

Result<SessionRecord> SessionStore::unarchive(std::string_view session_id, int64_t now_ms) {
  return in_transaction(db_, [&]() -> Result<SessionRecord> {
    auto found = select_by_id(db_, session_id);
    if (!found) {
      return std::unexpected(found.error());
    }
    if (!*found) {
      return fail(Errc::not_found, "no session with id " + std::string(session_id));
    }
    SessionRecord r = std::move(**found);
    if (!r.archived()) {
      return r;
    }
    auto active = select_active(db_, r.session_key);
    if (!active) {
      return std::unexpected(active.error());
    }
    if (*active) {
      return fail(Errc::invalid_argument,
                  "session key " + r.session_key + " already has an active session (" +
                      (*active)->session_id + ")",
                  "reset or archive the active session first");
    }
    r.archived_at_ms.reset();
    r.archive_reason.reset();
    r.updated_at_ms = now_ms;
    if (auto updated = update_session(db_, r); !updated) {
      return std::unexpected(updated.error());
    }
    return r;
  });
}

Result<SessionRecord> SessionStore::add_usage(std::string_view session_id,
                                              const SessionUsage& usage, int64_t now_ms) {
  int64_t total =
      usage.total_tokens != 0 ? usage.total_tokens : usage.input_tokens + usage.output_tokens;
  return in_transaction(db_, [&]() -> Result<SessionRecord> {
    if (auto updated = run_sql(db_,
                               "UPDATE sessions SET input_tokens = input_tokens + ?2, "
                               "output_tokens = output_tokens + ?3, total_tokens = total_tokens "
                               "+ ?4, context_tokens = COALESCE(?5, context_tokens), "
                               "updated_at_ms = ?6 WHERE session_id = ?1",
                               session_id, usage.input_tokens, usage.output_tokens, total,
                               usage.context_tokens, now_ms);
        !updated) {
      return std::unexpected(updated.error());
    }
    auto found = select_by_id(db_, session_id);
    if (!found) {
      return std::unexpected(found.error());
    }
    if (!*found) {
      return fail(Errc::not_found, "no session with id " + std::string(session_id));
    }
    return std::move(**found);
  });
}

Result<int64_t> SessionStore::increment_compaction(std::string_view session_id, int64_t now_ms) {
  return in_transaction(db_, [&]() -> Result<int64_t> {
    if (auto updated = run_sql(db_,
                               "UPDATE sessions SET compaction_count = compaction_count + 1, "
                               "updated_at_ms = ?2 WHERE session_id = ?1",
                               session_id, now_ms);
        !updated) {
      return std::unexpected(updated.error());
    }
    if (db_.changes() == 0) {
      return fail(Errc::not_found, "no session with id " + std::string(session_id));
    }
    return detail::query_int(db_, "SELECT compaction_count FROM sessions WHERE session_id = ?1",
                             session_id);
  });
}

}  // namespace pincer::sessions
