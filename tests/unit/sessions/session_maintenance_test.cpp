#include "sessions/session_maintenance.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/database.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

using pincer::testing::TempDir;
constexpr int64_t kDay = 86'400'000;

class SessionMaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  SessionStore sessions() { return SessionStore(*db_); }

  std::string make(const std::string& key, int64_t now_ms, int entries = 0) {
    auto made = sessions().ensure({.key = key, .agent_id = "main"}, now_ms);
    EXPECT_TRUE(made);
    std::vector<NewTranscriptEntry> batch(entries);
    for (auto& e : batch) {
      e.content = "[]";
    }
    if (entries > 0) {
      EXPECT_TRUE(TranscriptStore(*db_).append(made->session.session_id, batch, now_ms));
    }
    return made->session.session_id;
  }

  int64_t count(ArchivedFilter filter) {
    auto n = sessions().count({.archived = filter});
    EXPECT_TRUE(n);
    return *n;
  }

  TempDir dir_;
  std::optional<store::Database> db_;
};

// Old archived generations go with their transcripts, in batches; recent and manual stay.
TEST_F(SessionMaintenanceTest, PrunesOldArchivesInBatchesKeepingManualOnes) {
  auto old_id = make("old", 0, 1200);
  ASSERT_TRUE(sessions().reset("old", ArchiveReason::reset, 1 * kDay));
  make("manual", 0);
  ASSERT_TRUE(sessions().archive("manual", 1 * kDay, ArchiveReason::manual));
  make("recent", 0);
  ASSERT_TRUE(sessions().reset("recent", ArchiveReason::new_session, 39 * kDay));

  int hooks = 0;
  MaintenanceOptions options{
      .prune_after_ms = 30 * kDay, .max_entries = 0, .batch_size = 500, .between_batches = [&] {
        ++hooks;
        return true;
      }};
  auto report = run_session_maintenance(*db_, options, 40 * kDay);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->pruned_sessions, 1);
  EXPECT_EQ(report->pruned_entries, 1200);
  EXPECT_GE(report->batches, 3);  // 1200 entries at 500 rows a batch
  EXPECT_EQ(hooks, report->batches);
  auto gone = sessions().get(old_id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  auto entries = TranscriptStore(*db_).count(old_id);
  ASSERT_TRUE(entries);
  EXPECT_EQ(*entries, 0);
  EXPECT_EQ(count(ArchivedFilter::archived), 2);  // manual + recent
}

// Over the cap, the least recently updated unpinned sessions are archived, not deleted.
TEST_F(SessionMaintenanceTest, CapArchivesOldestUnpinned) {
  for (int i = 0; i < 10; ++i) {
    make("s" + std::to_string(i), 1000 + i);
  }
  ASSERT_TRUE(sessions().patch("s0", boost::json::object{{"pinned", true}}, 900));
  MaintenanceOptions options{.prune_after_ms = 0, .max_entries = 4, .batch_size = 2};
  auto report = run_session_maintenance(*db_, options, 5000);
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->capped_sessions, 6);
  EXPECT_EQ(count(ArchivedFilter::active), 4);
  auto pinned = sessions().find_active("s0");
  ASSERT_TRUE(pinned);
  EXPECT_TRUE(*pinned);
  auto archived = sessions().list({.archived = ArchivedFilter::archived});
  ASSERT_TRUE(archived);
  for (const auto& s : *archived) {
    EXPECT_EQ(s.archive_reason, ArchiveReason::maintenance);
  }
  auto newest = sessions().find_active("s9");
  ASSERT_TRUE(newest);
  EXPECT_TRUE(*newest);
}

// Mode warn reports what enforce would do and changes nothing.
TEST_F(SessionMaintenanceTest, WarnModeOnlyReports) {
  make("a", 0, 5);
  ASSERT_TRUE(sessions().reset("a", ArchiveReason::reset, 0));
  make("b", 0);
  make("c", 0);
  MaintenanceOptions options{
      .enforce = false, .prune_after_ms = kDay, .max_entries = 1, .batch_size = 500};
  auto report = run_session_maintenance(*db_, options, 2 * kDay);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->pruned_sessions, 1);
  EXPECT_EQ(report->pruned_entries, 5);
  EXPECT_EQ(report->capped_sessions, 2);
  EXPECT_EQ(report->batches, 0);
  EXPECT_EQ(count(ArchivedFilter::all), 4);
}

// A caller can stop between batches; the next run finishes the job.
TEST_F(SessionMaintenanceTest, StopsBetweenBatchesAndResumes) {
  for (int i = 0; i < 6; ++i) {
    make("s" + std::to_string(i), i);
  }
  MaintenanceOptions options{
      .prune_after_ms = 0, .max_entries = 1, .batch_size = 2, .between_batches = [] {
        return false;
      }};
  auto first = run_session_maintenance(*db_, options, 100);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->stopped_early);
  EXPECT_EQ(first->capped_sessions, 2);
  options.between_batches = nullptr;
  auto second = run_session_maintenance(*db_, options, 100);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->capped_sessions, 3);
  EXPECT_EQ(count(ArchivedFilter::active), 1);
}

}  // namespace
}  // namespace pincer::sessions
