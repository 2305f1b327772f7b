#pragma once
// Serialized access to the one state.db connection from coroutines on the I/O thread: each call
// runs on the blocking pool, one at a time, and resumes the caller on its own executor.
// The gateway's method handlers and the agent runner share one DatabaseAccess, so their writes
// never interleave on the connection.

#include <mutex>
#include <type_traits>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/executor.hpp"
#include "store/database.hpp"

namespace pincer::store {

class DatabaseAccess {
 public:
  DatabaseAccess(boost::asio::thread_pool& pool, Database& database)
      : pool_(pool), database_(database) {}
  DatabaseAccess(const DatabaseAccess&) = delete;
  DatabaseAccess& operator=(const DatabaseAccess&) = delete;

  template <class Fn>
  auto with(Fn fn) -> boost::asio::awaitable<std::invoke_result_t<Fn&, Database&>> {
    auto call = [this, &fn]() {
      std::lock_guard lock(mutex_);
      return fn(database_);
    };
    co_return co_await core::run_blocking(pool_, call);
  }

  boost::asio::thread_pool& pool() { return pool_; }

 private:
  boost::asio::thread_pool& pool_;
  Database& database_;
  std::mutex mutex_;  // handlers may run on either pool thread
};

}  // namespace pincer::store
