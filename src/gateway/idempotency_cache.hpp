#pragma once
// Idempotency keys for side-effecting methods: a client that retries a request after a lost
// response (reconnect, timeout) must not run it twice. The first call with a key runs; calls
// with the same key while it runs wait for it; later calls within the retention window get the
// stored result. Bounded in size and age; I/O thread only.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/rpc_error.hpp"

namespace pincer::gateway {

class IdempotencyCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxEntries = 2048;
  static constexpr std::chrono::minutes kRetention{10};

  explicit IdempotencyCache(boost::asio::io_context& io) : io_(io) {}

  // Runs `work` unless `method` + `key` already ran (or is running), in which case the first
  // run's result is returned.
  boost::asio::awaitable<RpcResult> run(const std::string& method, const std::string& key,
                                        std::function<boost::asio::awaitable<RpcResult>()> work);

  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::optional<RpcResult> result;
    Clock::time_point finished_at;
    std::shared_ptr<boost::asio::steady_timer> done;  // cancelled when result is set
  };
  void evict(Clock::time_point now);

  boost::asio::io_context& io_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace pincer::gateway
