#include "store/statement.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

class StatementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_ / "test.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
    ASSERT_TRUE(db_->exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)"));
  }

  Database& db() { return *db_; }

  pincer::testing::TempDir dir_;
  std::optional<Database> db_;
};

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) {
    out.push_back(static_cast<std::byte>(v));
  }
  return out;
}

// Every bind type comes back from its column unchanged, NULL included.
TEST_F(StatementTest, RoundTripsEveryBoundType) {
  const std::string unicode = "h\u00e9llo \u4e16\u754c \U0001F980";
  const auto blob = bytes({0, 1, 0, 255, 0});
  {
    auto insert = db().prepare("INSERT INTO t (i, r, s, b, n) VALUES (?1, ?2, ?3, ?4, ?5)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE(insert->bind(1, int64_t{42}));
    ASSERT_TRUE(insert->bind(2, 2.5));
    ASSERT_TRUE(insert->bind(3, std::string_view(unicode)));
    ASSERT_TRUE(insert->bind(4, std::span<const std::byte>(blob)));
    ASSERT_TRUE(insert->bind(5, std::nullopt));
    ASSERT_TRUE(insert->run());
  }
  auto select = db().prepare("SELECT i, r, s, b, n FROM t");
  ASSERT_TRUE(select);
  auto row = select->step();
  ASSERT_TRUE(row && *row);
  EXPECT_EQ(select->column_count(), 5);
  EXPECT_EQ(select->column_int64(0), 42);
  EXPECT_DOUBLE_EQ(select->column_double(1), 2.5);
  EXPECT_EQ(select->column_text(2), unicode);
  EXPECT_EQ(select->column_text_view(2), unicode);
  EXPECT_EQ(select->column_blob(3), blob);
  auto view = select->column_blob_view(3);
  EXPECT_EQ(std::vector<std::byte>(view.begin(), view.end()), blob);
  EXPECT_TRUE(select->column_is_null(4));
  EXPECT_FALSE(select->column_is_null(0));
  EXPECT_EQ(select->column_int64(4), 0);
  EXPECT_EQ(select->column_text(4), "");
  EXPECT_TRUE(select->column_blob(4).empty());
  auto done = select->step();
  ASSERT_TRUE(done);
  EXPECT_FALSE(*done);
}

// int64 survives at both ends of its range (no detour through double or int).
TEST_F(StatementTest, RoundTripsInt64Extremes) {
  const std::vector<int64_t> values = {std::numeric_limits<int64_t>::min(), -1, 0, 1,
                                       std::numeric_limits<int64_t>::max()};
  for (int64_t v : values) {
    auto insert = db().prepare("INSERT INTO t (i) VALUES (?)");
    ASSERT_TRUE(insert);
    ASSERT_TRUE(insert->bind(1, v));
    ASSERT_TRUE(insert->run());
  }
  auto select = db().prepare("SELECT i FROM t ORDER BY i");
  ASSERT_TRUE(select);
  for (int64_t v : values) {
    auto row = select->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(select->column_int64(0), v);
  }
}

// Text is length-delimited: an embedded NUL does not cut it short.
TEST_F(StatementTest, TextWithEmbeddedNulRoundTrips) {
  const std::string text("a\0b", 3);
  auto insert = db().prepare("INSERT INTO t (s) VALUES (?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, std::string_view(text)));
  ASSERT_TRUE(insert->run());
  auto select = db().prepare("SELECT s, length(CAST(s AS BLOB)) FROM t");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(0), text);
  EXPECT_EQ(select->column_int64(1), 3);
}

// Empty text and empty blobs are values, not NULL.
TEST_F(StatementTest, EmptyTextAndBlobAreNotNull) {
  auto insert = db().prepare("INSERT INTO t (s, b) VALUES (?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, std::string_view()));
  ASSERT_TRUE(insert->bind(2, std::span<const std::byte>()));
  ASSERT_TRUE(insert->run());
  auto select = db().prepare("SELECT s IS NULL, b IS NULL, typeof(s), typeof(b) FROM t");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_FALSE(select->column_bool(0));
  EXPECT_FALSE(select->column_bool(1));
  EXPECT_EQ(select->column_text(2), "text");
  EXPECT_EQ(select->column_text(3), "blob");
}

// bool is stored as 0/1; optional binds its value or NULL.
TEST_F(StatementTest, BindsBoolAndOptional) {
  auto insert = db().prepare("INSERT INTO t (i, n, s) VALUES (?, ?, ?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, true));
  ASSERT_TRUE(insert->bind(2, std::optional<int64_t>()));
  ASSERT_TRUE(insert->bind(3, std::optional<std::string>("x")));
  ASSERT_TRUE(insert->run());
  auto select = db().prepare("SELECT i, n, s FROM t");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_int64(0), 1);
  EXPECT_TRUE(select->column_bool(0));
  EXPECT_TRUE(select->column_is_null(1));
  EXPECT_EQ(select->column_text(2), "x");
}

// ":name" parameters bind like their index; a name the SQL lacks is a bug, reported.
TEST_F(StatementTest, BindsByName) {
  auto insert = db().prepare("INSERT INTO t (i, s) VALUES (:id, :label)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(":label", "seven"));
  ASSERT_TRUE(insert->bind(":id", int64_t{7}));
  auto missing = insert->bind(":nope", 1);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::internal);
  EXPECT_NE(missing.error().message.find(":nope"), std::string::npos);
  ASSERT_TRUE(insert->run());
  auto select = db().prepare("SELECT s FROM t WHERE i = :id");
  ASSERT_TRUE(select);
  ASSERT_TRUE(select->bind(":id", 7));
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(0), "seven");
}

// An index past the SQL's parameters fails instead of being ignored.
TEST_F(StatementTest, BindingMissingIndexFails) {
  auto insert = db().prepare("INSERT INTO t (i) VALUES (?)");
  ASSERT_TRUE(insert);
  auto status = insert->bind(2, 1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::internal);
}

// Bound text is copied: the caller's string may die before step().
TEST_F(StatementTest, BoundTextIsCopied) {
  auto insert = db().prepare("INSERT INTO t (s) VALUES (?)");
  ASSERT_TRUE(insert);
  {
    std::string temporary(100, 'q');
    ASSERT_TRUE(insert->bind(1, std::string_view(temporary)));
    temporary.assign(100, 'z');
  }
  ASSERT_TRUE(insert->run());
  auto select = db().prepare("SELECT s FROM t");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(0), std::string(100, 'q'));
}

// reset() rewinds and clears bindings, so one statement serves a loop.
TEST_F(StatementTest, ResetAllowsReuseWithNewBindings) {
  auto insert = db().prepare("INSERT INTO t (i, s) VALUES (?, ?)");
  ASSERT_TRUE(insert);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(insert->bind(1, i));
    if (i != 2) {
      ASSERT_TRUE(insert->bind(2, "x"));
    }
    ASSERT_TRUE(insert->run());
    insert->reset();
  }
  auto select = db().prepare("SELECT count(*), count(s) FROM t");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_int64(0), 3);
  EXPECT_EQ(select->column_int64(1), 2);  // the third row's text was cleared, not reused
}

// A cached statement comes back rewound with its bindings cleared, even if left mid-read.
TEST_F(StatementTest, CachedStatementComesBackReset) {
  ASSERT_TRUE(db().exec("INSERT INTO t (i) VALUES (1), (2), (3)"));
  const std::string sql = "SELECT i, ?1 FROM t ORDER BY i";
  {
    auto select = db().prepare(sql);
    ASSERT_TRUE(select);
    ASSERT_TRUE(select->bind(1, "bound"));
    ASSERT_TRUE(*select->step());
    ASSERT_TRUE(*select->step());
    EXPECT_EQ(select->column_int64(0), 2);
  }
  auto again = db().prepare(sql);
  ASSERT_TRUE(again);
  EXPECT_EQ(db().statement_cache_stats().hits, 1u);
  ASSERT_TRUE(*again->step());
  EXPECT_EQ(again->column_int64(0), 1);
  EXPECT_TRUE(again->column_is_null(1));
}

// A failing step reports the SQL and SQLite's reason.
TEST_F(StatementTest, StepFailureNamesTheStatement) {
  ASSERT_TRUE(db().exec("CREATE TABLE u (k TEXT PRIMARY KEY)"));
  ASSERT_TRUE(db().exec("INSERT INTO u VALUES ('a')"));
  auto insert = db().prepare("INSERT INTO u VALUES (?)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, "a"));
  auto status = insert->run();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::invalid_argument);
  EXPECT_NE(status.error().message.find("INSERT INTO u"), std::string::npos);
  EXPECT_NE(status.error().message.find("UNIQUE"), std::string::npos);
}

}  // namespace
}  // namespace pincer::store
