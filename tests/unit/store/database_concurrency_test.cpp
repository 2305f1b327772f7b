// Several connections writing one file at once: busy_timeout queues writers instead of failing.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/database.hpp"
#include "store/transaction.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

// Writes `rows` rows tagged `writer`: single-row transactions with a three-row one every tenth.
Status write_rows(Database& db, int writer, int rows) {
  int written = 0;
  while (written < rows) {
    const int batch = written % 10 == 9 ? std::min(3, rows - written) : 1;
    auto tx = Transaction::begin(db);
    if (!tx) {
      return std::unexpected(tx.error());
    }
    for (int i = 0; i < batch; ++i) {
      auto insert = db.prepare("INSERT INTO rows (writer, seq) VALUES (?, ?)");
      if (!insert) {
        return std::unexpected(insert.error());
      }
      if (auto s = insert->bind(1, writer); !s) {
        return s;
      }
      if (auto s = insert->bind(2, written + i); !s) {
        return s;
      }
      if (auto s = insert->run(); !s) {
        return s;
      }
    }
    if (auto s = tx->commit(); !s) {
      return s;
    }
    written += batch;
  }
  return {};
}

// Two connections in two threads, writing at the same time, both commit every row.
TEST(DatabaseConcurrency, TwoWritersFromTwoThreadsCommitEverything) {
  pincer::testing::TempDir dir;
  constexpr int kRowsPerWriter = 150;
  {
    auto setup = Database::open(dir / "state.db");
    ASSERT_TRUE(setup);
    ASSERT_TRUE(
        setup->exec("CREATE TABLE rows (writer INTEGER NOT NULL, seq INTEGER NOT NULL, "
                    "PRIMARY KEY (writer, seq))"));
  }
  std::atomic<bool> go{false};
  std::vector<Status> results(2);
  std::vector<std::thread> threads;
  for (int writer = 0; writer < 2; ++writer) {
    threads.emplace_back([&, writer] {
      // Each thread opens its own connection: a Database is used by one thread at a time.
      auto db = Database::open(dir / "state.db");
      if (!db) {
        results[writer] = std::unexpected(db.error());
        return;
      }
      while (!go.load()) {
        std::this_thread::yield();
      }
      results[writer] = write_rows(*db, writer, kRowsPerWriter);
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& result : results) {
    EXPECT_TRUE(result) << result.error().describe();
  }
  auto db = Database::open(dir / "state.db");
  ASSERT_TRUE(db);
  auto count = db->prepare("SELECT writer, count(*), max(seq) FROM rows GROUP BY writer");
  ASSERT_TRUE(count);
  for (int writer = 0; writer < 2; ++writer) {
    ASSERT_TRUE(*count->step());
    EXPECT_EQ(count->column_int64(0), writer);
    EXPECT_EQ(count->column_int64(1), kRowsPerWriter);
    EXPECT_EQ(count->column_int64(2), kRowsPerWriter - 1);
  }
  auto check = db->integrity_check();
  ASSERT_TRUE(check);
  EXPECT_EQ(*check, "ok");
}

}  // namespace
}  // namespace pincer::store
