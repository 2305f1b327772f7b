#include "providers/anthropic_messages.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace pincer::providers {
namespace {

namespace json = boost::json;

constexpr std::string_view kApiVersion = "2023-06-01";
// Claude setup tokens (`claude setup-token`) are OAuth access tokens: they go in Authorization
// and need the OAuth beta flag; API keys go in x-api-key.
constexpr std::string_view kOAuthTokenPrefix = "sk-ant-oat";
constexpr std::string_view kOAuthBeta = "oauth-2025-04-20";

json::object ephemeral_cache() {
  return json::object{{"type", "ephemeral"}};
}

std::string messages_url(std::string_view base_url) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  if (!url.ends_with("/v1")) {
    url += "/v1";
  }
  return url + "/messages";
}

int64_t thinking_budget(ThinkingLevel level) {
  switch (level) {
    case ThinkingLevel::off:
      return 0;
    case ThinkingLevel::minimal:
      return 1024;  // the API's minimum budget
    case ThinkingLevel::low:
      return 4096;
    case ThinkingLevel::medium:
      return 8192;
    case ThinkingLevel::high:
      return 16384;
  }
  return 0;
}

json::object schema_or_empty(const json::object& parameters) {
  if (parameters.empty()) {
    return json::object{{"type", "object"}, {"properties", json::object{}}};
  }
  return parameters;
}

json::object image_block(const ImagePart& image) {
  return json::object{
      {"type", "image"},
      {"source", {{"type", "base64"}, {"media_type", image.media_type}, {"data", image.data}}}};
}

// A tool result's content: its text as a plain string, or, when the tool returned images, an
// array of a text block and image blocks (the API takes both inside tool_result).
json::value tool_result_content(const ToolResultPart& result) {
  if (result.images.empty()) {
    return json::value(result.text);
  }
  json::array content;
  if (!result.text.empty()) {  // the API rejects empty text blocks
    content.push_back(json::object{{"type", "text"}, {"text", result.text}});
  }
  for (const ImagePart& image : result.images) {
    content.push_back(image_block(image));
  }
  return content;
}

json::array user_blocks(const Message& message) {
  // The API wants a user turn's tool_result blocks before any other content.
  json::array results;
  json::array others;
  for (const Part& part : message.parts) {
    if (const auto* text = std::get_if<TextPart>(&part)) {
      if (!text->text.empty()) {  // the API rejects empty text blocks
        others.push_back(json::object{{"type", "text"}, {"text", text->text}});
      }
    } else if (const auto* image = std::get_if<ImagePart>(&part)) {
      others.push_back(image_block(*image));
    } else if (const auto* result = std::get_if<ToolResultPart>(&part)) {
      json::object block{{"type", "tool_result"},
                         {"tool_use_id", result->call_id},
                         {"content", tool_result_content(*result)}};
      if (result->is_error) {
        block["is_error"] = true;
      }
      results.push_back(std::move(block));
    }
  }
  for (json::value& block : others) {
    results.push_back(std::move(block));
  }
  return results;
}

json::array assistant_blocks(const Message& message) {
  json::array blocks;
  for (const Part& part : message.parts) {
    if (const auto* thinking = std::get_if<ThinkingPart>(&part)) {
      if (thinking->redacted) {
        blocks.push_back(json::object{{"type", "redacted_thinking"}, {"data", thinking->text}});
      } else if (!thinking->signature.empty()) {
        // Unsigned thinking (from another provider, or a cut stream) would be rejected.
        blocks.push_back(json::object{{"type", "thinking"},
                                      {"thinking", thinking->text},
                                      {"signature", thinking->signature}});
      }
    } else if (const auto* text = std::get_if<TextPart>(&part)) {
      if (!text->text.empty()) {
        blocks.push_back(json::object{{"type", "text"}, {"text", text->text}});
      }
    } else if (const auto* call = std::get_if<ToolCallPart>(&part)) {
      blocks.push_back(json::object{{"type", "tool_use"},
                                    {"id", call->id},
                                    {"name", call->name},
                                    {"input", call->arguments}});
    }
  }
  return blocks;
}

json::array system_blocks(const ModelRequest& request) {
  json::array blocks;
  if (!request.system.empty()) {
    json::object stable{{"type", "text"}, {"text", request.system}};
    if (request.prompt_cache) {
      stable["cache_control"] = ephemeral_cache();
    }
    blocks.push_back(std::move(stable));
  }
  if (!request.system_suffix.empty()) {
    blocks.push_back(json::object{{"type", "text"}, {"text", request.system_suffix}});
  }
  return blocks;
}

StopReason parse_stop_reason(std::string_view reason) {
  if (reason == "end_turn" || reason == "stop_sequence") {
    return StopReason::end_turn;
  }
  if (reason == "tool_use") {
    return StopReason::tool_use;
  }
  if (reason == "max_tokens" || reason == "model_context_window_exceeded") {
    return StopReason::max_tokens;
  }
  if (reason == "refusal") {
    return StopReason::refusal;
  }
  return StopReason::other;  // pause_turn and whatever comes next
}

// Anthropic's error `type`s, more precise than the status codes they come with.
ProviderError classify_anthropic_error(int http_status, std::string_view type,
                                       std::string_view message,
                                       std::optional<std::chrono::milliseconds> retry_after) {
  ProviderError error = classify_provider_error(http_status, message, retry_after);
  if (type == "overloaded_error") {
    error.reason = FailoverReason::overloaded;
  } else if (type == "rate_limit_error") {
    error.reason = FailoverReason::rate_limit;
  } else if (type == "api_error") {
    error.reason = FailoverReason::server_error;
  } else if (type == "timeout_error") {
    error.reason = FailoverReason::timeout;
  } else if (type == "authentication_error" || type == "permission_error") {
    error.reason = FailoverReason::auth;
  } else if (type == "billing_error") {
    error.reason = FailoverReason::billing;
  } else if (type == "request_too_large") {
    error.reason = FailoverReason::context_overflow;
  } else if (type == "not_found_error") {
    error.reason = FailoverReason::model_not_found;
  } else if (type == "invalid_request_error") {
    // "prompt is too long" and "credit balance is too low" arrive as invalid requests too.
    if (error.reason != FailoverReason::context_overflow &&
        error.reason != FailoverReason::billing) {
      error.reason = FailoverReason::format;
    }
  }
  return error;
}

std::string string_field(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
    return std::string(value->get_string());
  }
  return {};
}

std::optional<int64_t> int_field(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key)) {
    if (value->is_int64()) {
      return value->get_int64();
    }
    if (value->is_uint64()) {
      return static_cast<int64_t>(value->get_uint64());
    }
  }
  return std::nullopt;
}

ProviderError malformed_stream(std::string what, bool partial) {
  ProviderError error;
  error.reason = FailoverReason::server_error;
  error.message = "Anthropic sent a malformed stream (" + std::move(what) + "); try again.";
  error.partial = partial;
  return error;
}

class AnthropicDecoder final : public StreamDecoder {
 public:
  std::expected<void, ProviderError> on_event(std::string_view /*event*/, std::string_view data,
                                              StreamSink& sink) override {
    // The data's `type` names the event as well as the `event:` line does, and survives proxies
    // that drop event names.
    boost::system::error_code ec;
    json::value value = json::parse(data, ec);
    if (ec || !value.is_object()) {
      return std::unexpected(malformed_stream("an event that is not a JSON object", streamed_));
    }
    const json::object& event = value.get_object();
    std::string type = string_field(event, "type");
    if (type == "message_start") {
      on_message_start(event);
    } else if (type == "content_block_start") {
      return on_block_start(event);
    } else if (type == "content_block_delta") {
      return on_block_delta(event, sink);
    } else if (type == "content_block_stop") {
      return on_block_stop(event, sink);
    } else if (type == "message_delta") {
      on_message_delta(event);
    } else if (type == "message_stop") {
      complete_ = true;
    } else if (type == "error") {
      return std::unexpected(stream_error(event));
    }
    // ping and event types added later carry nothing this decoder needs.
    return {};
  }

  bool complete() const override { return complete_; }

  std::expected<ModelResponse, ProviderError> finish() override {
    if (!complete_) {
      ProviderError error;
      error.reason = FailoverReason::timeout;
      error.message = "The Anthropic stream ended before the reply was complete; try again.";
      error.partial = streamed_;
      return std::unexpected(error);
    }
    return std::move(response_);
  }

 private:
  struct Block {
    enum class Kind { text, thinking, redacted_thinking, tool_use, other } kind = Kind::other;
    std::string text;  // text, thinking, redacted data, or the tool input's JSON so far
    std::string signature;
    std::string id;
    std::string name;
  };

  void read_usage(const json::object& usage) {
    if (auto v = int_field(usage, "input_tokens")) {
      response_.usage.input = *v;
    }
    if (auto v = int_field(usage, "output_tokens")) {
      response_.usage.output = *v;
    }
    if (auto v = int_field(usage, "cache_read_input_tokens")) {
      response_.usage.cache_read = *v;
    }
    if (auto v = int_field(usage, "cache_creation_input_tokens")) {
      response_.usage.cache_write = *v;
    }
  }

  void on_message_start(const json::object& event) {
    const auto* message = event.if_contains("message");
    if (message == nullptr || !message->is_object()) {
      return;
    }
    response_.id = string_field(message->get_object(), "id");
    response_.model = string_field(message->get_object(), "model");
    if (const auto* usage = message->get_object().if_contains("usage");
        usage != nullptr && usage->is_object()) {
      read_usage(usage->get_object());
    }
  }

  void on_message_delta(const json::object& event) {
    if (const auto* delta = event.if_contains("delta"); delta != nullptr && delta->is_object()) {
      if (const auto* reason = delta->get_object().if_contains("stop_reason");
          reason != nullptr && reason->is_string()) {
        response_.stop = parse_stop_reason(reason->get_string());
      }
    }
    // Counts here are cumulative for the whole message, so they replace message_start's.
    if (const auto* usage = event.if_contains("usage"); usage != nullptr && usage->is_object()) {
      read_usage(usage->get_object());
    }
  }

  std::expected<void, ProviderError> on_block_start(const json::object& event) {
    auto index = int_field(event, "index");
    const auto* content = event.if_contains("content_block");
    if (!index || content == nullptr || !content->is_object()) {
      return std::unexpected(malformed_stream("content_block_start without a block", streamed_));
    }
    const json::object& source = content->get_object();
    std::string type = string_field(source, "type");
    Block block;
    if (type == "text") {
      block.kind = Block::Kind::text;
      block.text = string_field(source, "text");
    } else if (type == "thinking") {
      block.kind = Block::Kind::thinking;
      block.text = string_field(source, "thinking");
      block.signature = string_field(source, "signature");
    } else if (type == "redacted_thinking") {
      block.kind = Block::Kind::redacted_thinking;
      block.text = string_field(source, "data");
    } else if (type == "tool_use") {
      block.kind = Block::Kind::tool_use;
      block.id = string_field(source, "id");
      block.name = string_field(source, "name");
      // A non-empty `input` here would be the whole input; normally it is {} and the JSON
      // follows in input_json_delta events.
      if (const auto* input = source.if_contains("input");
          input != nullptr && input->is_object() && !input->get_object().empty()) {
        block.text = json::serialize(*input);
      }
    }
    blocks_[*index] = std::move(block);
    return {};
  }

  std::expected<void, ProviderError> on_block_delta(const json::object& event, StreamSink& sink) {
    auto index = int_field(event, "index");
    const auto* delta_value = event.if_contains("delta");
    if (!index || delta_value == nullptr || !delta_value->is_object()) {
      return std::unexpected(malformed_stream("content_block_delta without a delta", streamed_));
    }
    auto found = blocks_.find(*index);
    if (found == blocks_.end()) {
      return std::unexpected(malformed_stream("a delta for a block never started", streamed_));
    }
    Block& block = found->second;
    const json::object& delta = delta_value->get_object();
    std::string type = string_field(delta, "type");
    if (type == "text_delta") {
      std::string text = string_field(delta, "text");
      streamed_ = true;
      sink.on_text_delta(text);
      block.text += text;
    } else if (type == "thinking_delta") {
      std::string text = string_field(delta, "thinking");
      streamed_ = true;
      sink.on_thinking_delta(text);
      block.text += text;
    } else if (type == "signature_delta") {
      block.signature += string_field(delta, "signature");
    } else if (type == "input_json_delta") {
      streamed_ = true;
      block.text += string_field(delta, "partial_json");
    }
    return {};
  }

  std::expected<void, ProviderError> on_block_stop(const json::object& event, StreamSink& sink) {
    auto index = int_field(event, "index");
    if (!index) {
      return std::unexpected(malformed_stream("content_block_stop without an index", streamed_));
    }
    auto found = blocks_.find(*index);
    if (found == blocks_.end()) {
      return {};
    }
    Block block = std::move(found->second);
    blocks_.erase(found);
    std::vector<Part>& parts = response_.message.parts;
    switch (block.kind) {
      case Block::Kind::text:
        parts.emplace_back(TextPart{std::move(block.text)});
        break;
      case Block::Kind::thinking:
        parts.emplace_back(ThinkingPart{std::move(block.text), std::move(block.signature), false});
        break;
      case Block::Kind::redacted_thinking:
        parts.emplace_back(ThinkingPart{std::move(block.text), {}, true});
        break;
      case Block::Kind::tool_use: {
        ToolCallPart call{std::move(block.id), std::move(block.name), {}};
        if (!block.text.empty()) {
          boost::system::error_code ec;
          json::value input = json::parse(block.text, ec);
          if (ec || !input.is_object()) {
            return std::unexpected(malformed_stream(
                "the arguments of tool call '" + call.name + "' are not a JSON object", true));
          }
          call.arguments = std::move(input.get_object());
        }
        sink.on_tool_call(call);
        parts.emplace_back(std::move(call));
        break;
      }
      case Block::Kind::other:
        break;  // server tool results and block types Pincer does not use
    }
    return {};
  }

  ProviderError stream_error(const json::object& event) const {
    std::string type;
    std::string message;
    if (const auto* error = event.if_contains("error"); error != nullptr && error->is_object()) {
      type = string_field(error->get_object(), "type");
      message = string_field(error->get_object(), "message");
    }
    if (message.empty()) {
      message = type.empty() ? "Anthropic reported an error in the stream" : type;
    }
    ProviderError result = classify_anthropic_error(0, type, message, std::nullopt);
    result.partial = streamed_;
    return result;
  }

  ModelResponse response_;
  std::map<int64_t, Block> blocks_;
  bool complete_ = false;
  bool streamed_ = false;  // a delta reached the sink: a failure now is partial
};

class AnthropicMessagesAdapter final : public ApiAdapter {
 public:
  ApiKind kind() const override { return ApiKind::anthropic_messages; }

  HttpRequestSpec build_request(const ModelRequest& request,
                                const Endpoint& endpoint) const override {
    HttpRequestSpec spec;
    spec.url = messages_url(endpoint.base_url);
    if (std::string_view(endpoint.api_key).starts_with(kOAuthTokenPrefix)) {
      spec.headers.emplace_back("authorization", "Bearer " + endpoint.api_key);
      spec.headers.emplace_back("anthropic-beta", std::string(kOAuthBeta));
    } else if (!endpoint.api_key.empty()) {
      spec.headers.emplace_back("x-api-key", endpoint.api_key);
    }
    spec.headers.emplace_back("anthropic-version", std::string(kApiVersion));
    spec.headers.emplace_back("content-type", "application/json");
    spec.headers.emplace_back("accept", "text/event-stream");
    for (const auto& header : endpoint.headers) {
      spec.headers.push_back(header);
    }
    spec.body = json::serialize(build_body(request));
    return spec;
  }

  std::unique_ptr<StreamDecoder> make_decoder() const override {
    return std::make_unique<AnthropicDecoder>();
  }

  ProviderError read_error(int http_status, std::string_view body,
                           std::optional<std::chrono::milliseconds> retry_after) const override {
    boost::system::error_code ec;
    json::value value = json::parse(body, ec);
    if (!ec && value.is_object()) {
      if (const auto* error = value.get_object().if_contains("error");
          error != nullptr && error->is_object()) {
        std::string type = string_field(error->get_object(), "type");
        std::string message = string_field(error->get_object(), "message");
        if (!type.empty()) {
          return classify_anthropic_error(http_status, type, message.empty() ? type : message,
                                          retry_after);
        }
      }
    }
    return ApiAdapter::read_error(http_status, body, retry_after);
  }

 private:
  static json::object build_body(const ModelRequest& request) {
    json::object body;
    body["model"] = request.model;
    int64_t max_tokens = request.max_tokens;
    int64_t budget = thinking_budget(request.thinking);
    if (budget > 0 && max_tokens <= budget) {
      // The budget must stay below max_tokens, with room left for the answer.
      max_tokens = budget + request.max_tokens;
    }
    body["max_tokens"] = max_tokens;
    body["stream"] = true;
    if (json::array system = system_blocks(request); !system.empty()) {
      body["system"] = std::move(system);
    }

    json::array messages;
    std::optional<std::size_t> last_user;
    for (const Message& message : request.messages) {
      bool user = message.role == Role::user;
      json::array content = user ? user_blocks(message) : assistant_blocks(message);
      if (content.empty()) {
        continue;
      }
      if (user) {
        last_user = messages.size();
      }
      messages.push_back(
          json::object{{"role", user ? "user" : "assistant"}, {"content", std::move(content)}});
    }
    // Breakpoints (at most four): the stable system block, the last tool, and the newest user
    // turn, so the whole conversation so far is read from the cache on the next call.
    if (request.prompt_cache && last_user) {
      json::array& content = messages[*last_user].as_object()["content"].as_array();
      content.back().as_object()["cache_control"] = ephemeral_cache();
    }
    body["messages"] = std::move(messages);

    if (!request.tools.empty()) {
      json::array tools;
      for (const ToolSchema& tool : request.tools) {
        json::object entry{{"name", tool.name}, {"input_schema", schema_or_empty(tool.parameters)}};
        if (!tool.description.empty()) {
          entry["description"] = tool.description;
        }
        tools.push_back(std::move(entry));
      }
      if (request.prompt_cache) {
        tools.back().as_object()["cache_control"] = ephemeral_cache();
      }
      body["tools"] = std::move(tools);
    }

    if (budget > 0) {
      body["thinking"] = json::object{{"type", "enabled"}, {"budget_tokens", budget}};
    } else if (request.temperature) {
      body["temperature"] = *request.temperature;  // the API refuses it alongside thinking
    }
    for (const auto& [key, value] : request.extra_body) {
      body[key] = value;
    }
    return body;
  }
};

}  // namespace

const ApiAdapter& anthropic_messages_adapter() {
  static const AnthropicMessagesAdapter adapter;
  return adapter;
}

}  // namespace pincer::providers
