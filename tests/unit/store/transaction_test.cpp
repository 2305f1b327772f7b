#include "store/transaction.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include "store/database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_ / "test.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
    ASSERT_TRUE(db_->exec("CREATE TABLE t (x INTEGER)"));
  }

  Database& db() { return *db_; }

  void insert(int value) {
    auto stmt = db().prepare("INSERT INTO t VALUES (?)");
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(stmt->bind(1, value));
    ASSERT_TRUE(stmt->run());
  }

  int64_t count(Database& db) {
    auto stmt = db.prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(stmt);
    EXPECT_TRUE(*stmt->step());
    return stmt->column_int64(0);
  }

  pincer::testing::TempDir dir_;
  std::optional<Database> db_;
};

// After commit() returns, the rows are visible to every other connection.
TEST_F(TransactionTest, CommitMakesRowsVisibleToOtherConnections) {
  auto other = Database::open(dir_ / "test.db");
  ASSERT_TRUE(other);
  auto tx = Transaction::begin(db());
  ASSERT_TRUE(tx);
  EXPECT_TRUE(db().in_transaction());
  insert(1);
  insert(2);
  EXPECT_EQ(count(*other), 0);  // not before commit
  ASSERT_TRUE(tx->commit());
  EXPECT_FALSE(tx->active());
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(count(*other), 2);
}

// A transaction that goes out of scope uncommitted is rolled back.
TEST_F(TransactionTest, DestructorRollsBackWhenNotCommitted) {
  {
    auto tx = Transaction::begin(db());
    ASSERT_TRUE(tx);
    insert(1);
  }
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(count(db()), 0);
}

// An exception thrown mid-transaction rolls it back on the way out.
TEST_F(TransactionTest, ExceptionRollsBack) {
  EXPECT_THROW(
      {
        auto tx = Transaction::begin(db());
        ASSERT_TRUE(tx);
        insert(1);
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(count(db()), 0);
}

// rollback() undoes now; later commit() is refused, a second rollback() is a no-op.
TEST_F(TransactionTest, ExplicitRollback) {
  auto tx = Transaction::begin(db());
  ASSERT_TRUE(tx);
  insert(1);
  ASSERT_TRUE(tx->rollback());
  EXPECT_FALSE(db().in_transaction());
  EXPECT_EQ(count(db()), 0);
  EXPECT_TRUE(tx->rollback());
  auto commit = tx->commit();
  ASSERT_FALSE(commit);
  EXPECT_EQ(commit.error().code, Errc::internal);
}

// Committing twice is a bug, reported as such; the first commit stands.
TEST_F(TransactionTest, SecondCommitIsRefused) {
  auto tx = Transaction::begin(db());
  ASSERT_TRUE(tx);
  insert(1);
  ASSERT_TRUE(tx->commit());
  EXPECT_FALSE(tx->commit());
  EXPECT_EQ(count(db()), 1);
}

// Nested transactions are refused; the outer one carries on unharmed.
TEST_F(TransactionTest, NestedBeginIsRefused) {
  auto outer = Transaction::begin(db());
  ASSERT_TRUE(outer);
  insert(1);
  auto inner = Transaction::begin(db());
  ASSERT_FALSE(inner);
  EXPECT_EQ(inner.error().code, Errc::internal);
  EXPECT_NE(inner.error().message.find("already open"), std::string::npos);
  ASSERT_TRUE(outer->commit());
  EXPECT_EQ(count(db()), 1);
}

// BEGIN IMMEDIATE takes the write lock at once: a second writer waits in begin(), not mid-way.
TEST_F(TransactionTest, BeginTakesTheWriteLockImmediately) {
  auto other = Database::open(dir_ / "test.db",
                              DatabaseOptions{.busy_timeout = std::chrono::milliseconds(20)});
  ASSERT_TRUE(other);
  auto first = Transaction::begin(db());
  ASSERT_TRUE(first);
  auto second = Transaction::begin(*other);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, Errc::unavailable);
  EXPECT_NE(second.error().message.find("cannot begin a transaction"), std::string::npos);
  ASSERT_TRUE(first->commit());
  auto third = Transaction::begin(*other);
  ASSERT_TRUE(third) << third.error().describe();
}

// A moved transaction is owned once: only the new owner commits or rolls back.
TEST_F(TransactionTest, MovedTransactionCommitsOnce) {
  auto tx = Transaction::begin(db());
  ASSERT_TRUE(tx);
  insert(1);
  Transaction moved = std::move(*tx);
  EXPECT_FALSE(tx->active());
  ASSERT_TRUE(moved.commit());
  EXPECT_EQ(count(db()), 1);
}

}  // namespace
}  // namespace pincer::store
