#pragma once
// Database: one SQLite connection, a thin RAII wrapper over the C API (no ORM).
//
// Durability: the file is put in WAL mode with synchronous=FULL, so the WAL is fsynced at every
// commit and a commit that has returned survives a process crash and a power cut. (NORMAL would
// sync only at checkpoints: a power cut could lose the last commits, which the State design does
// not allow.) foreign_keys is ON.
//
// Concurrency: a Database is used by one thread at a time (the connection is opened without
// SQLite's per-connection mutex); give each thread or pool worker its own. Several connections
// and several processes may open the same file: readers never block, writers queue on SQLite's
// lock for up to `busy_timeout` and then fail with Errc::unavailable.
//
// Statements from prepare() are cached by their SQL text: the first call compiles, later calls
// reuse the compiled statement, reset with its bindings cleared. A Statement must not outlive the
// Database it came from.
//
// Errors: every failure is a Result carrying SQLite's message plus a hint. SQLite codes map to:
// BUSY -> unavailable ("locked by another process"); IOERR/FULL/CANTOPEN/READONLY/PERM ->
// io; CONSTRAINT -> invalid_argument; LOCKED/MISUSE/RANGE -> internal; anything else (CORRUPT,
// NOTADB, SQL errors) -> store.
//
// Not here: schema (migrations.hpp), the Pincer file layout and permissions
// (state_database.hpp), and any retrying — a caller that gets Errc::unavailable decides.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/statement.hpp"

namespace pincer::store {

namespace detail {
struct Connection;
}

struct DatabaseOptions {
  // How long a writer waits for another connection's write lock before failing.
  std::chrono::milliseconds busy_timeout{5000};
  // Compiled statements kept per connection; the least recently used is dropped beyond this.
  std::size_t statement_cache_capacity = 64;
};

struct StatementCacheStats {
  uint64_t hits = 0;    // prepare() calls served from the cache
  uint64_t misses = 0;  // prepare() calls that compiled SQL
  std::size_t size = 0;
};

class Database {
 public:
  // Opens (creating if missing) the SQLite file at `path` and applies the pragmas above. Fails
  // with Errc::io when the file cannot be opened, Errc::store when it is not a usable database.
  // File permissions are the caller's business (open_state_database makes them private).
  static Result<Database> open(const std::filesystem::path& path,
                               const DatabaseOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more ';'-separated statements, discarding any rows. For schema and pragmas; use
  // prepare() for anything with values in it.
  Status exec(std::string_view sql);

  // Returns a statement for exactly one SQL statement, from the cache when it was prepared
  // before and is not in use right now (then a second, uncached copy is compiled). Fails with
  // Errc::internal on SQL that does not compile: our SQL is fixed text, so that is a bug.
  Result<Statement> prepare(std::string_view sql);

  // PRAGMA integrity_check: "ok", or SQLite's list of problems, one per line.
  Result<std::string> integrity_check();

  // PRAGMA user_version: the schema version migrate() maintains (0 for a new file).
  Result<int> user_version();

  int64_t last_insert_rowid() const;
  int64_t changes() const;      // rows changed by the last INSERT/UPDATE/DELETE
  bool in_transaction() const;  // an explicit transaction is open on this connection
  const std::filesystem::path& path() const;
  StatementCacheStats statement_cache_stats() const;

  // Fault hook: after `writes_to_allow` more writing statements succeed, the next one fails
  // with Errc::store before it runs (a statement that would change the database: INSERT,
  // UPDATE, DELETE, CREATE, PRAGMA user_version = ...; not BEGIN/COMMIT/ROLLBACK). One shot.
  void fail_next_write_for_test(int writes_to_allow = 0);

 private:
  explicit Database(std::unique_ptr<detail::Connection> conn);

  std::unique_ptr<detail::Connection> conn_;  // null only in a moved-from Database
};

}  // namespace pincer::store
