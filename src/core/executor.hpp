#pragma once
// The daemon's threads: one io_context thread runs all network I/O and timers and never blocks;
// a small thread pool runs blocking work (SQLite, files, process waits). run_blocking() is the
// one bridge between them.

#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pincer::core {

// Runs `fn` on `pool` and resumes the awaiting coroutine on its own executor with the result.
// `fn` must not touch state owned by the I/O thread.
//
// Blocking work cannot be interrupted, so the caller's cancellation is not passed on: a
// cancelled caller (an aborted turn) resumes once `fn` is done and sees the cancellation at its
// next wait. Passing it on would make Boost 1.81's co_spawn throw operation_aborted on the pool
// thread after `fn` ran, outside any handler, and terminate the process.
template <class Fn>
auto run_blocking(boost::asio::thread_pool& pool, Fn fn)
    -> boost::asio::awaitable<std::invoke_result_t<Fn&>> {
  using R = std::invoke_result_t<Fn&>;
  if constexpr (std::is_void_v<R>) {
    co_await boost::asio::co_spawn(
        pool,
        [&fn]() -> boost::asio::awaitable<void> {
          fn();
          co_return;
        },
        boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                            boost::asio::use_awaitable));
  } else {
    // co_spawn needs a default-constructible result; optional provides one for any R.
    std::optional<R> result = co_await boost::asio::co_spawn(
        pool, [&fn]() -> boost::asio::awaitable<std::optional<R>> { co_return fn(); },
        boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                            boost::asio::use_awaitable));
    co_return std::move(
        *result);  // NOLINT(bugprone-unchecked-optional-access): set, or co_spawn threw
  }
}

}  // namespace pincer::core
