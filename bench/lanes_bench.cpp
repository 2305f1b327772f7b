// Command lanes and the inbound queue: what a turn pays to get in line. Everything runs on one
// io_context thread, as in the gateway.
//   LaneAcquireUncontended   co_await acquire() + release on a lane with a free slot (the fast
//                            path every turn takes twice); p50 is a counter (target < 1 us)
//   LaneTryAcquire           the same without a coroutine
//   LaneEnterSessionAndMain  a turn's admission: session lane (made and dropped each time)
//                            then the main lane, uncontended
//   LaneContendedThroughput  64 sessions x 2 turns racing for main (cap 8), with a hand-off
//                            through the io_context per turn: permits per second
//   QueueEnqueueWhileBusy    SessionQueue::enqueue into a session whose run is active
//   QueueTurnsEndToEnd       enqueue into idle sessions and run each (empty) turn to the end

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "sessions/lane.hpp"
#include "sessions/lane_registry.hpp"
#include "sessions/session_queue.hpp"

namespace pincer::sessions {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

asio::awaitable<void> acquire_loop(benchmark::State& state, Lane& lane) {
  std::vector<double> samples;
  samples.reserve(1 << 16);
  for (auto _ : state) {
    auto start = Clock::now();
    {
      LanePermit permit = co_await lane.acquire();
      benchmark::DoNotOptimize(permit);
    }
    if (samples.size() < samples.capacity()) {
      samples.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
    }
  }
  if (!samples.empty()) {
    auto middle = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
    std::nth_element(samples.begin(), middle, samples.end());
    state.counters["p50_ns"] = *middle;  // includes two clock reads
  }
}

void LaneAcquireUncontended(benchmark::State& state) {
  asio::io_context io;
  Lane lane("main", 4);
  asio::co_spawn(io, acquire_loop(state, lane), asio::detached);
  io.run();
}
BENCHMARK(LaneAcquireUncontended);

void LaneTryAcquire(benchmark::State& state) {
  Lane lane("main", 4);
  for (auto _ : state) {
    LanePermit permit = lane.try_acquire();
    benchmark::DoNotOptimize(permit);
  }
}
BENCHMARK(LaneTryAcquire);

asio::awaitable<void> enter_loop(benchmark::State& state, LaneRegistry& lanes) {
  std::vector<std::string> keys;
  for (int i = 0; i < 1024; ++i) {
    keys.push_back("agent:main:telegram:direct:" + std::to_string(100000 + i));
  }
  std::size_t next = 0;
  for (auto _ : state) {
    TurnPermit permit = co_await lanes.enter(keys[next++ % keys.size()]);
    benchmark::DoNotOptimize(permit);
  }
  state.SetItemsProcessed(state.iterations());
}

void LaneEnterSessionAndMain(benchmark::State& state) {
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 8});
  asio::co_spawn(io, enter_loop(state, lanes), asio::detached);
  io.run();
}
BENCHMARK(LaneEnterSessionAndMain);

asio::awaitable<void> contended_worker(LaneRegistry& lanes, std::string key, int turns) {
  for (int i = 0; i < turns; ++i) {
    TurnPermit permit = co_await lanes.enter(key);
    // Yield once while holding the permits, as a real turn would at its first await.
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
  }
}

void LaneContendedThroughput(benchmark::State& state) {
  constexpr int kSessions = 64;
  constexpr int kTurnsPerWorker = 16;
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 8});
  for (auto _ : state) {
    for (int s = 0; s < kSessions; ++s) {
      std::string key = "session-" + std::to_string(s);
      // Two producers per session so session lanes are contended too.
      asio::co_spawn(io, contended_worker(lanes, key, kTurnsPerWorker), asio::detached);
      asio::co_spawn(io, contended_worker(lanes, key, kTurnsPerWorker), asio::detached);
    }
    io.run();
    io.restart();
  }
  state.SetItemsProcessed(state.iterations() * kSessions * 2 * kTurnsPerWorker);
}
BENCHMARK(LaneContendedThroughput)->Unit(benchmark::kMicrosecond);

void QueueEnqueueWhileBusy(benchmark::State& state) {
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 8});
  bool started = false;
  RunTurn park = [&started](TurnInput&, RunControl&) -> asio::awaitable<void> {
    started = true;
    asio::steady_timer timer(co_await asio::this_coro::executor, std::chrono::hours(1));
    co_await timer.async_wait(asio::use_awaitable);  // until abort_session()
  };
  SessionQueue queue(io.get_executor(), lanes, park);
  const QueueSettings followup{.mode = QueueMode::followup,
                               .debounce = std::chrono::milliseconds(0),
                               .cap = 1024,
                               .drop = QueueDrop::old};
  queue.enqueue("busy", InboundMessage{.id = "0", .text = "run", .route = "r"}, followup);
  while (!started) {
    io.run_one();
  }
  InboundMessage message{.id = "1", .text = "hello there, how is it going?", .route = "telegram:1"};
  for (auto _ : state) {
    EnqueueResult result = queue.enqueue("busy", message, followup);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
  queue.abort_session("busy");
  io.run();
}
BENCHMARK(QueueEnqueueWhileBusy);

void QueueTurnsEndToEnd(benchmark::State& state) {
  constexpr int kBatch = 256;
  asio::io_context io;
  LaneRegistry lanes(LaneCaps{.main = 8});
  std::size_t turns = 0;
  RunTurn count = [&turns](TurnInput&, RunControl&) -> asio::awaitable<void> {
    ++turns;
    co_return;
  };
  SessionQueue queue(io.get_executor(), lanes, count);
  const QueueSettings followup{.mode = QueueMode::followup,
                               .debounce = std::chrono::milliseconds(0),
                               .cap = 20,
                               .drop = QueueDrop::old};
  std::vector<std::string> keys;
  for (int i = 0; i < kBatch; ++i) {
    keys.push_back("agent:main:telegram:direct:" + std::to_string(100000 + i));
  }
  for (auto _ : state) {
    for (const std::string& key : keys) {
      queue.enqueue(key, InboundMessage{.id = "1", .text = "hi", .route = "r"}, followup);
    }
    io.run();
    io.restart();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(turns));
}
BENCHMARK(QueueTurnsEndToEnd)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pincer::sessions
