// Readers for models.*, auth.* and the agent runtime defaults (config.hpp has the structs).

#include <array>
#include <cmath>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "core/detail/config_sections.hpp"
#include "core/text.hpp"

namespace pincer::core::detail {
namespace {

constexpr std::array<std::string_view, 5> kApis = {"anthropic-messages", "openai-completions",
                                                   "openai-responses", "google-generative-ai",
                                                   "ollama"};
constexpr std::array<std::string_view, 5> kThinkingLevels = {"off", "minimal", "low", "medium",
                                                             "high"};

void read_api(ConfigReader& r, std::string& out) {
  r.string("api", out);
  if (!out.empty() && std::find(kApis.begin(), kApis.end(), out) == kApis.end()) {
    r.error("api", "unknown api \"" + out +
                       "\": expected anthropic-messages, openai-completions, openai-responses, "
                       "google-generative-ai or ollama");
    out.clear();
  }
}

// A price per million tokens: a non-negative number.
void read_price(ConfigReader& r, std::string_view key, double& out) {
  const boost::json::value* value = r.take(key);
  if (value == nullptr) {
    return;
  }
  if (value->is_number()) {
    double number = value->to_number<double>();
    if (std::isfinite(number) && number >= 0) {
      out = number;
      return;
    }
  }
  r.error(key, "expected a price in dollars per million tokens (a number >= 0), got " +
                   describe_value(*value));
}

std::optional<int64_t> optional_integer(ConfigReader& r, std::string_view key, int64_t min) {
  if (!r.has(key)) {
    return std::nullopt;
  }
  int64_t value = -1;
  r.integer(key, value, min, kMaxSafeInteger);
  return value >= min ? std::optional(value) : std::nullopt;
}

ModelDefinition read_model(ConfigReader& r) {
  ModelDefinition model;
  r.string("id", model.id);
  if (model.id.empty()) {
    r.error("id", "every model needs an id (the name its API knows it by)");
  }
  r.string("name", model.name);
  read_api(r, model.api);
  model.context_window = optional_integer(r, "contextWindow", 1);
  model.context_tokens = optional_integer(r, "contextTokens", 1);
  model.max_tokens = optional_integer(r, "maxTokens", 1);
  if (r.has("reasoning")) {
    bool reasoning = false;
    r.boolean("reasoning", reasoning);
    model.reasoning = reasoning;
  }
  r.string_list("input", model.input);
  ConfigReader cost = r.object("cost");
  if (cost.present()) {
    ModelCost price;
    read_price(cost, "input", price.input);
    read_price(cost, "output", price.output);
    read_price(cost, "cacheRead", price.cache_read);
    read_price(cost, "cacheWrite", price.cache_write);
    model.cost = price;
  }
  cost.finish();
  if (const boost::json::value* params = r.take("params")) {
    if (params->is_object()) {
      model.params = params->get_object();
    } else {
      r.error("params", "expected an object, got " + describe_value(*params));
    }
  }
  r.finish();
  return model;
}

}  // namespace

void read_models(ConfigReader& root, ModelsConfig& out) {
  ConfigReader models = root.object("models");
  models.one_of("mode", out.mode, {{"merge", ModelsMode::merge}, {"replace", ModelsMode::replace}});
  ConfigReader providers = models.object("providers");
  for (const std::string& id : providers.keys()) {
    ConfigReader p = providers.object(id);
    if (!p.present()) {
      continue;
    }
    ModelProviderConfig provider;
    provider.id = lowercase_trimmed(id);
    p.string("baseUrl", provider.base_url);
    if (!provider.base_url.empty() && !provider.base_url.starts_with("http://") &&
        !provider.base_url.starts_with("https://")) {
      p.error("baseUrl", "expected an http:// or https:// URL, got \"" + provider.base_url + "\"");
    }
    p.string("apiKey", provider.api_key);
    read_api(p, provider.api);
    p.string_map("headers", provider.headers);
    provider.timeout_seconds = optional_integer(p, "timeoutSeconds", 1);
    for (ConfigReader& item : p.items("models")) {
      if (item.present()) {
        provider.models.push_back(read_model(item));
      }
    }
    p.finish();
    out.providers[provider.id] = std::move(provider);
  }
  providers.finish();
  models.finish();
}

void read_auth(ConfigReader& root, AuthConfig& out) {
  ConfigReader auth = root.object("auth");
  ConfigReader profiles = auth.object("profiles");
  for (const std::string& id : profiles.keys()) {
    ConfigReader p = profiles.object(id);
    if (!p.present()) {
      continue;
    }
    AuthProfileConfig profile;
    profile.id = id;
    p.string("provider", profile.provider);
    profile.provider = lowercase_trimmed(profile.provider);
    if (profile.provider.empty()) {
      // "anthropic:work" names its provider before the colon.
      profile.provider = lowercase_trimmed(std::string_view(id).substr(0, id.find(':')));
    }
    p.string("mode", profile.mode);
    p.string("email", profile.email);
    p.string("displayName", profile.display_name);
    p.finish();
    out.profiles[id] = std::move(profile);
  }
  profiles.finish();
  ConfigReader order = auth.object("order");
  for (const std::string& provider : order.keys()) {
    std::vector<std::string> ids;
    order.string_list(provider, ids);
    out.order[lowercase_trimmed(provider)] = std::move(ids);
  }
  order.finish();
  auth.finish();
}

void read_agent_runtime_defaults(ConfigReader& d, AgentDefaults& out) {
  d.string("thinkingDefault", out.thinking_default);
  out.thinking_default = lowercase_trimmed(out.thinking_default);
  if (!out.thinking_default.empty() && std::find(kThinkingLevels.begin(), kThinkingLevels.end(),
                                                 out.thinking_default) == kThinkingLevels.end()) {
    d.error("thinkingDefault", "unknown thinking level \"" + out.thinking_default +
                                   "\": expected off, minimal, low, medium or high");
    out.thinking_default.clear();
  }
  d.integer("bootstrapMaxChars", out.bootstrap_max_chars, 0, kMaxSafeInteger);
  d.integer("bootstrapTotalMaxChars", out.bootstrap_total_max_chars, 0, kMaxSafeInteger);
  ConfigReader c = d.object("compaction");
  c.boolean("enabled", out.compaction.enabled);
  out.compaction.keep_recent_tokens = optional_integer(c, "keepRecentTokens", 1);
  c.string("model", out.compaction.model);
  c.finish();
}

}  // namespace pincer::core::detail
