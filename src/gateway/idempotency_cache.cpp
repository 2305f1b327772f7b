#include "gateway/idempotency_cache.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pincer::gateway {

namespace asio = boost::asio;

asio::awaitable<RpcResult> IdempotencyCache::run(const std::string& method, const std::string& key,
                                                 std::function<asio::awaitable<RpcResult>()> work) {
  std::string full_key = method + '\n' + key;
  auto now = Clock::now();
  evict(now);
  if (auto it = entries_.find(full_key); it != entries_.end()) {
    auto entry = it->second;
    while (!entry->result) {
      co_await entry->done->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return *entry->result;
  }
  auto entry = std::make_shared<Entry>();
  entry->done = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
  entries_.emplace(full_key, entry);
  order_.push_back(full_key);
  RpcResult result = co_await work();
  entry->result = result;
  entry->finished_at = Clock::now();
  entry->done->cancel();
  co_return result;
}

void IdempotencyCache::evict(Clock::time_point now) {
  while (!order_.empty()) {
    auto it = entries_.find(order_.front());
    if (it == entries_.end()) {
      order_.pop_front();
      continue;
    }
    const auto& entry = *it->second;
    bool expired = entry.result && now - entry.finished_at > kRetention;
    bool over = entries_.size() > kMaxEntries && entry.result;
    if (!expired && !over) {
      break;
    }
    entries_.erase(it);
    order_.pop_front();
  }
}

}  // namespace pincer::gateway
