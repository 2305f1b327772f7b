#pragma once
// The gateway's shared secret (gateway.auth.token or .password) and the per-address limit on
// guessing it.
//
// Comparison is constant-time in the secret's content and length: both sides are hashed with
// SHA-256 first and the digests compared with CRYPTO_memcmp, so timing says nothing about how
// much of a guess was right.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/config.hpp"

namespace pincer::gateway {

bool secrets_equal(std::string_view presented, std::string_view expected);

// Counts failed attempts per remote address in a sliding window; after max_attempts the address
// is locked out for lockout_ms. Memory is bounded: stale entries are pruned as it grows.
class AuthRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AuthRateLimiter(core::GatewayAuthRateLimit limits = {}) : limits_(limits) {}
  void configure(core::GatewayAuthRateLimit limits) { limits_ = limits; }

  // Milliseconds until `address` may try again; 0 when it may try now.
  int64_t retry_after_ms(const std::string& address, bool loopback,
                         Clock::time_point now = Clock::now()) const;
  void record_failure(const std::string& address, bool loopback,
                      Clock::time_point now = Clock::now());
  void record_success(const std::string& address);

 private:
  struct Entry {
    int64_t failures = 0;
    Clock::time_point window_start;
    Clock::time_point locked_until;
  };
  bool exempt(bool loopback) const { return loopback && limits_.exempt_loopback; }
  void prune(Clock::time_point now);

  core::GatewayAuthRateLimit limits_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace pincer::gateway
