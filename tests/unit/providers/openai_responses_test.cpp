#include "providers/openai_responses.hpp"

#include <gtest/gtest.h>

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
  return openai_responses_adapter();
}

std::string header(const HttpRequestSpec& spec, std::string_view name) {
  for (const auto& [key, value] : spec.headers) {
    if (key == name) {
      return value;
    }
  }
  return "<missing>";
}

ModelRequest conversation() {
  ModelRequest request;
  request.model = "gpt-5";
  request.system = "You are Pincer.";
  request.system_suffix = "Time: 09:00";
  request.messages.push_back(
      Message{Role::user, {TextPart{"What is in this image?"}, ImagePart{"image/png", "iVBORw0"}}});
  request.messages.push_back(
      Message{Role::assistant,
              {ThinkingPart{"let me look", "", false}, TextPart{"Checking the file."},
               ToolCallPart{"call_A", "read", json::object{{"path", "a.txt"}}}}});
  request.messages.push_back(
      Message{Role::user,
              {ToolResultPart{"call_A", "read", "file contents", false}, TextPart{"and now?"}}});
  request.tools.push_back(ToolSchema{
      "read", "Read a file",
      json::object{{"type", "object"},
                   {"properties", json::object{{"path", json::object{{"type", "string"}}}}}}});
  request.max_tokens = 1234;
  request.temperature = 0.25;
  request.extra_body = json::object{{"service_tier", "flex"}, {"stream", true}};
  return request;
}

// The conversation becomes instructions + typed input items in order; tools are function tools.
TEST(OpenAiResponsesRequest, CarriesInstructionsInputItemsAndTools) {
  HttpRequestSpec spec =
      adapter().build_request(conversation(), Endpoint{"https://api.openai.com/v1/", "sk-1", {}});
  EXPECT_EQ(spec.url, "https://api.openai.com/v1/responses");
  EXPECT_EQ(header(spec, "authorization"), "Bearer sk-1");

  json::object body = json::parse(spec.body).as_object();
  EXPECT_EQ(body.at("model"), "gpt-5");
  EXPECT_EQ(body.at("instructions"), "You are Pincer.\n\nTime: 09:00");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("store"), false);
  EXPECT_EQ(body.at("max_output_tokens"), 1234);
  EXPECT_EQ(body.at("temperature").as_double(), 0.25);
  EXPECT_FALSE(body.contains("reasoning"));
  EXPECT_EQ(body.at("service_tier"), "flex");

  const json::array& input = body.at("input").as_array();
  ASSERT_EQ(input.size(), 5U);
  EXPECT_EQ(input[0].at("role"), "user");
  EXPECT_EQ(input[0].at("content").at(0).at("type"), "input_text");
  EXPECT_EQ(input[0].at("content").at(1).at("type"), "input_image");
  EXPECT_EQ(input[0].at("content").at(1).at("image_url"), "data:image/png;base64,iVBORw0");
  EXPECT_EQ(input[1].at("role"), "assistant");  // thinking is not sent back
  ASSERT_EQ(input[1].at("content").as_array().size(), 1U);
  EXPECT_EQ(input[1].at("content").at(0).at("type"), "output_text");
  EXPECT_EQ(input[1].at("content").at(0).at("text"), "Checking the file.");
  EXPECT_EQ(input[2].at("type"), "function_call");
  EXPECT_EQ(input[2].at("call_id"), "call_A");
  EXPECT_EQ(input[2].at("name"), "read");
  EXPECT_EQ(json::parse(input[2].at("arguments").as_string()), (json::object{{"path", "a.txt"}}));
  EXPECT_EQ(input[3].at("type"), "function_call_output");
  EXPECT_EQ(input[3].at("call_id"), "call_A");
  EXPECT_EQ(input[3].at("output"), "file contents");
  EXPECT_EQ(input[4].at("role"), "user");
  EXPECT_EQ(input[4].at("content").at(0).at("text"), "and now?");

  const json::array& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 1U);
  EXPECT_EQ(tools[0].at("type"), "function");
  EXPECT_EQ(tools[0].at("name"), "read");
  EXPECT_EQ(tools[0].at("description"), "Read a file");
  EXPECT_EQ(tools[0].at("parameters").at("properties").at("path").at("type"), "string");
}

// The function_call_output item that answers a call with `result`.
json::value output_item(ToolResultPart result) {
  ModelRequest request;
  request.model = "gpt-5";
  request.messages.push_back(
      Message{Role::assistant, {ToolCallPart{"call_A", "read", json::object{{"path", "a.png"}}}}});
  request.messages.push_back(Message{Role::user, {std::move(result)}});
  json::object body =
      json::parse(
          adapter().build_request(request, Endpoint{"https://api.openai.com/v1", "k", {}}).body)
          .as_object();
  return body.at("input").as_array().back();
}

// A tool's images go inside its function_call_output: the output becomes a list of an
// input_text item and input_image items with data URLs, as the Responses API accepts.
TEST(OpenAiResponsesRequest, ToolResultImagesGoInTheFunctionCallOutput) {
  ToolResultPart result{"call_A", "read", "Read image file [image/png]", false};
  result.images.push_back(ImagePart{"image/png", "iVBORw0"});
  json::value expected = json::parse(R"({"type":"function_call_output","call_id":"call_A",
    "output":[{"type":"input_text","text":"Read image file [image/png]"},
              {"type":"input_image","image_url":"data:image/png;base64,iVBORw0",
               "detail":"auto"}]})");
  json::value item = output_item(std::move(result));
  EXPECT_EQ(item, expected) << json::serialize(item);
}

// Without images the output stays a plain string.
TEST(OpenAiResponsesRequest, TextOnlyToolOutputIsUnchanged) {
  EXPECT_EQ(json::serialize(output_item(ToolResultPart{"call_A", "read", "hi", false})),
            R"({"type":"function_call_output","call_id":"call_A","output":"hi"})");
}

// Thinking asks for a reasoning summary and drops temperature (reasoning models reject it);
// a local server without a key gets no Authorization header.
TEST(OpenAiResponsesRequest, ThinkingSendsReasoningEffortInsteadOfTemperature) {
  ModelRequest request = conversation();
  request.thinking = ThinkingLevel::low;
  request.extra_body = json::object{{"reasoning", json::object{{"effort", "medium"}}}};
  HttpRequestSpec spec =
      adapter().build_request(request, Endpoint{"http://127.0.0.1:8080/v1", "", {{"x-a", "b"}}});
  EXPECT_EQ(header(spec, "authorization"), "<missing>");
  EXPECT_EQ(header(spec, "x-a"), "b");
  json::object body = json::parse(spec.body).as_object();
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_EQ(body.at("reasoning").at("summary"), "auto");
  EXPECT_EQ(body.at("reasoning").at("effort"), "medium");  // extraBody merged into the object
}

// Text deltas arrive in order, UTF-8 intact, and usage separates cached input.
TEST(OpenAiResponsesDecoder, AssemblesTextAndUsage) {
  fakes::FakeReply reply;
  reply.text = "Grüße — ✓ done";
  reply.delta_bytes = 3;
  reply.model = "gpt-5-2025";
  reply.input_tokens = 100;
  reply.cache_read_tokens = 40;
  reply.output_tokens = 7;
  RecordingSink sink;
  auto result = replay_sse_for_test(
      adapter(), join_chunks_for_test(fakes::render_openai_responses_stream(reply)), sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(sink.text_, reply.text);
  EXPECT_GT(sink.text_deltas_, 3);
  ASSERT_EQ(result->message.parts.size(), 1U);
  EXPECT_EQ(std::get<TextPart>(result->message.parts[0]).text, reply.text);
  EXPECT_EQ(result->stop, StopReason::end_turn);
  EXPECT_EQ(result->usage.input, 100);
  EXPECT_EQ(result->usage.cache_read, 40);
  EXPECT_EQ(result->usage.output, 7);
  EXPECT_EQ(result->model, "gpt-5-2025");
  EXPECT_FALSE(result->id.empty());
}

// Reasoning summaries stream as thinking, before the answer.
TEST(OpenAiResponsesDecoder, ReasoningSummaryBecomesThinking) {
  fakes::FakeReply reply;
  reply.thinking = "First, consider the question.";
  reply.text = "Answer.";
  RecordingSink sink;
  auto result = replay_sse_for_test(
      adapter(), join_chunks_for_test(fakes::render_openai_responses_stream(reply)), sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(sink.thinking_, reply.thinking);
  ASSERT_EQ(result->message.parts.size(), 2U);
  EXPECT_EQ(std::get<ThinkingPart>(result->message.parts[0]).text, reply.thinking);
  EXPECT_EQ(std::get<TextPart>(result->message.parts[1]).text, "Answer.");
}

// Several calls are assembled from argument deltas; their call_ids are what results reference.
TEST(OpenAiResponsesDecoder, AssemblesSeveralToolCalls) {
  fakes::FakeReply reply;
  reply.text = "Running both.";
  reply.tool_calls.push_back({"call_one", "read", json::object{{"path", "/tmp/a b.txt"}}});
  reply.tool_calls.push_back(
      {"", "exec", json::object{{"command", "ls -la"}, {"timeout", 30}, {"env", json::object{}}}});
  reply.delta_bytes = 4;
  RecordingSink sink;
  auto result = replay_sse_for_test(
      adapter(), join_chunks_for_test(fakes::render_openai_responses_stream(reply)), sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stop, StopReason::tool_use);
  ASSERT_EQ(result->message.parts.size(), 3U);
  const auto& first = std::get<ToolCallPart>(result->message.parts[1]);
  const auto& second = std::get<ToolCallPart>(result->message.parts[2]);
  EXPECT_EQ(first.id, "call_one");
  EXPECT_EQ(first.name, "read");
  EXPECT_EQ(first.arguments, reply.tool_calls[0].arguments);
  EXPECT_FALSE(second.id.empty());
  EXPECT_NE(second.id, first.id);
  EXPECT_EQ(second.name, "exec");
  EXPECT_EQ(second.arguments, reply.tool_calls[1].arguments);
  ASSERT_EQ(sink.calls_.size(), 2U);
  EXPECT_EQ(sink.calls_[1].id, second.id);
}

// response.incomplete with reason max_output_tokens is a max_tokens stop, not an error.
TEST(OpenAiResponsesDecoder, IncompleteAtTheOutputLimitIsMaxTokens) {
  fakes::FakeReply reply;
  reply.text = "This answer was cut";
  reply.max_tokens = true;
  RecordingSink sink;
  auto result = replay_sse_for_test(
      adapter(), join_chunks_for_test(fakes::render_openai_responses_stream(reply)), sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->stop, StopReason::max_tokens);
  EXPECT_EQ(sink.text_, reply.text);
}

// A stream written in the shape the API reference shows (type-only data, extra fields, events
// the adapter does not use), with a message and then a function call.
TEST(OpenAiResponsesDecoder, ReadsADocumentedStream) {
  std::string stream = R"(event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_67c9","object":"response","created_at":1741290958,"status":"in_progress","model":"gpt-4.1-2025-04-14","output":[],"usage":null}}

event: response.in_progress
data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_67c9","object":"response","status":"in_progress","output":[]}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_67c9","type":"message","status":"in_progress","role":"assistant","content":[]}}

event: response.content_part.added
data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_67c9","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_67c9","output_index":0,"content_index":0,"delta":"Let me check"}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_67c9","output_index":0,"content_index":0,"delta":" the weather."}

event: response.output_text.done
data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_67c9","output_index":0,"content_index":0,"text":"Let me check the weather."}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":7,"output_index":0,"item":{"id":"msg_67c9","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Let me check the weather.","annotations":[]}]}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":8,"output_index":1,"item":{"type":"function_call","id":"fc_12ab","call_id":"call_12ab","name":"get_weather","arguments":""}}

event: response.function_call_arguments.delta
data: {"type":"response.function_call_arguments.delta","sequence_number":9,"item_id":"fc_12ab","output_index":1,"delta":"{\"location\":"}

event: response.function_call_arguments.delta
data: {"type":"response.function_call_arguments.delta","sequence_number":10,"item_id":"fc_12ab","output_index":1,"delta":"\"Oslo\"}"}

event: response.function_call_arguments.done
data: {"type":"response.function_call_arguments.done","sequence_number":11,"item_id":"fc_12ab","output_index":1,"arguments":"{\"location\":\"Oslo\"}"}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":12,"output_index":1,"item":{"type":"function_call","id":"fc_12ab","call_id":"call_12ab","name":"get_weather","arguments":"{\"location\":\"Oslo\"}","status":"completed"}}

event: response.completed
data: {"type":"response.completed","sequence_number":13,"response":{"id":"resp_67c9","object":"response","status":"completed","model":"gpt-4.1-2025-04-14","output":[],"usage":{"input_tokens":328,"input_tokens_details":{"cached_tokens":128},"output_tokens":52,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":380}}}

)";
  RecordingSink sink;
  auto result = replay_sse_for_test(adapter(), stream, sink);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->id, "resp_67c9");
  EXPECT_EQ(result->model, "gpt-4.1-2025-04-14");
  ASSERT_EQ(result->message.parts.size(), 2U);
  EXPECT_EQ(std::get<TextPart>(result->message.parts[0]).text, "Let me check the weather.");
  const auto& call = std::get<ToolCallPart>(result->message.parts[1]);
  EXPECT_EQ(call.id, "call_12ab");
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments, (json::object{{"location", "Oslo"}}));
  EXPECT_EQ(result->stop, StopReason::tool_use);
  EXPECT_EQ(result->usage.input, 200);
  EXPECT_EQ(result->usage.cache_read, 128);
  EXPECT_EQ(result->usage.output, 52);
}

std::string failed_event(std::string_view code, std::string_view message) {
  json::object event{
      {"type", "response.failed"},
      {"sequence_number", 9},
      {"response", json::object{{"id", "resp_x"},
                                {"status", "failed"},
                                {"error", json::object{{"code", code}, {"message", message}}}}}};
  return "event: response.failed\ndata: " + json::serialize(event) + "\n\n";
}

// response.failed and error events end the call with an error classified by their code; text
// already streamed makes it partial.
TEST(OpenAiResponsesDecoder, InStreamErrorsAreClassifiedByCode) {
  fakes::FakeReply reply;
  reply.text = "Some text";
  std::vector<std::string> chunks = fakes::render_openai_responses_stream(reply);
  chunks.pop_back();  // no response.completed
  std::string started = join_chunks_for_test(chunks);

  RecordingSink sink;
  auto limited = replay_sse_for_test(
      adapter(), started + failed_event("rate_limit_exceeded", "Slow down"), sink);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().reason, FailoverReason::rate_limit);
  EXPECT_EQ(limited.error().message, "Slow down");
  EXPECT_TRUE(limited.error().partial);

  auto overflow = replay_sse_for_test(
      adapter(), failed_event("context_length_exceeded", "Your input exceeds the window"), sink);
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error().reason, FailoverReason::context_overflow);
  EXPECT_FALSE(overflow.error().partial);

  auto quota =
      replay_sse_for_test(adapter(), failed_event("insufficient_quota", "No credit"), sink);
  ASSERT_FALSE(quota);
  EXPECT_EQ(quota.error().reason, FailoverReason::billing);

  auto server = replay_sse_for_test(adapter(), failed_event("server_error", "Oops"), sink);
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().reason, FailoverReason::server_error);

  std::string error_event =
      "event: error\ndata: "
      R"({"type":"error","code":"rate_limit_exceeded","message":"Too fast","param":null,"sequence_number":2})"
      "\n\n";
  auto errored = replay_sse_for_test(adapter(), error_event, sink);
  ASSERT_FALSE(errored);
  EXPECT_EQ(errored.error().reason, FailoverReason::rate_limit);
  EXPECT_EQ(errored.error().message, "Too fast");
}

// A stream cut before response.completed (even mid-event) is a partial timeout, not a reply.
TEST(OpenAiResponsesDecoder, TruncatedStreamIsAPartialTimeout) {
  fakes::FakeReply reply;
  reply.text = "Half of this";
  reply.tool_calls.push_back({"call_1", "read", json::object{{"path", "x"}}});
  std::string whole = join_chunks_for_test(fakes::render_openai_responses_stream(reply));
  for (std::size_t cut : {whole.size() / 4, whole.size() / 2, whole.size() - 5}) {
    RecordingSink sink;
    auto result = replay_sse_for_test(adapter(), whole.substr(0, cut), sink);
    ASSERT_FALSE(result) << "cut at " << cut;
    EXPECT_EQ(result.error().reason, FailoverReason::timeout);
    EXPECT_TRUE(result.error().partial);
  }
}

// The fake renderer follows the documented framing: the event name repeats the data's type and
// sequence numbers count up from 0 without gaps.
TEST(OpenAiResponsesRenderer, EventsNameTheirTypeAndCountSequenceNumbers) {
  fakes::FakeReply reply;
  reply.thinking = "hmm";
  reply.text = "Hello";
  reply.tool_calls.push_back({"", "read", json::object{{"path", "a"}}});
  auto events = testing::split_sse_for_test(
      join_chunks_for_test(fakes::render_openai_responses_stream(reply)));
  ASSERT_GT(events.size(), 10U);
  for (std::size_t i = 0; i < events.size(); ++i) {
    json::object data = json::parse(events[i].data).as_object();
    EXPECT_EQ(data.at("type").as_string(), events[i].event);
    EXPECT_EQ(data.at("sequence_number").as_int64(), static_cast<int64_t>(i));
  }
  EXPECT_EQ(events.front().event, "response.created");
  EXPECT_EQ(events.back().event, "response.completed");
}

// Servers that send only the final response (no deltas) still produce the reply, and a refusal
// content part makes it a refusal.
TEST(OpenAiResponsesDecoder, FinalOutputWithoutDeltasIsRead) {
  std::string stream =
      "event: response.completed\ndata: "
      R"({"type":"response.completed","sequence_number":0,"response":{"id":"r1","status":"completed","model":"m","output":[{"type":"reasoning","id":"rs","summary":[{"type":"summary_text","text":"why"}]},{"type":"message","id":"m1","role":"assistant","content":[{"type":"output_text","text":"Hi"}]},{"type":"function_call","id":"fc","call_id":"call_9","name":"ls","arguments":"{}"}],"usage":{"input_tokens":5,"output_tokens":2}}})"
      "\n\n";
  RecordingSink sink;
  auto result = replay_sse_for_test(adapter(), stream, sink);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->message.parts.size(), 3U);
  EXPECT_EQ(std::get<ThinkingPart>(result->message.parts[0]).text, "why");
  EXPECT_EQ(std::get<TextPart>(result->message.parts[1]).text, "Hi");
  EXPECT_EQ(std::get<ToolCallPart>(result->message.parts[2]).id, "call_9");
  EXPECT_EQ(result->stop, StopReason::tool_use);
  EXPECT_EQ(sink.text_, "Hi");
  EXPECT_EQ(result->usage.input, 5);

  std::string refusal =
      "data: "
      R"({"type":"response.refusal.delta","sequence_number":0,"item_id":"m","output_index":0,"content_index":0,"delta":"I can't help with that."})"
      "\n\ndata: "
      R"({"type":"response.completed","sequence_number":1,"response":{"id":"r2","status":"completed","output":[]}})"
      "\n\n";
  auto refused = replay_sse_for_test(adapter(), refusal, sink);
  ASSERT_TRUE(refused) << refused.error().message;
  EXPECT_EQ(refused->stop, StopReason::refusal);
  EXPECT_EQ(std::get<TextPart>(refused->message.parts.at(0)).text, "I can't help with that.");
}

// HTTP error bodies: the code field decides, the message is kept for the user.
TEST(OpenAiResponsesErrors, HttpErrorBodiesAreClassifiedByCode) {
  auto quota = adapter().read_error(
      429,
      R"({"error":{"message":"You exceeded your current quota.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}})",
      std::nullopt);
  EXPECT_EQ(quota.reason, FailoverReason::billing);
  EXPECT_EQ(quota.message, "You exceeded your current quota.");
  auto overflow = adapter().read_error(
      400,
      R"({"error":{"message":"Input too big.","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}})",
      std::nullopt);
  EXPECT_EQ(overflow.reason, FailoverReason::context_overflow);
  auto key = adapter().read_error(
      401,
      R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}})",
      std::nullopt);
  EXPECT_EQ(key.reason, FailoverReason::auth);
  auto limited = adapter().read_error(
      429,
      R"({"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}})",
      std::chrono::milliseconds(1500));
  EXPECT_EQ(limited.reason, FailoverReason::rate_limit);
  EXPECT_EQ(limited.retry_after, std::chrono::milliseconds(1500));
}

}  // namespace
}  // namespace pincer::providers
