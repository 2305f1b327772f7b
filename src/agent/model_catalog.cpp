#include "agent/model_catalog.hpp"

#include <algorithm>
#include <array>

#include "core/text.hpp"

namespace pincer::agent {
namespace {

using providers::ApiKind;

struct BuiltinProvider {
  std::string_view id;
  ApiKind api;
  std::string_view base_url;
  std::string_view key_env;
  std::string_view key_env_alt;
};

constexpr std::array<BuiltinProvider, 13> kProviders = {{
    {"anthropic", ApiKind::anthropic_messages, "https://api.anthropic.com", "ANTHROPIC_API_KEY",
     ""},
    {"openai", ApiKind::openai_responses, "https://api.openai.com/v1", "OPENAI_API_KEY", ""},
    {"google", ApiKind::google_generative_ai, "https://generativelanguage.googleapis.com/v1beta",
     "GEMINI_API_KEY", "GOOGLE_API_KEY"},
    {"openrouter", ApiKind::openai_completions, "https://openrouter.ai/api/v1",
     "OPENROUTER_API_KEY", ""},
    {"groq", ApiKind::openai_completions, "https://api.groq.com/openai/v1", "GROQ_API_KEY", ""},
    {"mistral", ApiKind::openai_completions, "https://api.mistral.ai/v1", "MISTRAL_API_KEY", ""},
    {"deepseek", ApiKind::openai_completions, "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY",
     ""},
    {"xai", ApiKind::openai_completions, "https://api.x.ai/v1", "XAI_API_KEY", ""},
    {"together", ApiKind::openai_completions, "https://api.together.xyz/v1", "TOGETHER_API_KEY",
     ""},
    {"ollama", ApiKind::openai_completions, "http://127.0.0.1:11434/v1", "", ""},
    {"lmstudio", ApiKind::openai_completions, "http://127.0.0.1:1234/v1", "", ""},
    {"vllm", ApiKind::openai_completions, "http://127.0.0.1:8000/v1", "", ""},
    {"llamacpp", ApiKind::openai_completions, "http://127.0.0.1:8080/v1", "", ""},
}};

struct BuiltinModel {
  std::string_view provider;
  std::string_view id;
  std::string_view name;
  int64_t context_window;
  int64_t max_tokens;
  bool reasoning;
  bool images;
  core::ModelCost cost;
};

// Public list prices (dollars per million tokens: input, output, cache read, cache write).
constexpr std::array<BuiltinModel, 12> kModels = {{
    {"anthropic",
     "claude-opus-4-1",
     "Claude Opus 4.1",
     200'000,
     32'000,
     true,
     true,
     {15, 75, 1.5, 18.75}},
    {"anthropic",
     "claude-sonnet-4-5",
     "Claude Sonnet 4.5",
     200'000,
     64'000,
     true,
     true,
     {3, 15, 0.3, 3.75}},
    {"anthropic",
     "claude-haiku-4-5",
     "Claude Haiku 4.5",
     200'000,
     64'000,
     true,
     true,
     {1, 5, 0.1, 1.25}},
    {"openai", "gpt-5.1", "GPT-5.1", 400'000, 128'000, true, true, {1.25, 10, 0.125, 0}},
    {"openai", "gpt-5", "GPT-5", 400'000, 128'000, true, true, {1.25, 10, 0.125, 0}},
    {"openai", "gpt-5-mini", "GPT-5 mini", 400'000, 128'000, true, true, {0.25, 2, 0.025, 0}},
    {"openai", "gpt-4.1", "GPT-4.1", 1'047'576, 32'768, false, true, {2, 8, 0.5, 0}},
    {"google",
     "gemini-2.5-pro",
     "Gemini 2.5 Pro",
     1'048'576,
     65'536,
     true,
     true,
     {1.25, 10, 0.31, 0}},
    {"google",
     "gemini-2.5-flash",
     "Gemini 2.5 Flash",
     1'048'576,
     65'536,
     true,
     true,
     {0.3, 2.5, 0.075, 0}},
    {"openrouter",
     "anthropic/claude-sonnet-4.5",
     "Claude Sonnet 4.5 (OpenRouter)",
     200'000,
     64'000,
     true,
     true,
     {3, 15, 0.3, 3.75}},
    {"groq",
     "llama-3.3-70b-versatile",
     "Llama 3.3 70B (Groq)",
     131'072,
     32'768,
     false,
     false,
     {0.59, 0.79, 0, 0}},
    {"ollama", "llama3.2", "Llama 3.2 (local)", 131'072, 8'192, false, false, {}},
}};

ApiKind api_or(std::string_view name, ApiKind fallback) {
  if (auto kind = providers::parse_api_kind(name)) {
    return *kind;
  }
  return fallback;
}

void apply(const core::ModelDefinition& def, ModelInfo& model) {
  if (!def.name.empty()) {
    model.name = def.name;
  }
  if (!def.api.empty()) {
    model.api = api_or(def.api, model.api);
  }
  if (def.context_window) {
    model.context_window = *def.context_window;
  }
  if (def.context_tokens) {
    model.context_window = std::min(model.context_window, *def.context_tokens);
  }
  if (def.max_tokens) {
    model.max_tokens = *def.max_tokens;
  }
  if (def.reasoning) {
    model.reasoning = *def.reasoning;
  }
  if (!def.input.empty()) {
    model.images = std::find(def.input.begin(), def.input.end(), "image") != def.input.end();
  }
  if (def.cost) {
    model.cost = *def.cost;
  }
  if (!def.params.empty()) {
    model.params = def.params;
  }
  model.known = true;
}

}  // namespace

std::pair<std::string_view, std::string_view> split_model_ref(std::string_view ref) {
  ref = core::trim(ref);
  auto slash = ref.find('/');
  if (slash == std::string_view::npos) {
    return {{}, ref};
  }
  return {ref.substr(0, slash), ref.substr(slash + 1)};
}

double token_cost(int64_t tokens, double price_per_million) {
  return static_cast<double>(tokens) * price_per_million / 1'000'000.0;
}

ModelCatalog::ModelCatalog(const core::Config& config) {
  const auto& configured = config.models.providers;
  if (config.models.mode == core::ModelsMode::merge) {
    for (const auto& builtin : kProviders) {
      ProviderInfo info;
      info.id = std::string(builtin.id);
      info.api = builtin.api;
      info.base_url = std::string(builtin.base_url);
      info.key_env = std::string(builtin.key_env);
      info.key_env_alt = std::string(builtin.key_env_alt);
      info.needs_key = !builtin.key_env.empty();
      providers_.push_back(std::move(info));
    }
  }
  for (const auto& [id, entry] : configured) {
    auto it = std::find_if(providers_.begin(), providers_.end(),
                           [&](const ProviderInfo& p) { return p.id == id; });
    if (it == providers_.end()) {
      ProviderInfo info;
      info.id = id;
      // A custom provider without a key answers anonymously (local servers); with one it sends it.
      info.needs_key = false;
      providers_.push_back(std::move(info));
      it = std::prev(providers_.end());
    }
    if (!entry.api.empty()) {
      it->api = api_or(entry.api, it->api);
      if (entry.api == "ollama" && !entry.base_url.empty() && !entry.base_url.ends_with("/v1") &&
          !entry.base_url.ends_with("/v1/")) {
        // Ollama's native base URL; its OpenAI-compatible API lives under /v1.
        it->base_url = entry.base_url;
        while (it->base_url.ends_with('/')) {
          it->base_url.pop_back();
        }
        it->base_url += "/v1";
      } else if (!entry.base_url.empty()) {
        it->base_url = entry.base_url;
      }
    } else if (!entry.base_url.empty()) {
      it->base_url = entry.base_url;
    }
    if (!entry.api_key.empty()) {
      it->api_key = entry.api_key;
    }
    for (const auto& [name, value] : entry.headers) {
      it->headers.emplace_back(name, value);
    }
    it->timeout_seconds = entry.timeout_seconds;
  }
  // Configured models first (what the user chose to list), then the built-in ones.
  for (const auto& [id, entry] : configured) {
    const ProviderInfo* info = provider(id);
    for (const auto& def : entry.models) {
      ModelInfo model;
      model.provider = id;
      model.id = def.id;
      model.ref = id + "/" + def.id;
      model.name = def.id;
      model.api = info->api;
      for (const auto& builtin : kModels) {
        if (builtin.provider == id && builtin.id == def.id) {
          model.name = std::string(builtin.name);
          model.context_window = builtin.context_window;
          model.max_tokens = builtin.max_tokens;
          model.reasoning = builtin.reasoning;
          model.images = builtin.images;
          model.cost = builtin.cost;
        }
      }
      apply(def, model);
      models_.push_back(std::move(model));
    }
  }
  for (const auto& builtin : kModels) {
    const ProviderInfo* info = provider(builtin.provider);
    std::string ref = std::string(builtin.provider) + "/" + std::string(builtin.id);
    bool listed = std::any_of(models_.begin(), models_.end(),
                              [&](const ModelInfo& m) { return m.ref == ref; });
    if (info == nullptr || listed) {
      continue;
    }
    ModelInfo model;
    model.ref = std::move(ref);
    model.provider = std::string(builtin.provider);
    model.id = std::string(builtin.id);
    model.name = std::string(builtin.name);
    model.api = info->api;
    model.context_window = builtin.context_window;
    model.max_tokens = builtin.max_tokens;
    model.reasoning = builtin.reasoning;
    model.images = builtin.images;
    model.cost = builtin.cost;
    model.known = true;
    models_.push_back(std::move(model));
  }
}

const ProviderInfo* ModelCatalog::provider(std::string_view id) const {
  std::string wanted = core::lowercase_trimmed(id);
  if (wanted == "gemini") {
    wanted = "google";
  }
  for (const auto& info : providers_) {
    if (info.id == wanted) {
      return &info;
    }
  }
  return nullptr;
}

Result<ModelInfo> ModelCatalog::resolve(std::string_view ref) const {
  auto [provider_id, model_id] = split_model_ref(ref);
  if (model_id.empty()) {
    return fail(Errc::invalid_argument, "no model named",
                "name one as provider/model, e.g. anthropic/claude-sonnet-4-5");
  }
  if (provider_id.empty()) {
    const ModelInfo* found = nullptr;
    for (const auto& model : models_) {
      if (model.id == model_id) {
        if (found != nullptr) {
          return fail(Errc::invalid_argument,
                      "model \"" + std::string(model_id) + "\" is offered by several providers",
                      "name it with its provider, e.g. " + found->ref);
        }
        found = &model;
      }
    }
    if (found == nullptr) {
      return fail(Errc::not_found, "unknown model \"" + std::string(model_id) + "\"",
                  "name it as provider/model, e.g. anthropic/claude-sonnet-4-5 or ollama/llama3.2");
    }
    return *found;
  }
  const ProviderInfo* info = provider(provider_id);
  if (info == nullptr) {
    return fail(Errc::not_found, "unknown model provider \"" + std::string(provider_id) + "\"",
                "use a built-in provider (anthropic, openai, google, openrouter, groq, ollama ...) "
                "or add it under models.providers with baseUrl and api");
  }
  for (const auto& model : models_) {
    if (model.provider == info->id && model.id == model_id) {
      return model;
    }
  }
  ModelInfo guessed;
  guessed.provider = info->id;
  guessed.id = std::string(model_id);
  guessed.ref = info->id + "/" + guessed.id;
  guessed.name = guessed.id;
  guessed.api = info->api;
  return guessed;
}

}  // namespace pincer::agent
