// Property: whatever the interleaving of arrivals and run times, the inbound queue (followup)
// and the lanes keep every session's transcript in arrival order, never run two turns of one
// session at once, and never exceed the global cap. Seeded; set PINCER_PROPERTY_SEED to replay.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/executor.hpp"
#include "sessions/lane_registry.hpp"
#include "sessions/session_queue.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

namespace asio = boost::asio;
using std::chrono::microseconds;

constexpr int kSessions = 1000;
constexpr int kMaxMessagesPerSession = 8;
constexpr std::size_t kGlobalCap = 32;

std::uint64_t property_seed() {
  if (const char* text = std::getenv("PINCER_PROPERTY_SEED")) {
    return std::strtoull(text, nullptr, 10);
  }
  return std::random_device{}();
}

asio::awaitable<void> sleep_for(microseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

struct World {
  std::mt19937_64 rng;
  std::vector<std::vector<int>> transcripts = std::vector<std::vector<int>>(kSessions);
  std::vector<bool> running = std::vector<bool>(kSessions, false);
  std::size_t global_running = 0;
  std::size_t max_global_running = 0;
  int overlaps = 0;
  int turns = 0;

  int random_int(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng); }
};

std::string key_of(int session) {
  return "agent:main:telegram:direct:" + std::to_string(session);
}

asio::awaitable<void> produce(World& world, SessionQueue& queue, std::vector<int> arrivals) {
  std::vector<int> next_seq(kSessions, 0);
  const QueueSettings followup{.mode = QueueMode::followup,
                               .debounce = std::chrono::milliseconds(0),
                               .cap = 1000,
                               .drop = QueueDrop::old};
  for (int session : arrivals) {
    int seq = next_seq[session]++;
    EnqueueResult result = queue.enqueue(
        key_of(session), InboundMessage{.id = "", .text = std::to_string(seq), .route = "r"},
        followup);
    EXPECT_EQ(result.outcome, EnqueueOutcome::queued);
    if (world.random_int(0, 19) == 0) {
      co_await sleep_for(microseconds(world.random_int(0, 1000)));
    }
  }
}

TEST(LanesProperty, SessionsStayOrderedSerialAndCapped) {
  const std::uint64_t seed = property_seed();
  SCOPED_TRACE("PINCER_PROPERTY_SEED=" + std::to_string(seed));
  World world{.rng = std::mt19937_64(seed)};

  // Arrivals: each session's messages in order, sessions interleaved at random.
  std::vector<int> arrivals;
  std::vector<int> counts(kSessions);
  for (int session = 0; session < kSessions; ++session) {
    counts[session] = world.random_int(1, kMaxMessagesPerSession);
    arrivals.insert(arrivals.end(), static_cast<std::size_t>(counts[session]), session);
  }
  std::shuffle(arrivals.begin(), arrivals.end(), world.rng);

  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = kGlobalCap});
  RunTurn turn = [&world](TurnInput& input, RunControl&) -> asio::awaitable<void> {
    const int session = std::stoi(input.session_key.substr(input.session_key.rfind(':') + 1));
    if (world.running[session]) {
      ++world.overlaps;
    }
    world.running[session] = true;
    world.max_global_running = std::max(world.max_global_running, ++world.global_running);
    co_await sleep_for(microseconds(world.random_int(0, 2000)));
    for (const InboundMessage& message : input.messages) {
      world.transcripts[session].push_back(std::stoi(message.text));
    }
    ++world.turns;
    --world.global_running;
    world.running[session] = false;
  };
  SessionQueue queue(io.get_executor(), lanes, turn);
  asio::co_spawn(io, produce(world, queue, arrivals), asio::detached);

  auto started = std::chrono::steady_clock::now();
  io.run();
  auto elapsed = std::chrono::steady_clock::now() - started;

  EXPECT_EQ(world.overlaps, 0);
  EXPECT_LE(world.max_global_running, kGlobalCap);
  EXPECT_GT(world.max_global_running, 1U);  // sessions did run in parallel
  EXPECT_EQ(world.turns, static_cast<int>(arrivals.size()));
  for (int session = 0; session < kSessions; ++session) {
    std::vector<int> expected(static_cast<std::size_t>(counts[session]));
    for (int seq = 0; seq < counts[session]; ++seq) {
      expected[static_cast<std::size_t>(seq)] = seq;
    }
    ASSERT_EQ(world.transcripts[session], expected) << "session " << session;
  }
  EXPECT_EQ(queue.session_count(), 0U);
  EXPECT_EQ(lanes.session_lane_count(), 0U);
  EXPECT_TRUE(lanes.global(GlobalLane::main).idle());
  std::cout << arrivals.size() << " messages through " << kSessions << " sessions in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
            << " ms, peak parallel runs " << world.max_global_running << "\n";
}

// The same property end to end through state.db, as the daemon will run turns: each turn appends
// its messages to the session's SQLite transcript on the blocking pool (one shared connection
// behind a mutex, like Gateway::with_database) and resumes on the I/O thread. Reading the
// transcripts back afterwards must give every session's messages in arrival order.
TEST(LanesProperty, StoredTranscriptsKeepArrivalOrder) {
  constexpr int kStoredMessagesPerSession = 4;
  const std::uint64_t seed = property_seed();
  SCOPED_TRACE("PINCER_PROPERTY_SEED=" + std::to_string(seed));
  World world{.rng = std::mt19937_64(seed)};
  pincer::testing::TempDir dir;
  auto opened = store::open_state_database(dir / "state.db");
  ASSERT_TRUE(opened) << opened.error().describe();
  store::Database& db = *opened;
  std::mutex db_mutex;

  std::vector<int> arrivals;
  std::vector<int> counts(kSessions);
  for (int session = 0; session < kSessions; ++session) {
    counts[session] = world.random_int(1, kStoredMessagesPerSession);
    arrivals.insert(arrivals.end(), static_cast<std::size_t>(counts[session]), session);
  }
  std::shuffle(arrivals.begin(), arrivals.end(), world.rng);

  asio::io_context io;
  asio::thread_pool pool(2);
  LaneRegistry lanes(LaneCaps{.main = kGlobalCap});
  int failures = 0;
  RunTurn turn = [&](TurnInput& input, RunControl&) -> asio::awaitable<void> {
    const int session = std::stoi(input.session_key.substr(input.session_key.rfind(':') + 1));
    if (world.running[session]) {
      ++world.overlaps;
    }
    world.running[session] = true;
    world.max_global_running = std::max(world.max_global_running, ++world.global_running);
    std::vector<NewTranscriptEntry> entries;
    for (const InboundMessage& message : input.messages) {
      entries.push_back({.kind = EntryKind::user, .role = "user", .content = message.text});
    }
    std::string key = input.session_key;
    auto append = [&db, &db_mutex, &entries, key]() -> bool {
      std::lock_guard lock(db_mutex);
      auto session_row = SessionStore(db).ensure({.key = key, .agent_id = "main"}, 1);
      return session_row &&
             TranscriptStore(db).append(session_row->session.session_id, entries, 1).has_value();
    };
    if (!co_await core::run_blocking(pool, append)) {
      ++failures;
    }
    ++world.turns;
    --world.global_running;
    world.running[session] = false;
  };
  SessionQueue queue(io.get_executor(), lanes, turn);
  asio::co_spawn(io, produce(world, queue, arrivals), asio::detached);
  io.run();
  pool.join();

  EXPECT_EQ(failures, 0);
  EXPECT_EQ(world.overlaps, 0);
  EXPECT_LE(world.max_global_running, kGlobalCap);
  for (int session = 0; session < kSessions; ++session) {
    auto row = SessionStore(db).find_active(key_of(session));
    ASSERT_TRUE(row && *row) << "session " << session;
    auto entries = TranscriptStore(db).last((*row)->session_id, kStoredMessagesPerSession + 1);
    ASSERT_TRUE(entries);
    std::vector<int> stored;
    for (const auto& entry : *entries) {
      stored.push_back(std::stoi(entry.content));
    }
    std::vector<int> expected(static_cast<std::size_t>(counts[session]));
    for (int seq = 0; seq < counts[session]; ++seq) {
      expected[static_cast<std::size_t>(seq)] = seq;
    }
    ASSERT_EQ(stored, expected) << "session " << session;
  }
}

}  // namespace
}  // namespace pincer::sessions
