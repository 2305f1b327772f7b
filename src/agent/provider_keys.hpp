#pragma once
// Which environment variable holds each hosted model provider's API key, and a sensible first
// model for it. Onboarding asks for these keys and doctor checks them; the provider adapters
// (Agent runtime issue) read the same variables.

#include <optional>
#include <span>
#include <string_view>

namespace pincer::agent {

struct ProviderKey {
  std::string_view provider;       // the "provider" in "provider/model"
  std::string_view env_var;        // e.g. ANTHROPIC_API_KEY
  std::string_view alt_env_var;    // a second accepted name, or empty
  std::string_view default_model;  // offered by onboarding
};

// The hosted providers with a conventional key variable, in the order onboarding offers them.
std::span<const ProviderKey> provider_keys();

// The entry for `provider` ("gemini" is an alias of "google"); nullopt for providers that need
// no key or are configured under models.providers (ollama, custom endpoints ...).
std::optional<ProviderKey> find_provider_key(std::string_view provider);

}  // namespace pincer::agent
