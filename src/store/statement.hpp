#pragma once
// Statement: one prepared SQL statement, from Database::prepare().
//
// Binds are typed and take SQLite's 1-based parameter index or a ":name"; values are copied, so
// the caller's buffers may go away before step(). Columns are 0-based, as in SQLite. step()
// returns true while a row is available and false when the statement is done.
//
// A Statement is move-only and borrows its Database's connection: it must be destroyed before
// the Database. When it dies it is reset with bindings cleared (and returned to the cache if it
// came from there), so a half-read SELECT never holds a read snapshot open.
//
// Not here: type checking of columns. A getter returns SQLite's conversion of whatever is stored
// (NULL reads as 0, 0.0 or empty); ask column_is_null() when NULL matters.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

struct sqlite3_stmt;

namespace pincer::store {

namespace detail {
struct Connection;
struct CachedStatement;
}  // namespace detail

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds by 1-based index. Fails with Errc::internal for an index the SQL does not have.
  Status bind(int index, int64_t value);
  Status bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Status bind(int index, double value);
  Status bind(int index, bool value);  // stored as integer 0/1
  Status bind(int index, std::string_view text);
  Status bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Status bind(int index, std::span<const std::byte> blob);
  Status bind(int index, std::nullopt_t);
  template <class T>
  Status bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }

  // Binds by name, written as in the SQL (":id"). Fails with Errc::internal for a name the SQL
  // does not have.
  template <class T>
  Status bind(std::string_view name, T&& value) {
    auto index = parameter_index(name);
    if (!index) {
      return std::unexpected(index.error());
    }
    return bind(*index, std::forward<T>(value));
  }
  Result<int> parameter_index(std::string_view name) const;

  // Runs the statement to its next row: true when a row is ready for the getters, false when
  // the statement is done. On failure the statement is reset (bindings kept).
  Result<bool> step();

  // Steps until done, discarding any rows: for INSERT, UPDATE, DELETE.
  Status run();

  // Rewinds the statement and clears its bindings, for reuse in a loop.
  void reset();

  int column_count() const;
  bool column_is_null(int column) const;
  int64_t column_int64(int column) const;
  double column_double(int column) const;
  bool column_bool(int column) const;  // any nonzero integer is true
  std::string column_text(int column) const;
  // Valid until the next step(), reset() or the Statement's end.
  std::string_view column_text_view(int column) const;
  std::vector<std::byte> column_blob(int column) const;
  // Valid until the next step(), reset() or the Statement's end.
  std::span<const std::byte> column_blob_view(int column) const;

  // The SQL text, for messages.
  std::string_view sql() const;

 private:
  friend class Database;
  Statement(detail::Connection* conn, sqlite3_stmt* stmt, detail::CachedStatement* cached);

  Status bind_result(int rc, int index);
  void release();

  detail::Connection* conn_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;               // null only in a moved-from Statement
  detail::CachedStatement* cached_ = nullptr;  // the cache entry to return to, or null
};

}  // namespace pincer::store
