#include "providers/gemini.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/ids.hpp"
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

bool is_one_of(std::string_view value, std::initializer_list<std::string_view> options) {
  for (std::string_view option : options) {
    if (value == option) {
      return true;
    }
  }
  return false;
}

// Gemini's function parameters are an OpenAPI Schema subset and it rejects the whole request on
// a keyword it does not know (additionalProperties, $schema, default, examples ...), so schemas
// are rebuilt from the keywords it accepts; `const` becomes a one-value enum, `oneOf` an anyOf,
// and a ["T","null"] type a nullable T.
json::value gemini_schema(const json::value& schema) {
  const auto* in = schema.if_object();
  if (in == nullptr) {
    return json::object{};
  }
  json::object out;
  for (const auto& [key, value] : *in) {
    if (key == "properties" && value.is_object()) {
      json::object properties;
      for (const auto& [name, property] : value.get_object()) {
        properties[name] = gemini_schema(property);
      }
      out["properties"] = std::move(properties);
    } else if (key == "items") {
      const auto* tuple = value.if_array();
      out["items"] = gemini_schema(tuple != nullptr && !tuple->empty() ? tuple->front() : value);
    } else if ((key == "anyOf" || key == "oneOf") && value.is_array()) {
      json::array options;
      for (const auto& option : value.get_array()) {
        options.push_back(gemini_schema(option));
      }
      out["anyOf"] = std::move(options);
    } else if (key == "type") {
      if (const auto* types = value.if_array()) {
        for (const auto& type : *types) {
          if (type.is_string() && type.get_string() == "null") {
            out["nullable"] = true;
          } else if (!out.contains("type")) {
            out["type"] = type;
          }
        }
      } else {
        out["type"] = value;
      }
    } else if (key == "const") {
      out["enum"] = json::array{value};
    } else if (key == "format") {
      // Only these formats are accepted; others (uri, email ...) fail the request.
      if (value.is_string() && is_one_of(value.get_string(), {"enum", "date-time", "int32", "int64",
                                                              "float", "double"})) {
        out["format"] = value;
      }
    } else if (is_one_of(key,
                         {"description", "nullable", "enum", "required", "minItems", "maxItems",
                          "minimum", "maximum", "minLength", "maxLength", "pattern", "title",
                          "minProperties", "maxProperties", "propertyOrdering"})) {
      out[key] = value;
    }
  }
  // `required` may only name properties that exist, or Gemini rejects the declaration.
  if (auto* required = out.if_contains("required"); required != nullptr && required->is_array()) {
    const json::object* properties = object_field(out, "properties");
    json::array kept;
    for (const auto& name : required->get_array()) {
      if (name.is_string() && properties != nullptr && properties->contains(name.get_string())) {
        kept.push_back(name);
      }
    }
    if (kept.empty()) {
      out.erase("required");
    } else {
      *required = std::move(kept);
    }
  }
  return out;
}

int64_t thinking_budget(ThinkingLevel level) {
  switch (level) {
    case ThinkingLevel::minimal:
      return 512;
    case ThinkingLevel::low:
      return 2048;
    case ThinkingLevel::medium:
      return 8192;
    case ThinkingLevel::high:
    case ThinkingLevel::off:
      break;
  }
  return 24576;
}

// Gemini 3 and later reject a replayed function call without its thoughtSignature. Calls that
// came from elsewhere (another provider, an older transcript) have none, so the first call of
// such a turn carries the sentinel Google documents for skipping the check.
constexpr std::string_view kSkipSignatureCheck = "skip_thought_signature_validator";

// The major version in a "gemini-N..." model id (0 when no digits follow); none for other ids.
std::optional<int> gemini_major(std::string_view model) {
  std::size_t at = model.find("gemini-");
  if (at == std::string_view::npos) {
    return std::nullopt;
  }
  int major = 0;
  for (std::size_t i = at + 7; i < model.size() && model[i] >= '0' && model[i] <= '9'; ++i) {
    major = major * 10 + (model[i] - '0');
  }
  return major;
}

bool requires_thought_signatures(std::string_view model) {
  std::optional<int> major = gemini_major(model);
  return major && *major >= 3;
}

// Gemini 3 takes a tool's images inside its functionResponse (`parts` of inlineData) and rejects
// them as sibling parts; earlier Gemini models take them only as sibling inlineData parts of the
// user turn. Other models behind the API (not "gemini-") follow the documented nested form.
bool nests_function_response_media(std::string_view model) {
  std::optional<int> major = gemini_major(model);
  return !major || *major >= 3;
}

constexpr std::string_view kToolImageNote = "(see attached image)";
constexpr std::string_view kToolImagesIntro = "Tool result image:";

json::object inline_data(const ImagePart& image) {
  return json::object{
      {"inlineData", json::object{{"mimeType", image.media_type}, {"data", image.data}}}};
}

// `call_names` maps call ids seen so far to tool names: Gemini matches a functionResponse to its
// call by name, and a result recorded without one still has to name its tool. Tool images go
// inside the functionResponse when `nest_media`, else after all the turn's parts (the function
// responses stay first and together).
json::array gemini_parts(const Message& message, bool signatures_required, bool nest_media,
                         std::map<std::string, std::string, std::less<>>& call_names) {
  json::array parts;
  json::array trailing_images;
  bool turn_signed = false;
  for (const Part& part : message.parts) {
    if (const auto* call = std::get_if<ToolCallPart>(&part)) {
      turn_signed = turn_signed || !call->signature.empty();
    }
  }
  bool sentinel_pending = signatures_required && !turn_signed;
  for (const Part& part : message.parts) {
    if (const auto* text = std::get_if<TextPart>(&part)) {
      if (!text->text.empty()) {
        parts.push_back(json::object{{"text", text->text}});
      }
    } else if (const auto* image = std::get_if<ImagePart>(&part)) {
      parts.push_back(inline_data(*image));
    } else if (const auto* call = std::get_if<ToolCallPart>(&part)) {
      call_names[call->id] = call->name;
      json::object function_call{
          {"functionCall", json::object{{"name", call->name}, {"args", call->arguments}}}};
      if (!call->signature.empty()) {
        function_call["thoughtSignature"] = call->signature;
      } else if (sentinel_pending) {
        function_call["thoughtSignature"] = kSkipSignatureCheck;
        sentinel_pending = false;
      }
      parts.push_back(std::move(function_call));
    } else if (const auto* result = std::get_if<ToolResultPart>(&part)) {
      std::string_view name = result->name;
      if (auto known = call_names.find(result->call_id);
          name.empty() && known != call_names.end()) {
        name = known->second;
      }
      std::string_view output = result->text;
      if (output.empty() && !result->images.empty()) {
        output = kToolImageNote;
      }
      json::object response{{"name", name}, {"response", json::object{{"content", output}}}};
      if (!result->images.empty() && nest_media) {
        json::array media;
        for (const ImagePart& media_image : result->images) {
          media.push_back(inline_data(media_image));
        }
        response["parts"] = std::move(media);
      } else {
        for (const ImagePart& media_image : result->images) {
          trailing_images.push_back(inline_data(media_image));
        }
      }
      parts.push_back(json::object{{"functionResponse", std::move(response)}});
    }
    // Thinking stays out: Gemini's thought summaries are for display, not model input.
  }
  if (!trailing_images.empty()) {
    parts.push_back(json::object{{"text", kToolImagesIntro}});
    for (json::value& image : trailing_images) {
      parts.push_back(std::move(image));
    }
  }
  return parts;
}

// Consecutive messages of one role become one turn; Gemini expects user and model to alternate.
json::array gemini_contents(const std::vector<Message>& messages, bool signatures_required,
                            bool nest_media) {
  json::array contents;
  std::string_view last_role;
  std::map<std::string, std::string, std::less<>> call_names;
  for (const Message& message : messages) {
    json::array parts = gemini_parts(
        message, signatures_required && message.role == Role::assistant, nest_media, call_names);
    if (parts.empty()) {
      continue;
    }
    std::string_view role = message.role == Role::user ? "user" : "model";
    if (role == last_role) {
      auto& previous = contents.back().get_object()["parts"].get_array();
      for (auto& part : parts) {
        previous.push_back(std::move(part));
      }
      continue;
    }
    contents.push_back(json::object{{"role", role}, {"parts", std::move(parts)}});
    last_role = role;
  }
  return contents;
}

// Google's canonical status names decide first; the message refines INVALID_ARGUMENT (a bad key
// and an oversized prompt both come as 400 INVALID_ARGUMENT).
ProviderError classify_gemini_error(int code, std::string_view status, std::string_view message,
                                    std::optional<std::chrono::milliseconds> retry_after) {
  ProviderError error = classify_provider_error(code, message, retry_after);
  std::string lowered = core::to_lower_ascii(message);
  if (status == "RESOURCE_EXHAUSTED") {
    error.reason = FailoverReason::rate_limit;
  } else if (status == "UNAVAILABLE") {
    error.reason = FailoverReason::overloaded;
  } else if (status == "PERMISSION_DENIED" || status == "UNAUTHENTICATED") {
    error.reason = FailoverReason::auth;
  } else if (status == "INVALID_ARGUMENT") {
    bool too_long = error.reason == FailoverReason::context_overflow ||
                    lowered.find("token count") != std::string::npos;
    if (too_long) {
      error.reason = FailoverReason::context_overflow;
    } else if (error.reason != FailoverReason::auth) {
      error.reason = FailoverReason::format;
    }
  } else if (status == "NOT_FOUND") {
    error.reason = FailoverReason::model_not_found;
  } else if (status == "DEADLINE_EXCEEDED") {
    error.reason = FailoverReason::timeout;
  } else if (status == "INTERNAL") {
    error.reason = FailoverReason::server_error;
  }
  return error;
}

ProviderError error_from_object(const json::object& error,
                                std::optional<std::chrono::milliseconds> retry_after) {
  return classify_gemini_error(static_cast<int>(int_field(error, "code")),
                               string_field(error, "status"), string_field(error, "message"),
                               retry_after);
}

class GeminiDecoder final : public StreamDecoder {
 public:
  std::expected<void, ProviderError> on_event(std::string_view /*event*/, std::string_view data,
                                              StreamSink& sink) override {
    data = core::trim(data);
    if (data.empty()) {
      return {};
    }
    boost::system::error_code ec;
    json::value parsed = json::parse(data, ec);
    if (ec) {
      return std::unexpected(
          ProviderError{FailoverReason::server_error, 0, std::nullopt,
                        "Gemini sent a stream event that is not JSON; try again.", any_output_});
    }
    if (const auto* chunks = parsed.if_array()) {  // tolerate the non-SSE array framing
      for (const auto& chunk : *chunks) {
        if (const auto* object = chunk.if_object()) {
          if (auto handled = handle(*object, sink); !handled) {
            return handled;
          }
        }
      }
      return {};
    }
    if (const auto* object = parsed.if_object()) {
      return handle(*object, sink);
    }
    return {};
  }

  bool complete() const override { return !finish_reason_.empty(); }

  std::expected<ModelResponse, ProviderError> finish() override {
    if (finish_reason_.empty()) {
      return std::unexpected(ProviderError{
          FailoverReason::timeout, 0, std::nullopt,
          "The Gemini stream ended before a finish reason arrived (connection dropped); try "
          "again.",
          true});
    }
    if (finish_reason_ == "STOP") {
      response_.stop = tool_calls_ > 0 ? StopReason::tool_use : StopReason::end_turn;
    } else if (finish_reason_ == "MAX_TOKENS") {
      response_.stop = StopReason::max_tokens;
    } else if (is_one_of(finish_reason_, {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
                                          "SPII", "IMAGE_SAFETY"})) {
      response_.stop = StopReason::refusal;
    } else {
      response_.stop = tool_calls_ > 0 ? StopReason::tool_use : StopReason::other;
    }
    return std::move(response_);
  }

 private:
  std::expected<void, ProviderError> handle(const json::object& chunk, StreamSink& sink) {
    if (const auto* error = object_field(chunk, "error")) {
      ProviderError result = error_from_object(*error, std::nullopt);
      result.partial = any_output_;
      return std::unexpected(result);
    }
    if (auto id = string_field(chunk, "responseId"); !id.empty()) {
      response_.id = id;
    }
    if (auto model = string_field(chunk, "modelVersion"); !model.empty()) {
      response_.model = model;
    }
    if (const auto* usage = object_field(chunk, "usageMetadata")) {
      // Each chunk carries the running totals; the last one counts. promptTokenCount includes
      // the cached tokens, and thoughts are output billed apart from the candidates.
      int64_t cached = int_field(*usage, "cachedContentTokenCount");
      response_.usage.cache_read = cached;
      response_.usage.input = std::max<int64_t>(0, int_field(*usage, "promptTokenCount") - cached);
      response_.usage.output =
          int_field(*usage, "candidatesTokenCount") + int_field(*usage, "thoughtsTokenCount");
    }
    const json::array* candidates = array_field(chunk, "candidates");
    if (candidates == nullptr || candidates->empty()) {
      if (const auto* feedback = object_field(chunk, "promptFeedback")) {
        if (auto reason = string_field(*feedback, "blockReason"); !reason.empty()) {
          return std::unexpected(ProviderError{FailoverReason::format, 0, std::nullopt,
                                               "Gemini blocked the prompt (" + std::string(reason) +
                                                   "); rephrase the request or use another model.",
                                               any_output_});
        }
      }
      return {};
    }
    const auto* candidate = candidates->front().if_object();
    if (candidate == nullptr) {
      return {};
    }
    if (const auto* content = object_field(*candidate, "content")) {
      if (const auto* parts = array_field(*content, "parts")) {
        for (const auto& part : *parts) {
          if (const auto* object = part.if_object()) {
            read_part(*object, sink);
          }
        }
      }
    }
    if (auto reason = string_field(*candidate, "finishReason");
        !reason.empty() && reason != "FINISH_REASON_UNSPECIFIED") {
      finish_reason_ = reason;
    }
    return {};
  }

  void read_part(const json::object& part, StreamSink& sink) {
    if (const auto* call = object_field(part, "functionCall")) {
      ToolCallPart tool_call;
      tool_call.id = string_field(*call, "id");  // only some Gemini surfaces send one
      if (tool_call.id.empty()) {
        tool_call.id = next_call_id();
      }
      tool_call.name = string_field(*call, "name");
      tool_call.signature = string_field(part, "thoughtSignature");
      if (const auto* args = object_field(*call, "args")) {
        tool_call.arguments = *args;
      }
      ++tool_calls_;
      any_output_ = true;
      response_.message.parts.emplace_back(tool_call);
      sink.on_tool_call(tool_call);
      return;
    }
    std::string_view text = string_field(part, "text");
    if (text.empty()) {
      return;
    }
    any_output_ = true;
    auto& parts = response_.message.parts;
    const auto* thought = part.if_contains("thought");
    if (thought != nullptr && thought->is_bool() && thought->get_bool()) {
      if (auto* last = parts.empty() ? nullptr : std::get_if<ThinkingPart>(&parts.back())) {
        last->text += text;
      } else {
        parts.emplace_back(ThinkingPart{std::string(text), {}, false});
      }
      sink.on_thinking_delta(text);
      return;
    }
    if (auto* last = parts.empty() ? nullptr : std::get_if<TextPart>(&parts.back())) {
      last->text += text;
    } else {
      parts.emplace_back(TextPart{std::string(text)});
    }
    sink.on_text_delta(text);
  }

  // Unique across turns too (a random prefix), since the transcript keeps every turn's calls and
  // other providers require distinct ids if the conversation moves to them.
  std::string next_call_id() {
    if (call_prefix_.empty()) {
      call_prefix_ = "call_" + core::random_uuid().substr(0, 8) + "_";
    }
    return call_prefix_ + std::to_string(++call_count_);
  }

  ModelResponse response_;
  std::string finish_reason_;
  std::string call_prefix_;
  int call_count_ = 0;
  int tool_calls_ = 0;
  bool any_output_ = false;
};

class GeminiAdapter final : public ApiAdapter {
 public:
  ApiKind kind() const override { return ApiKind::google_generative_ai; }

  HttpRequestSpec build_request(const ModelRequest& request,
                                const Endpoint& endpoint) const override {
    json::object body;
    body["contents"] = gemini_contents(request.messages, requires_thought_signatures(request.model),
                                       nests_function_response_media(request.model));
    std::string system = request.system;
    if (!request.system_suffix.empty()) {
      system += system.empty() ? "" : "\n\n";
      system += request.system_suffix;
    }
    if (!system.empty()) {
      body["systemInstruction"] =
          json::object{{"parts", json::array{json::object{{"text", system}}}}};
    }
    if (!request.tools.empty()) {
      json::array declarations;
      for (const ToolSchema& tool : request.tools) {
        json::object declaration{{"name", tool.name}, {"description", tool.description}};
        json::value parameters = gemini_schema(tool.parameters);
        // A tool without arguments declares no parameters; an empty object schema is rejected.
        if (const auto* properties = object_field(parameters.get_object(), "properties");
            properties != nullptr && !properties->empty()) {
          declaration["parameters"] = std::move(parameters);
        }
        declarations.push_back(std::move(declaration));
      }
      body["tools"] = json::array{json::object{{"functionDeclarations", std::move(declarations)}}};
    }
    json::object generation{{"maxOutputTokens", request.max_tokens}};
    if (request.temperature) {
      generation["temperature"] = *request.temperature;
    }
    if (request.thinking != ThinkingLevel::off) {
      generation["thinkingConfig"] = json::object{
          {"thinkingBudget", thinking_budget(request.thinking)}, {"includeThoughts", true}};
    }
    body["generationConfig"] = std::move(generation);
    merge_into(body, request.extra_body);

    std::string_view base = endpoint.base_url;
    while (!base.empty() && base.back() == '/') {
      base.remove_suffix(1);
    }
    std::string_view model = request.model;
    if (model.starts_with("models/")) {
      model.remove_prefix(7);
    }
    HttpRequestSpec spec;
    spec.url =
        std::string(base) + "/models/" + std::string(model) + ":streamGenerateContent?alt=sse";
    spec.headers.emplace_back("content-type", "application/json");
    spec.headers.emplace_back("accept", "text/event-stream");
    if (!endpoint.api_key.empty()) {
      spec.headers.emplace_back("x-goog-api-key", endpoint.api_key);
    }
    spec.headers.insert(spec.headers.end(), endpoint.headers.begin(), endpoint.headers.end());
    spec.body = json::serialize(body);
    return spec;
  }

  std::unique_ptr<StreamDecoder> make_decoder() const override {
    return std::make_unique<GeminiDecoder>();
  }

  ProviderError read_error(int http_status, std::string_view body,
                           std::optional<std::chrono::milliseconds> retry_after) const override {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (!ec) {
      const json::value* root = &parsed;
      if (const auto* array = parsed.if_array(); array != nullptr && !array->empty()) {
        root = &array->front();  // streamed errors come wrapped in an array
      }
      if (const auto* object = root->if_object()) {
        if (const auto* error = object_field(*object, "error")) {
          ProviderError result = classify_gemini_error(http_status, string_field(*error, "status"),
                                                       error_message_from_body(body), retry_after);
          return result;
        }
      }
    }
    return ApiAdapter::read_error(http_status, body, retry_after);
  }
};

}  // namespace

const ApiAdapter& gemini_adapter() {
  static const GeminiAdapter adapter;
  return adapter;
}

}  // namespace pincer::providers
