#pragma once
// Schema migrations: an ordered list of SQL scripts, tracked in PRAGMA user_version.
//
// migrate() applies every migration newer than the file's user_version, each in its own
// transaction together with `PRAGMA user_version = N`, so a crash or a failing script leaves
// the file at the last fully applied version, never between two. The version is re-read under
// the write lock, so two processes starting at once apply each migration once.
//
// A file whose version is newer than the list (written by a newer Pincer) is refused, not
// touched. Scripts must be transactional: no VACUUM, no PRAGMA journal_mode or foreign_keys
// (those are no-ops or errors inside a transaction). Keep their SQL portable to PostgreSQL.
//
// Not here: down-migrations. A release that must undo a change ships a new forward migration.

#include <span>
#include <string_view>

#include "core/result.hpp"

namespace pincer::store {

class Database;

struct Migration {
  int version;  // 1, 2, 3 ... in list order
  std::string_view name;
  std::string_view sql;  // one or more ';'-separated statements
};

// Brings `db` up to the last version in `migrations`. Fails with Errc::internal when the list
// is not numbered 1, 2, 3 ... (a bug in the list), Errc::store when the file is newer than the
// list or a migration fails (the file then stays at its previous version).
Status migrate(Database& db, std::span<const Migration> migrations);

}  // namespace pincer::store
