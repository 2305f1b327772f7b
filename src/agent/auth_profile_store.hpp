#pragma once
// The credentials the assistant calls model providers with, and each one's health, in state.db.
//
// A profile is one API key or token for one provider ("anthropic:work"). Besides the stored
// profiles, a provider's environment variable (ANTHROPIC_API_KEY ...) and a models.providers
// apiKey act as implicit profiles "<provider>:env" and "<provider>:config"; their health is kept
// here too, so a rate-limited env key cools down like any other.
//
// Secrets never leave this file except to the transport: list views carry a masked form.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::store {
class Database;
}

namespace pincer::agent {

struct AuthProfile {
  std::string id;                // "<provider>:<name>"
  std::string provider;          // "anthropic"
  std::string type = "api_key";  // api_key | token
  std::string secret;
  std::string email;
  std::string display_name;
  int64_t expires_at_ms = 0;     // 0: does not expire
  std::string source = "store";  // store | env:<VAR> | config
  int64_t created_at_ms = 0;
};

// usageStats in the reference's terms.
struct AuthProfileState {
  std::string profile_id;
  int64_t last_used_ms = 0;
  int64_t last_good_ms = 0;
  int64_t error_count = 0;
  int64_t last_failure_ms = 0;
  std::string last_failure_reason;
  int64_t cooldown_until_ms = 0;
  std::string cooldown_model;  // a rate limit scoped to one model; empty: the whole profile
  int64_t disabled_until_ms = 0;
  std::string disabled_reason;  // billing | auth_permanent
};

class AuthProfileStore {
 public:
  explicit AuthProfileStore(store::Database& db) : db_(db) {}

  Status upsert(const AuthProfile& profile);
  Result<bool> remove(std::string_view profile_id);  // also forgets its state
  // Stored profiles, of one provider when `provider` is not empty, ordered by id.
  Result<std::vector<AuthProfile>> list(std::string_view provider = {}) const;

  Result<std::map<std::string, AuthProfileState, std::less<>>> states() const;
  Result<AuthProfileState> state(std::string_view profile_id) const;  // fresh when unknown
  Status save_state(const AuthProfileState& state);
  Status clear_state(std::string_view profile_id);

 private:
  store::Database& db_;
};

// "sk-ant-…7f3a": enough to tell keys apart, never enough to use one.
std::string mask_secret(std::string_view secret);

}  // namespace pincer::agent
