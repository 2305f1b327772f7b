#pragma once
// Which models exist and how to reach them: "provider/model" refs resolved to an API family,
// an endpoint, a context window, an output limit and prices. Built-in knowledge of the hosted
// providers (Anthropic, OpenAI, Google, OpenRouter, Groq, ...) and the usual local servers
// (Ollama, LM Studio, vLLM, llama.cpp) is merged with models.providers from the config, which
// wins field by field (models.mode "replace" drops the built-ins).
//
// A model the catalog has never heard of on a known provider still resolves, with conservative
// defaults (128k window, 8k output), so a new model name works the day it ships.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/config.hpp"
#include "core/result.hpp"
#include "providers/api_adapter.hpp"

namespace pincer::agent {

struct ProviderInfo {
  std::string id;  // "anthropic"
  providers::ApiKind api = providers::ApiKind::openai_completions;
  std::string base_url;
  std::string api_key;      // models.providers.<id>.apiKey; usually empty (keys in state.db/env)
  std::string key_env;      // ANTHROPIC_API_KEY ...; empty for local servers
  std::string key_env_alt;  // a second accepted variable
  bool needs_key = true;    // local servers answer without one
  providers::HeaderList headers;
  std::optional<int64_t> timeout_seconds;
};

struct ModelInfo {
  std::string ref;       // "anthropic/claude-sonnet-4-5"
  std::string provider;  // "anthropic"
  std::string id;        // "claude-sonnet-4-5": what the API is sent
  std::string name;      // display name
  providers::ApiKind api = providers::ApiKind::openai_completions;
  int64_t context_window = 128'000;  // usable input (contextTokens when configured lower)
  int64_t max_tokens = 8'192;
  bool reasoning = false;
  bool images = false;
  core::ModelCost cost;  // dollars per million tokens; zero when unknown
  boost::json::object params;
  bool known = false;  // listed by the catalog or the config (not guessed)
};

class ModelCatalog {
 public:
  explicit ModelCatalog(const core::Config& config);

  // "provider/model" (the model part may itself contain '/', as on OpenRouter). A bare model id
  // resolves when exactly one provider lists it.
  Result<ModelInfo> resolve(std::string_view ref) const;
  const ProviderInfo* provider(std::string_view id) const;
  // Every listed model, configured ones first, in a stable order.
  const std::vector<ModelInfo>& models() const { return models_; }
  const std::vector<ProviderInfo>& providers() const { return providers_; }

 private:
  std::vector<ProviderInfo> providers_;
  std::vector<ModelInfo> models_;
};

// The provider of a ref ("" when there is no '/') and its model id.
std::pair<std::string_view, std::string_view> split_model_ref(std::string_view ref);

// Cost in dollars of `tokens` at `price` per million.
double token_cost(int64_t tokens, double price_per_million);

}  // namespace pincer::agent
