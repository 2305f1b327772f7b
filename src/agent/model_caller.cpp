#include "agent/model_caller.hpp"

#include <algorithm>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/auth_profile_store.hpp"
#include "core/log.hpp"

namespace pincer::agent {
namespace {

namespace asio = boost::asio;
using providers::FailoverReason;
using providers::ProviderError;

bool transient(FailoverReason reason) {
  return reason == FailoverReason::timeout || reason == FailoverReason::server_error ||
         reason == FailoverReason::overloaded;
}

struct Credentials {
  std::vector<AuthProfile> stored;
  StateMap states;
};

}  // namespace

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ModelChoice model_choice(std::string_view selected, const std::vector<std::string>& fallbacks,
                         bool strict) {
  ModelChoice choice;
  choice.strict = strict;
  choice.candidates.emplace_back(selected);
  if (!strict) {
    for (const auto& ref : fallbacks) {
      if (std::find(choice.candidates.begin(), choice.candidates.end(), ref) ==
          choice.candidates.end()) {
        choice.candidates.push_back(ref);
      }
    }
  }
  return choice;
}

std::string no_credentials_message(std::string_view provider, const ProviderInfo* info) {
  std::string text = "No API key for " + std::string(provider) + ".";
  if (info != nullptr && !info->key_env.empty()) {
    text += " Set " + info->key_env;
    if (!info->key_env_alt.empty()) {
      text += " (or " + info->key_env_alt + ")";
    }
    text +=
        " in the gateway's environment or in pincer.json under env.vars, or add one with "
        "`pincer models auth add --provider " +
        std::string(provider) + "`.";
  }
  text +=
      " To use a local model instead, run Ollama and set agents.defaults.model to "
      "\"ollama/llama3.2\".";
  return text;
}

asio::awaitable<std::expected<CallSuccess, CallFailure>> call_model(
    const ModelCatalog& catalog, const core::AuthConfig& auth, store::DatabaseAccess& database,
    const EnvReader& env, const ModelChoice& choice, const providers::ModelRequest& base_request,
    providers::StreamSink& sink, const CallHooks& hooks, const CallerOptions& options) {
  auto load = [](store::Database& db) -> Credentials {
    AuthProfileStore profiles(db);
    Credentials out;
    if (auto stored = profiles.list()) {
      out.stored = std::move(*stored);
    }
    if (auto states = profiles.states()) {
      out.states = std::move(*states);
    }
    return out;
  };
  Credentials credentials = co_await database.with(load);

  CallFailure failure;
  failure.error.reason = FailoverReason::other;
  failure.error.message = "no model was tried";
  bool any_credentials = false;
  bool first_attempt = true;
  for (const std::string& ref : choice.candidates) {
    auto model = catalog.resolve(ref);
    if (!model) {
      failure.summary += ref + ": " + model.error().describe() + "\n";
      failure.error.message = model.error().describe();
      failure.error.reason = FailoverReason::model_not_found;
      continue;
    }
    const ProviderInfo* provider = catalog.provider(model->provider);
    std::vector<AuthProfile> profiles = provider_credentials(*provider, credentials.stored, env);
    if (profiles.empty()) {
      if (provider->needs_key) {
        failure.summary += ref + ": " + no_credentials_message(provider->id, provider) + "\n";
        failure.error.reason = FailoverReason::auth;
        failure.error.message = no_credentials_message(provider->id, provider);
        continue;
      }
      AuthProfile anonymous;  // local servers take no key
      anonymous.id = provider->id + ":none";
      anonymous.provider = provider->id;
      anonymous.source = "none";
      profiles.push_back(std::move(anonymous));
    }
    any_credentials = true;
    RotationOrder order = rotation_order(provider->id, std::move(profiles), credentials.states,
                                         auth, model->id, now_ms());
    if (order.eligible == 0) {
      std::string note = ref + ": every credential is cooling down after failures";
      if (order.soonest_recovery_ms > 0) {
        note +=
            " (the first recovers in " +
            std::to_string(std::max<int64_t>(1, (order.soonest_recovery_ms - now_ms()) / 1000)) +
            " s)";
      }
      failure.summary += note + "\n";
      failure.error.reason = FailoverReason::rate_limit;
      failure.error.message = note;
      continue;
    }
    providers::ModelRequest request = base_request;
    request.model = model->id;
    request.max_tokens = std::min(request.max_tokens, model->max_tokens);
    const providers::ApiAdapter& adapter = providers::adapter_for(model->api);
    for (std::size_t i = 0; i < order.eligible; ++i) {
      const AuthProfile& profile = order.profiles[i];
      providers::Endpoint endpoint{provider->base_url, profile.secret, provider->headers};
      providers::StreamOptions stream = options.stream;
      if (provider->timeout_seconds) {
        stream.idle_timeout = std::chrono::seconds(*provider->timeout_seconds);
        stream.header_timeout = stream.idle_timeout;
      }
      for (int attempt = 0; attempt < 2; ++attempt) {
        if (!first_attempt) {
          if (hooks.on_attempt) {
            hooks.on_attempt();
          }
        }
        first_attempt = false;
        auto result = co_await providers::stream_model(adapter, request, endpoint, sink, stream);
        AuthProfileState& state = credentials.states[profile.id];
        state.profile_id = profile.id;
        if (result) {
          mark_used(state, now_ms());
          mark_success(state, now_ms());
          co_return CallSuccess{std::move(*result), *model, profile.id, state};
        }
        ProviderError error = std::move(result.error());
        log::info("agent", "model call {} via {} failed: {} ({})", ref, profile.id,
                  providers::to_string(error.reason), error.message);
        failure.error = error;
        failure.summary += ref + " via " + profile.id + ": " +
                           std::string(providers::to_string(error.reason)) + ": " + error.message +
                           "\n";
        if (error.reason == FailoverReason::aborted ||
            error.reason == FailoverReason::context_overflow ||
            error.reason == FailoverReason::format) {
          co_return std::unexpected(std::move(failure));
        }
        bool retry_same = attempt == 0 && transient(error.reason) && !error.partial;
        if (retry_same) {
          auto delay = options.retry_base_delay;
          if (error.retry_after && *error.retry_after < std::chrono::seconds(10)) {
            delay = std::max(delay, *error.retry_after);
          }
          if (hooks.on_retry) {
            hooks.on_retry(std::string(providers::to_string(error.reason)) + ": retrying " + ref);
          }
          asio::steady_timer timer(co_await asio::this_coro::executor, delay);
          co_await timer.async_wait(asio::use_awaitable);
          continue;
        }
        mark_used(state, now_ms());
        if (mark_failure(state, error, model->id, now_ms())) {
          auto save = [state](store::Database& db) {
            return AuthProfileStore(db).save_state(state);
          };
          if (auto saved = co_await database.with(save); !saved) {
            log::warn("agent", "auth profile state not saved: {}", saved.error().describe());
          }
        }
        if (!providers::is_failover_worthy(error.reason)) {
          co_return std::unexpected(std::move(failure));
        }
        if (hooks.on_retry && i + 1 < order.eligible) {
          hooks.on_retry(std::string(providers::to_string(error.reason)) + ": trying " +
                         order.profiles[i + 1].id);
        }
        break;
      }
    }
    if (hooks.on_retry && &ref != &choice.candidates.back()) {
      hooks.on_retry("falling back from " + ref);
    }
  }
  failure.no_credentials = !any_credentials;
  co_return std::unexpected(std::move(failure));
}

}  // namespace pincer::agent
