#include "store/database.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <string>

#include "store/transaction.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

using pincer::testing::TempDir;

Database open_or_die(const std::filesystem::path& path, const DatabaseOptions& options = {}) {
  auto db = Database::open(path, options);
  if (!db) {
    ADD_FAILURE() << db.error().describe();
    std::abort();
  }
  return std::move(*db);
}

std::string pragma_text(Database& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  EXPECT_TRUE(stmt);
  auto row = stmt->step();
  EXPECT_TRUE(row && *row);
  return stmt->column_text(0);
}

int64_t count_rows(Database& db, std::string_view table) {
  auto stmt = db.prepare("SELECT count(*) FROM " + std::string(table));
  EXPECT_TRUE(stmt);
  auto row = stmt->step();
  EXPECT_TRUE(row && *row);
  return stmt->column_int64(0);
}

// Durability settings: WAL, synchronous=FULL (2), foreign keys on, our busy timeout.
TEST(Database, OpensInWalWithFullSyncForeignKeysAndBusyTimeout) {
  TempDir dir;
  Database db =
      open_or_die(dir / "a.db", DatabaseOptions{.busy_timeout = std::chrono::milliseconds(1234)});
  EXPECT_EQ(pragma_text(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma_text(db, "PRAGMA synchronous"), "2");
  EXPECT_EQ(pragma_text(db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(pragma_text(db, "PRAGMA busy_timeout"), "1234");
}

// The default busy timeout is 5 s.
TEST(Database, DefaultBusyTimeoutIsFiveSeconds) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  EXPECT_EQ(pragma_text(db, "PRAGMA busy_timeout"), "5000");
}

// foreign_keys=ON means a dangling reference is refused, as a constraint error.
TEST(Database, EnforcesForeignKeys) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  ASSERT_TRUE(
      db.exec("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
              "CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id))"));
  auto status = db.exec("INSERT INTO child VALUES (99)");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::invalid_argument);
  EXPECT_NE(status.error().message.find("FOREIGN KEY"), std::string::npos);
}

// A file that is not SQLite is refused with what to do about it.
TEST(Database, RefusesFileThatIsNotADatabase) {
  TempDir dir;
  {
    std::ofstream out(dir / "junk.db");
    out << std::string(4096, 'x');
  }
  auto db = Database::open(dir / "junk.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::store);
  EXPECT_NE(db.error().hint.find("not a Pincer database"), std::string::npos);
}

// A missing directory is an I/O error that names the file.
TEST(Database, ReportsMissingDirectory) {
  TempDir dir;
  auto db = Database::open(dir / "missing" / "a.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::io);
  EXPECT_NE(db.error().message.find("missing/a.db"), std::string::npos);
  EXPECT_FALSE(db.error().hint.empty());
}

// exec runs a script; a failure names the statement that failed.
TEST(Database, ExecRunsScriptsAndNamesTheFailingStatement) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  ASSERT_TRUE(db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1); -- done\n"));
  EXPECT_EQ(count_rows(db, "t"), 1);
  ASSERT_TRUE(db.exec("; -- nothing\n ; INSERT INTO t VALUES (1);;"));  // empty statements
  EXPECT_EQ(count_rows(db, "t"), 2);
  ASSERT_TRUE(db.exec(""));
  auto status = db.exec("INSERT INTO t VALUES (2); INSERT INTO nowhere VALUES (3)");
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("nowhere"), std::string::npos);
}

// SQL that does not compile is our bug, not the user's: Errc::internal.
TEST(Database, PrepareOfBadSqlIsInternalError) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  auto stmt = db.prepare("SELEC 1");
  ASSERT_FALSE(stmt);
  EXPECT_EQ(stmt.error().code, Errc::internal);
  EXPECT_NE(stmt.error().message.find("SELEC 1"), std::string::npos);
}

// prepare() takes one statement; the rest of a script would be silently dropped otherwise.
TEST(Database, PrepareRefusesMoreThanOneStatement) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  auto stmt = db.prepare("SELECT 1; SELECT 2");
  ASSERT_FALSE(stmt);
  EXPECT_EQ(stmt.error().code, Errc::internal);
  EXPECT_TRUE(db.prepare("SELECT 1;"));  // a trailing ';' is fine
}

// Hot statements compile once: the same SQL text is served from the cache.
TEST(Database, CachesStatementsBySqlText) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  const auto before = db.statement_cache_stats();
  for (int i = 0; i < 10; ++i) {
    auto stmt = db.prepare("SELECT ?1 + 1");
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(stmt->bind(1, i));
    ASSERT_TRUE(*stmt->step());
    EXPECT_EQ(stmt->column_int64(0), i + 1);
  }
  const auto after = db.statement_cache_stats();
  EXPECT_EQ(after.misses - before.misses, 1u);
  EXPECT_EQ(after.hits - before.hits, 9u);
  EXPECT_EQ(after.size, before.size + 1);
}

// The same SQL held twice at once gets a second, independent statement.
TEST(Database, SameSqlHeldTwiceGetsIndependentStatements) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  ASSERT_TRUE(db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2)"));
  const std::string sql = "SELECT x FROM t WHERE x >= ? ORDER BY x";
  auto outer = db.prepare(sql);
  ASSERT_TRUE(outer);
  ASSERT_TRUE(outer->bind(1, 1));
  ASSERT_TRUE(*outer->step());
  {
    auto inner = db.prepare(sql);
    ASSERT_TRUE(inner);
    ASSERT_TRUE(inner->bind(1, 2));
    ASSERT_TRUE(*inner->step());
    EXPECT_EQ(inner->column_int64(0), 2);
  }
  EXPECT_EQ(outer->column_int64(0), 1);
  ASSERT_TRUE(*outer->step());
  EXPECT_EQ(outer->column_int64(0), 2);
  EXPECT_EQ(db.statement_cache_stats().size, 1u);  // the extra copy was not kept
}

// Beyond its capacity the cache drops the least recently used statement.
TEST(Database, StatementCacheEvictsLeastRecentlyUsed) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db", DatabaseOptions{.statement_cache_capacity = 2});
  const auto base = db.statement_cache_stats();
  auto use = [&](std::string_view sql) { ASSERT_TRUE(db.prepare(sql)); };
  use("SELECT 'a'");  // miss
  use("SELECT 'b'");  // miss
  use("SELECT 'a'");  // hit; 'b' is now the oldest
  use("SELECT 'c'");  // miss, drops 'b'
  use("SELECT 'a'");  // hit
  use("SELECT 'b'");  // miss again
  const auto stats = db.statement_cache_stats();
  EXPECT_EQ(stats.hits - base.hits, 2u);
  EXPECT_EQ(stats.misses - base.misses, 4u);
  EXPECT_EQ(stats.size, 2u);
}

// Statements keep working when their Database is moved (the connection does not move).
TEST(Database, StatementSurvivesMoveOfItsDatabase) {
  TempDir dir;
  std::optional<Database> first(open_or_die(dir / "a.db"));
  ASSERT_TRUE(first->exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (5)"));
  std::optional<Database> second;
  auto stmt = first->prepare("SELECT x FROM t");
  ASSERT_TRUE(stmt);
  second.emplace(std::move(*first));
  first.reset();
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_int64(0), 5);
  // `stmt` is declared after `second`, so it dies first, as a Statement must.
}

// A healthy file passes integrity_check with "ok"; a new file is at schema 0.
TEST(Database, IntegrityCheckAndUserVersionOfNewFile) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  auto check = db.integrity_check();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "ok");
  auto version = db.user_version();
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, 0);
}

// A writer that cannot get the lock within busy_timeout fails as "locked by another process".
TEST(Database, LockedDatabaseFailsWithHintAfterBusyTimeout) {
  TempDir dir;
  Database holder = open_or_die(dir / "a.db");
  Database waiter =
      open_or_die(dir / "a.db", DatabaseOptions{.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(holder.exec("CREATE TABLE t (x INTEGER)"));
  auto held = Transaction::begin(holder);
  ASSERT_TRUE(held);
  auto status = waiter.exec("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::unavailable);
  EXPECT_NE(status.error().message.find("locked by another process"), std::string::npos);
  EXPECT_NE(status.error().message.find("50 ms"), std::string::npos);
  EXPECT_FALSE(status.error().hint.empty());
  // Readers are never blocked by a writer in WAL mode.
  EXPECT_EQ(count_rows(waiter, "t"), 0);
}

// Fault hook: exactly the next write fails, with a message saying it was injected.
TEST(Database, FailNextWriteFailsExactlyOneWrite) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  ASSERT_TRUE(db.exec("CREATE TABLE t (x INTEGER)"));
  db.fail_next_write_for_test();
  EXPECT_EQ(count_rows(db, "t"), 0);  // reads do not trip it
  auto insert = db.prepare("INSERT INTO t VALUES (1)");
  ASSERT_TRUE(insert);
  auto status = insert->run();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::store);
  EXPECT_NE(status.error().message.find("injected"), std::string::npos);
  EXPECT_EQ(count_rows(db, "t"), 0);
  EXPECT_TRUE(insert->run());  // one shot
  EXPECT_EQ(count_rows(db, "t"), 1);
}

// Fault hook: `writes_to_allow` lets that many writes through first; exec counts too.
TEST(Database, FailNextWriteCanSkipWrites) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  ASSERT_TRUE(db.exec("CREATE TABLE t (x INTEGER)"));
  db.fail_next_write_for_test(2);
  auto status =
      db.exec("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)");
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("VALUES (3)"), std::string::npos);
  EXPECT_EQ(count_rows(db, "t"), 2);
}

// An injected failure inside a transaction walks the rollback path: nothing is kept.
TEST(Database, FailedWriteInTransactionLeavesNothing) {
  TempDir dir;
  Database db = open_or_die(dir / "a.db");
  ASSERT_TRUE(db.exec("CREATE TABLE t (x INTEGER)"));
  db.fail_next_write_for_test(1);
  auto write_two = [&]() -> Status {
    auto tx = Transaction::begin(db);
    if (!tx) {
      return std::unexpected(tx.error());
    }
    for (int i = 0; i < 2; ++i) {
      auto insert = db.prepare("INSERT INTO t VALUES (?)");
      if (!insert) {
        return std::unexpected(insert.error());
      }
      if (auto s = insert->bind(1, i); !s) {
        return s;
      }
      if (auto s = insert->run(); !s) {
        return s;
      }
    }
    return tx->commit();
  };
  ASSERT_FALSE(write_two());
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(count_rows(db, "t"), 0);
  ASSERT_TRUE(write_two());
  EXPECT_EQ(count_rows(db, "t"), 2);
}

}  // namespace
}  // namespace pincer::store
