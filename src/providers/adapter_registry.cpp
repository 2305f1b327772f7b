// adapter_for(): the one place that knows every adapter.

#include "providers/anthropic_messages.hpp"
#include "providers/api_adapter.hpp"
#include "providers/gemini.hpp"
#include "providers/openai_completions.hpp"
#include "providers/openai_responses.hpp"

namespace pincer::providers {

const ApiAdapter& adapter_for(ApiKind kind) {
  switch (kind) {
    case ApiKind::anthropic_messages:
      return anthropic_messages_adapter();
    case ApiKind::openai_completions:
      return openai_completions_adapter();
    case ApiKind::openai_responses:
      return openai_responses_adapter();
    case ApiKind::google_generative_ai:
      return gemini_adapter();
  }
  return openai_completions_adapter();
}

}  // namespace pincer::providers
