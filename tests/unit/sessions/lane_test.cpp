#include "sessions/lane.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "sessions/lane_registry.hpp"

namespace pincer::sessions {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

// Every waiter is served in the order it arrived, whatever order slots free up in.
TEST(Lane, ServesWaitersInArrivalOrder) {
  asio::io_context io;
  Lane lane("test", 1);
  std::vector<int> order;
  auto turn = [&](int id) -> asio::awaitable<void> {
    LanePermit permit = co_await lane.acquire();
    order.push_back(id);
    co_await sleep_for(1ms);
  };
  for (int id = 0; id < 6; ++id) {
    asio::co_spawn(io, turn(id), asio::detached);
  }
  io.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(lane.idle());
  EXPECT_EQ(lane.stats().total_acquired, 6U);
}

// No more than `cap` permits are ever out at once.
TEST(Lane, NeverExceedsItsCap) {
  asio::io_context io;
  Lane lane("test", 3);
  std::size_t running = 0;
  std::size_t max_running = 0;
  auto turn = [&](int id) -> asio::awaitable<void> {
    LanePermit permit = co_await lane.acquire();
    max_running = std::max(max_running, ++running);
    EXPECT_LE(lane.active(), 3U);
    co_await sleep_for(std::chrono::milliseconds(id % 3));
    --running;
  };
  for (int id = 0; id < 30; ++id) {
    asio::co_spawn(io, turn(id), asio::detached);
  }
  io.run();
  EXPECT_EQ(max_running, 3U);
  EXPECT_TRUE(lane.idle());
}

// try_acquire takes a free slot but never jumps ahead of a waiter.
TEST(Lane, TryAcquireNeverJumpsTheQueue) {
  asio::io_context io;
  Lane lane("test", 1);
  LanePermit first = lane.try_acquire();
  ASSERT_TRUE(first);
  EXPECT_FALSE(lane.try_acquire());
  bool waiter_ran = false;
  auto waiter = [&]() -> asio::awaitable<void> {
    LanePermit permit = co_await lane.acquire();
    waiter_ran = true;
  };
  asio::co_spawn(io, waiter(), asio::detached);
  io.poll();
  EXPECT_EQ(lane.queued(), 1U);
  first.release();
  EXPECT_FALSE(lane.try_acquire());  // the slot already belongs to the waiter
  io.run();
  EXPECT_TRUE(waiter_ran);
  EXPECT_TRUE(lane.idle());
}

// A waiter that loses a race against a timer leaves the queue and never holds a permit.
TEST(Lane, CancelledWaiterLeavesTheQueue) {
  asio::io_context io;
  Lane lane("test", 1);
  LanePermit holder = lane.try_acquire();
  bool timed_out = false;
  auto impatient = [&]() -> asio::awaitable<void> {
    auto result = co_await (lane.acquire() || sleep_for(2ms));
    timed_out = result.index() == 1;
  };
  std::vector<int> served;
  auto patient = [&]() -> asio::awaitable<void> {
    co_await sleep_for(1ms);  // queue behind the impatient one
    LanePermit permit = co_await lane.acquire();
    served.push_back(1);
  };
  auto release_later = [&]() -> asio::awaitable<void> {
    co_await sleep_for(5ms);
    EXPECT_EQ(lane.queued(), 1U);  // only the patient waiter is left
    holder.release();
  };
  asio::co_spawn(io, impatient(), asio::detached);
  asio::co_spawn(io, patient(), asio::detached);
  asio::co_spawn(io, release_later(), asio::detached);
  io.run();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(served, (std::vector<int>{1}));
  EXPECT_TRUE(lane.idle());
}

// A cancellation signal aborts the wait with operation_aborted; no slot is leaked.
TEST(Lane, CancellationSignalAbortsTheWait) {
  asio::io_context io;
  Lane lane("test", 1);
  LanePermit holder = lane.try_acquire();
  asio::cancellation_signal signal;
  std::exception_ptr failure;
  auto waiter = [&]() -> asio::awaitable<void> { LanePermit permit = co_await lane.acquire(); };
  asio::co_spawn(
      io, waiter(),
      asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) { failure = e; }));
  io.poll();
  ASSERT_EQ(lane.queued(), 1U);
  signal.emit(asio::cancellation_type::terminal);
  signal.emit(asio::cancellation_type::terminal);  // a second emit must be harmless
  io.run();
  ASSERT_TRUE(failure);
  try {
    std::rethrow_exception(failure);
  } catch (const boost::system::system_error& error) {
    EXPECT_EQ(error.code(), asio::error::operation_aborted);
  }
  EXPECT_EQ(lane.queued(), 0U);
  EXPECT_EQ(lane.active(), 1U);
  holder.release();
  EXPECT_TRUE(lane.idle());
}

// A run that throws still frees its slot for the next one.
TEST(Lane, ThrowingRunFreesItsSlot) {
  asio::io_context io;
  Lane lane("test", 1);
  int finished = 0;
  auto failing = [&]() -> asio::awaitable<void> {
    LanePermit permit = co_await lane.acquire();
    co_await sleep_for(1ms);
    throw std::runtime_error("run failed");
  };
  auto next = [&]() -> asio::awaitable<void> {
    LanePermit permit = co_await lane.acquire();
    ++finished;
  };
  asio::co_spawn(io, failing(), [](std::exception_ptr) {});
  asio::co_spawn(io, next(), asio::detached);
  io.run();
  EXPECT_EQ(finished, 1);
  EXPECT_TRUE(lane.idle());
}

// Raising the cap admits waiters at once; lowering it lets holders finish first.
TEST(Lane, CapChangesApplyAtOnce) {
  asio::io_context io;
  Lane lane("test", 1);
  std::vector<LanePermit> held;
  auto waiter = [&]() -> asio::awaitable<void> { held.push_back(co_await lane.acquire()); };
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(io, waiter(), asio::detached);
  }
  io.poll();
  EXPECT_EQ(held.size(), 1U);
  EXPECT_EQ(lane.queued(), 3U);
  lane.set_cap(3);
  io.poll();
  EXPECT_EQ(held.size(), 3U);
  lane.set_cap(1);
  held.erase(held.begin());  // 2 still out, cap 1: the last waiter keeps waiting
  io.poll();
  EXPECT_EQ(held.size(), 2U);
  held.clear();
  io.run();
  EXPECT_EQ(held.size(), 1U);
  held.clear();
  EXPECT_TRUE(lane.idle());
}

// Releasing many permits in a row never resumes a waiter on the releaser's stack.
TEST(Lane, ReleaseDoesNotRunWaitersInline) {
  asio::io_context io;
  Lane lane("test", 1);
  LanePermit holder = lane.try_acquire();
  int resumed = 0;
  auto waiter = [&]() -> asio::awaitable<void> {
    LanePermit permit = co_await lane.acquire();
    ++resumed;
  };
  for (int i = 0; i < 1000; ++i) {
    asio::co_spawn(io, waiter(), asio::detached);
  }
  io.poll();
  holder.release();
  EXPECT_EQ(resumed, 0);  // granted, but resumed by the io_context
  io.run();
  EXPECT_EQ(resumed, 1000);
  EXPECT_TRUE(lane.idle());
}

// A turn holds its session lane and then the global lane; sessions run in parallel up to the
// global cap while one session's turns stay ordered.
TEST(LaneRegistry, SerializesSessionsAndCapsGlobalParallelism) {
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 2});
  std::vector<std::string> log;
  std::size_t running = 0;
  std::size_t max_running = 0;
  auto turn = [&](std::string key, int n) -> asio::awaitable<void> {
    TurnPermit permit = co_await lanes.enter(key);
    max_running = std::max(max_running, ++running);
    log.push_back(key + std::to_string(n));
    co_await sleep_for(1ms);
    --running;
  };
  for (int n = 0; n < 3; ++n) {
    for (std::string key : {"a", "b", "c"}) {
      asio::co_spawn(io, turn(key, n), asio::detached);
    }
  }
  io.run();
  EXPECT_EQ(max_running, 2U);
  for (std::string key : {"a", "b", "c"}) {
    std::vector<std::string> mine;
    for (const auto& entry : log) {
      if (entry.starts_with(key)) {
        mine.push_back(entry);
      }
    }
    EXPECT_EQ(mine, (std::vector<std::string>{key + "0", key + "1", key + "2"}));
  }
}

// Session lanes exist only while they have work: many sessions leave nothing behind.
TEST(LaneRegistry, DropsIdleSessionLanes) {
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 4});
  std::size_t peak_lanes = 0;
  auto turn = [&](int n) -> asio::awaitable<void> {
    TurnPermit permit = co_await lanes.enter("agent:main:peer:" + std::to_string(n));
    peak_lanes = std::max(peak_lanes, lanes.session_lane_count());
    co_await sleep_for(std::chrono::milliseconds(n % 2));
  };
  for (int n = 0; n < 500; ++n) {
    asio::co_spawn(io, turn(n), asio::detached);
  }
  io.run();
  EXPECT_GT(peak_lanes, 100U);  // most were waiting at once
  EXPECT_EQ(lanes.session_lane_count(), 0U);
  LaneDiagnostics diagnostics = lanes.diagnostics();
  EXPECT_EQ(diagnostics.session_lanes_created, 500U);
  EXPECT_EQ(diagnostics.session_lanes_dropped, 500U);
  EXPECT_EQ(diagnostics.global[0].total_acquired, 500U);
}

// Cancelling a turn that waits for the global lane also frees its session lane.
TEST(LaneRegistry, CancelledEnterReleasesTheSessionLane) {
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 1});
  LanePermit busy = lanes.global(GlobalLane::main).try_acquire();
  bool timed_out = false;
  auto turn = [&]() -> asio::awaitable<void> {
    auto result = co_await (lanes.enter("s") || sleep_for(2ms));
    timed_out = result.index() == 1;
  };
  asio::co_spawn(io, turn(), asio::detached);
  io.run();
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(lanes.find_session_lane("s"), nullptr);
  EXPECT_EQ(lanes.global(GlobalLane::main).queued(), 0U);
}

// diagnostics.lanes lists the global lanes and session lanes in aggregate.
TEST(LaneRegistry, RendersDiagnosticsJson) {
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 4, .cron = 1, .subagent = 8, .nested = 1});
  LanePermit held = lanes.session_lane("x").try_acquire();
  std::string text = boost::json::serialize(lane_diagnostics_json(lanes.diagnostics()));
  EXPECT_NE(text.find(R"({"lane":"main","queuedCount":0,"activeCount":0,"maxConcurrent":4)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("dynamic":{"lanes":1,"activeCount":1,"queuedCount":0)"), std::string::npos)
      << text;
  held.release();
  EXPECT_EQ(lanes.session_lane_count(), 0U);
}

}  // namespace
}  // namespace pincer::sessions
