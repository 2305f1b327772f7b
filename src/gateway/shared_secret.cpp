#include "gateway/shared_secret.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

namespace pincer::gateway {

namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

constexpr std::size_t kPruneThreshold = 4096;

}  // namespace

bool secrets_equal(std::string_view presented, std::string_view expected) {
  if (expected.empty()) {
    return false;  // an unset secret never matches, not even an empty guess
  }
  auto a = digest(presented);
  auto b = digest(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int64_t AuthRateLimiter::retry_after_ms(const std::string& address, bool loopback,
                                        Clock::time_point now) const {
  if (exempt(loopback)) {
    return 0;
  }
  auto it = entries_.find(address);
  if (it == entries_.end() || it->second.locked_until <= now) {
    return 0;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(it->second.locked_until - now)
             .count() +
         1;
}

void AuthRateLimiter::record_failure(const std::string& address, bool loopback,
                                     Clock::time_point now) {
  if (exempt(loopback) || limits_.max_attempts <= 0) {
    return;
  }
  if (entries_.size() >= kPruneThreshold) {
    prune(now);
  }
  auto& entry = entries_[address];
  auto window = std::chrono::milliseconds(limits_.window_ms);
  if (entry.failures == 0 || now - entry.window_start > window) {
    entry.failures = 0;
    entry.window_start = now;
  }
  if (++entry.failures >= limits_.max_attempts) {
    entry.locked_until = now + std::chrono::milliseconds(limits_.lockout_ms);
    entry.failures = 0;
  }
}

void AuthRateLimiter::record_success(const std::string& address) {
  entries_.erase(address);
}

void AuthRateLimiter::prune(Clock::time_point now) {
  auto window = std::chrono::milliseconds(limits_.window_ms);
  std::erase_if(entries_, [&](const auto& item) {
    return item.second.locked_until <= now && now - item.second.window_start > window;
  });
}

}  // namespace pincer::gateway
