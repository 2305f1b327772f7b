#pragma once
// A fast, deliberately rough token count, used before every model call to decide whether the
// request fits the context window. No tokenizer: each provider has its own, and an exact count
// would cost more than the decision is worth. The estimate leans high (a few percent over for
// English, more for code) so the guard compacts a little early rather than a little late.
//
// The rules:
// - Text: one token per 4 bytes of ASCII (the usual figure for English and code with BPE
//   tokenizers); one token per character of 3- and 4-byte UTF-8 (CJK, emoji: tokenizers seldom
//   merge these); half a token per 2-byte character (accented Latin, Cyrillic, Greek).
// - Images: a fixed 1600 tokens each, the most Anthropic charges for one image after it
//   downscales (~1.15 megapixels); OpenAI and Gemini charge less for typical photos.
// - Each message costs 4 tokens of framing, each tool call or result 8 more (ids, names, JSON
//   punctuation), each tool schema 8 beyond its text.

#include <cstdint>
#include <string_view>
#include <vector>

#include "providers/model_types.hpp"

namespace pincer::agent {

inline constexpr int64_t kImageTokens = 1600;
inline constexpr int64_t kMessageOverheadTokens = 4;
inline constexpr int64_t kToolBlockOverheadTokens = 8;

int64_t estimate_tokens(std::string_view text);
int64_t estimate_tokens(const providers::Part& part);
int64_t estimate_tokens(const providers::Message& message);
int64_t estimate_tokens(const std::vector<providers::Message>& messages);
int64_t estimate_tokens(const providers::ToolSchema& tool);
int64_t estimate_tokens(const std::vector<providers::ToolSchema>& tools);
// The whole prompt: system, system_suffix, tools and messages (not the reply).
int64_t estimate_tokens(const providers::ModelRequest& request);

}  // namespace pincer::agent
