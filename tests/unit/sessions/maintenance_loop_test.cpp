#include "sessions/maintenance_loop.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "sessions/session_store.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

namespace asio = boost::asio;
using pincer::testing::TempDir;

// The loop prunes on its own connection while the test holds another one open, as the daemon
// does (the gateway's handlers keep their connection).
TEST(MaintenanceLoop, RunsOnItsOwnConnectionAndPrunesOldArchives) {
  TempDir dir;
  auto file = dir / "state.db";
  auto db = store::open_state_database(file);
  ASSERT_TRUE(db) << db.error().describe();
  SessionStore sessions(*db);
  ASSERT_TRUE(sessions.ensure({.key = "agent:main:old", .agent_id = "main"}, 0));
  ASSERT_TRUE(sessions.reset("agent:main:old", ArchiveReason::reset, 1000));  // archived at 1 s
  ASSERT_TRUE(sessions.ensure({.key = "agent:main:kept", .agent_id = "main"}, 0));

  asio::io_context io;
  asio::thread_pool pool(1);
  MaintenanceLoop loop(io, pool, file, [] {
    MaintenanceOptions options;
    options.prune_after_ms = 60'000;  // everything archived before a minute ago
    return options;
  });
  std::optional<Result<MaintenanceReport>> report;
  auto run = [&]() -> asio::awaitable<void> { report = co_await loop.run_once(); };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  pool.join();

  ASSERT_TRUE(report.has_value());
  ASSERT_TRUE(*report) << report->error().describe();
  EXPECT_EQ((*report)->pruned_sessions, 1);
  auto generations = sessions.generations("agent:main:old");
  ASSERT_TRUE(generations);
  EXPECT_EQ(generations->size(), 1U) << "only the active generation is left";
  EXPECT_TRUE(sessions.find_active("agent:main:kept").value().has_value());
}

// stop() before the first tick: the loop ends without running and io.run() returns.
TEST(MaintenanceLoop, StopEndsTheTimerLoop) {
  TempDir dir;
  asio::io_context io;
  asio::thread_pool pool(1);
  MaintenanceLoop loop(io, pool, dir / "state.db", [] { return MaintenanceOptions{}; });
  loop.start(std::chrono::hours(1), std::chrono::hours(1));
  asio::post(io, [&] { loop.stop(); });
  io.run();  // would block for an hour if the timer were left armed
  pool.join();
  EXPECT_FALSE(std::filesystem::exists(dir / "state.db")) << "no run happened";
}

}  // namespace
}  // namespace pincer::sessions
