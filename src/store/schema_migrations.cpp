#include "store/schema_migrations.hpp"

#include <array>

namespace pincer::store {

namespace {

// Portable SQL only (a PostgreSQL store is planned): TEXT, INTEGER/BIGINT, no SQLite-only
// clauses. Times are Unix milliseconds in integer columns.
constexpr std::array kStateMigrations{
    Migration{1, "meta", R"sql(
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    )sql"},
};

}  // namespace

std::span<const Migration> state_schema_migrations() {
  return kStateMigrations;
}

}  // namespace pincer::store
