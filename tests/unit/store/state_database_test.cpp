#include "store/state_database.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "store/schema_migrations.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

namespace fs = std::filesystem;
using pincer::testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::system_clock;

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    ADD_FAILURE() << "cannot stat " << path;
    return 0;
  }
  return st.st_mode & 0777;
}

fs::path with_suffix(fs::path path, const char* suffix) {
  path += suffix;
  return path;
}

// Restores the process umask when a test is done loosening it.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : previous_(::umask(mask)) {}
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;
  ~UmaskGuard() { ::umask(previous_); }

 private:
  mode_t previous_;
};

std::string meta_value(Database& db, std::string_view key) {
  auto stmt = db.prepare("SELECT value FROM meta WHERE key = ?");
  EXPECT_TRUE(stmt);
  EXPECT_TRUE(stmt->bind(1, key));
  auto row = stmt->step();
  EXPECT_TRUE(row && *row);
  return stmt->column_text(0);
}

// The state dir is 0700 and state.db, -wal and -shm are 0600, even under umask 000.
TEST(StateDatabase, CreatesPrivateDirectoryAndFiles) {
  TempDir dir;
  const fs::path file = dir / "state" / "state.db";
  UmaskGuard loose(0);
  auto db = open_state_database(file);
  ASSERT_TRUE(db) << db.error().describe();
  EXPECT_EQ(mode_of(dir / "state"), 0700u);
  EXPECT_EQ(mode_of(file), 0600u);
  ASSERT_TRUE(fs::exists(with_suffix(file, "-wal")));
  ASSERT_TRUE(fs::exists(with_suffix(file, "-shm")));
  EXPECT_EQ(mode_of(with_suffix(file, "-wal")), 0600u);
  EXPECT_EQ(mode_of(with_suffix(file, "-shm")), 0600u);
}

// An existing state dir and state.db with loose modes are tightened on open.
TEST(StateDatabase, TightensExistingLooseFiles) {
  TempDir dir;
  const fs::path file = dir / "state" / "state.db";
  {
    UmaskGuard loose(0);
    ASSERT_TRUE(open_state_database(file));
  }
  ASSERT_EQ(::chmod((dir / "state").c_str(), 0755), 0);
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  auto db = open_state_database(file);
  ASSERT_TRUE(db) << db.error().describe();
  EXPECT_EQ(mode_of(dir / "state"), 0700u);
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(with_suffix(file, "-wal")), 0600u);
  EXPECT_EQ(mode_of(with_suffix(file, "-shm")), 0600u);
}

// A new file is at Pincer's latest schema and records when it was created.
TEST(StateDatabase, AppliesSchemaAndRecordsCreationTime) {
  TempDir dir;
  const system_clock::time_point created(milliseconds(1'700'000'000'123));
  auto db = open_state_database(dir / "state.db", {}, created);
  ASSERT_TRUE(db) << db.error().describe();
  auto version = db->user_version();
  ASSERT_TRUE(version);
  EXPECT_EQ(*version, static_cast<int>(state_schema_migrations().size()));
  EXPECT_EQ(meta_value(*db, "created_at_ms"), "1700000000123");
}

// Reopening keeps the original creation time.
TEST(StateDatabase, ReopenKeepsCreationTime) {
  TempDir dir;
  ASSERT_TRUE(open_state_database(dir / "state.db", {}, system_clock::time_point(milliseconds(1))));
  auto db = open_state_database(dir / "state.db", {}, system_clock::time_point(milliseconds(2)));
  ASSERT_TRUE(db);
  EXPECT_EQ(meta_value(*db, "created_at_ms"), "1");
}

// A state.db written by a newer Pincer is refused with the schema numbers and the fix.
TEST(StateDatabase, RefusesFileFromNewerPincer) {
  TempDir dir;
  {
    auto db = open_state_database(dir / "state.db");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("PRAGMA user_version = 99"));
  }
  auto db = open_state_database(dir / "state.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().describe(),
            "state.db was written by a newer Pincer (schema 99, this build knows " +
                std::to_string(state_schema_migrations().size()) + ") (upgrade Pincer)");
}

// A state.db that is not a database is reported, not overwritten.
TEST(StateDatabase, RefusesCorruptFile) {
  TempDir dir;
  {
    std::ofstream out(dir / "state.db");
    out << std::string(8192, '\x7f');
  }
  auto db = open_state_database(dir / "state.db");
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, Errc::store);
  EXPECT_EQ(fs::file_size(dir / "state.db"), 8192u);
}

// Pincer's own migration list is numbered 1, 2, 3 ... and starts with the meta table.
TEST(StateDatabase, SchemaMigrationsAreContiguous) {
  auto list = state_schema_migrations();
  ASSERT_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i) + 1);
    EXPECT_FALSE(list[i].name.empty());
  }
  EXPECT_EQ(list[0].name, "meta");
}

}  // namespace
}  // namespace pincer::store
