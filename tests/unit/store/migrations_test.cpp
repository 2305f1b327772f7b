#include "store/migrations.hpp"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <string>

#include "store/database.hpp"
#include "store/transaction.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

constexpr std::array kMigrations{
    Migration{1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"},
    Migration{2, "tags",
              "CREATE TABLE tags (note_id INTEGER NOT NULL REFERENCES notes (id), "
              "tag TEXT NOT NULL);"
              "CREATE INDEX tags_by_tag ON tags (tag);"},
    Migration{3, "notes.created", "ALTER TABLE notes ADD COLUMN created_at_ms BIGINT;"},
};

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen(const DatabaseOptions& options = {}) {
    db_.reset();
    auto opened = Database::open(dir_ / "state.db", options);
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  Database& db() { return *db_; }

  int version() {
    auto v = db().user_version();
    EXPECT_TRUE(v);
    return v.value_or(-1);
  }

  bool has_table(std::string_view name) {
    auto stmt =
        db().prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?");
    EXPECT_TRUE(stmt);
    EXPECT_TRUE(stmt->bind(1, name));
    EXPECT_TRUE(*stmt->step());
    return stmt->column_int64(0) == 1;
  }

  pincer::testing::TempDir dir_;
  std::optional<Database> db_;
};

// A fresh file gets every migration and ends at the last version.
TEST_F(MigrationsTest, AppliesAllToFreshDatabase) {
  auto status = migrate(db(), kMigrations);
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(version(), 3);
  EXPECT_TRUE(has_table("notes"));
  EXPECT_TRUE(has_table("tags"));
  EXPECT_TRUE(db().exec("INSERT INTO notes (body, created_at_ms) VALUES ('x', 1)"));
}

// An older file gets only the migrations it lacks, and keeps its data.
TEST_F(MigrationsTest, UpgradesIncrementallyFromV1) {
  ASSERT_TRUE(migrate(db(), std::span(kMigrations).first(1)));
  EXPECT_EQ(version(), 1);
  ASSERT_TRUE(db().exec("INSERT INTO notes (body) VALUES ('kept')"));
  reopen();
  // Migration 1 would fail with "table notes already exists" if it ran again.
  auto status = migrate(db(), kMigrations);
  ASSERT_TRUE(status) << status.error().describe();
  EXPECT_EQ(version(), 3);
  auto stmt = db().prepare("SELECT body, created_at_ms FROM notes");
  ASSERT_TRUE(stmt);
  ASSERT_TRUE(*stmt->step());
  EXPECT_EQ(stmt->column_text(0), "kept");
  EXPECT_TRUE(stmt->column_is_null(1));
}

// Migrating an up-to-date file does nothing, and takes no write lock to find that out.
TEST_F(MigrationsTest, UpToDateDatabaseIsLeftAlone) {
  ASSERT_TRUE(migrate(db(), kMigrations));
  auto writer = Database::open(dir_ / "state.db");
  ASSERT_TRUE(writer);
  auto held = Transaction::begin(*writer);
  ASSERT_TRUE(held);
  reopen(DatabaseOptions{.busy_timeout = std::chrono::milliseconds(10)});
  auto status = migrate(db(), kMigrations);
  EXPECT_TRUE(status) << status.error().describe();
  EXPECT_EQ(version(), 3);
}

// A failing migration rolls back all of its statements and leaves user_version as it was.
TEST_F(MigrationsTest, FailingMigrationRollsBackAndKeepsVersion) {
  const std::array broken{
      kMigrations[0],
      Migration{2, "half", "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);"},
      Migration{3, "never", "CREATE TABLE never (x INTEGER);"},
  };
  auto status = migrate(db(), broken);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("migration 2 (half) failed"), std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("stays at schema 1"), std::string::npos);
  EXPECT_NE(status.error().message.find("nowhere"), std::string::npos);
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(version(), 1);
  EXPECT_TRUE(has_table("notes"));
  EXPECT_FALSE(has_table("half"));
  EXPECT_FALSE(has_table("never"));
}

// If the user_version write itself fails, the migration's tables are rolled back with it.
TEST_F(MigrationsTest, FailedVersionWriteRollsBackTheMigration) {
  db().fail_next_write_for_test(1);  // let CREATE TABLE notes through, fail the version write
  auto status = migrate(db(), std::span(kMigrations).first(1));
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("user_version"), std::string::npos)
      << status.error().message;
  EXPECT_EQ(version(), 0);
  EXPECT_FALSE(has_table("notes"));
  ASSERT_TRUE(migrate(db(), kMigrations));  // and the next start succeeds
  EXPECT_EQ(version(), 3);
}

// A file from a newer Pincer is refused, untouched, saying to upgrade.
TEST_F(MigrationsTest, RefusesDatabaseFromNewerPincer) {
  ASSERT_TRUE(db().exec("PRAGMA user_version = 7"));
  const std::array five{kMigrations[0], kMigrations[1], kMigrations[2],
                        Migration{4, "four", "CREATE TABLE four (x INTEGER);"},
                        Migration{5, "five", "CREATE TABLE five (x INTEGER);"}};
  auto status = migrate(db(), five);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::store);
  EXPECT_EQ(status.error().message,
            "state.db was written by a newer Pincer (schema 7, this build knows 5)");
  EXPECT_EQ(status.error().hint, "upgrade Pincer");
  EXPECT_EQ(version(), 7);
  EXPECT_FALSE(has_table("notes"));
}

// A list not numbered 1, 2, 3 ... is a programming error, refused before touching the file.
TEST_F(MigrationsTest, RefusesNonContiguousList) {
  const std::array gap{kMigrations[0], Migration{3, "three", "CREATE TABLE three (x INTEGER);"}};
  const std::array late_start{Migration{2, "two", "CREATE TABLE two (x INTEGER);"}};
  const std::array repeated{kMigrations[0], kMigrations[0]};
  for (std::span<const Migration> list :
       {std::span<const Migration>(gap), std::span<const Migration>(late_start),
        std::span<const Migration>(repeated)}) {
    auto status = migrate(db(), list);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, Errc::internal);
    EXPECT_NE(status.error().message.find("not numbered"), std::string::npos);
  }
  EXPECT_EQ(version(), 0);
  EXPECT_FALSE(has_table("notes"));
}

// An empty list on a fresh file is a no-op.
TEST_F(MigrationsTest, EmptyListOnFreshFileIsNoop) {
  EXPECT_TRUE(migrate(db(), {}));
  EXPECT_EQ(version(), 0);
}

}  // namespace
}  // namespace pincer::store
