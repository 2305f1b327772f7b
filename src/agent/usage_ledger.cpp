#include "agent/usage_ledger.hpp"

#include <map>
#include <string>

#include "store/database.hpp"
#include "store/rows.hpp"

namespace pincer::agent {
namespace {

constexpr std::string_view kSums =
    "COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
    "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0), "
    "COALESCE(SUM(cost_usd), 0)";

UsageTotals read_totals(const store::Statement& row, int first) {
  UsageTotals t;
  t.calls = row.column_int64(first);
  t.input_tokens = row.column_int64(first + 1);
  t.output_tokens = row.column_int64(first + 2);
  t.cache_read_tokens = row.column_int64(first + 3);
  t.cache_write_tokens = row.column_int64(first + 4);
  t.cost_usd = row.column_double(first + 5);
  return t;
}

}  // namespace

Status UsageLedger::record(const UsageRecord& r) {
  return store::run_sql(
      db_,
      "INSERT INTO model_usage (at_ms, session_key, agent_id, run_id, provider, model, "
      "profile_id, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
      r.at_ms, std::string_view(r.session_key), std::string_view(r.agent_id),
      std::string_view(r.run_id), std::string_view(r.provider), std::string_view(r.model),
      std::string_view(r.profile_id), r.input_tokens, r.output_tokens, r.cache_read_tokens,
      r.cache_write_tokens, r.cost_usd);
}

Result<UsageTotals> UsageLedger::totals(int64_t from_ms, int64_t to_ms) const {
  auto rows = store::query_rows<UsageTotals>(
      db_, "SELECT " + std::string(kSums) + " FROM model_usage WHERE at_ms >= ?1 AND at_ms < ?2",
      [](const store::Statement& row) { return read_totals(row, 0); }, from_ms, to_ms);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  return rows->empty() ? UsageTotals{} : rows->front();
}

Result<std::vector<UsageGroup>> UsageLedger::grouped(std::string_view key_sql, int64_t from_ms,
                                                     int64_t to_ms,
                                                     std::string_view session_key) const {
  std::string sql = "SELECT " + std::string(key_sql) + " AS k, " + std::string(kSums) +
                    " FROM model_usage WHERE at_ms >= ?1 AND at_ms < ?2" +
                    (session_key.empty() ? "" : " AND session_key = ?3") + " GROUP BY k ORDER BY k";
  auto read = [](const store::Statement& row) {
    return UsageGroup{row.column_text(0), read_totals(row, 1)};
  };
  if (session_key.empty()) {
    return store::query_rows<UsageGroup>(db_, sql, read, from_ms, to_ms);
  }
  return store::query_rows<UsageGroup>(db_, sql, read, from_ms, to_ms, session_key);
}

Result<std::vector<UsageGroup>> UsageLedger::by_day(int64_t from_ms, int64_t to_ms) const {
  return grouped("date(at_ms / 1000, 'unixepoch')", from_ms, to_ms, {});
}

Result<std::vector<UsageGroup>> UsageLedger::by_local_day(int64_t from_ms, int64_t to_ms,
                                                          const LocalDay& local_day) const {
  constexpr int64_t kQuarterHourMs = int64_t{15} * 60 * 1000;
  auto quarters =
      grouped("printf('%d', at_ms / " + std::to_string(kQuarterHourMs) + ")", from_ms, to_ms, {});
  if (!quarters) {
    return std::unexpected(quarters.error());
  }
  std::map<std::string, UsageTotals> days;
  for (const auto& quarter : *quarters) {
    days[local_day(std::stoll(quarter.key) * kQuarterHourMs)] += quarter.totals;
  }
  std::vector<UsageGroup> out;
  out.reserve(days.size());
  for (auto& [key, totals] : days) {
    out.push_back({key, totals});
  }
  return out;
}

Result<std::vector<UsageGroup>> UsageLedger::by_model(int64_t from_ms, int64_t to_ms) const {
  return grouped("provider || '/' || model", from_ms, to_ms, {});
}

Result<std::vector<UsageGroup>> UsageLedger::by_session(int64_t from_ms, int64_t to_ms,
                                                        std::string_view session_key) const {
  return grouped("session_key", from_ms, to_ms, session_key);
}

}  // namespace pincer::agent
