#include "agent/auth_rotation.hpp"

#include <algorithm>
#include <cstdlib>

namespace pincer::agent {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kDay = 24 * 60 * kMinute;
constexpr int64_t kDisableInitial = 10 * kMinute;
constexpr int64_t kErrorWindow = kDay;  // failures older than this no longer escalate

int64_t recovery_at(const AuthProfileState& state, std::string_view model) {
  int64_t at = state.disabled_until_ms;
  if (state.cooldown_model.empty() || state.cooldown_model == model) {
    at = std::max(at, state.cooldown_until_ms);
  }
  return at;
}

bool revoked(std::string_view message) {
  std::string lowered;
  lowered.reserve(message.size());
  for (char c : message) {
    lowered.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return lowered.find("revoked") != std::string::npos ||
         lowered.find("deactivated") != std::string::npos ||
         lowered.find("disabled") != std::string::npos;
}

}  // namespace

EnvReader process_env_reader() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (value == nullptr || *value == '\0') {
      return std::nullopt;
    }
    return std::string(value);
  };
}

std::vector<AuthProfile> provider_credentials(const ProviderInfo& provider,
                                              const std::vector<AuthProfile>& stored,
                                              const EnvReader& env) {
  std::vector<AuthProfile> out;
  for (const auto& profile : stored) {
    if (profile.provider == provider.id) {
      out.push_back(profile);
    }
  }
  for (const std::string& var : {provider.key_env, provider.key_env_alt}) {
    if (var.empty()) {
      continue;
    }
    if (auto value = env(var)) {
      AuthProfile profile;
      profile.id = provider.id + ":env";
      profile.provider = provider.id;
      profile.secret = std::move(*value);
      profile.source = "env:" + var;
      out.push_back(std::move(profile));
      break;
    }
  }
  if (!provider.api_key.empty()) {
    AuthProfile profile;
    profile.id = provider.id + ":config";
    profile.provider = provider.id;
    profile.secret = provider.api_key;
    profile.source = "config";
    out.push_back(std::move(profile));
  }
  return out;
}

bool profile_available(const AuthProfileState& state, std::string_view model, int64_t now_ms) {
  return recovery_at(state, model) <= now_ms;
}

RotationOrder rotation_order(std::string_view provider, std::vector<AuthProfile> profiles,
                             const StateMap& states, const core::AuthConfig& auth,
                             std::string_view model, int64_t now_ms) {
  auto state_of = [&](const AuthProfile& p) -> AuthProfileState {
    auto it = states.find(p.id);
    return it == states.end() ? AuthProfileState{} : it->second;
  };
  // Explicit order: listed ids first in that order; profiles not listed are left out, as the
  // reference does (an order is a whitelist).
  if (auto order = auth.order.find(std::string(provider)); order != auth.order.end()) {
    std::vector<AuthProfile> ordered;
    for (const auto& id : order->second) {
      auto it = std::find_if(profiles.begin(), profiles.end(),
                             [&](const AuthProfile& p) { return p.id == id; });
      if (it != profiles.end()) {
        ordered.push_back(*it);
      }
    }
    profiles = std::move(ordered);
  } else {
    // Tokens before API keys, then least recently used first; stable for ties.
    std::stable_sort(profiles.begin(), profiles.end(), [&](const auto& a, const auto& b) {
      bool a_token = a.type == "token";
      bool b_token = b.type == "token";
      if (a_token != b_token) {
        return a_token;
      }
      return state_of(a).last_used_ms < state_of(b).last_used_ms;
    });
  }
  RotationOrder result;
  std::vector<AuthProfile> waiting;
  for (auto& profile : profiles) {
    if (profile.expires_at_ms > 0 && profile.expires_at_ms <= now_ms) {
      continue;  // an expired static token cannot work
    }
    if (profile_available(state_of(profile), model, now_ms)) {
      result.profiles.push_back(std::move(profile));
    } else {
      waiting.push_back(std::move(profile));
    }
  }
  result.eligible = result.profiles.size();
  std::stable_sort(waiting.begin(), waiting.end(), [&](const auto& a, const auto& b) {
    return recovery_at(state_of(a), model) < recovery_at(state_of(b), model);
  });
  if (!waiting.empty()) {
    result.soonest_recovery_ms = recovery_at(state_of(waiting.front()), model);
  }
  for (auto& profile : waiting) {
    result.profiles.push_back(std::move(profile));
  }
  return result;
}

void mark_used(AuthProfileState& state, int64_t now_ms) {
  state.last_used_ms = now_ms;
}

void mark_success(AuthProfileState& state, int64_t now_ms) {
  state.last_good_ms = now_ms;
  state.error_count = 0;
  state.cooldown_until_ms = 0;
  state.cooldown_model.clear();
  state.disabled_until_ms = 0;
  state.disabled_reason.clear();
}

bool mark_failure(AuthProfileState& state, const providers::ProviderError& error,
                  std::string_view model, int64_t now_ms) {
  using providers::FailoverReason;
  switch (error.reason) {
    case FailoverReason::context_overflow:
    case FailoverReason::format:
    case FailoverReason::aborted:
    case FailoverReason::model_not_found:
      return false;
    default:
      break;
  }
  if (state.last_failure_ms > 0 && now_ms - state.last_failure_ms > kErrorWindow) {
    state.error_count = 0;
  }
  state.error_count += 1;
  state.last_failure_ms = now_ms;
  state.last_failure_reason = std::string(providers::to_string(error.reason));
  bool permanent = error.reason == FailoverReason::auth && revoked(error.message);
  if (error.reason == FailoverReason::billing || permanent) {
    // 10 minutes, doubling with each failure in a row (within a day), at most a day.
    int64_t window = kDisableInitial << std::min<int64_t>(state.error_count - 1, 8);
    window = std::min(window, kDay);
    state.disabled_until_ms = now_ms + window;
    state.disabled_reason = permanent ? "auth_permanent" : "billing";
    return true;
  }
  int64_t cooldown = state.error_count <= 1   ? 30 * kSecond
                     : state.error_count == 2 ? kMinute
                                              : 5 * kMinute;
  if (error.retry_after) {
    cooldown = std::max<int64_t>(cooldown, error.retry_after->count());
  }
  state.cooldown_until_ms = now_ms + cooldown;
  // Rate limits are often per model; other failures say the credential itself is unwell.
  state.cooldown_model = error.reason == FailoverReason::rate_limit ? std::string(model) : "";
  return true;
}

}  // namespace pincer::agent
