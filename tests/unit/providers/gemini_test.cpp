#include "providers/gemini.hpp"

#include <gtest/gtest.h>

#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fakes/fake_reply.hpp"
#include "unit/providers/sse_replay_for_test.hpp"

namespace pincer::providers {
namespace {

namespace json = boost::json;
using testing::join_chunks_for_test;
using testing::RecordingSink;
using testing::replay_sse_for_test;

const ApiAdapter& adapter() {
  return gemini_adapter();
}

constexpr std::string_view kBase = "https://generativelanguage.googleapis.com/v1beta";

std::string header(const HttpRequestSpec& spec, std::string_view name) {
  for (const auto& [key, value] : spec.headers) {
    if (key == name) {
      return value;
    }
  }
  return "<missing>";
}

std::expected<ModelResponse, ProviderError> replay(const fakes::FakeReply& reply,
                                                   RecordingSink& sink) {
  return replay_sse_for_test(adapter(), join_chunks_for_test(fakes::render_gemini_stream(reply)),
                             sink);
}

ModelRequest conversation() {
  ModelRequest request;
  request.model = "gemini-2.5-flash";
  request.system = "You are Pincer.";
  request.system_suffix = "Time: 09:00";
  request.messages.push_back(
      Message{Role::user, {TextPart{"Describe this"}, ImagePart{"image/jpeg", "/9j/4AAQ"}}});
  request.messages.push_back(Message{Role::user, {TextPart{"and read a.txt"}}});
  request.messages.push_back(
      Message{Role::assistant,
              {ThinkingPart{"thinking", "", false}, TextPart{"Reading."},
               ToolCallPart{"call_x_1", "read", json::object{{"path", "a.txt"}}}}});
  request.messages.push_back(
      Message{Role::user, {ToolResultPart{"call_x_1", "read", "hello file", false}}});
  json::object parameters = json::parse(R"({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "path": {"type": "string", "description": "File", "default": "a.txt", "format": "uri"},
      "limit": {"type": ["integer", "null"], "minimum": 1, "examples": [10]},
      "mode": {"const": "fast"},
      "options": {"type": "object", "additionalProperties": {"type": "string"},
                  "properties": {"when": {"type": "string", "format": "date-time", "default": ""}}},
      "tags": {"type": "array", "items": {"type": "string", "default": "x"}}
    },
    "required": ["path", "ghost"]
  })")
                                .as_object();
  request.tools.push_back(ToolSchema{"read", "Read a file", parameters});
  request.tools.push_back(ToolSchema{"now", "The time", json::object{{"type", "object"}}});
  request.max_tokens = 2048;
  request.temperature = 0.5;
  return request;
}

// The conversation becomes user/model contents (same-role turns merged, thinking left out),
// tool calls functionCall parts and results functionResponse parts in the user turn.
TEST(GeminiRequest, CarriesContentsSystemInstructionAndGenerationConfig) {
  HttpRequestSpec spec =
      adapter().build_request(conversation(), Endpoint{std::string(kBase) + "/", "AIza-key", {}});
  EXPECT_EQ(spec.url,
            std::string(kBase) + "/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
  EXPECT_EQ(header(spec, "x-goog-api-key"), "AIza-key");
  EXPECT_EQ(header(spec, "authorization"), "<missing>");

  json::object body = json::parse(spec.body).as_object();
  EXPECT_EQ(body.at("systemInstruction").at("parts").at(0).at("text"),
            "You are Pincer.\n\nTime: 09:00");
  const json::array& contents = body.at("contents").as_array();
  ASSERT_EQ(contents.size(), 3U);
  EXPECT_EQ(contents[0].at("role"), "user");
  const json::array& first = contents[0].at("parts").as_array();
  ASSERT_EQ(first.size(), 3U);
  EXPECT_EQ(first[0].at("text"), "Describe this");
  EXPECT_EQ(first[1].at("inlineData").at("mimeType"), "image/jpeg");
  EXPECT_EQ(first[1].at("inlineData").at("data"), "/9j/4AAQ");
  EXPECT_EQ(first[2].at("text"), "and read a.txt");
  EXPECT_EQ(contents[1].at("role"), "model");
  const json::array& model = contents[1].at("parts").as_array();
  ASSERT_EQ(model.size(), 2U);
  EXPECT_EQ(model[0].at("text"), "Reading.");
  EXPECT_EQ(model[1].at("functionCall").at("name"), "read");
  EXPECT_EQ(model[1].at("functionCall").at("args"), (json::object{{"path", "a.txt"}}));
  EXPECT_FALSE(model[1].as_object().contains("thoughtSignature"));  // Gemini 2.5 needs none
  EXPECT_EQ(contents[2].at("role"), "user");
  const json::value& response = contents[2].at("parts").at(0).at("functionResponse");
  EXPECT_EQ(response.at("name"), "read");
  EXPECT_EQ(response.at("response").at("content"), "hello file");

  const json::object& generation = body.at("generationConfig").as_object();
  EXPECT_EQ(generation.at("maxOutputTokens"), 2048);
  EXPECT_EQ(generation.at("temperature").as_double(), 0.5);
  EXPECT_FALSE(generation.contains("thinkingConfig"));
}

// Gemini rejects JSON-Schema keywords outside its OpenAPI subset, so they are stripped at every
// depth; const/nullable types are translated and `required` names only real properties.
TEST(GeminiRequest, ToolSchemasAreCutToTheSubsetGeminiAccepts) {
  HttpRequestSpec spec =
      adapter().build_request(conversation(), Endpoint{std::string(kBase), "k", {}});
  json::object body = json::parse(spec.body).as_object();
  const json::array& declarations = body.at("tools").at(0).at("functionDeclarations").as_array();
  ASSERT_EQ(declarations.size(), 2U);
  EXPECT_EQ(declarations[0].at("name"), "read");
  EXPECT_EQ(declarations[0].at("description"), "Read a file");
  const json::object& schema = declarations[0].at("parameters").as_object();
  std::string text = json::serialize(schema);
  for (std::string_view banned :
       {"$schema", "additionalProperties", "default", "examples", "const", "\"uri\""}) {
    EXPECT_EQ(text.find(banned), std::string::npos) << banned << " in " << text;
  }
  EXPECT_EQ(schema.at("type"), "object");
  EXPECT_EQ(schema.at("required"), (json::array{"path"}));
  const json::object& properties = schema.at("properties").as_object();
  EXPECT_EQ(properties.at("path").at("description"), "File");
  EXPECT_EQ(properties.at("limit").at("type"), "integer");
  EXPECT_EQ(properties.at("limit").at("nullable"), true);
  EXPECT_EQ(properties.at("limit").at("minimum"), 1);
  EXPECT_EQ(properties.at("mode").at("enum"), (json::array{"fast"}));
  EXPECT_EQ(properties.at("options").at("properties").at("when").at("format"), "date-time");
  EXPECT_EQ(properties.at("tags").at("items").at("type"), "string");
  EXPECT_FALSE(declarations[1].as_object().contains("parameters"));  // no arguments at all
}

// Thinking levels ask for thought summaries with a budget; extraBody merges into nested objects.
TEST(GeminiRequest, ThinkingLevelsSetThinkingConfig) {
  ModelRequest request = conversation();
  request.model = "models/gemini-2.5-pro";
  request.thinking = ThinkingLevel::medium;
  request.extra_body = json::object{{"generationConfig", json::object{{"topP", 0.9}}},
                                    {"safetySettings", json::array{}}};
  HttpRequestSpec spec =
      adapter().build_request(request, Endpoint{"http://127.0.0.1:9/v1beta", "", {}});
  EXPECT_EQ(spec.url,
            "http://127.0.0.1:9/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse");
  EXPECT_EQ(header(spec, "x-goog-api-key"), "<missing>");
  json::object body = json::parse(spec.body).as_object();
  const json::object& generation = body.at("generationConfig").as_object();
  EXPECT_EQ(generation.at("thinkingConfig").at("includeThoughts"), true);
  EXPECT_GT(generation.at("thinkingConfig").at("thinkingBudget").as_int64(), 0);
  EXPECT_EQ(generation.at("topP").as_double(), 0.9);
  EXPECT_EQ(generation.at("maxOutputTokens"), 2048);
  EXPECT_TRUE(body.contains("safetySettings"));
}

// The user turn that answers a read call with `result`, for `model`.
json::value result_turn(std::string model, ToolResultPart result) {
  ModelRequest request;
  request.model = std::move(model);
  ToolCallPart call{"call_1", "read", json::object{{"path", "a.png"}}};
  call.signature = "c2ln";
  request.messages.push_back(Message{Role::user, {TextPart{"look"}}});
  request.messages.push_back(Message{Role::assistant, {call}});
  request.messages.push_back(Message{Role::user, {std::move(result)}});
  json::object body =
      json::parse(adapter().build_request(request, Endpoint{std::string(kBase), "k", {}}).body)
          .as_object();
  return body.at("contents").as_array().back();
}

ToolResultPart image_result() {
  ToolResultPart result{"call_1", "read", "Read image file [image/png]", false};
  result.images.push_back(ImagePart{"image/png", "iVBORw0"});
  return result;
}

// Gemini 3 takes a tool's images inside the functionResponse, as `parts` of inlineData.
TEST(GeminiRequest, Gemini3NestsToolImagesInTheFunctionResponse) {
  json::value turn = result_turn("gemini-3-pro-preview", image_result());
  json::value expected = json::parse(R"({"role":"user","parts":[{"functionResponse":{
    "name":"read","response":{"content":"Read image file [image/png]"},
    "parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0"}}]}}]})");
  EXPECT_EQ(turn, expected) << json::serialize(turn);
}

// Earlier Gemini models take them only as inlineData parts of the user turn, after the
// function responses.
TEST(GeminiRequest, Gemini2SendsToolImagesAfterTheFunctionResponses) {
  ToolResultPart bare{"call_1", "read", "", false};
  bare.images.push_back(ImagePart{"image/jpeg", "/9j/4AAQ"});
  json::value turn = result_turn("gemini-2.5-flash", bare);
  json::value expected = json::parse(R"json({"role":"user","parts":[
    {"functionResponse":{"name":"read","response":{"content":"(see attached image)"}}},
    {"text":"Tool result image:"},
    {"inlineData":{"mimeType":"image/jpeg","data":"/9j/4AAQ"}}]})json");
  EXPECT_EQ(turn, expected) << json::serialize(turn);
}

// Without images the functionResponse is what it always was, on either generation.
TEST(GeminiRequest, TextOnlyFunctionResponseIsUnchanged) {
  for (std::string model : {"gemini-2.5-flash", "gemini-3-pro-preview"}) {
    EXPECT_EQ(json::serialize(result_turn(model, ToolResultPart{"call_1", "read", "hi", false})),
              R"({"role":"user","parts":[{"functionResponse":{"name":"read",)"
              R"("response":{"content":"hi"}}}]})")
        << model;
  }
}

// Gemini 3 requires each replayed call's thoughtSignature: a kept one goes back verbatim; a turn
// whose calls have none (they came from another provider) gets Google's skip sentinel once.
TEST(GeminiRequest, Gemini3CallsCarryThoughtSignatures) {
  ModelRequest request;
  request.model = "gemini-3-pro-preview";
  request.messages.push_back(Message{Role::user, {TextPart{"go"}}});
  ToolCallPart signed_call{"call_1", "read", json::object{{"path", "a"}}};
  signed_call.signature = "c2lnbmF0dXJl";
  request.messages.push_back(
      Message{Role::assistant, {signed_call, ToolCallPart{"call_2", "read", json::object{}}}});
  request.messages.push_back(Message{
      Role::user,
      {ToolResultPart{"call_1", "", "a", false}, ToolResultPart{"call_2", "read", "b", false}}});
  request.messages.push_back(Message{Role::assistant,
                                     {ToolCallPart{"toolu_1", "exec", json::object{}},
                                      ToolCallPart{"toolu_2", "exec", json::object{}}}});
  request.messages.push_back(Message{Role::user,
                                     {ToolResultPart{"toolu_1", "exec", "ok", false},
                                      ToolResultPart{"toolu_2", "exec", "ok", false}}});
  json::object body =
      json::parse(adapter().build_request(request, Endpoint{std::string(kBase), "k", {}}).body)
          .as_object();
  const json::array& contents = body.at("contents").as_array();
  ASSERT_EQ(contents.size(), 5U);
  const json::array& signed_turn = contents[1].at("parts").as_array();
  EXPECT_EQ(signed_turn[0].at("thoughtSignature"), "c2lnbmF0dXJl");
  EXPECT_FALSE(signed_turn[1].as_object().contains("thoughtSignature"));
  // A result recorded without its tool's name is named after its call.
  EXPECT_EQ(contents[2].at("parts").at(0).at("functionResponse").at("name"), "read");
  const json::array& foreign_turn = contents[3].at("parts").as_array();
  EXPECT_EQ(foreign_turn[0].at("thoughtSignature"), "skip_thought_signature_validator");
  EXPECT_FALSE(foreign_turn[1].as_object().contains("thoughtSignature"));
}

// Text chunks (CRLF-framed, as Google sends them) are joined; the last usageMetadata counts.
TEST(GeminiDecoder, AssemblesTextAndUsage) {
  fakes::FakeReply reply;
  reply.text = "Grüße — ✓ done";
  reply.delta_bytes = 3;
  reply.model = "gemini-2.5-flash-001";
  reply.input_tokens = 90;
  reply.cache_read_tokens = 30;
  reply.output_tokens = 12;
  RecordingSink sink;
  auto result = replay(reply, sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(sink.text_, reply.text);
  EXPECT_GT(sink.text_deltas_, 3);
  ASSERT_EQ(result->message.parts.size(), 1U);
  EXPECT_EQ(std::get<TextPart>(result->message.parts[0]).text, reply.text);
  EXPECT_EQ(result->stop, StopReason::end_turn);
  EXPECT_EQ(result->usage.input, 90);
  EXPECT_EQ(result->usage.cache_read, 30);
  EXPECT_EQ(result->usage.output, 12);
  EXPECT_EQ(result->model, "gemini-2.5-flash-001");
}

// Parts marked thought:true are thinking; thought tokens count as output.
TEST(GeminiDecoder, ThoughtPartsBecomeThinking) {
  fakes::FakeReply reply;
  reply.thinking = "Considering the options carefully.";
  reply.text = "Pick B.";
  reply.output_tokens = 21;
  RecordingSink sink;
  auto result = replay(reply, sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(sink.thinking_, reply.thinking);
  EXPECT_EQ(sink.text_, "Pick B.");
  ASSERT_EQ(result->message.parts.size(), 2U);
  EXPECT_EQ(std::get<ThinkingPart>(result->message.parts[0]).text, reply.thinking);
  EXPECT_EQ(std::get<TextPart>(result->message.parts[1]).text, "Pick B.");
  EXPECT_EQ(result->usage.output, 21);
}

// Function calls get generated ids, distinct within and across replies; STOP with calls is a
// tool_use stop.
TEST(GeminiDecoder, FunctionCallsGetDistinctIds) {
  fakes::FakeReply reply;
  reply.text = "Doing both.";
  reply.tool_calls.push_back({"", "read", json::object{{"path", "a"}}});
  reply.tool_calls.push_back({"", "exec", json::object{{"command", "ls"}, {"n", 2}}});
  RecordingSink sink;
  auto result = replay(reply, sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stop, StopReason::tool_use);
  ASSERT_EQ(result->message.parts.size(), 3U);
  const auto& first = std::get<ToolCallPart>(result->message.parts[1]);
  const auto& second = std::get<ToolCallPart>(result->message.parts[2]);
  EXPECT_EQ(first.name, "read");
  EXPECT_EQ(first.arguments, reply.tool_calls[0].arguments);
  EXPECT_EQ(second.name, "exec");
  EXPECT_EQ(second.arguments, reply.tool_calls[1].arguments);
  ASSERT_EQ(sink.calls_.size(), 2U);

  RecordingSink again;
  auto next = replay(reply, again);
  ASSERT_TRUE(next);
  std::set<std::string> ids{first.id, second.id, again.calls_.at(0).id, again.calls_.at(1).id};
  EXPECT_EQ(ids.size(), 4U);
  for (const std::string& id : ids) {
    EXPECT_TRUE(id.starts_with("call_")) << id;
  }
}

TEST(GeminiDecoder, MaxTokensFinishReasonIsMaxTokens) {
  fakes::FakeReply reply;
  reply.text = "This was cut";
  reply.max_tokens = true;
  RecordingSink sink;
  auto result = replay(reply, sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stop, StopReason::max_tokens);
}

// A stream in the shape of the API docs' REST example: spaced JSON, safety ratings, token
// details, a function call with a thought signature, LF framing.
TEST(GeminiDecoder, ReadsADocumentedStream) {
  std::string stream =
      R"(data: {"candidates": [{"content": {"parts": [{"text": "The weather"}],"role": "model"},"index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"}]}],"usageMetadata": {"promptTokenCount": 25,"totalTokenCount": 25,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 25}]},"modelVersion": "gemini-2.0-flash","responseId": "abc123"}

data: {"candidates": [{"content": {"parts": [{"text": " tool says:"},{"functionCall": {"name": "get_weather","args": {"city": "Oslo","units": "metric"}},"thoughtSignature": "CiIB"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 25,"candidatesTokenCount": 14,"totalTokenCount": 39},"modelVersion": "gemini-2.0-flash","responseId": "abc123"}

)";
  RecordingSink sink;
  auto result = replay_sse_for_test(adapter(), stream, sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->id, "abc123");
  EXPECT_EQ(result->model, "gemini-2.0-flash");
  ASSERT_EQ(result->message.parts.size(), 2U);
  EXPECT_EQ(std::get<TextPart>(result->message.parts[0]).text, "The weather tool says:");
  const auto& call = std::get<ToolCallPart>(result->message.parts[1]);
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments, (json::object{{"city", "Oslo"}, {"units", "metric"}}));
  EXPECT_EQ(call.signature, "CiIB");
  EXPECT_EQ(result->stop, StopReason::tool_use);
  EXPECT_EQ(result->usage.input, 25);
  EXPECT_EQ(result->usage.output, 14);
}

// Safety stops are refusals; a blocked prompt and an error object in the stream end the call.
TEST(GeminiDecoder, SafetyBlocksAndInStreamErrors) {
  RecordingSink sink;
  auto safety = replay_sse_for_test(
      adapter(),
      "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"I can\"}],\"role\":\"model\"},"
      "\"finishReason\":\"SAFETY\",\"index\":0}]}\r\n\r\n",
      sink);
  ASSERT_TRUE(safety) << safety.error().message;
  EXPECT_EQ(safety->stop, StopReason::refusal);

  auto blocked = replay_sse_for_test(
      adapter(),
      "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},"
      "\"usageMetadata\":{\"promptTokenCount\":7,\"totalTokenCount\":7}}\r\n\r\n",
      sink);
  ASSERT_FALSE(blocked);
  EXPECT_NE(blocked.error().message.find("PROHIBITED_CONTENT"), std::string::npos);
  EXPECT_FALSE(blocked.error().partial);

  fakes::FakeReply reply;
  reply.text = "Partial answer here";
  std::vector<std::string> chunks = fakes::render_gemini_stream(reply);
  chunks.pop_back();
  std::string errored = join_chunks_for_test(chunks) + "data: " +
                        fakes::render_gemini_error(503, "UNAVAILABLE", "The model is overloaded.") +
                        "\r\n\r\n";
  auto failed = replay_sse_for_test(adapter(), errored, sink);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().reason, FailoverReason::overloaded);
  EXPECT_EQ(failed.error().message, "The model is overloaded.");
  EXPECT_TRUE(failed.error().partial);
}

// No finishReason before EOF (even cut mid-event) is a partial timeout.
TEST(GeminiDecoder, TruncatedStreamIsAPartialTimeout) {
  fakes::FakeReply reply;
  reply.text = "A longer answer that spans several chunks";
  std::string whole = join_chunks_for_test(fakes::render_gemini_stream(reply));
  for (std::size_t cut : {whole.size() / 3, whole.size() - 10}) {
    RecordingSink sink;
    auto result = replay_sse_for_test(adapter(), whole.substr(0, cut), sink);
    ASSERT_FALSE(result) << "cut at " << cut;
    EXPECT_EQ(result.error().reason, FailoverReason::timeout);
    EXPECT_TRUE(result.error().partial);
  }
}

// Google's error bodies are classified by their canonical status.
TEST(GeminiErrors, HttpErrorBodiesAreClassifiedByStatus) {
  auto read = [](int http, std::string_view status, std::string_view message) {
    return adapter().read_error(http, fakes::render_gemini_error(http, status, message),
                                std::nullopt);
  };
  auto limited = read(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
  EXPECT_EQ(limited.reason, FailoverReason::rate_limit);
  EXPECT_EQ(limited.message, "Resource has been exhausted (e.g. check quota).");
  EXPECT_EQ(read(503, "UNAVAILABLE", "The model is overloaded.").reason,
            FailoverReason::overloaded);
  EXPECT_EQ(read(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers").reason,
            FailoverReason::auth);
  EXPECT_EQ(read(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.").reason,
            FailoverReason::auth);
  EXPECT_EQ(read(400, "INVALID_ARGUMENT",
                 "The input token count (1200000) exceeds the maximum number of tokens allowed "
                 "(1048576).")
                .reason,
            FailoverReason::context_overflow);
  EXPECT_EQ(read(400, "INVALID_ARGUMENT", "Invalid JSON payload received.").reason,
            FailoverReason::format);
  EXPECT_EQ(read(404, "NOT_FOUND", "models/gemini-9 is not found for API version v1beta").reason,
            FailoverReason::model_not_found);
  // The array-wrapped form Gemini uses on its streaming endpoint.
  auto wrapped = adapter().read_error(
      429, "[" + fakes::render_gemini_error(429, "RESOURCE_EXHAUSTED", "Quota") + "]",
      std::nullopt);
  EXPECT_EQ(wrapped.reason, FailoverReason::rate_limit);
  EXPECT_EQ(wrapped.message, "Quota");
}

}  // namespace
}  // namespace pincer::providers
