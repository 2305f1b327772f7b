#pragma once
// Which credential to try next for a provider, and what a failure does to it
// (docs: concepts/model-failover.md).
//
// Order: auth.order[provider] when configured, else stored profiles, then the env key, then
// the config apiKey — round-robin by last use (oldest first) within that. Profiles cooling down
// or disabled go last, soonest recovery first, and are skipped by attempts until they recover.
//
// A failure cools a profile down for 30 s, 1 min, then 5 min (its recent error count; the count
// resets after a quiet day), never shorter than the provider's retry-after. Billing failures and
// revoked keys disable it for 10 minutes (doubling on repeats, up to a day). A success clears it.
// Pure functions over AuthProfileState; the caller persists the result.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/auth_profile_store.hpp"
#include "agent/model_catalog.hpp"
#include "core/config.hpp"
#include "providers/provider_error.hpp"

namespace pincer::agent {

using StateMap = std::map<std::string, AuthProfileState, std::less<>>;

// Looks up an environment variable (std::getenv in the daemon; a map in tests).
using EnvReader = std::function<std::optional<std::string>(std::string_view)>;
EnvReader process_env_reader();

// Every credential for `provider`: stored profiles, then the implicit env and config ones.
std::vector<AuthProfile> provider_credentials(const ProviderInfo& provider,
                                              const std::vector<AuthProfile>& stored,
                                              const EnvReader& env);

// `profiles` in the order attempts should try them; `eligible` is how many at the front may be
// tried now (the rest are cooling down or disabled for `model`).
struct RotationOrder {
  std::vector<AuthProfile> profiles;
  std::size_t eligible = 0;
  int64_t soonest_recovery_ms = 0;  // when the first ineligible one recovers (0: none)
};

RotationOrder rotation_order(std::string_view provider, std::vector<AuthProfile> profiles,
                             const StateMap& states, const core::AuthConfig& auth,
                             std::string_view model, int64_t now_ms);

bool profile_available(const AuthProfileState& state, std::string_view model, int64_t now_ms);

void mark_used(AuthProfileState& state, int64_t now_ms);
void mark_success(AuthProfileState& state, int64_t now_ms);
// Records a failure classified as `error.reason`; returns false when the reason says nothing
// about the credential (context overflow, bad request, abort) and the state was left alone.
bool mark_failure(AuthProfileState& state, const providers::ProviderError& error,
                  std::string_view model, int64_t now_ms);

}  // namespace pincer::agent
