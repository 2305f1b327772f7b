#pragma once
// run_session_maintenance: keeps the session store bounded (session.maintenance).
//
// Two passes, oldest first:
//   prune  archived generations whose archived_at is older than prune_after are deleted with
//          their transcripts. Generations archived by hand (reason manual) are the user's and
//          are kept.
//   cap    when more than max_entries generations are active, the least recently updated ones
//          are archived with reason "maintenance" (transcripts kept) until max_entries remain.
//          Pinned sessions (settings.pinned true) are skipped, so the count may stay above.
//
// Work is done in bounded batches, each its own short transaction (at most batch_size session
// rows, or batch_size transcript rows of one large transcript), and the write lock is released
// between batches, so the daemon's writers wait at most one batch. `between_batches` (if set)
// is called after each batch: a caller can yield there, or return false to stop early (the next
// run continues where this one stopped). With enforce false nothing is written: the report
// says what would be done (mode "warn").
//
// Runs on a blocking pool thread with its own connection; never on the I/O thread.

#include <cstdint>
#include <functional>

#include "core/result.hpp"

namespace pincer::store {
class Database;
}

namespace pincer::sessions {

struct MaintenanceOptions {
  bool enforce = true;                         // false: mode "warn", report only
  int64_t prune_after_ms = 30LL * 86'400'000;  // 0: never prune
  int64_t max_entries = 5000;                  // 0: no cap
  int64_t batch_size = 500;
  std::function<bool()> between_batches;  // false stops the run
};

struct MaintenanceReport {
  int64_t pruned_sessions = 0;  // archived generations deleted (or that would be, in warn)
  int64_t pruned_entries = 0;   // transcript entries deleted with them
  int64_t capped_sessions = 0;  // active generations archived for the cap (or would be)
  int64_t batches = 0;          // write transactions run
  bool stopped_early = false;   // between_batches returned false
};

Result<MaintenanceReport> run_session_maintenance(store::Database& db,
                                                  const MaintenanceOptions& options,
                                                  int64_t now_ms);

}  // namespace pincer::sessions
