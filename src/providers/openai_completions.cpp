#include "providers/openai_completions.hpp"

#include <algorithm>
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

#include "core/ids.hpp"

namespace pincer::providers {
namespace {

namespace json = boost::json;

std::string trimmed_base(std::string_view base_url) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  return url;
}

// OpenAI's own API wants max_completion_tokens (its reasoning models refuse max_tokens); the
// servers that copy the API mostly know only max_tokens.
bool is_openai_host(std::string_view base_url) {
  return base_url.find("://api.openai.com") != std::string_view::npos;
}

std::optional<std::string_view> reasoning_effort(ThinkingLevel level) {
  switch (level) {
    case ThinkingLevel::off:
      return std::nullopt;
    case ThinkingLevel::minimal:
      return "minimal";
    case ThinkingLevel::low:
      return "low";
    case ThinkingLevel::medium:
      return "medium";
    case ThinkingLevel::high:
      return "high";
  }
  return std::nullopt;
}

json::object schema_or_empty(const json::object& parameters) {
  if (parameters.empty()) {
    return json::object{{"type", "object"}, {"properties", json::object{}}};
  }
  return parameters;
}

std::string joined_system(const ModelRequest& request) {
  if (request.system.empty()) {
    return request.system_suffix;
  }
  if (request.system_suffix.empty()) {
    return request.system;
  }
  return request.system + "\n\n" + request.system_suffix;
}

json::object image_url_part(const ImagePart& image) {
  std::string url = "data:" + image.media_type + ";base64," + image.data;
  return json::object{{"type", "image_url"}, {"image_url", {{"url", std::move(url)}}}};
}

constexpr std::string_view kToolImageNote = "(see attached image)";
constexpr std::string_view kToolImagesIntro = "Attached image(s) from tool result:";

// A user turn becomes its tool results as "tool" messages (they must follow the assistant
// message that made the calls) and then, if anything is left, one user message. A tool message
// carries text only, so images the tools returned follow the tool messages in a user message of
// their own (text intro, then image_url parts with data URLs).
void append_user(const Message& message, json::array& out) {
  std::vector<const TextPart*> texts;
  bool has_image = false;
  json::array tool_images;
  for (const Part& part : message.parts) {
    if (const auto* result = std::get_if<ToolResultPart>(&part)) {
      std::string_view body = result->text;
      if (body.empty() && !result->images.empty()) {
        body = kToolImageNote;
      }
      // The API has no error flag on tool results; say it in the content.
      std::string content = result->is_error ? "Error: " + std::string(body) : std::string(body);
      out.push_back(json::object{
          {"role", "tool"}, {"tool_call_id", result->call_id}, {"content", std::move(content)}});
      for (const ImagePart& image : result->images) {
        tool_images.push_back(image_url_part(image));
      }
    } else if (const auto* text = std::get_if<TextPart>(&part)) {
      texts.push_back(text);
    } else if (std::holds_alternative<ImagePart>(part)) {
      has_image = true;
    }
  }
  if (!tool_images.empty()) {
    json::array content{json::object{{"type", "text"}, {"text", kToolImagesIntro}}};
    for (json::value& image : tool_images) {
      content.push_back(std::move(image));
    }
    out.push_back(json::object{{"role", "user"}, {"content", std::move(content)}});
  }
  if (!has_image) {
    if (texts.empty()) {
      return;
    }
    std::string content;
    for (const TextPart* text : texts) {
      if (!content.empty()) {
        content += "\n\n";
      }
      content += text->text;
    }
    out.push_back(json::object{{"role", "user"}, {"content", std::move(content)}});
    return;
  }
  json::array content;
  for (const Part& part : message.parts) {
    if (const auto* text = std::get_if<TextPart>(&part)) {
      content.push_back(json::object{{"type", "text"}, {"text", text->text}});
    } else if (const auto* image = std::get_if<ImagePart>(&part)) {
      content.push_back(image_url_part(*image));
    }
  }
  out.push_back(json::object{{"role", "user"}, {"content", std::move(content)}});
}

// Thinking is not sent back: the API has no field for it and several servers reject it.
void append_assistant(const Message& message, json::array& out) {
  std::string text;
  json::array calls;
  for (const Part& part : message.parts) {
    if (const auto* piece = std::get_if<TextPart>(&part)) {
      text += piece->text;
    } else if (const auto* call = std::get_if<ToolCallPart>(&part)) {
      calls.push_back(json::object{
          {"id", call->id},
          {"type", "function"},
          {"function", {{"name", call->name}, {"arguments", json::serialize(call->arguments)}}}});
    }
  }
  if (text.empty() && calls.empty()) {
    return;
  }
  json::object entry{{"role", "assistant"}};
  if (text.empty()) {
    entry["content"] = nullptr;
  } else {
    entry["content"] = std::move(text);
  }
  if (!calls.empty()) {
    entry["tool_calls"] = std::move(calls);
  }
  out.push_back(std::move(entry));
}

StopReason parse_finish_reason(std::string_view reason) {
  if (reason == "stop" || reason == "eos" || reason == "end_turn") {
    return StopReason::end_turn;
  }
  if (reason == "tool_calls" || reason == "function_call") {
    return StopReason::tool_use;
  }
  if (reason == "length") {
    return StopReason::max_tokens;
  }
  if (reason == "content_filter") {
    return StopReason::refusal;
  }
  return StopReason::other;
}

const json::string* string_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr ? value->if_string() : nullptr;
}

const json::object* object_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

std::optional<int64_t> int_at(const json::object& object, std::string_view key) {
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
  error.message = "The model server sent a malformed stream (" + std::move(what) + "); try again.";
  error.partial = partial;
  return error;
}

class CompletionsDecoder final : public StreamDecoder {
 public:
  std::expected<void, ProviderError> on_event(std::string_view /*event*/, std::string_view data,
                                              StreamSink& sink) override {
    if (data == "[DONE]") {
      done_ = true;
      return finalize_tool_calls(sink);
    }
    boost::system::error_code ec;
    json::value value = json::parse(data, ec);
    if (ec || !value.is_object()) {
      return std::unexpected(malformed_stream("a chunk that is not a JSON object", streamed_));
    }
    const json::object& chunk = value.get_object();
    if (const auto* error = chunk.if_contains("error"); error != nullptr && !error->is_null()) {
      return std::unexpected(stream_error(*error));
    }
    if (const auto* id = string_at(chunk, "id"); id != nullptr && response_.id.empty()) {
      response_.id = std::string(*id);
    }
    if (const auto* model = string_at(chunk, "model");
        model != nullptr && response_.model.empty()) {
      response_.model = std::string(*model);
    }
    if (const auto* usage = object_at(chunk, "usage")) {
      read_usage(*usage);
    }
    const auto* choices = chunk.if_contains("choices");
    if (choices == nullptr || !choices->is_array() || choices->get_array().empty()) {
      return {};  // usage-only chunks, keep-alives
    }
    // n is never above 1 in Pincer's requests; choice 0 is the reply.
    const auto* choice = choices->get_array().front().if_object();
    if (choice == nullptr) {
      return {};
    }
    if (const auto* delta = object_at(*choice, "delta")) {
      if (auto applied = apply_delta(*delta, sink); !applied) {
        return applied;
      }
    }
    if (const auto* reason = string_at(*choice, "finish_reason")) {
      finish_reason_ = std::string(*reason);
      return finalize_tool_calls(sink);
    }
    return {};
  }

  bool complete() const override { return done_; }

  std::expected<ModelResponse, ProviderError> finish() override {
    // Some servers close the stream after the finish_reason without sending [DONE].
    if (!done_ && !finish_reason_) {
      ProviderError error;
      error.reason = FailoverReason::timeout;
      error.message = "The model server's stream ended before the reply was complete; try again.";
      error.partial = streamed_;
      return std::unexpected(error);
    }
    std::vector<Part>& parts = response_.message.parts;
    if (!thinking_.empty()) {
      parts.emplace_back(ThinkingPart{std::move(thinking_), {}, false});
    }
    if (!text_.empty()) {
      parts.emplace_back(TextPart{std::move(text_)});
    }
    for (ToolCallPart& call : finished_calls_) {
      parts.emplace_back(std::move(call));
    }
    response_.stop = parse_finish_reason(finish_reason_.value_or("stop"));
    // Some servers say "stop" after tool calls; the calls still have to run.
    if (!finished_calls_.empty() && response_.stop == StopReason::end_turn) {
      response_.stop = StopReason::tool_use;
    }
    return std::move(response_);
  }

 private:
  struct PendingCall {
    std::string id;
    std::string name;
    std::string arguments;
  };

  void read_usage(const json::object& usage) {
    int64_t prompt = int_at(usage, "prompt_tokens").value_or(0);
    int64_t cached = 0;
    if (const auto* details = object_at(usage, "prompt_tokens_details")) {
      cached = int_at(*details, "cached_tokens").value_or(0);
    }
    if (auto hit = int_at(usage, "prompt_cache_hit_tokens")) {  // DeepSeek's name for it
      cached = *hit;
    }
    cached = std::min(cached, prompt);
    response_.usage.input = prompt - cached;
    response_.usage.cache_read = cached;
    response_.usage.output = int_at(usage, "completion_tokens").value_or(0);
  }

  std::expected<void, ProviderError> apply_delta(const json::object& delta, StreamSink& sink) {
    if (const auto* content = string_at(delta, "content");
        content != nullptr && !content->empty()) {
      streamed_ = true;
      sink.on_text_delta(*content);
      text_ += *content;
    }
    const json::string* reasoning = string_at(delta, "reasoning_content");
    if (reasoning == nullptr) {
      reasoning = string_at(delta, "reasoning");  // Ollama, OpenRouter
    }
    if (reasoning != nullptr && !reasoning->empty()) {
      streamed_ = true;
      sink.on_thinking_delta(*reasoning);
      thinking_ += *reasoning;
    }
    const auto* calls = delta.if_contains("tool_calls");
    if (calls == nullptr || !calls->is_array()) {
      return {};
    }
    for (const json::value& entry : calls->get_array()) {
      const auto* fragment = entry.if_object();
      if (fragment == nullptr) {
        continue;
      }
      streamed_ = true;
      PendingCall& call = pending_for(*fragment);
      if (const auto* id = string_at(*fragment, "id"); id != nullptr && !id->empty()) {
        call.id = std::string(*id);
      }
      if (const auto* function = object_at(*fragment, "function")) {
        // The name comes whole (some servers repeat it in every fragment); arguments in pieces.
        if (const auto* name = string_at(*function, "name"); name != nullptr && call.name.empty()) {
          call.name = std::string(*name);
        }
        if (const auto* arguments = function->if_contains("arguments")) {
          if (arguments->is_string()) {
            call.arguments += arguments->get_string();
          } else if (arguments->is_object()) {  // a few servers send the object itself
            call.arguments += json::serialize(*arguments);
          }
        }
      }
    }
    return {};
  }

  // The call a fragment continues: by `index`, or, for servers that send none, by id (a new id
  // starts a new call, no id continues the last one).
  PendingCall& pending_for(const json::object& fragment) {
    int64_t index = 0;
    if (auto given = int_at(fragment, "index")) {
      index = *given;
    } else {
      const auto* id = string_at(fragment, "id");
      bool continues = pending_.empty() ||
                       ((id == nullptr || id->empty() || *id == pending_.rbegin()->second.id));
      index = pending_.empty() ? 0 : pending_.rbegin()->first + (continues ? 0 : 1);
    }
    return pending_[index];
  }

  std::expected<void, ProviderError> finalize_tool_calls(StreamSink& sink) {
    for (auto& [index, pending] : pending_) {
      ToolCallPart call{std::move(pending.id), std::move(pending.name), {}};
      if (call.id.empty()) {
        call.id = "call_" + core::random_uuid();
      }
      if (!pending.arguments.empty()) {
        boost::system::error_code ec;
        json::value arguments = json::parse(pending.arguments, ec);
        if (ec || !arguments.is_object()) {
          return std::unexpected(malformed_stream(
              "the arguments of tool call '" + call.name + "' are not a JSON object", true));
        }
        call.arguments = std::move(arguments.get_object());
      }
      sink.on_tool_call(call);
      finished_calls_.push_back(std::move(call));
    }
    pending_.clear();
    return {};
  }

  ProviderError stream_error(const json::value& error) const {
    std::string message;
    std::string type;
    int status = 0;
    if (const auto* object = error.if_object()) {
      if (const auto* text = string_at(*object, "message")) {
        message = std::string(*text);
      }
      if (const auto* code = object->if_contains("code")) {
        if (code->is_string()) {
          type = std::string(code->get_string());
        } else if (auto number = int_at(*object, "code"); number && *number >= 100) {
          status = static_cast<int>(*number);  // OpenRouter puts the HTTP status here
        }
      }
      if (const auto* kind = string_at(*object, "type"); kind != nullptr && type.empty()) {
        type = std::string(*kind);
      }
    } else if (const auto* text = error.if_string()) {
      message = std::string(*text);
    }
    if (message.empty()) {
      message = type.empty() ? "The model server reported an error in the stream" : type;
    }
    ProviderError result = classify_provider_error(status, message);
    if (result.reason == FailoverReason::other && !type.empty()) {
      // Codes such as rate_limit_exceeded or context_length_exceeded say what the text may not.
      result.reason = classify_provider_error(status, type).reason;
    }
    result.http_status = 0;  // the HTTP response itself was a 200
    result.partial = streamed_;
    return result;
  }

  ModelResponse response_;
  std::string text_;
  std::string thinking_;
  std::map<int64_t, PendingCall> pending_;
  std::vector<ToolCallPart> finished_calls_;
  std::optional<std::string> finish_reason_;
  bool done_ = false;
  bool streamed_ = false;  // a delta reached the sink: a failure now is partial
};

class OpenAiCompletionsAdapter final : public ApiAdapter {
 public:
  ApiKind kind() const override { return ApiKind::openai_completions; }

  HttpRequestSpec build_request(const ModelRequest& request,
                                const Endpoint& endpoint) const override {
    HttpRequestSpec spec;
    spec.url = trimmed_base(endpoint.base_url) + "/chat/completions";
    if (!endpoint.api_key.empty()) {
      spec.headers.emplace_back("authorization", "Bearer " + endpoint.api_key);
    }
    spec.headers.emplace_back("content-type", "application/json");
    spec.headers.emplace_back("accept", "text/event-stream");
    for (const auto& header : endpoint.headers) {
      spec.headers.push_back(header);
    }
    spec.body = json::serialize(build_body(request, is_openai_host(endpoint.base_url)));
    return spec;
  }

  std::unique_ptr<StreamDecoder> make_decoder() const override {
    return std::make_unique<CompletionsDecoder>();
  }

 private:
  static json::object build_body(const ModelRequest& request, bool openai_host) {
    json::object body;
    body["model"] = request.model;
    json::array messages;
    if (std::string system = joined_system(request); !system.empty()) {
      messages.push_back(json::object{{"role", "system"}, {"content", std::move(system)}});
    }
    for (const Message& message : request.messages) {
      if (message.role == Role::user) {
        append_user(message, messages);
      } else {
        append_assistant(message, messages);
      }
    }
    body["messages"] = std::move(messages);
    if (!request.tools.empty()) {
      json::array tools;
      for (const ToolSchema& tool : request.tools) {
        json::object function{{"name", tool.name},
                              {"parameters", schema_or_empty(tool.parameters)}};
        if (!tool.description.empty()) {
          function["description"] = tool.description;
        }
        tools.push_back(json::object{{"type", "function"}, {"function", std::move(function)}});
      }
      body["tools"] = std::move(tools);
    }
    body["stream"] = true;
    body["stream_options"] = json::object{{"include_usage", true}};
    body[openai_host ? "max_completion_tokens" : "max_tokens"] = request.max_tokens;
    if (auto effort = reasoning_effort(request.thinking)) {
      body["reasoning_effort"] = *effort;
    }
    if (request.temperature) {
      body["temperature"] = *request.temperature;
    }
    for (const auto& [key, value] : request.extra_body) {
      body[key] = value;
    }
    return body;
  }
};

}  // namespace

const ApiAdapter& openai_completions_adapter() {
  static const OpenAiCompletionsAdapter adapter;
  return adapter;
}

}  // namespace pincer::providers
