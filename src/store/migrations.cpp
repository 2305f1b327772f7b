#include "store/migrations.hpp"

#include <string>

#include "store/database.hpp"
#include "store/transaction.hpp"

namespace pincer::store {

namespace {

Status check_numbering(std::span<const Migration> migrations) {
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    const int expected = static_cast<int>(i) + 1;
    if (migrations[i].version != expected) {
      return fail(Errc::internal,
                  "the migration list is not numbered 1, 2, 3 ...: entry " + std::to_string(i) +
                      " (" + std::string(migrations[i].name) + ") has version " +
                      std::to_string(migrations[i].version) + ", expected " +
                      std::to_string(expected),
                  "this is a bug in Pincer; please report it");
    }
  }
  return {};
}

// Refuses a file this build cannot understand. `version` was just read from `db`.
Status check_version(const Database& db, int version, int latest) {
  const std::string file = db.path().filename().string();
  if (version > latest) {
    return fail(Errc::store,
                file + " was written by a newer Pincer (schema " + std::to_string(version) +
                    ", this build knows " + std::to_string(latest) + ")",
                "upgrade Pincer");
  }
  if (version < 0) {
    return fail(Errc::store, file + " has an invalid schema version " + std::to_string(version),
                "the file was not written by Pincer; move it aside to start with an empty one");
  }
  return {};
}

// Applies the migration after the file's current version, in one transaction. Sets `done` when
// the file is at the last version (another process may have just got it there).
Status apply_next(Database& db, std::span<const Migration> migrations, bool& done) {
  const int latest = static_cast<int>(migrations.size());
  auto tx = Transaction::begin(db);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  auto version = db.user_version();  // again, now under the write lock
  if (!version) {
    return std::unexpected(version.error());
  }
  if (auto status = check_version(db, *version, latest); !status) {
    return status;
  }
  if (*version == latest) {
    done = true;
    return tx->rollback();
  }

  const Migration& migration = migrations[static_cast<std::size_t>(*version)];
  const std::string target = std::to_string(migration.version);
  auto status = db.exec(migration.sql);
  if (status) {
    status = db.exec("PRAGMA user_version = " + target);
  }
  if (status) {
    status = tx->commit();
  }
  if (!status) {
    Error error = std::move(status.error());
    error.message = "migration " + target + " (" + std::string(migration.name) + ") failed, " +
                    db.path().filename().string() + " stays at schema " + std::to_string(*version) +
                    ": " + error.message;
    return std::unexpected(std::move(error));
  }
  done = migration.version == latest;
  return {};
}

}  // namespace

Status migrate(Database& db, std::span<const Migration> migrations) {
  if (auto status = check_numbering(migrations); !status) {
    return status;
  }
  // Read without the write lock first: an up-to-date file, the common case, takes no lock.
  auto version = db.user_version();
  if (!version) {
    return std::unexpected(version.error());
  }
  const int latest = static_cast<int>(migrations.size());
  if (auto status = check_version(db, *version, latest); !status) {
    return status;
  }
  if (*version == latest) {
    return {};
  }
  bool done = false;
  while (!done) {
    if (auto status = apply_next(db, migrations, done); !status) {
      return status;
    }
  }
  return {};
}

}  // namespace pincer::store
