#pragma once
// The Anthropic Messages API adapter ("anthropic-messages"): POST {base}/v1/messages with
// stream: true. Requests carry the stable system prompt and the tool list behind prompt-cache
// breakpoints, thinking as a token budget, and signed thinking blocks replayed verbatim; the
// named SSE events (message_start ... message_stop) are read back into a ModelResponse.

#include "providers/api_adapter.hpp"

namespace pincer::providers {

const ApiAdapter& anthropic_messages_adapter();

}  // namespace pincer::providers
