#pragma once
// Private to pincer_store: the state behind a Database handle, shared by Database, Statement and
// Transaction. It lives on the heap so a Database can move while Statements point into it.

#include <sqlite3.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "store/database.hpp"

namespace pincer::store::detail {

// One prepared statement kept for reuse. `in_use` while a Statement holds it.
struct CachedStatement {
  sqlite3_stmt* stmt = nullptr;
  bool in_use = false;
  uint64_t last_used = 0;
};

// Lets the cache be searched with a string_view, without building a std::string per lookup.
struct SqlHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
};

struct Connection {
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();  // finalizes the cached statements and closes the handle

  sqlite3* db = nullptr;
  std::filesystem::path path;
  DatabaseOptions options;

  std::unordered_map<std::string, CachedStatement, SqlHash, std::equal_to<>> cache;
  uint64_t use_counter = 0;  // orders cache entries by last use, for eviction
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  int live_statements = 0;  // Statements handed out and not yet destroyed

  int writes_before_fault = -1;  // fault hook: -1 disarmed, else writes to let through first

  // Fault hook: true when `stmt`, about to start, is the write that must fail (then disarms).
  bool take_write_fault(sqlite3_stmt* stmt);
};

// Turns a SQLite result code into an Error that says what failed (`what`, e.g. "cannot insert"),
// SQLite's own words, and what to do. Reads sqlite3_errmsg, so call it before anything else
// touches the connection.
Error sqlite_error(const Connection& conn, int rc, std::string_view what);

// The error returned by a write the fault hook failed.
Error injected_write_error(std::string_view sql);

// The first line of `sql`, shortened, for error messages.
std::string sql_excerpt(std::string_view sql);

}  // namespace pincer::store::detail
