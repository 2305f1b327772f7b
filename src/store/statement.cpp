#include "store/statement.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cassert>

#include "store/detail/connection.hpp"

namespace pincer::store {

Statement::Statement(detail::Connection* conn, sqlite3_stmt* stmt, detail::CachedStatement* cached)
    : conn_(conn), stmt_(stmt), cached_(cached) {
  ++conn_->live_statements;
}

Statement::Statement(Statement&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      stmt_(std::exchange(other.stmt_, nullptr)),
      cached_(std::exchange(other.cached_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    release();
    conn_ = std::exchange(other.conn_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
    cached_ = std::exchange(other.cached_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  release();
}

void Statement::release() {
  if (stmt_ == nullptr) {
    return;
  }
  --conn_->live_statements;
  if (cached_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    cached_->in_use = false;
  } else {
    sqlite3_finalize(stmt_);
  }
  stmt_ = nullptr;
  cached_ = nullptr;
  conn_ = nullptr;
}

Status Statement::bind_result(int rc, int index) {
  if (rc == SQLITE_OK) {
    return {};
  }
  return std::unexpected(detail::sqlite_error(*conn_, rc,
                                              "cannot bind parameter " + std::to_string(index) +
                                                  " of `" + detail::sql_excerpt(sql()) + "`"));
}

Status Statement::bind(int index, int64_t value) {
  return bind_result(sqlite3_bind_int64(stmt_, index, value), index);
}

Status Statement::bind(int index, double value) {
  return bind_result(sqlite3_bind_double(stmt_, index, value), index);
}

Status Statement::bind(int index, bool value) {
  return bind_result(sqlite3_bind_int(stmt_, index, value ? 1 : 0), index);
}

Status Statement::bind(int index, std::string_view text) {
  // A null pointer would bind NULL, but an empty string_view is an empty text.
  const char* data = text.data() != nullptr ? text.data() : "";
  return bind_result(
      sqlite3_bind_text64(stmt_, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8), index);
}

Status Statement::bind(int index, std::span<const std::byte> blob) {
  if (blob.empty()) {  // same as text: a null pointer would bind NULL, not an empty blob
    return bind_result(sqlite3_bind_zeroblob(stmt_, index, 0), index);
  }
  return bind_result(sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT),
                     index);
}

Status Statement::bind(int index, std::nullopt_t) {
  return bind_result(sqlite3_bind_null(stmt_, index), index);
}

Result<int> Statement::parameter_index(std::string_view name) const {
  // sqlite3_bind_parameter_index wants a NUL-terminated name; short names (all of ours) are
  // copied on the stack, since named binds sit on hot paths.
  std::array<char, 64> buffer{};
  std::string long_name;
  const char* terminated = buffer.data();
  if (name.size() < buffer.size()) {
    std::copy(name.begin(), name.end(), buffer.begin());
  } else {
    long_name = std::string(name);
    terminated = long_name.c_str();
  }
  const int index = sqlite3_bind_parameter_index(stmt_, terminated);
  if (index == 0) {
    return fail(Errc::internal,
                "no parameter " + std::string(name) + " in `" + detail::sql_excerpt(sql()) + "`",
                "this is a bug in Pincer; please report it");
  }
  return index;
}

Result<bool> Statement::step() {
  assert(stmt_ != nullptr && "use of a moved-from Statement");
  // The fault hook fires when a writing statement starts, not between its rows.
  if (!sqlite3_stmt_busy(stmt_) && conn_->take_write_fault(stmt_)) {
    return std::unexpected(detail::injected_write_error(sql()));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  Error error = detail::sqlite_error(*conn_, rc, "cannot run `" + detail::sql_excerpt(sql()) + "`");
  sqlite3_reset(stmt_);  // release the statement's locks now, not at its next use
  return std::unexpected(std::move(error));
}

Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row) {
      return std::unexpected(row.error());
    }
    if (!*row) {
      return {};
    }
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const {
  return sqlite3_column_count(stmt_);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(stmt_, column);
}

bool Statement::column_bool(int column) const {
  return sqlite3_column_int64(stmt_, column) != 0;
}

std::string Statement::column_text(int column) const {
  return std::string(column_text_view(column));
}

std::string_view Statement::column_text_view(int column) const {
  // Text first, then its size: the size call must see the UTF-8 form the text call produced.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) {
    return {};
  }
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::vector<std::byte> Statement::column_blob(int column) const {
  auto view = column_blob_view(column);
  return {view.begin(), view.end()};
}

std::span<const std::byte> Statement::column_blob_view(int column) const {
  const auto* data = static_cast<const std::byte*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) {
    return {};
  }
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string_view Statement::sql() const {
  const char* text = sqlite3_sql(stmt_);
  return text != nullptr ? std::string_view(text) : std::string_view();
}

}  // namespace pincer::store
