#include "providers/api_adapter.hpp"

#include "core/text.hpp"

namespace pincer::providers {

std::string_view to_string(ApiKind kind) {
  switch (kind) {
    case ApiKind::anthropic_messages:
      return "anthropic-messages";
    case ApiKind::openai_completions:
      return "openai-completions";
    case ApiKind::openai_responses:
      return "openai-responses";
    case ApiKind::google_generative_ai:
      return "google-generative-ai";
  }
  return "openai-completions";
}

std::optional<ApiKind> parse_api_kind(std::string_view name) {
  std::string lowered = core::lowercase_trimmed(name);
  if (lowered == "anthropic-messages" || lowered == "anthropic") {
    return ApiKind::anthropic_messages;
  }
  if (lowered == "openai-completions" || lowered == "openai" || lowered == "ollama") {
    return ApiKind::openai_completions;
  }
  if (lowered == "openai-responses") {
    return ApiKind::openai_responses;
  }
  if (lowered == "google-generative-ai" || lowered == "google" || lowered == "gemini") {
    return ApiKind::google_generative_ai;
  }
  return std::nullopt;
}

ProviderError ApiAdapter::read_error(int http_status, std::string_view body,
                                     std::optional<std::chrono::milliseconds> retry_after) const {
  return classify_provider_error(http_status, error_message_from_body(body), retry_after);
}

}  // namespace pincer::providers
