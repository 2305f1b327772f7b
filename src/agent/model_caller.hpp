#pragma once
// One model call with everything around it that makes it dependable: the candidate chain
// (selected model, then configured fallbacks unless the selection is strict), the credentials of
// each provider in rotation order, a bounded same-profile retry for transient failures, and the
// bookkeeping of profile health in state.db (docs: concepts/model-failover.md).
//
// Never loops: each candidate and each profile is tried at most once per call (plus one quick
// retry of a transient failure that streamed nothing).

#include <chrono>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "agent/auth_rotation.hpp"
#include "agent/model_catalog.hpp"
#include "providers/model_stream.hpp"
#include "store/database_access.hpp"

namespace pincer::agent {

struct ModelChoice {
  std::vector<std::string> candidates;  // "provider/model", first is the selected one
  bool strict = false;                  // a user's explicit choice: no fallbacks
};

// The chain for a selection: `selected` first, then `fallbacks` (deduplicated) unless strict.
ModelChoice model_choice(std::string_view selected, const std::vector<std::string>& fallbacks,
                         bool strict);

struct CallSuccess {
  providers::ModelResponse response;
  ModelInfo model;         // the candidate that answered
  std::string profile_id;  // the credential it used
  // The credential's state after this success (used, healthy). Not saved yet: the caller saves
  // it with the step it records (AuthProfileStore::save_state), in the same transaction.
  AuthProfileState profile_state;
};

struct CallFailure {
  providers::ProviderError error;  // the last (or the deciding) failure
  std::string summary;             // every attempt, one line each, for the user and the log
  bool no_credentials = false;     // no candidate had a credential at all
};

struct CallHooks {
  // Before each attempt after the first (why, e.g. "rate limited: trying anthropic:work").
  std::function<void(std::string_view note)> on_retry;
  // A new attempt starts: the sink's partial text from the failed one is void.
  std::function<void()> on_attempt;
};

struct CallerOptions {
  std::chrono::milliseconds retry_base_delay{1000};
  providers::StreamOptions stream;
};

boost::asio::awaitable<std::expected<CallSuccess, CallFailure>> call_model(
    const ModelCatalog& catalog, const core::AuthConfig& auth, store::DatabaseAccess& database,
    const EnvReader& env, const ModelChoice& choice, const providers::ModelRequest& request,
    providers::StreamSink& sink, const CallHooks& hooks, const CallerOptions& options);

// What to tell someone who has no usable model at all: which variables to set, or how to use a
// local Ollama.
std::string no_credentials_message(std::string_view provider, const ProviderInfo* info);

int64_t now_ms();

}  // namespace pincer::agent
