#pragma once
// The OpenAI Chat Completions adapter ("openai-completions"): POST {base}/chat/completions with
// stream: true. Besides OpenAI itself it speaks to the many servers that copy this API (Ollama,
// llama.cpp, vLLM, LM Studio, OpenRouter, DeepSeek, Groq ...), so the decoder is lenient where
// they differ: reasoning under `reasoning_content` or `reasoning`, tool-call ids missing, usage
// chunks with empty choices, and streams that close after the finish_reason without [DONE].

#include "providers/api_adapter.hpp"

namespace pincer::providers {

const ApiAdapter& openai_completions_adapter();

}  // namespace pincer::providers
