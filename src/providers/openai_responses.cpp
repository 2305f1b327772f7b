#include "providers/openai_responses.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/text.hpp"

namespace pincer::providers {
namespace {

namespace json = boost::json;

std::string_view string_field(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
    return value->get_string();
  }
  return {};
}

int64_t int_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    return 0;
  }
  if (value->is_int64()) {
    return value->get_int64();
  }
  if (value->is_uint64()) {
    return static_cast<int64_t>(value->get_uint64());
  }
  if (value->is_double()) {
    return static_cast<int64_t>(value->get_double());
  }
  return 0;
}

const json::object* object_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

const json::array* array_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr ? value->if_array() : nullptr;
}

// extraBody wins over what the adapter built; nested objects merge key by key so a user can add
// one field to `reasoning` without restating the rest.
void merge_into(json::object& target, const json::object& extra) {
  for (const auto& [key, value] : extra) {
    auto* existing = target.if_contains(key);
    if (existing != nullptr && existing->is_object() && value.is_object()) {
      merge_into(existing->get_object(), value.get_object());
    } else {
      target[key] = value;
    }
  }
}

std::string join_url(std::string_view base, std::string_view path) {
  while (!base.empty() && base.back() == '/') {
    base.remove_suffix(1);
  }
  return std::string(base) + std::string(path);
}

std::string_view effort_for(ThinkingLevel level) {
  switch (level) {
    case ThinkingLevel::minimal:
      return "minimal";
    case ThinkingLevel::low:
      return "low";
    case ThinkingLevel::medium:
      return "medium";
    case ThinkingLevel::high:
    case ThinkingLevel::off:
      break;
  }
  return "high";
}

std::string data_url(const ImagePart& image) {
  return "data:" + image.media_type + ";base64," + image.data;
}

// A function_call_output's output: the text as a string, or, when the tool returned images, a
// list of an input_text item and input_image items (data URLs), which the API accepts there.
json::value function_output(const ToolResultPart& result) {
  if (result.images.empty()) {
    return json::value(result.text);
  }
  json::array output;
  if (!result.text.empty()) {
    output.push_back(json::object{{"type", "input_text"}, {"text", result.text}});
  }
  for (const ImagePart& image : result.images) {
    output.push_back(
        json::object{{"type", "input_image"}, {"image_url", data_url(image)}, {"detail", "auto"}});
  }
  return output;
}

// Tool calls and their results are input items of their own, so a message's parts are cut into
// runs of content (one message item each) around them, keeping the conversation's order.
json::array input_items(const std::vector<Message>& messages) {
  json::array items;
  for (const Message& message : messages) {
    bool user = message.role == Role::user;
    json::array content;
    auto flush = [&] {
      if (!content.empty()) {
        items.push_back(json::object{{"type", "message"},
                                     {"role", user ? "user" : "assistant"},
                                     {"content", std::move(content)}});
        content = json::array{};
      }
    };
    for (const Part& part : message.parts) {
      if (const auto* text = std::get_if<TextPart>(&part)) {
        if (!text->text.empty()) {
          content.push_back(
              json::object{{"type", user ? "input_text" : "output_text"}, {"text", text->text}});
        }
      } else if (const auto* image = std::get_if<ImagePart>(&part)) {
        if (user) {  // assistant messages cannot carry images
          content.push_back(json::object{{"type", "input_image"}, {"image_url", data_url(*image)}});
        }
      } else if (const auto* call = std::get_if<ToolCallPart>(&part)) {
        flush();
        items.push_back(json::object{{"type", "function_call"},
                                     {"call_id", call->id},
                                     {"name", call->name},
                                     {"arguments", json::serialize(call->arguments)}});
      } else if (const auto* result = std::get_if<ToolResultPart>(&part)) {
        flush();
        items.push_back(json::object{{"type", "function_call_output"},
                                     {"call_id", result->call_id},
                                     {"output", function_output(*result)}});
      }
      // Thinking is not sent back: with store:false the API cannot resolve reasoning item ids,
      // and summaries are not model input.
    }
    flush();
  }
  return items;
}

// The API's error code says more than its message; the message decides when the code is unknown.
ProviderError classify_openai_error(int http_status, std::string_view code,
                                    std::string_view message,
                                    std::optional<std::chrono::milliseconds> retry_after,
                                    bool in_stream) {
  ProviderError error =
      classify_provider_error(http_status, message.empty() ? code : message, retry_after);
  std::string lowered = core::to_lower_ascii(code);
  if (lowered == "rate_limit_exceeded") {
    error.reason = FailoverReason::rate_limit;
  } else if (lowered == "insufficient_quota") {
    error.reason = FailoverReason::billing;
  } else if (lowered == "context_length_exceeded") {
    error.reason = FailoverReason::context_overflow;
  } else if (lowered == "server_error") {
    error.reason = FailoverReason::server_error;
  } else if (lowered == "invalid_api_key") {
    error.reason = FailoverReason::auth;
  } else if (lowered == "model_not_found") {
    error.reason = FailoverReason::model_not_found;
  } else if (lowered == "server_is_overloaded" || lowered == "slow_down") {
    error.reason = FailoverReason::overloaded;
  } else if (lowered == "invalid_prompt") {
    error.reason = FailoverReason::format;
  } else if (in_stream && error.reason == FailoverReason::other) {
    // A response that failed after it started is the provider's fault unless it says otherwise.
    error.reason = FailoverReason::server_error;
  }
  return error;
}

class ResponsesDecoder final : public StreamDecoder {
 public:
  std::expected<void, ProviderError> on_event(std::string_view event, std::string_view data,
                                              StreamSink& sink) override {
    data = core::trim(data);
    if (data.empty() || data == "[DONE]") {
      return {};
    }
    boost::system::error_code ec;
    json::value parsed = json::parse(data, ec);
    if (ec || !parsed.is_object()) {
      return std::unexpected(ProviderError{
          FailoverReason::server_error, 0, std::nullopt,
          "OpenAI sent a stream event that is not a JSON object; try again.", any_output_});
    }
    const json::object& object = parsed.get_object();
    std::string_view type = string_field(object, "type");
    if (type.empty()) {
      type = event;
    }

    if (type == "response.created" || type == "response.in_progress") {
      if (const auto* response = object_field(object, "response")) {
        read_identity(*response);
      }
    } else if (type == "response.output_item.added") {
      if (const auto* item = object_field(object, "item");
          item != nullptr && string_field(*item, "type") == "function_call") {
        calls_.push_back(PendingCall{
            std::string(string_field(*item, "id")), int_field(object, "output_index"),
            std::string(string_field(*item, "call_id")), std::string(string_field(*item, "name")),
            std::string(string_field(*item, "arguments"))});
      }
    } else if (type == "response.output_text.delta") {
      append_text(object, sink);
    } else if (type == "response.refusal.delta") {
      refused_ = true;
      append_text(object, sink);
    } else if (type == "response.reasoning_summary_text.delta" ||
               type == "response.reasoning_text.delta") {
      append_thinking(object, sink);
    } else if (type == "response.function_call_arguments.delta") {
      if (PendingCall* call = find_call(object)) {
        call->arguments += string_field(object, "delta");
      }
    } else if (type == "response.function_call_arguments.done") {
      if (PendingCall* call = find_call(object); call != nullptr && object.contains("arguments")) {
        call->arguments = string_field(object, "arguments");
      }
    } else if (type == "response.output_item.done") {
      if (const auto* item = object_field(object, "item")) {
        item_done(*item, int_field(object, "output_index"), sink);
      }
    } else if (type == "response.completed" || type == "response.incomplete") {
      if (const auto* response = object_field(object, "response")) {
        read_final(*response, sink);
      }
      complete_ = true;
    } else if (type == "response.failed") {
      const json::object* error = nullptr;
      if (const auto* response = object_field(object, "response")) {
        error = object_field(*response, "error");
      }
      return std::unexpected(stream_error(error));
    } else if (type == "error") {
      const json::object* nested = object_field(object, "error");
      return std::unexpected(stream_error(nested != nullptr ? nested : &object));
    }
    return {};
  }

  bool complete() const override { return complete_; }

  std::expected<ModelResponse, ProviderError> finish() override {
    if (!complete_) {
      return std::unexpected(ProviderError{
          FailoverReason::timeout, 0, std::nullopt,
          "The OpenAI stream ended before the response was complete (connection dropped); try "
          "again.",
          true});
    }
    bool has_calls = false;
    for (const Part& part : response_.message.parts) {
      has_calls = has_calls || std::holds_alternative<ToolCallPart>(part);
    }
    if (incomplete_reason_ == "max_output_tokens") {
      response_.stop = StopReason::max_tokens;
    } else if (incomplete_reason_ == "content_filter" || refused_) {
      response_.stop = StopReason::refusal;
    } else if (!incomplete_reason_.empty()) {
      response_.stop = StopReason::other;
    } else {
      response_.stop = has_calls ? StopReason::tool_use : StopReason::end_turn;
    }
    return std::move(response_);
  }

 private:
  struct PendingCall {
    std::string item_id;
    int64_t output_index = 0;
    std::string call_id;
    std::string name;
    std::string arguments;
    bool done = false;
  };

  PendingCall* find_call(const json::object& event) {
    std::string_view item_id = string_field(event, "item_id");
    for (PendingCall& call : calls_) {
      if (!item_id.empty() ? call.item_id == item_id
                           : call.output_index == int_field(event, "output_index")) {
        return &call;
      }
    }
    return nullptr;
  }

  void read_identity(const json::object& response) {
    if (auto id = string_field(response, "id"); !id.empty()) {
      response_.id = id;
    }
    if (auto model = string_field(response, "model"); !model.empty()) {
      response_.model = model;
    }
  }

  void append_text(const json::object& event, StreamSink& sink) {
    std::string_view delta = string_field(event, "delta");
    if (delta.empty()) {
      return;
    }
    std::string_view item_id = string_field(event, "item_id");
    auto& parts = response_.message.parts;
    auto* last = parts.empty() ? nullptr : std::get_if<TextPart>(&parts.back());
    if (last != nullptr && text_item_ == item_id) {
      last->text += delta;
    } else {
      parts.emplace_back(TextPart{std::string(delta)});
      text_item_ = item_id;
    }
    any_output_ = true;
    sink.on_text_delta(delta);
  }

  // One ThinkingPart per reasoning item; its summary parts are joined by a blank line.
  void append_thinking(const json::object& event, StreamSink& sink) {
    std::string_view delta = string_field(event, "delta");
    if (delta.empty()) {
      return;
    }
    std::string_view item_id = string_field(event, "item_id");
    int64_t summary_index = int_field(event, "summary_index");
    auto& parts = response_.message.parts;
    auto* last = parts.empty() ? nullptr : std::get_if<ThinkingPart>(&parts.back());
    if (last != nullptr && thinking_item_ == item_id) {
      if (summary_index != thinking_summary_) {
        last->text += "\n\n";
      }
      last->text += delta;
    } else {
      parts.emplace_back(ThinkingPart{std::string(delta), {}, false});
      thinking_item_ = item_id;
    }
    thinking_summary_ = summary_index;
    any_output_ = true;
    sink.on_thinking_delta(delta);
  }

  void item_done(const json::object& item, int64_t output_index, StreamSink& sink) {
    std::string_view type = string_field(item, "type");
    if (type == "message") {
      if (const auto* content = array_field(item, "content")) {
        for (const auto& entry : *content) {
          if (entry.is_object() && string_field(entry.get_object(), "type") == "refusal") {
            refused_ = true;
          }
        }
      }
      return;
    }
    if (type != "function_call") {
      return;
    }
    json::object key{{"item_id", string_field(item, "id")}, {"output_index", output_index}};
    PendingCall* call = find_call(key);
    if (call == nullptr) {
      calls_.push_back(
          PendingCall{std::string(string_field(item, "id")), output_index, {}, {}, {}});
      call = &calls_.back();
    }
    if (auto call_id = string_field(item, "call_id"); !call_id.empty()) {
      call->call_id = call_id;
    }
    if (auto name = string_field(item, "name"); !name.empty()) {
      call->name = name;
    }
    if (auto arguments = string_field(item, "arguments"); !arguments.empty()) {
      call->arguments = arguments;
    }
    finalize(*call, sink);
  }

  void finalize(PendingCall& call, StreamSink& sink) {
    if (call.done) {
      return;
    }
    call.done = true;
    ToolCallPart part{call.call_id.empty() ? call.item_id : call.call_id, call.name, {}};
    // Unparsable arguments become an empty object: the tool then reports the missing fields to
    // the model, which is more useful than failing the whole turn.
    boost::system::error_code ec;
    json::value arguments = json::parse(call.arguments, ec);
    if (!ec && arguments.is_object()) {
      part.arguments = std::move(arguments.get_object());
    }
    response_.message.parts.emplace_back(part);
    any_output_ = true;
    sink.on_tool_call(part);
  }

  void read_final(const json::object& response, StreamSink& sink) {
    read_identity(response);
    if (const auto* details = object_field(response, "incomplete_details")) {
      incomplete_reason_ = string_field(*details, "reason");
    }
    if (string_field(response, "status") == "incomplete" && incomplete_reason_.empty()) {
      incomplete_reason_ = "unknown";
    }
    if (const auto* usage = object_field(response, "usage")) {
      int64_t cached = 0;
      if (const auto* details = object_field(*usage, "input_tokens_details")) {
        cached = int_field(*details, "cached_tokens");
      }
      response_.usage.cache_read = cached;
      response_.usage.input = std::max<int64_t>(0, int_field(*usage, "input_tokens") - cached);
      response_.usage.output = int_field(*usage, "output_tokens");
    }
    if (!any_output_) {
      // Servers that skip the delta events (some compatible proxies) still send the final output.
      if (const auto* output = array_field(response, "output")) {
        read_output(*output, sink);
      }
    }
    for (PendingCall& call : calls_) {
      finalize(call, sink);
    }
  }

  void read_output(const json::array& output, StreamSink& sink) {
    for (const auto& entry : output) {
      const auto* item = entry.if_object();
      if (item == nullptr) {
        continue;
      }
      std::string_view type = string_field(*item, "type");
      if (type == "message") {
        if (const auto* content = array_field(*item, "content")) {
          for (const auto& part : *content) {
            const auto* piece = part.if_object();
            if (piece == nullptr) {
              continue;
            }
            std::string_view kind = string_field(*piece, "type");
            std::string_view text =
                kind == "refusal" ? string_field(*piece, "refusal") : string_field(*piece, "text");
            if (kind == "refusal") {
              refused_ = true;
            }
            if (!text.empty()) {
              response_.message.parts.emplace_back(TextPart{std::string(text)});
              sink.on_text_delta(text);
            }
          }
        }
      } else if (type == "reasoning") {
        std::string summary;
        if (const auto* parts = array_field(*item, "summary")) {
          for (const auto& part : *parts) {
            if (part.is_object()) {
              summary += summary.empty() ? "" : "\n\n";
              summary += string_field(part.get_object(), "text");
            }
          }
        }
        if (!summary.empty()) {
          sink.on_thinking_delta(summary);
          response_.message.parts.emplace_back(ThinkingPart{std::move(summary), {}, false});
        }
      } else if (type == "function_call") {
        item_done(*item, 0, sink);
      }
    }
  }

  ProviderError stream_error(const json::object* error) const {
    std::string_view code;
    std::string_view message;
    if (error != nullptr) {
      code = string_field(*error, "code");
      if (code.empty()) {
        code = string_field(*error, "type");
      }
      message = string_field(*error, "message");
    }
    ProviderError result = classify_openai_error(
        0, code,
        message.empty() ? std::string_view("OpenAI reported the response as failed") : message,
        std::nullopt, true);
    result.partial = any_output_;
    return result;
  }

  ModelResponse response_;
  std::vector<PendingCall> calls_;
  std::string text_item_;
  std::string thinking_item_;
  int64_t thinking_summary_ = 0;
  std::string incomplete_reason_;
  bool any_output_ = false;
  bool refused_ = false;
  bool complete_ = false;
};

class OpenAiResponsesAdapter final : public ApiAdapter {
 public:
  ApiKind kind() const override { return ApiKind::openai_responses; }

  HttpRequestSpec build_request(const ModelRequest& request,
                                const Endpoint& endpoint) const override {
    json::object body;
    body["model"] = request.model;
    std::string instructions = request.system;
    if (!request.system_suffix.empty()) {
      instructions += instructions.empty() ? "" : "\n\n";
      instructions += request.system_suffix;
    }
    if (!instructions.empty()) {
      body["instructions"] = instructions;
    }
    body["input"] = input_items(request.messages);
    if (!request.tools.empty()) {
      json::array tools;
      for (const ToolSchema& tool : request.tools) {
        // strict:false: our schemas have optional fields, which strict mode rejects.
        tools.push_back(json::object{{"type", "function"},
                                     {"name", tool.name},
                                     {"description", tool.description},
                                     {"parameters", tool.parameters},
                                     {"strict", false}});
      }
      body["tools"] = std::move(tools);
    }
    body["stream"] = true;
    body["store"] = false;
    body["max_output_tokens"] = request.max_tokens;
    if (request.thinking != ThinkingLevel::off) {
      body["reasoning"] =
          json::object{{"effort", effort_for(request.thinking)}, {"summary", "auto"}};
    } else if (request.temperature) {
      // Reasoning models reject temperature, so it only goes out when thinking is off.
      body["temperature"] = *request.temperature;
    }
    merge_into(body, request.extra_body);

    HttpRequestSpec spec;
    spec.url = join_url(endpoint.base_url, "/responses");
    spec.headers.emplace_back("content-type", "application/json");
    spec.headers.emplace_back("accept", "text/event-stream");
    if (!endpoint.api_key.empty()) {
      spec.headers.emplace_back("authorization", "Bearer " + endpoint.api_key);
    }
    spec.headers.insert(spec.headers.end(), endpoint.headers.begin(), endpoint.headers.end());
    spec.body = json::serialize(body);
    return spec;
  }

  std::unique_ptr<StreamDecoder> make_decoder() const override {
    return std::make_unique<ResponsesDecoder>();
  }

  ProviderError read_error(int http_status, std::string_view body,
                           std::optional<std::chrono::milliseconds> retry_after) const override {
    std::string code;
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (!ec && parsed.is_object()) {
      if (const auto* error = object_field(parsed.get_object(), "error")) {
        code = string_field(*error, "code");
        if (code.empty()) {
          code = string_field(*error, "type");
        }
      }
    }
    return classify_openai_error(http_status, code, error_message_from_body(body), retry_after,
                                 false);
  }
};

}  // namespace

const ApiAdapter& openai_responses_adapter() {
  static const OpenAiResponsesAdapter adapter;
  return adapter;
}

}  // namespace pincer::providers
