#include "agent/auth_profile_store.hpp"

#include "store/database.hpp"
#include "store/rows.hpp"

namespace pincer::agent {
namespace {

constexpr std::string_view kProfileColumns =
    "profile_id, provider, type, secret, email, display_name, expires_at_ms, created_at_ms";
constexpr std::string_view kStateColumns =
    "profile_id, last_used_ms, last_good_ms, error_count, last_failure_ms, last_failure_reason, "
    "cooldown_until_ms, cooldown_model, disabled_until_ms, disabled_reason";

AuthProfile read_profile(const store::Statement& row) {
  AuthProfile p;
  p.id = row.column_text(0);
  p.provider = row.column_text(1);
  p.type = row.column_text(2);
  p.secret = row.column_text(3);
  p.email = row.column_text(4);
  p.display_name = row.column_text(5);
  p.expires_at_ms = row.column_int64(6);
  p.created_at_ms = row.column_int64(7);
  return p;
}

AuthProfileState read_state(const store::Statement& row) {
  AuthProfileState s;
  s.profile_id = row.column_text(0);
  s.last_used_ms = row.column_int64(1);
  s.last_good_ms = row.column_int64(2);
  s.error_count = row.column_int64(3);
  s.last_failure_ms = row.column_int64(4);
  s.last_failure_reason = row.column_text(5);
  s.cooldown_until_ms = row.column_int64(6);
  s.cooldown_model = row.column_text(7);
  s.disabled_until_ms = row.column_int64(8);
  s.disabled_reason = row.column_text(9);
  return s;
}

}  // namespace

Status AuthProfileStore::upsert(const AuthProfile& p) {
  std::string sql = "INSERT OR REPLACE INTO auth_profiles (" + std::string(kProfileColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
  return store::run_sql(db_, sql, std::string_view(p.id), std::string_view(p.provider),
                        std::string_view(p.type), std::string_view(p.secret),
                        std::string_view(p.email), std::string_view(p.display_name),
                        p.expires_at_ms, p.created_at_ms);
}

Result<bool> AuthProfileStore::remove(std::string_view profile_id) {
  if (auto cleared = clear_state(profile_id); !cleared) {
    return std::unexpected(cleared.error());
  }
  if (auto ran = store::run_sql(db_, "DELETE FROM auth_profiles WHERE profile_id = ?1", profile_id);
      !ran) {
    return std::unexpected(ran.error());
  }
  auto changes = store::query_int(db_, "SELECT changes()");
  if (!changes) {
    return std::unexpected(changes.error());
  }
  return *changes > 0;
}

Result<std::vector<AuthProfile>> AuthProfileStore::list(std::string_view provider) const {
  std::string sql = "SELECT " + std::string(kProfileColumns) + " FROM auth_profiles";
  if (provider.empty()) {
    return store::query_rows<AuthProfile>(db_, sql + " ORDER BY profile_id", read_profile);
  }
  return store::query_rows<AuthProfile>(db_, sql + " WHERE provider = ?1 ORDER BY profile_id",
                                        read_profile, provider);
}

Result<std::map<std::string, AuthProfileState, std::less<>>> AuthProfileStore::states() const {
  auto rows = store::query_rows<AuthProfileState>(
      db_, "SELECT " + std::string(kStateColumns) + " FROM auth_profile_state", read_state);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  std::map<std::string, AuthProfileState, std::less<>> out;
  for (auto& state : *rows) {
    std::string id = state.profile_id;
    out.emplace(std::move(id), std::move(state));
  }
  return out;
}

Result<AuthProfileState> AuthProfileStore::state(std::string_view profile_id) const {
  auto row = store::first_row(store::query_rows<AuthProfileState>(
      db_,
      "SELECT " + std::string(kStateColumns) + " FROM auth_profile_state WHERE profile_id = ?1",
      read_state, profile_id));
  if (!row) {
    return std::unexpected(row.error());
  }
  if (!*row) {
    AuthProfileState fresh;
    fresh.profile_id = std::string(profile_id);
    return fresh;
  }
  return std::move(**row);
}

Status AuthProfileStore::save_state(const AuthProfileState& s) {
  std::string sql = "INSERT OR REPLACE INTO auth_profile_state (" + std::string(kStateColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  return store::run_sql(db_, sql, std::string_view(s.profile_id), s.last_used_ms, s.last_good_ms,
                        s.error_count, s.last_failure_ms, std::string_view(s.last_failure_reason),
                        s.cooldown_until_ms, std::string_view(s.cooldown_model),
                        s.disabled_until_ms, std::string_view(s.disabled_reason));
}

Status AuthProfileStore::clear_state(std::string_view profile_id) {
  return store::run_sql(db_, "DELETE FROM auth_profile_state WHERE profile_id = ?1", profile_id);
}

std::string mask_secret(std::string_view secret) {
  if (secret.size() < 12) {
    return "****";
  }
  auto prefix_end = secret.find('-', 3);
  std::size_t prefix = prefix_end != std::string_view::npos && prefix_end < 8 ? prefix_end + 1 : 3;
  return std::string(secret.substr(0, prefix)) + "…" +
         std::string(secret.substr(secret.size() - 4));
}

}  // namespace pincer::agent
