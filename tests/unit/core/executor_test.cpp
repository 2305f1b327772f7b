#include "core/executor.hpp"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
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

// Regression: aborting a turn while it waited on the database terminated the gateway — the
// caller's cancellation reached the pool coroutine, whose co_spawn threw on the pool thread.
// The work finishes, the caller resumes, and nothing escapes.
TEST(RunBlocking, CallerCancelledWhileWorkRunsDoesNotEscape) {
  asio::io_context io;
  asio::thread_pool pool(1);
  asio::cancellation_signal cancel;
  std::promise<void> started;
  std::promise<void> release;
  auto released = release.get_future().share();
  bool work_done = false;
  bool resumed = false;
  std::exception_ptr caller_error;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto work = [&] {
          started.set_value();
          released.wait();
          work_done = true;
          return 7;
        };
        int value = co_await run_blocking(pool, work);
        resumed = value == 7;
      },
      asio::bind_cancellation_slot(cancel.slot(),
                                   [&](std::exception_ptr error) { caller_error = error; }));
  std::thread driver([&] {
    started.get_future().wait();
    asio::post(io, [&] {
      cancel.emit(asio::cancellation_type::all);
      release.set_value();
    });
  });
  io.run();
  driver.join();
  pool.join();
  EXPECT_TRUE(work_done);
  EXPECT_TRUE(resumed || caller_error != nullptr);
}

}  // namespace
}  // namespace pincer::core
