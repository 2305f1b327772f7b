#include "store/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>
#include <utility>

#include "store/detail/connection.hpp"

namespace pincer::store {

namespace detail {

Connection::~Connection() {
  // A Statement still alive would point into `cache` after this.
  assert(live_statements == 0 && "a Statement outlived its Database");
  for (auto& [sql, entry] : cache) {
    sqlite3_finalize(entry.stmt);
  }
  // _v2: if something still holds a statement, SQLite closes once it is finalized.
  sqlite3_close_v2(db);
}

namespace {

// BEGIN IMMEDIATE counts as a write for sqlite3_stmt_readonly, but the hook is about statements
// that change data: transaction control is let through.
bool is_transaction_control(sqlite3_stmt* stmt) {
  std::string_view sql = sqlite3_sql(stmt);
  const auto start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) {
    return false;
  }
  sql.remove_prefix(start);
  auto starts_with = [&](std::string_view keyword) {
    return sql.size() >= keyword.size() &&
           sqlite3_strnicmp(sql.data(), keyword.data(), static_cast<int>(keyword.size())) == 0;
  };
  return starts_with("BEGIN") || starts_with("COMMIT") || starts_with("END") ||
         starts_with("ROLLBACK") || starts_with("SAVEPOINT") || starts_with("RELEASE");
}

}  // namespace

bool Connection::take_write_fault(sqlite3_stmt* stmt) {
  if (writes_before_fault < 0 || sqlite3_stmt_readonly(stmt) || is_transaction_control(stmt)) {
    return false;
  }
  if (writes_before_fault == 0) {
    writes_before_fault = -1;
    return true;
  }
  --writes_before_fault;
  return false;
}

std::string sql_excerpt(std::string_view sql) {
  constexpr std::size_t kMaxLength = 80;
  while (!sql.empty() && (sql.front() == ' ' || sql.front() == '\n' || sql.front() == '\t')) {
    sql.remove_prefix(1);
  }
  std::string_view line = sql.substr(0, sql.find('\n'));
  if (line.size() > kMaxLength) {
    return std::string(line.substr(0, kMaxLength)) + "...";
  }
  if (line.size() < sql.size()) {
    return std::string(line) + " ...";
  }
  return std::string(line);
}

Error sqlite_error(const Connection& conn, int rc, std::string_view what) {
  std::string detail = conn.db != nullptr ? sqlite3_errmsg(conn.db) : sqlite3_errstr(rc);
  std::string message = std::string(what) + ": " + detail;
  const std::string file = conn.path.string();
  switch (rc & 0xff) {
    case SQLITE_BUSY:
      return Error{Errc::unavailable,
                   std::string(what) + ": database is locked by another process (waited " +
                       std::to_string(conn.options.busy_timeout.count()) + " ms)",
                   "another process holds a long write transaction on " + file +
                       "; retry, or stop the other Pincer process using it"};
    case SQLITE_LOCKED:  // a conflict inside this process, e.g. DROP TABLE while reading it
      return Error{Errc::internal, std::move(message), "this is a bug in Pincer; please report it"};
    case SQLITE_FULL:
      return Error{Errc::io, std::move(message), "free space on the disk holding " + file};
    case SQLITE_IOERR:
      return Error{Errc::io, std::move(message), "check the disk and file system holding " + file};
    case SQLITE_CANTOPEN:
      return Error{Errc::io, std::move(message),
                   "check that the directory of " + file + " exists and is writable"};
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error{Errc::io, std::move(message),
                   "check the permissions of " + file + " and its -wal and -shm files"};
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error{Errc::store, std::move(message),
                   file +
                       " is damaged or not a Pincer database; restore it from a backup, or "
                       "move it aside to start with an empty one"};
    case SQLITE_CONSTRAINT:
      return Error{Errc::invalid_argument, std::move(message), {}};
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return Error{Errc::internal, std::move(message), "this is a bug in Pincer; please report it"};
    case SQLITE_NOMEM:
      return Error{Errc::unavailable, std::move(message), "the system is out of memory"};
    default:
      return Error{Errc::store, std::move(message), {}};
  }
}

Error injected_write_error(std::string_view sql) {
  const std::string reason = "write failed (injected by fail_next_write_for_test)";
  return Error{Errc::store, "cannot run `" + sql_excerpt(sql) + "`: " + reason, {}};
}

}  // namespace detail

namespace {

// Runs a pragma that answers with one text row, e.g. journal_mode. Not through the statement
// cache: it runs once per connection.
Result<std::string> query_text(detail::Connection& conn, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(conn.db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(raw);
  }
  if (rc != SQLITE_ROW) {
    Error error = detail::sqlite_error(conn, rc, "cannot run `" + std::string(sql) + "`");
    sqlite3_finalize(raw);
    return std::unexpected(std::move(error));
  }
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  std::string value = text != nullptr ? text : "";
  sqlite3_finalize(raw);
  return value;
}

}  // namespace

Database::Database(std::unique_ptr<detail::Connection> conn) : conn_(std::move(conn)) {}
Database::Database(Database&& other) noexcept = default;
Database& Database::operator=(Database&& other) noexcept = default;
Database::~Database() = default;

Result<Database> Database::open(const std::filesystem::path& path, const DatabaseOptions& options) {
  auto conn = std::make_unique<detail::Connection>();
  conn->path = path;
  conn->options = options;
  // NOMUTEX: one thread at a time uses a connection (see the header), so SQLite's
  // per-connection mutex would only cost time. EXRESCODE: extended codes in every result.
  const int flags =
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  const int rc = sqlite3_open_v2(path.c_str(), &conn->db, flags, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(detail::sqlite_error(*conn, rc, "cannot open " + path.string()));
  }
  const auto timeout_ms =
      std::min<int64_t>(options.busy_timeout.count(), std::numeric_limits<int>::max());
  sqlite3_busy_timeout(conn->db, static_cast<int>(timeout_ms));

  // The first read of the file happens here, so a file that is not a database fails here.
  auto mode = query_text(*conn, "PRAGMA journal_mode = WAL");
  if (!mode) {
    return std::unexpected(mode.error());
  }
  if (*mode != "wal") {
    return fail(Errc::store,
                "cannot switch " + path.string() + " to write-ahead logging (journal mode is " +
                    *mode + ")",
                "put the state directory on a local file system; WAL does not work on network "
                "shares");
  }
  Database db(std::move(conn));
  // A 256 KiB page cache instead of SQLite's 2 MiB: the daemon's queries touch a few pages each
  // and the OS page cache keeps the file warm anyway, while a full 2 MiB cache is resident memory
  // the daemon would carry for good after its first busy hour.
  constexpr std::string_view kPragmas =
      "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -256";
  if (auto status = db.exec(kPragmas); !status) {
    return std::unexpected(status.error());
  }
  return db;
}

Status Database::exec(std::string_view sql) {
  assert(conn_ && "use of a moved-from Database");
  detail::Connection& conn = *conn_;
  while (!sql.empty()) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    // Sizes above INT_MAX are rejected by SQLite itself (SQLITE_TOOBIG).
    const int rc =
        sqlite3_prepare_v2(conn.db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
    if (rc != SQLITE_OK) {
      return std::unexpected(
          detail::sqlite_error(conn, rc, "cannot prepare `" + detail::sql_excerpt(sql) + "`"));
    }
    const std::string_view current = sql.substr(0, static_cast<std::size_t>(tail - sql.data()));
    sql.remove_prefix(current.size());
    if (raw == nullptr) {  // whitespace, a comment or a lone ';'
      if (current.empty()) {
        break;  // SQLite consumed nothing; never loop on the same text
      }
      continue;
    }
    if (conn.take_write_fault(raw)) {
      sqlite3_finalize(raw);
      return std::unexpected(detail::injected_write_error(current));
    }
    int step_rc = SQLITE_ROW;
    while (step_rc == SQLITE_ROW) {
      step_rc = sqlite3_step(raw);
    }
    if (step_rc != SQLITE_DONE) {
      Error error =
          detail::sqlite_error(conn, step_rc, "cannot run `" + detail::sql_excerpt(current) + "`");
      sqlite3_finalize(raw);
      return std::unexpected(std::move(error));
    }
    sqlite3_finalize(raw);
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  assert(conn_ && "use of a moved-from Database");
  detail::Connection& conn = *conn_;
  auto found = conn.cache.find(sql);
  if (found != conn.cache.end() && !found->second.in_use) {
    ++conn.cache_hits;
    found->second.in_use = true;
    found->second.last_used = ++conn.use_counter;
    return Statement(&conn, found->second.stmt, &found->second);
  }
  ++conn.cache_misses;

  // A statement cached for the long run is compiled with PERSISTENT, a one-off copy without.
  const bool keep = found == conn.cache.end() && conn.options.statement_cache_capacity > 0;
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(conn.db, sql.data(), static_cast<int>(sql.size()),
                                    keep ? SQLITE_PREPARE_PERSISTENT : 0, &raw, &tail);
  if (rc != SQLITE_OK) {
    Error error =
        detail::sqlite_error(conn, rc, "cannot prepare `" + detail::sql_excerpt(sql) + "`");
    if ((rc & 0xff) == SQLITE_ERROR) {
      error.code = Errc::internal;  // SQL that does not compile is a bug, not bad input
      error.hint = "this is a bug in Pincer; please report it";
    }
    return std::unexpected(std::move(error));
  }
  std::string_view rest = sql.substr(static_cast<std::size_t>(tail - sql.data()));
  if (raw == nullptr || rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(raw);
    return fail(Errc::internal,
                "prepare() takes exactly one SQL statement: `" + detail::sql_excerpt(sql) + "`",
                "use exec() for scripts; this is a bug in Pincer");
  }
  if (!keep) {
    return Statement(&conn, raw, nullptr);
  }

  // Make room by dropping the least recently used statement nobody holds.
  while (conn.cache.size() >= conn.options.statement_cache_capacity) {
    auto victim = conn.cache.end();
    for (auto it = conn.cache.begin(); it != conn.cache.end(); ++it) {
      if (!it->second.in_use &&
          (victim == conn.cache.end() || it->second.last_used < victim->second.last_used)) {
        victim = it;
      }
    }
    if (victim == conn.cache.end()) {
      break;  // every cached statement is held: grow past the capacity for now
    }
    sqlite3_finalize(victim->second.stmt);
    conn.cache.erase(victim);
  }
  auto [entry, inserted] =
      conn.cache.emplace(std::string(sql), detail::CachedStatement{raw, true, ++conn.use_counter});
  assert(inserted && "the SQL was not in the cache a moment ago");
  return Statement(&conn, raw, &entry->second);
}

Result<std::string> Database::integrity_check() {
  auto stmt = prepare("PRAGMA integrity_check");
  if (!stmt) {
    return std::unexpected(stmt.error());
  }
  std::string report;
  while (true) {
    auto row = stmt->step();
    if (!row) {
      return std::unexpected(row.error());
    }
    if (!*row) {
      break;
    }
    if (!report.empty()) {
      report += '\n';
    }
    report += stmt->column_text_view(0);
  }
  return report;
}

Result<int> Database::user_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) {
    return std::unexpected(stmt.error());
  }
  auto row = stmt->step();
  if (!row) {
    return std::unexpected(row.error());
  }
  if (!*row) {
    return fail(Errc::store, "PRAGMA user_version returned no row");
  }
  return static_cast<int>(stmt->column_int64(0));
}

int64_t Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(conn_->db);
}

int64_t Database::changes() const {
  return sqlite3_changes64(conn_->db);
}

bool Database::in_transaction() const {
  return sqlite3_get_autocommit(conn_->db) == 0;
}

const std::filesystem::path& Database::path() const {
  return conn_->path;
}

StatementCacheStats Database::statement_cache_stats() const {
  return StatementCacheStats{conn_->cache_hits, conn_->cache_misses, conn_->cache.size()};
}

void Database::fail_next_write_for_test(int writes_to_allow) {
  conn_->writes_before_fault = writes_to_allow < 0 ? 0 : writes_to_allow;
}

}  // namespace pincer::store
