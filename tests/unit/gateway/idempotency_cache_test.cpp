#include "gateway/idempotency_cache.hpp"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace pincer::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Method names and keys are named strings, not temporaries, in every co_await: GCC 12
// mishandles temporaries that live across a suspension.
const std::string kSend = "send";
const std::string kAgent = "agent";

// Runs `body` as a coroutine on `io` until it and everything it spawned finish.
void run_coroutine(asio::io_context& io, std::function<asio::awaitable<void>()> body) {
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await body();
        finished = true;
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(finished);
}

// A retried request with the same key gets the first run's result without running again.
TEST(IdempotencyCache, SameKeyRunsOnceAndReturnsTheFirstResult) {
  asio::io_context io;
  IdempotencyCache cache(io);
  int runs = 0;
  auto work = [&]() -> asio::awaitable<RpcResult> {
    ++runs;
    co_return json::value{{"run", runs}};
  };
  const std::string key = "key-1";
  RpcResult first;
  RpcResult second;
  // gtest's ASSERT_* return, which a coroutine may not: check after it finished.
  auto body = [&]() -> asio::awaitable<void> {
    first = co_await cache.run(kSend, key, work);
    second = co_await cache.run(kSend, key, work);
  };
  run_coroutine(io, body);
  EXPECT_EQ(runs, 1);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(first->at("run").as_int64(), 1);
}

// Keys are per method: the same key on another method is a different request.
TEST(IdempotencyCache, KeysAreScopedToTheMethod) {
  asio::io_context io;
  IdempotencyCache cache(io);
  int runs = 0;
  auto work = [&]() -> asio::awaitable<RpcResult> {
    ++runs;
    co_return json::value(runs);
  };
  const std::string key = "key";
  const std::string other = "other";
  RpcResult a;
  RpcResult b;
  RpcResult c;
  auto body = [&]() -> asio::awaitable<void> {
    a = co_await cache.run(kSend, key, work);
    b = co_await cache.run(kAgent, key, work);
    c = co_await cache.run(kSend, other, work);
  };
  run_coroutine(io, body);
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(cache.size(), 3U);
  ASSERT_TRUE(a && b && c);
  EXPECT_NE(*a, *b);
}

// A duplicate that arrives while the first run is still working waits for it, then shares its
// result: the work never runs twice concurrently.
TEST(IdempotencyCache, ConcurrentDuplicateWaitsForTheFirstRun) {
  asio::io_context io;
  IdempotencyCache cache(io);
  int runs = 0;
  asio::steady_timer release(io, asio::steady_timer::time_point::max());
  auto slow_work = [&]() -> asio::awaitable<RpcResult> {
    ++runs;
    co_await release.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return json::value("done");
  };
  std::vector<RpcResult> results;
  const std::string key = "dup";
  auto caller = [&]() -> asio::awaitable<void> {
    results.push_back(co_await cache.run(kSend, key, slow_work));
  };
  asio::co_spawn(io, caller, asio::detached);
  asio::co_spawn(io, caller, asio::detached);
  io.poll();  // both callers are now parked: one in the work, one waiting for it
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(results.empty());
  release.cancel();
  io.run();
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(runs, 1);
  for (const auto& result : results) {
    ASSERT_TRUE(result);
    EXPECT_EQ(*result, json::value("done"));
  }
}

// A failed run is remembered too: retrying a rejected request gets the same error instead of
// running the side effect again.
TEST(IdempotencyCache, ErrorsAreReplayedToo) {
  asio::io_context io;
  IdempotencyCache cache(io);
  int runs = 0;
  auto failing = [&]() -> asio::awaitable<RpcResult> {
    ++runs;
    co_return std::unexpected(invalid_request("bad target"));
  };
  const std::string key = "k";
  RpcResult first;
  RpcResult second;
  auto body = [&]() -> asio::awaitable<void> {
    first = co_await cache.run(kSend, key, failing);
    second = co_await cache.run(kSend, key, failing);
  };
  run_coroutine(io, body);
  EXPECT_EQ(runs, 1);
  ASSERT_FALSE(first);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, "INVALID_REQUEST");
  EXPECT_EQ(second.error().message, "bad target");
}

// The cache is bounded: past kMaxEntries the oldest finished entry is dropped, so its key runs
// again, while recent keys are still answered from the cache.
TEST(IdempotencyCache, EvictsTheOldestEntriesPastTheBound) {
  asio::io_context io;
  IdempotencyCache cache(io);
  int runs = 0;
  auto work = [&]() -> asio::awaitable<RpcResult> {
    ++runs;
    co_return json::value(runs);
  };
  auto body = [&]() -> asio::awaitable<void> {
    for (std::size_t i = 0; i <= IdempotencyCache::kMaxEntries + 1; ++i) {
      const std::string key = "key-" + std::to_string(i);
      co_await cache.run(kSend, key, work);
    }
    EXPECT_LE(cache.size(), IdempotencyCache::kMaxEntries + 1);
    int before = runs;
    const std::string oldest = "key-0";
    co_await cache.run(kSend, oldest, work);
    EXPECT_EQ(runs, before + 1);
    const std::string recent = "key-" + std::to_string(IdempotencyCache::kMaxEntries);
    co_await cache.run(kSend, recent, work);
    EXPECT_EQ(runs, before + 1);
  };
  run_coroutine(io, body);
}

}  // namespace
}  // namespace pincer::gateway
