#include "sessions/session_store.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sessions/transcript_store.hpp"
#include "store/database.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

namespace json = boost::json;
using pincer::testing::TempDir;

class SessionStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  SessionStore sessions() { return SessionStore(*db_); }
  TranscriptStore transcripts() { return TranscriptStore(*db_); }

  SessionRecord make(std::string key, int64_t now_ms, std::string agent = "main") {
    SessionInit init;
    init.key = std::move(key);
    init.agent_id = std::move(agent);
    init.chat_type = ChatType::direct;
    init.channel = "telegram";
    init.last_to = "user-1";
    init.origin = json::object{{"channel", "telegram"}, {"peer", "user-1"}};
    auto made = sessions().ensure(init, now_ms);
    EXPECT_TRUE(made) << made.error().describe();
    return made->session;
  }

  void append_one(const std::string& session_id, int64_t now_ms) {
    NewTranscriptEntry entry;
    entry.content = R"(["hi"])";
    entry.created_at_ms = now_ms;
    auto appended = transcripts().append(session_id, std::span(&entry, 1), now_ms);
    ASSERT_TRUE(appended) << appended.error().describe();
  }

  TempDir dir_;
  std::optional<store::Database> db_;
};

// ensure() creates the active generation once and then returns it unchanged.
TEST_F(SessionStoreTest, EnsureCreatesOnceThenReturnsTheActiveGeneration) {
  auto first = make("agent:main:main", 1000);
  EXPECT_EQ(first.started_at_ms, 1000);
  EXPECT_FALSE(first.last_interaction_at_ms);
  EXPECT_EQ(first.origin.at("peer").as_string(), "user-1");
  SessionInit init{.key = "agent:main:main", .agent_id = "main"};
  auto again = sessions().ensure(init, 2000);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->session.session_id, first.session_id);
  EXPECT_EQ(again->session.chat_type, ChatType::direct);
}

// Heartbeat and cron events update the row but never extend idle freshness.
TEST_F(SessionStoreTest, OnlyRealInteractionsMoveLastInteraction) {
  make("k", 1000);
  auto user = sessions().record_inbound("k", {.to = "user-2", .thread_id = "t1"}, 2000);
  ASSERT_TRUE(user);
  EXPECT_EQ(user->last_interaction_at_ms, 2000);
  EXPECT_EQ(user->last_to, "user-2");
  EXPECT_EQ(user->last_thread_id, "t1");
  EXPECT_EQ(user->channel, "telegram");
  auto heartbeat = sessions().record_inbound("k", {.interaction = false}, 3000);
  ASSERT_TRUE(heartbeat);
  EXPECT_EQ(heartbeat->last_interaction_at_ms, 2000);
  EXPECT_EQ(heartbeat->updated_at_ms, 3000);
  auto missing = sessions().record_inbound("other", {}, 3000);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

// A patch merges into settings, null removes a key, label gets its own column.
TEST_F(SessionStoreTest, PatchMergesSettingsAndNullRemoves) {
  auto s = make("k", 1000);
  auto patched = sessions().patch(
      "k", json::object{{"key", "k"}, {"label", "Work"}, {"model", "m1"}, {"pinned", true}}, 2000);
  ASSERT_TRUE(patched) << patched.error().describe();
  EXPECT_EQ(patched->label, "Work");
  EXPECT_EQ(patched->settings.at("model").as_string(), "m1");
  EXPECT_FALSE(patched->settings.contains("key"));
  auto cleared = sessions().patch("k", json::object{{"model", nullptr}, {"label", nullptr}}, 3000);
  ASSERT_TRUE(cleared);
  EXPECT_FALSE(cleared->settings.contains("model"));
  EXPECT_TRUE(cleared->settings.contains("pinned"));
  EXPECT_EQ(cleared->label, "");
  auto stored = sessions().get(s.session_id);
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->settings, cleared->settings);
  auto bad = sessions().patch("k", json::object{{"label", 3}}, 4000);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  auto stale = sessions().patch("k", json::object{{"model", "x"}}, 4000, "not-the-id");
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("session changed"), std::string::npos);
}

// Reset archives the generation and starts the next, carrying overrides but not usage.
TEST_F(SessionStoreTest, ResetStartsANewGenerationCarryingOverrides) {
  auto s = make("k", 1000);
  ASSERT_TRUE(sessions().patch(
      "k", json::object{{"label", "L"}, {"thinkingLevel", "high"}, {"unread", true}}, 1500));
  ASSERT_TRUE(sessions().record_inbound("k", {}, 1600));
  ASSERT_TRUE(sessions().add_usage(s.session_id, {.input_tokens = 10, .output_tokens = 5}, 1700));
  append_one(s.session_id, 1800);

  auto reset = sessions().reset("k", ArchiveReason::reset, 2000);
  ASSERT_TRUE(reset) << reset.error().describe();
  EXPECT_EQ(reset->archived.session_id, s.session_id);
  EXPECT_EQ(reset->archived.archive_reason, ArchiveReason::reset);
  EXPECT_EQ(reset->archived.archived_at_ms, 2000);
  const auto& next = reset->current;
  EXPECT_NE(next.session_id, s.session_id);
  EXPECT_EQ(next.previous_session_id, s.session_id);
  EXPECT_EQ(next.started_at_ms, 2000);
  EXPECT_FALSE(next.last_interaction_at_ms);
  EXPECT_EQ(next.label, "L");
  EXPECT_EQ(next.settings.at("thinkingLevel").as_string(), "high");
  EXPECT_FALSE(next.settings.contains("unread"));
  EXPECT_EQ(next.last_to, "user-1");
  EXPECT_EQ(next.total_tokens, 0);
  EXPECT_EQ(next.entry_count, 0);

  auto active = sessions().find_active("k");
  ASSERT_TRUE(active && *active);
  EXPECT_EQ((*active)->session_id, next.session_id);
  auto all = sessions().generations("k");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->front().session_id, next.session_id);
  // The old transcript is kept with its generation.
  auto old_entries = transcripts().count(s.session_id);
  ASSERT_TRUE(old_entries);
  EXPECT_EQ(*old_entries, 1);
}

// Delete without transcript removal archives; with it, every generation and entry is gone.
TEST_F(SessionStoreTest, RemoveArchivesOrDeletesEverything) {
  auto s = make("k", 1000);
  append_one(s.session_id, 1100);
  auto archived = sessions().remove("k", false, 2000);
  ASSERT_TRUE(archived);
  EXPECT_FALSE(archived->deleted);
  auto gone = sessions().find_active("k");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);

  auto s2 = make("k", 3000);
  append_one(s2.session_id, 3100);
  auto deleted = sessions().remove("k", true, 4000);
  ASSERT_TRUE(deleted) << deleted.error().describe();
  EXPECT_TRUE(deleted->deleted);
  EXPECT_EQ(deleted->session_ids.size(), 2u);
  auto rows = sessions().generations("k");
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
  auto entries = transcripts().count(s.session_id);
  ASSERT_TRUE(entries);
  EXPECT_EQ(*entries, 0);
  auto again = sessions().remove("k", true, 5000);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::not_found);
}

// Unarchive refuses while the key has another active generation.
TEST_F(SessionStoreTest, UnarchiveNeedsAFreeKey) {
  auto s = make("k", 1000);
  ASSERT_TRUE(sessions().archive("k", 2000));
  make("k", 3000);
  auto refused = sessions().unarchive(s.session_id, 4000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  ASSERT_TRUE(sessions().archive("k", 5000));
  auto restored = sessions().unarchive(s.session_id, 6000);
  ASSERT_TRUE(restored) << restored.error().describe();
  EXPECT_FALSE(restored->archived());
}

// Listing filters by agent, activity window, archive state and search text, newest first.
TEST_F(SessionStoreTest, ListFiltersSortsAndCounts) {
  make("agent:main:a", 1000);
  make("agent:main:b", 2000);
  make("agent:work:c", 3000, "work");
  ASSERT_TRUE(sessions().patch("agent:main:a", json::object{{"label", "Groceries_List"}}, 4000));
  make("agent:main:old", 500);
  ASSERT_TRUE(sessions().archive("agent:main:old", 600));

  auto all = sessions().list({});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ(all->front().session_key, "agent:main:a");  // patched last

  auto main_only = sessions().list({.agent_id = "main"});
  ASSERT_TRUE(main_only);
  EXPECT_EQ(main_only->size(), 2u);

  auto recent = sessions().list({.active_since_ms = 2500});
  ASSERT_TRUE(recent);
  EXPECT_EQ(recent->size(), 2u);

  auto search = sessions().list({.search = "grocERIES_"});
  ASSERT_TRUE(search);
  ASSERT_EQ(search->size(), 1u);
  auto wildcard = sessions().list({.search = "s_l"});  // '_' is literal, not LIKE's any-char
  ASSERT_TRUE(wildcard);
  EXPECT_EQ(wildcard->size(), 1u);

  auto archived = sessions().list({.archived = ArchivedFilter::archived});
  ASSERT_TRUE(archived);
  ASSERT_EQ(archived->size(), 1u);
  EXPECT_EQ(archived->front().archive_reason, ArchiveReason::manual);

  auto everything = sessions().count({.archived = ArchivedFilter::all});
  ASSERT_TRUE(everything);
  EXPECT_EQ(*everything, 4);

  auto page = sessions().list({.limit = 1, .offset = 1});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().session_key, "agent:work:c");

  ASSERT_TRUE(sessions().record_inbound("agent:main:b", {}, 5000));
  auto by_interaction =
      sessions().list({.require_last_interaction = true, .sort = SessionSort::last_interaction_at});
  ASSERT_TRUE(by_interaction);
  ASSERT_EQ(by_interaction->size(), 1u);
  EXPECT_EQ(by_interaction->front().session_key, "agent:main:b");
}

// Usage adds up per generation; the context size is replaced, not summed.
TEST_F(SessionStoreTest, UsageAndCompactionCount) {
  auto s = make("k", 1000);
  ASSERT_TRUE(sessions().add_usage(
      s.session_id, {.input_tokens = 3, .output_tokens = 4, .context_tokens = 100}, 1100));
  auto after = sessions().add_usage(s.session_id, {.input_tokens = 1, .context_tokens = 50}, 1200);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->input_tokens, 4);
  EXPECT_EQ(after->output_tokens, 4);
  EXPECT_EQ(after->total_tokens, 8);
  EXPECT_EQ(after->context_tokens, 50);
  auto compactions = sessions().increment_compaction(s.session_id, 1300);
  ASSERT_TRUE(compactions);
  EXPECT_EQ(*compactions, 1);
  auto unknown = sessions().increment_compaction("nope", 1300);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
}

}  // namespace
}  // namespace pincer::sessions
