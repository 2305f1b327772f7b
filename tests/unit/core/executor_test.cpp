#include "core/executor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace pincer::core {
namespace {

namespace asio = boost::asio;

// Blocking work runs on the pool and the coroutine resumes on its own I/O thread with the value.
TEST(RunBlocking, RunsOnPoolAndResumesOnIoThread) {
  asio::io_context io;
  asio::thread_pool pool(1);
  std::thread::id io_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  std::thread::id resumed_thread;
  std::string result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto work = [&work_thread] {
          work_thread = std::this_thread::get_id();
          return std::string("done");
        };
        result = co_await run_blocking(pool, work);
        resumed_thread = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  pool.join();
  EXPECT_EQ(result, "done");
  EXPECT_NE(work_thread, io_thread);
  EXPECT_EQ(resumed_thread, io_thread);
}

// Move-only results (Result<T> with unique_ptr inside) come back intact; void works too.
TEST(RunBlocking, HandlesMoveOnlyAndVoid) {
  asio::io_context io;
  asio::thread_pool pool(1);
  int value = 0;
  bool ran = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto make = [] { return std::make_unique<int>(42); };
        auto ptr = co_await run_blocking(pool, make);
        value = *ptr;
        auto side_effect = [&ran] { ran = true; };
        co_await run_blocking(pool, side_effect);
      },
      asio::detached);
  io.run();
  pool.join();
  EXPECT_EQ(value, 42);
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace pincer::core
