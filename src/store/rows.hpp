#pragma once
// collect_rows: steps a prepared, bound statement to its end and returns read(statement) for
// every row — the one row loop the stores share.

#include <vector>

#include "core/result.hpp"
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

}  // namespace pincer::store
