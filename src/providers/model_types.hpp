#pragma once
// The conversation as every provider adapter sees it, independent of any one wire format: a
// system prompt, messages made of parts (text, images, thinking, tool calls and their results),
// the tools on offer, and the streamed reply. Adapters translate these to and from their API's
// JSON; the agent runner and the transcript only ever deal in these types.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

namespace pincer::providers {

enum class Role { user, assistant };

struct TextPart {
  std::string text;
};

struct ImagePart {
  std::string media_type;  // "image/png", "image/jpeg", ...
  std::string data;        // base64, no data: prefix
};

// Model reasoning. Anthropic signs thinking blocks and requires them back verbatim on the next
// call of a tool loop; `redacted` blocks carry opaque data in `text`.
struct ThinkingPart {
  std::string text;
  std::string signature;
  bool redacted = false;
};

struct ToolCallPart {
  std::string id;  // the provider's call id (generated when the API has none, e.g. Gemini)
  std::string name;
  boost::json::object arguments;
  // Opaque, provider-issued, sent back verbatim with the call: Gemini's thoughtSignature, which
  // Gemini 3 requires on replayed function calls. Empty for the other APIs. (The `{}` keeps
  // three-field aggregate initialisation free of missing-initializer warnings.)
  std::string signature{};
};

// Sent back in a user message (Anthropic's convention); adapters move it where their API wants
// it (OpenAI: a "tool" role message; Gemini: a functionResponse part).
struct ToolResultPart {
  std::string call_id;
  std::string name;
  std::string text;
  bool is_error = false;
  // Images the tool returned (a read image file, a screenshot). Each adapter sends them the way
  // its API takes images from a tool: inside the result where it can, else in a user message
  // right after the results. (The `{}` keeps four-field aggregate initialisation warning-free.)
  std::vector<ImagePart> images{};
};

using Part = std::variant<TextPart, ImagePart, ThinkingPart, ToolCallPart, ToolResultPart>;

struct Message {
  Role role = Role::user;
  std::vector<Part> parts;
};

struct ToolSchema {
  std::string name;
  std::string description;
  boost::json::object parameters;  // JSON Schema of the arguments object
};

enum class ThinkingLevel { off, minimal, low, medium, high };

struct ModelRequest {
  std::string model;  // the provider's model id, without the "provider/" prefix
  // The system prompt in two pieces: `system` is stable from turn to turn (identity, workspace
  // files, tool guidance, skills index) and goes first so provider prompt caches hit;
  // `system_suffix` changes per turn (time, channel context) and goes after the cache breakpoint.
  std::string system;
  std::string system_suffix;
  std::vector<Message> messages;
  std::vector<ToolSchema> tools;
  ThinkingLevel thinking = ThinkingLevel::off;
  int64_t max_tokens = 8192;
  std::optional<double> temperature;
  bool prompt_cache = true;        // Anthropic cache_control breakpoints
  boost::json::object extra_body;  // models.*.params.extraBody: merged into the request body
};

struct Usage {
  int64_t input = 0;  // prompt tokens not served from cache
  int64_t output = 0;
  int64_t cache_read = 0;
  int64_t cache_write = 0;
  int64_t total() const { return input + output + cache_read + cache_write; }
};

enum class StopReason { end_turn, tool_use, max_tokens, refusal, other };

struct ModelResponse {
  Message message{Role::assistant, {}};  // text, thinking and tool calls in streamed order
  StopReason stop = StopReason::end_turn;
  Usage usage;
  std::string id;     // the provider's response/message id, when it sends one
  std::string model;  // the model that answered, as the provider names it
};

}  // namespace pincer::providers
