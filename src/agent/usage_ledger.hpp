#pragma once
// Tokens and dollars spent per model call, in state.db (table model_usage), and the summaries
// usage.status and usage.cost report. One row per completed model call, written in the same
// blocking-pool job as the transcript step it belongs to.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::store {
class Database;
}

namespace pincer::agent {

struct UsageRecord {
  int64_t at_ms = 0;
  std::string session_key;
  std::string agent_id;
  std::string run_id;
  std::string provider;
  std::string model;
  std::string profile_id;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  double cost_usd = 0;
};

struct UsageTotals {
  int64_t calls = 0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  double cost_usd = 0;
  int64_t total_tokens() const {
    return input_tokens + output_tokens + cache_read_tokens + cache_write_tokens;
  }
  UsageTotals& operator+=(const UsageTotals& other) {
    calls += other.calls;
    input_tokens += other.input_tokens;
    output_tokens += other.output_tokens;
    cache_read_tokens += other.cache_read_tokens;
    cache_write_tokens += other.cache_write_tokens;
    cost_usd += other.cost_usd;
    return *this;
  }
};

// Totals grouped by a key (a day "YYYY-MM-DD" in UTC, a "provider/model", a session key).
struct UsageGroup {
  std::string key;
  UsageTotals totals;
};

class UsageLedger {
 public:
  explicit UsageLedger(store::Database& db) : db_(db) {}

  Status record(const UsageRecord& record);
  // Calls in [from_ms, to_ms).
  Result<UsageTotals> totals(int64_t from_ms, int64_t to_ms) const;
  Result<std::vector<UsageGroup>> by_day(int64_t from_ms, int64_t to_ms) const;
  // Days as a clock on the wall reads them: `local_day` names the day ("YYYY-MM-DD") a moment
  // falls on (a time zone, a fixed UTC offset). Calls are bucketed by quarter hour in SQL, the
  // granularity every real UTC offset has, then summed per local day here.
  using LocalDay = std::function<std::string(int64_t at_ms)>;
  Result<std::vector<UsageGroup>> by_local_day(int64_t from_ms, int64_t to_ms,
                                               const LocalDay& local_day) const;
  Result<std::vector<UsageGroup>> by_model(int64_t from_ms, int64_t to_ms) const;
  Result<std::vector<UsageGroup>> by_session(int64_t from_ms, int64_t to_ms,
                                             std::string_view session_key = {}) const;

 private:
  Result<std::vector<UsageGroup>> grouped(std::string_view key_sql, int64_t from_ms, int64_t to_ms,
                                          std::string_view session_key) const;
  store::Database& db_;
};

}  // namespace pincer::agent
