#include "sessions/session_maintenance.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "sessions/detail/sql_rows.hpp"
#include "store/database.hpp"
#include "store/transaction.hpp"

namespace pincer::sessions {

namespace json = boost::json;
using detail::query_int;
using detail::query_rows;
using detail::run_sql;
using store::Statement;

namespace {

// Archived generations old enough to prune; manual archives and rows without a recorded
// reason are the user's and never match.
constexpr std::string_view kPrunable =
    "archived_at_ms IS NOT NULL AND archived_at_ms < ?1 AND archive_reason IS NOT NULL AND "
    "archive_reason <> 'manual'";

struct Candidate {
  std::string session_id;
  int64_t updated_at_ms = 0;
  std::string settings;
};

bool is_pinned(std::string_view settings) {
  boost::system::error_code ec;
  auto value = json::parse(settings, ec);
  if (ec || !value.is_object()) {
    return false;
  }
  const auto* pinned = value.get_object().if_contains("pinned");
  return pinned != nullptr && pinned->is_bool() && pinned->get_bool();
}

// One pruning transaction: deletes up to `budget` rows (transcript entries from the front of
// the oldest prunable generations, then each emptied generation's row). A generation larger
// than the budget is finished by the following batches.
Status prune_batch(store::Database& db, int64_t cutoff_ms, int64_t budget,
                   MaintenanceReport& report, bool& done) {
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  // Chosen inside the transaction so a generation unarchived meanwhile is never touched.
  auto ids = query_rows<std::string>(
      db,
      "SELECT session_id FROM sessions WHERE " + std::string(kPrunable) +
          " ORDER BY archived_at_ms, session_id LIMIT ?2",
      [](const Statement& row) { return row.column_text(0); }, cutoff_ms, budget);
  if (!ids) {
    return std::unexpected(ids.error());
  }
  done = ids->empty();
  for (const auto& id : *ids) {
    if (budget <= 0) {
      break;
    }
    // Entries are numbered from 1 without gaps and deleted from the front, so a seq range is
    // exactly the next `budget` rows, found through the primary key.
    auto first = query_int(db,
                           "SELECT seq FROM transcript_entries WHERE session_id = ?1 ORDER BY "
                           "seq LIMIT 1",
                           std::string_view(id));
    if (!first) {
      return std::unexpected(first.error());
    }
    if (auto deleted =
            run_sql(db, "DELETE FROM transcript_entries WHERE session_id = ?1 AND seq < ?2",
                    std::string_view(id), *first + budget);
        !deleted) {
      return deleted;
    }
    int64_t removed = db.changes();
    report.pruned_entries += removed;
    budget -= removed;
    auto left = query_int(db,
                          "SELECT seq FROM transcript_entries WHERE session_id = ?1 ORDER BY "
                          "seq LIMIT 1",
                          std::string_view(id));
    if (!left) {
      return std::unexpected(left.error());
    }
    if (*left > 0) {
      break;  // this batch's budget is spent; the next one continues here
    }
    if (auto gone = run_sql(db, "DELETE FROM sessions WHERE session_id = ?1", std::string_view(id));
        !gone) {
      return gone;
    }
    ++report.pruned_sessions;
    --budget;
  }
  if (!done) {
    ++report.batches;
  }
  return tx->commit();
}

// One capping transaction: archives up to `budget` unpinned active generations, oldest first,
// starting after the cursor (pinned rows already seen are not looked at again).
Status cap_batch(store::Database& db, int64_t max_entries, int64_t budget, int64_t now_ms,
                 Candidate& cursor, MaintenanceReport& report, bool& done) {
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  auto active = query_int(db, "SELECT COUNT(*) FROM sessions WHERE archived_at_ms IS NULL");
  if (!active) {
    return std::unexpected(active.error());
  }
  int64_t excess = *active - max_entries;
  done = excess <= 0;
  if (done) {
    return tx->commit();
  }
  auto rows = query_rows<Candidate>(
      db,
      "SELECT session_id, updated_at_ms, settings FROM sessions WHERE archived_at_ms IS NULL "
      "AND (updated_at_ms > ?1 OR (updated_at_ms = ?1 AND session_id > ?2)) ORDER BY "
      "updated_at_ms, session_id LIMIT ?3",
      [](const Statement& row) {
        return Candidate{row.column_text(0), row.column_int64(1), row.column_text(2)};
      },
      cursor.updated_at_ms, std::string_view(cursor.session_id), std::min(excess, budget));
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (rows->empty()) {
    done = true;  // only pinned rows are left: the count stays above the cap
    return tx->commit();
  }
  for (const auto& row : *rows) {
    cursor.updated_at_ms = row.updated_at_ms;
    cursor.session_id = row.session_id;
    if (is_pinned(row.settings)) {
      continue;
    }
    // updated_at is left alone: archiving for the cap is bookkeeping, not activity.
    if (auto archived = run_sql(db,
                                "UPDATE sessions SET archived_at_ms = ?2, archive_reason = "
                                "'maintenance' WHERE session_id = ?1",
                                std::string_view(row.session_id), now_ms);
        !archived) {
      return archived;
    }
    ++report.capped_sessions;
  }
  ++report.batches;
  return tx->commit();
}

// Calls the caller's hook after a batch; false means stop.
bool keep_going(const MaintenanceOptions& options, MaintenanceReport& report) {
  if (options.between_batches && !options.between_batches()) {
    report.stopped_early = true;
    return false;
  }
  return true;
}

Result<MaintenanceReport> dry_run(store::Database& db, const MaintenanceOptions& options,
                                  int64_t now_ms) {
  MaintenanceReport report;
  if (options.prune_after_ms > 0) {
    auto rows = query_rows<std::pair<int64_t, int64_t>>(
        db,
        "SELECT COUNT(*), COALESCE(SUM(entry_count), 0) FROM sessions WHERE " +
            std::string(kPrunable),
        [](const Statement& row) {
          return std::pair{row.column_int64(0), row.column_int64(1)};
        },
        now_ms - options.prune_after_ms);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    report.pruned_sessions = rows->front().first;
    report.pruned_entries = rows->front().second;
  }
  if (options.max_entries > 0) {
    auto active = query_int(db, "SELECT COUNT(*) FROM sessions WHERE archived_at_ms IS NULL");
    if (!active) {
      return std::unexpected(active.error());
    }
    report.capped_sessions = std::max<int64_t>(0, *active - options.max_entries);
  }
  return report;
}

}  // namespace

Result<MaintenanceReport> run_session_maintenance(store::Database& db,
                                                  const MaintenanceOptions& options,
                                                  int64_t now_ms) {
  if (!options.enforce) {
    return dry_run(db, options, now_ms);
  }
  int64_t budget = std::max<int64_t>(options.batch_size, 1);
  MaintenanceReport report;
  if (options.prune_after_ms > 0) {
    int64_t cutoff = now_ms - options.prune_after_ms;
    for (bool done = false; !done;) {
      if (auto pruned = prune_batch(db, cutoff, budget, report, done); !pruned) {
        return std::unexpected(pruned.error());
      }
      if (!done && !keep_going(options, report)) {
        return report;
      }
    }
  }
  if (options.max_entries > 0) {
    Candidate cursor{"", std::numeric_limits<int64_t>::min(), ""};
    for (bool done = false; !done;) {
      if (auto capped = cap_batch(db, options.max_entries, budget, now_ms, cursor, report, done);
          !capped) {
        return std::unexpected(capped.error());
      }
      if (!done && !keep_going(options, report)) {
        return report;
      }
    }
  }
  return report;
}

}  // namespace pincer::sessions
