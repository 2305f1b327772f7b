// Several writers, each with its own connection as separate processes would have, append to
// the same and to different sessions at once: no entry is lost and seqs stay consecutive.

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/database.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

using pincer::testing::TempDir;

// Concurrent appenders never lose an entry or share a seq (BEGIN IMMEDIATE + busy_timeout).
TEST(TranscriptConcurrency, ConcurrentWritersLoseNothing) {
  TempDir dir;
  auto path = dir / "state.db";
  std::string shared_id;
  {
    auto db = store::open_state_database(path);
    ASSERT_TRUE(db);
    auto made = SessionStore(*db).ensure({.key = "shared", .agent_id = "main"}, 1);
    ASSERT_TRUE(made);
    shared_id = made->session.session_id;
  }
  constexpr int kWriters = 4;
  constexpr int kAppends = 150;
  std::vector<std::vector<std::string>> acknowledged(kWriters);
  std::vector<std::string> own_ids(kWriters);
  std::vector<std::string> errors(kWriters);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto db = store::open_state_database(path);
      if (!db) {
        errors[w] = db.error().describe();
        return;
      }
      auto own = SessionStore(*db).ensure({.key = "own-" + std::to_string(w), .agent_id = "m"}, 1);
      if (!own) {
        errors[w] = own.error().describe();
        return;
      }
      own_ids[w] = own->session.session_id;
      TranscriptStore transcripts(*db);
      for (int i = 0; i < kAppends; ++i) {
        NewTranscriptEntry e;
        e.content = "[\"w" + std::to_string(w) + "-" + std::to_string(i) + "\"]";
        const auto& target = i % 2 == 0 ? shared_id : own_ids[w];
        auto appended = transcripts.append(target, std::span(&e, 1), i);
        if (!appended) {
          errors[w] = appended.error().describe();
          return;
        }
        if (target == shared_id) {
          acknowledged[w].push_back(appended->front().entry_id);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (const auto& error : errors) {
    ASSERT_EQ(error, "");
  }

  auto db = store::open_state_database(path);
  ASSERT_TRUE(db);
  TranscriptStore transcripts(*db);
  std::map<std::string, int64_t> seq_of;
  int64_t expected_seq = 1;
  std::map<int, int> last_index_per_writer;
  ASSERT_TRUE(transcripts.for_each(shared_id, [&](const TranscriptEntry& e) -> Status {
    EXPECT_EQ(e.seq, expected_seq++);
    seq_of[e.entry_id] = e.seq;
    // Each writer's own entries appear in the order it appended them.
    int writer = e.content[3] - '0';
    int index = std::stoi(e.content.substr(5));
    auto [it, fresh] = last_index_per_writer.try_emplace(writer, index);
    if (!fresh) {
      EXPECT_LT(it->second, index);
      it->second = index;
    }
    return {};
  }));
  EXPECT_EQ(expected_seq - 1, kWriters * kAppends / 2);
  for (const auto& ids : acknowledged) {
    for (const auto& id : ids) {
      EXPECT_TRUE(seq_of.contains(id)) << id;
    }
  }
  SessionStore sessions(*db);
  auto shared = sessions.get(shared_id);
  ASSERT_TRUE(shared && *shared);
  EXPECT_EQ((*shared)->entry_count, kWriters * kAppends / 2);
  for (const auto& id : own_ids) {
    auto count = transcripts.count(id);
    ASSERT_TRUE(count);
    EXPECT_EQ(*count, kAppends / 2);
    auto last = transcripts.last_seq(id);
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, kAppends / 2);
  }
}

}  // namespace
}  // namespace pincer::sessions
