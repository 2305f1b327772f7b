#include "agent/provider_keys.hpp"

#include <array>

namespace pincer::agent {

namespace {

constexpr std::array<ProviderKey, 5> kProviderKeys = {{
    {"anthropic", "ANTHROPIC_API_KEY", "", "anthropic/claude-sonnet-4-5"},
    {"openai", "OPENAI_API_KEY", "", "openai/gpt-5.1"},
    {"google", "GEMINI_API_KEY", "GOOGLE_API_KEY", "google/gemini-2.5-pro"},
    {"openrouter", "OPENROUTER_API_KEY", "", "openrouter/anthropic/claude-sonnet-4.5"},
    {"groq", "GROQ_API_KEY", "", "groq/llama-3.3-70b-versatile"},
}};

}  // namespace

std::span<const ProviderKey> provider_keys() {
  return kProviderKeys;
}

std::optional<ProviderKey> find_provider_key(std::string_view provider) {
  if (provider == "gemini") {
    provider = "google";
  }
  for (const auto& key : kProviderKeys) {
    if (key.provider == provider) {
      return key;
    }
  }
  return std::nullopt;
}

}  // namespace pincer::agent
