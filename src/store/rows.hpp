#pragma once
// The statement helpers the stores share: collect_rows (the one row loop), bind_all, run_sql,
// query_rows, query_int and first_row.

#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/database.hpp"
#include "store/statement.hpp"

namespace pincer::store {

template <class T, class Read>
Result<std::vector<T>> collect_rows(Statement& statement, Read read) {
  std::vector<T> out;
  while (true) {
    auto row = statement.step();
    if (!row) {
      return std::unexpected(row.error());
    }
    if (!*row) {
      return out;
    }
    out.push_back(read(statement));
  }
}

// Binds values to ?1..?n in order, stopping at the first failure.
template <class... Values>
Status bind_all(Statement& statement, const Values&... values) {
  Status status;
  int index = 1;
  (void)((status = statement.bind(index++, values), status.has_value()) && ...);
  return status;
}

// Prepares `sql`, binds `values` to ?1..?n and runs it to completion.
template <class... Values>
Status run_sql(Database& db, std::string_view sql, const Values&... values) {
  auto statement = db.prepare(sql);
  if (!statement) {
    return std::unexpected(statement.error());
  }
  if (auto bound = bind_all(*statement, values...); !bound) {
    return bound;
  }
  return statement->run();
}

// Prepares `sql`, binds `values` and returns read(row) for every row.
template <class T, class Read, class... Values>
Result<std::vector<T>> query_rows(Database& db, std::string_view sql, Read read,
                                  const Values&... values) {
  auto statement = db.prepare(sql);
  if (!statement) {
    return std::unexpected(statement.error());
  }
  if (auto bound = bind_all(*statement, values...); !bound) {
    return std::unexpected(bound.error());
  }
  return collect_rows<T>(*statement, read);
}

// The first row's column 0 as an integer (0 when there is no row): COUNT, MAX, changes.
template <class... Values>
Result<int64_t> query_int(Database& db, std::string_view sql, const Values&... values) {
  auto rows = query_rows<int64_t>(
      db, sql, [](const Statement& row) { return row.column_int64(0); }, values...);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  return rows->empty() ? 0 : rows->front();
}

template <class T>
Result<std::optional<T>> first_row(Result<std::vector<T>> rows) {
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (rows->empty()) {
    return std::optional<T>();
  }
  return std::optional<T>(std::move(rows->front()));
}

}  // namespace pincer::store
