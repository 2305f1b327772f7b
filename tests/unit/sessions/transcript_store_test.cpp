#include "sessions/transcript_store.hpp"

#include <gtest/gtest.h>

#include "sessions/session_store.hpp"
#include "store/database.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

using pincer::testing::TempDir;

class TranscriptStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
    auto made = SessionStore(*db_).ensure({.key = "k", .agent_id = "main"}, 1000);
    ASSERT_TRUE(made);
    session_id_ = made->session.session_id;
  }

  TranscriptStore transcripts() { return TranscriptStore(*db_); }

  static NewTranscriptEntry entry(int i, EntryKind kind = EntryKind::user) {
    NewTranscriptEntry e;
    e.kind = kind;
    e.role = kind == EntryKind::assistant ? "assistant" : "user";
    e.content = "[\"m" + std::to_string(i) + "\"]";
    e.created_at_ms = 1000 + i;
    return e;
  }

  void append_n(int n) {
    std::vector<NewTranscriptEntry> batch;
    for (int i = 1; i <= n; ++i) {
      batch.push_back(entry(i));
    }
    auto appended = transcripts().append(session_id_, batch, 5000);
    ASSERT_TRUE(appended) << appended.error().describe();
  }

  TempDir dir_;
  std::optional<store::Database> db_;
  std::string session_id_;
};

// A batch gets consecutive seqs and ids, and the session's count moves with it.
TEST_F(TranscriptStoreTest, AppendNumbersConsecutivelyAndCountsOnTheSession) {
  std::vector<NewTranscriptEntry> batch{entry(1), entry(2, EntryKind::assistant)};
  batch[1].model = "m";
  batch[1].input_tokens = 12;
  batch[1].duration_ms = 340;
  batch[1].run_id = "run-1";
  batch[1].meta = R"({"stop":"end"})";
  auto first = transcripts().append(session_id_, batch, 2000);
  ASSERT_TRUE(first) << first.error().describe();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].seq, 1);
  EXPECT_EQ((*first)[1].seq, 2);
  EXPECT_NE((*first)[0].entry_id, (*first)[1].entry_id);
  auto second = transcripts().append(session_id_, std::span(batch.data(), 1), 3000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->front().seq, 3);

  auto session = SessionStore(*db_).get(session_id_);
  ASSERT_TRUE(session && *session);
  EXPECT_EQ((*session)->entry_count, 3);
  EXPECT_EQ((*session)->updated_at_ms, 3000);

  auto got = transcripts().get((*first)[1].entry_id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->kind, EntryKind::assistant);
  EXPECT_EQ((*got)->model, "m");
  EXPECT_EQ((*got)->input_tokens, 12);
  EXPECT_FALSE((*got)->output_tokens);
  EXPECT_EQ((*got)->duration_ms, 340);
  EXPECT_EQ((*got)->run_id, "run-1");
  EXPECT_EQ((*got)->meta, R"({"stop":"end"})");
  EXPECT_EQ((*got)->content, R"(["m2"])");
}

// Appending to an unknown session or with empty content fails and writes nothing.
TEST_F(TranscriptStoreTest, AppendRejectsUnknownSessionAndEmptyContent) {
  auto e = entry(1);
  auto unknown = transcripts().append("nope", std::span(&e, 1), 2000);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  e.content.clear();
  auto empty = transcripts().append(session_id_, std::span(&e, 1), 2000);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
  auto count = transcripts().count(session_id_);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
}

// A failed insert in the middle of a batch rolls back the whole batch.
TEST_F(TranscriptStoreTest, FailedBatchLeavesNothingBehind) {
  std::vector<NewTranscriptEntry> batch{entry(1), entry(2), entry(3)};
  db_->fail_next_write_for_test(1);
  auto failed = transcripts().append(session_id_, batch, 2000);
  ASSERT_FALSE(failed);
  auto count = transcripts().count(session_id_);
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, 0);
  auto again = transcripts().append(session_id_, batch, 2000);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->front().seq, 1);
}

// Writes passed as `also` share the append's transaction: when they fail, the entries are not
// there either (a step's reply never lands without its usage, or the other way round).
TEST_F(TranscriptStoreTest, AlsoRunsInTheSameTransaction) {
  std::vector<NewTranscriptEntry> batch{entry(1)};
  auto failing = [](store::Database&) -> Status {
    return fail(Errc::io, "the usage write failed");
  };
  ASSERT_FALSE(transcripts().append(session_id_, batch, 2000, failing));
  EXPECT_EQ(transcripts().count(session_id_).value_or(-1), 0);
  bool ran = false;
  auto joining = [&](store::Database& db) -> Status {
    ran = db.in_transaction();
    return {};
  };
  ASSERT_TRUE(transcripts().append(session_id_, batch, 2000, joining));
  EXPECT_TRUE(ran);
  EXPECT_EQ(transcripts().count(session_id_).value_or(-1), 1);
}

// last_of_kind finds the newest entry of a kind (the history a turn loads starts there).
TEST_F(TranscriptStoreTest, LastOfKindFindsTheNewest) {
  std::vector<NewTranscriptEntry> batch{entry(1), entry(2, EntryKind::compaction), entry(3),
                                        entry(4, EntryKind::compaction), entry(5)};
  ASSERT_TRUE(transcripts().append(session_id_, batch, 2000));
  auto found = transcripts().last_of_kind(session_id_, EntryKind::compaction);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->seq, 4);
  auto none = transcripts().last_of_kind(session_id_, EntryKind::event);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

// Pages come back oldest first; before/after walk the transcript without overlap.
TEST_F(TranscriptStoreTest, PagesAreOrderedAndContiguous) {
  append_n(10);
  auto last = transcripts().last(session_id_, 3);
  ASSERT_TRUE(last);
  ASSERT_EQ(last->size(), 3u);
  EXPECT_EQ(last->front().seq, 8);
  EXPECT_EQ(last->back().seq, 10);
  auto before = transcripts().before(session_id_, 8, 3);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->size(), 3u);
  EXPECT_EQ(before->front().seq, 5);
  EXPECT_EQ(before->back().seq, 7);
  auto start = transcripts().before(session_id_, 3, 10);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->size(), 2u);
  auto after = transcripts().after(session_id_, 8, 10);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ(after->front().seq, 9);
  auto seq = transcripts().last_seq(session_id_);
  ASSERT_TRUE(seq);
  EXPECT_EQ(*seq, 10);
}

// for_each visits every entry in order across chunk boundaries and stops on failure.
TEST_F(TranscriptStoreTest, ForEachStreamsInOrderAndStopsOnError) {
  append_n(700);
  int64_t expected = 1;
  auto walked = transcripts().for_each(session_id_, [&](const TranscriptEntry& e) -> Status {
    EXPECT_EQ(e.seq, expected);
    ++expected;
    return {};
  });
  ASSERT_TRUE(walked);
  EXPECT_EQ(expected, 701);
  int seen = 0;
  auto stopped = transcripts().for_each(session_id_, [&](const TranscriptEntry&) -> Status {
    if (++seen == 300) {
      return fail(Errc::io, "disk full");
    }
    return {};
  });
  ASSERT_FALSE(stopped);
  EXPECT_EQ(seen, 300);
}

// Reading the last entries uses the primary key, not a scan (the 100 000-entry promise).
TEST_F(TranscriptStoreTest, LastEntriesQueryUsesThePrimaryKey) {
  auto plan = db_->prepare(
      "EXPLAIN QUERY PLAN SELECT seq FROM transcript_entries WHERE session_id = ?1 ORDER BY "
      "seq DESC LIMIT ?2");
  ASSERT_TRUE(plan);
  std::string detail;
  while (true) {
    auto row = plan->step();
    ASSERT_TRUE(row);
    if (!*row) {
      break;
    }
    detail += plan->column_text(3) + "\n";
  }
  EXPECT_NE(detail.find("USING"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("TEMP B-TREE"), std::string::npos) << detail;
}

}  // namespace
}  // namespace pincer::sessions
