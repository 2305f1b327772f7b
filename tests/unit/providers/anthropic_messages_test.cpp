#include "providers/anthropic_messages.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fakes/fake_reply.hpp"
#include "unit/providers/sse_replay.hpp"

namespace pincer::providers {
namespace {

namespace json = boost::json;
using testing::join_chunks;
using testing::RecordingSink;
using testing::replay_sse;

const ApiAdapter& adapter() {
  return anthropic_messages_adapter();
}

Endpoint api_endpoint() {
  return Endpoint{"https://api.anthropic.com", "sk-ant-api03-key", {}};
}

std::string header(const HttpRequestSpec& spec, std::string_view name) {
  for (const auto& [key, value] : spec.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

bool has_header(const HttpRequestSpec& spec, std::string_view name) {
  for (const auto& entry : spec.headers) {
    if (entry.first == name) {
      return true;
    }
  }
  return false;
}

json::object body_of(const ModelRequest& request) {
  return json::parse(adapter().build_request(request, api_endpoint()).body).as_object();
}

int count_cache_breakpoints(const json::value& value) {
  int count = 0;
  if (const auto* object = value.if_object()) {
    count += object->contains("cache_control") ? 1 : 0;
    for (const auto& entry : *object) {
      count += count_cache_breakpoints(entry.value());
    }
  } else if (const auto* array = value.if_array()) {
    for (const auto& entry : *array) {
      count += count_cache_breakpoints(entry);
    }
  }
  return count;
}

// A two-turn tool loop: the user asks, the model thinks and calls a tool, the result comes back.
ModelRequest tool_loop_request() {
  ModelRequest request;
  request.model = "claude-sonnet-4-5";
  request.system = "You are Pincer.";
  request.system_suffix = "Now: Monday 09:00.";
  request.messages.push_back(
      {Role::user, {TextPart{"What is in this picture?"}, ImagePart{"image/png", "iVBORw0KGgo="}}});
  request.messages.push_back(
      {Role::assistant,
       {ThinkingPart{"Let me look.", "c2lnbmF0dXJl", false}, ThinkingPart{"opaque", {}, true},
        ThinkingPart{"unsigned, from elsewhere", {}, false}, TextPart{"Checking."},
        ToolCallPart{"toolu_01", "read_file", json::object{{"path", "a.txt"}}}}});
  request.messages.push_back(
      {Role::user,
       {TextPart{"also this"}, ToolResultPart{"toolu_01", "read_file", "no such file", true}}});
  request.tools.push_back({"read_file", "Read a file", json::object{{"type", "object"}}});
  request.tools.push_back({"exec", "Run a command", {}});
  return request;
}

// The URL gets /v1/messages once, whatever form the base URL takes.
TEST(AnthropicMessages, UrlAddsVersionPathOnce) {
  ModelRequest request;
  EXPECT_EQ(adapter().build_request(request, {"https://api.anthropic.com", "k", {}}).url,
            "https://api.anthropic.com/v1/messages");
  EXPECT_EQ(adapter().build_request(request, {"http://127.0.0.1:8080/v1/", "k", {}}).url,
            "http://127.0.0.1:8080/v1/messages");
  EXPECT_EQ(adapter().build_request(request, {"https://proxy.example/anthropic/", "k", {}}).url,
            "https://proxy.example/anthropic/v1/messages");
}

// API keys go in x-api-key, setup (OAuth) tokens as a bearer token; configured headers follow.
TEST(AnthropicMessages, HeadersCarryKeyOrOAuthToken) {
  ModelRequest request;
  Endpoint endpoint = api_endpoint();
  endpoint.headers.emplace_back("x-custom", "yes");
  HttpRequestSpec spec = adapter().build_request(request, endpoint);
  EXPECT_EQ(header(spec, "x-api-key"), "sk-ant-api03-key");
  EXPECT_FALSE(has_header(spec, "authorization"));
  EXPECT_EQ(header(spec, "anthropic-version"), "2023-06-01");
  EXPECT_EQ(header(spec, "content-type"), "application/json");
  EXPECT_EQ(header(spec, "accept"), "text/event-stream");
  EXPECT_EQ(header(spec, "x-custom"), "yes");

  HttpRequestSpec oauth =
      adapter().build_request(request, {"https://api.anthropic.com", "sk-ant-oat01-token", {}});
  EXPECT_EQ(header(oauth, "authorization"), "Bearer sk-ant-oat01-token");
  EXPECT_FALSE(has_header(oauth, "x-api-key"));
}

// Stable system text, the tool list and the newest user turn are cache breakpoints; the
// per-turn suffix comes after the system breakpoint and is not one.
TEST(AnthropicMessages, CacheBreakpointsOnSystemToolsAndLastUserTurn) {
  json::object body = body_of(tool_loop_request());
  const json::array& system = body.at("system").as_array();
  ASSERT_EQ(system.size(), 2U);
  EXPECT_EQ(system[0].at("text"), "You are Pincer.");
  EXPECT_EQ(system[0].at("cache_control").at("type"), "ephemeral");
  EXPECT_EQ(system[1].at("text"), "Now: Monday 09:00.");
  EXPECT_FALSE(system[1].as_object().contains("cache_control"));

  const json::array& tools = body.at("tools").as_array();
  EXPECT_FALSE(tools[0].as_object().contains("cache_control"));
  EXPECT_EQ(tools[1].at("cache_control").at("type"), "ephemeral");

  const json::array& messages = body.at("messages").as_array();
  const json::array& last = messages.back().at("content").as_array();
  EXPECT_EQ(last.back().at("cache_control").at("type"), "ephemeral");
  const json::array& first = messages.front().at("content").as_array();
  EXPECT_FALSE(first.back().as_object().contains("cache_control"));
  EXPECT_EQ(count_cache_breakpoints(body), 3);

  ModelRequest uncached = tool_loop_request();
  uncached.prompt_cache = false;
  EXPECT_EQ(count_cache_breakpoints(body_of(uncached)), 0);
}

// Images as base64 sources; tool results first in their user turn, with is_error; signed and
// redacted thinking replayed, unsigned thinking dropped; tool calls as tool_use.
TEST(AnthropicMessages, MessagesMapToContentBlocks) {
  json::object body = body_of(tool_loop_request());
  const json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 3U);

  const json::array& question = messages[0].at("content").as_array();
  EXPECT_EQ(messages[0].at("role"), "user");
  EXPECT_EQ(question[0].at("type"), "text");
  EXPECT_EQ(question[1].at("type"), "image");
  EXPECT_EQ(question[1].at("source").at("type"), "base64");
  EXPECT_EQ(question[1].at("source").at("media_type"), "image/png");
  EXPECT_EQ(question[1].at("source").at("data"), "iVBORw0KGgo=");

  const json::array& reply = messages[1].at("content").as_array();
  EXPECT_EQ(messages[1].at("role"), "assistant");
  ASSERT_EQ(reply.size(), 4U);
  EXPECT_EQ(reply[0].at("type"), "thinking");
  EXPECT_EQ(reply[0].at("thinking"), "Let me look.");
  EXPECT_EQ(reply[0].at("signature"), "c2lnbmF0dXJl");
  EXPECT_EQ(reply[1].at("type"), "redacted_thinking");
  EXPECT_EQ(reply[1].at("data"), "opaque");
  EXPECT_EQ(reply[2].at("type"), "text");
  EXPECT_EQ(reply[3].at("type"), "tool_use");
  EXPECT_EQ(reply[3].at("id"), "toolu_01");
  EXPECT_EQ(reply[3].at("name"), "read_file");
  EXPECT_EQ(reply[3].at("input").at("path"), "a.txt");

  const json::array& results = messages[2].at("content").as_array();
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].at("type"), "tool_result");
  EXPECT_EQ(results[0].at("tool_use_id"), "toolu_01");
  EXPECT_EQ(results[0].at("content"), "no such file");
  EXPECT_EQ(results[0].at("is_error"), true);
  EXPECT_EQ(results[1].at("text"), "also this");

  const json::array& tools = body.at("tools").as_array();
  EXPECT_EQ(tools[0].at("name"), "read_file");
  EXPECT_EQ(tools[0].at("description"), "Read a file");
  EXPECT_EQ(tools[0].at("input_schema").at("type"), "object");
  EXPECT_EQ(tools[1].at("input_schema").at("type"), "object");  // empty schema filled in
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("model"), "claude-sonnet-4-5");
}

// A tool call answered with `result`, as the second step of a turn (no cache breakpoints, so the
// rendered turn is exactly the API's shape).
ModelRequest tool_result_request(ToolResultPart result) {
  ModelRequest request;
  request.model = "claude-sonnet-4-5";
  request.prompt_cache = false;
  request.messages.push_back({Role::user, {TextPart{"Show me the chart."}}});
  request.messages.push_back(
      {Role::assistant, {ToolCallPart{"toolu_01", "read", json::object{{"path", "chart.png"}}}}});
  request.messages.push_back({Role::user, {std::move(result)}});
  return request;
}

// A tool result with images is a tool_result whose content is a text block and base64 image
// blocks, as the Messages API documents for tool_result content.
TEST(AnthropicMessages, ToolResultImagesGoInsideTheToolResult) {
  ToolResultPart result{"toolu_01", "read", "Read image file [image/png]", false};
  result.images.push_back(ImagePart{"image/png", "iVBORw0KGgo="});
  json::object body = body_of(tool_result_request(std::move(result)));
  json::value expected = json::parse(R"({"role":"user","content":[
    {"type":"tool_result","tool_use_id":"toolu_01","content":[
      {"type":"text","text":"Read image file [image/png]"},
      {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}
    ]}]})");
  EXPECT_EQ(body.at("messages").as_array().back(), expected)
      << json::serialize(body.at("messages").as_array().back());

  // An image-only result sends no empty text block (the API rejects those).
  ToolResultPart bare{"toolu_01", "read", "", true};
  bare.images.push_back(ImagePart{"image/jpeg", "/9j/4AA="});
  json::object bare_body = body_of(tool_result_request(std::move(bare)));
  const json::value& block = bare_body.at("messages").as_array().back().at("content").at(0);
  EXPECT_EQ(block.at("is_error"), true);
  ASSERT_EQ(block.at("content").as_array().size(), 1U);
  EXPECT_EQ(block.at("content").at(0).at("type"), "image");
}

// Without images the tool result stays the plain string content it always was.
TEST(AnthropicMessages, TextOnlyToolResultIsUnchanged) {
  json::object body = body_of(tool_result_request(ToolResultPart{"toolu_01", "read", "hi", false}));
  EXPECT_EQ(
      json::serialize(body.at("messages").as_array().back()),
      R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"hi"}]})");
}

// Thinking levels become budgets below max_tokens, and temperature is left out with thinking.
TEST(AnthropicMessages, ThinkingBudgetStaysBelowMaxTokens) {
  ModelRequest request = tool_loop_request();
  request.temperature = 0.3;
  json::object plain = body_of(request);
  EXPECT_FALSE(plain.contains("thinking"));
  EXPECT_DOUBLE_EQ(plain.at("temperature").as_double(), 0.3);
  EXPECT_EQ(plain.at("max_tokens"), 8192);

  const std::pair<ThinkingLevel, int64_t> levels[] = {{ThinkingLevel::minimal, 1024},
                                                      {ThinkingLevel::low, 4096},
                                                      {ThinkingLevel::medium, 8192},
                                                      {ThinkingLevel::high, 16384}};
  for (auto [level, budget] : levels) {
    request.thinking = level;
    request.max_tokens = 4096;
    json::object body = body_of(request);
    EXPECT_EQ(body.at("thinking").at("type"), "enabled");
    EXPECT_EQ(body.at("thinking").at("budget_tokens").as_int64(), budget);
    EXPECT_GT(body.at("max_tokens").as_int64(), budget);
    EXPECT_FALSE(body.contains("temperature"));
  }
}

// extraBody is merged last, so it may override what the adapter chose.
TEST(AnthropicMessages, ExtraBodyMergedLast) {
  ModelRequest request = tool_loop_request();
  request.extra_body = json::object{{"max_tokens", 100}, {"metadata", {{"user_id", "u1"}}}};
  json::object body = body_of(request);
  EXPECT_EQ(body.at("max_tokens"), 100);
  EXPECT_EQ(body.at("metadata").at("user_id"), "u1");
}

// Text streamed in small deltas (multi-byte characters kept whole) assembles, with usage.
TEST(AnthropicMessages, DecodesRenderedText) {
  fakes::FakeReply reply;
  reply.text = "Grüße aus Zürich — 日本語 too.";
  reply.delta_bytes = 4;
  reply.input_tokens = 120;
  reply.output_tokens = 17;
  reply.cache_read_tokens = 900;
  reply.cache_write_tokens = 30;
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(fakes::render_anthropic_stream(reply)), sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(sink.text_, reply.text);
  EXPECT_GT(sink.text_deltas_, 5);
  ASSERT_EQ(response->message.parts.size(), 1U);
  EXPECT_EQ(std::get<TextPart>(response->message.parts[0]).text, reply.text);
  EXPECT_EQ(response->stop, StopReason::end_turn);
  EXPECT_EQ(response->usage.input, 120);
  EXPECT_EQ(response->usage.output, 17);
  EXPECT_EQ(response->usage.cache_read, 900);
  EXPECT_EQ(response->usage.cache_write, 30);
  EXPECT_EQ(response->model, "fake-model");
  EXPECT_FALSE(response->id.empty());
}

// Thinking keeps its signature; several tool calls come back in order with parsed arguments.
TEST(AnthropicMessages, DecodesThinkingAndSeveralToolCalls) {
  fakes::FakeReply reply;
  reply.thinking = "The user wants two files.";
  reply.text = "Reading both.";
  reply.tool_calls.push_back({"toolu_a", "read_file", json::object{{"path", "a.txt"}}});
  reply.tool_calls.push_back(
      {"", "exec", json::object{{"command", "ls -la"}, {"timeout", 30}, {"env", {{"X", "ü"}}}}});
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(fakes::render_anthropic_stream(reply)), sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(sink.thinking_, reply.thinking);
  ASSERT_EQ(response->message.parts.size(), 4U);
  const auto& thinking = std::get<ThinkingPart>(response->message.parts[0]);
  EXPECT_EQ(thinking.text, reply.thinking);
  EXPECT_FALSE(thinking.signature.empty());
  EXPECT_EQ(std::get<TextPart>(response->message.parts[1]).text, "Reading both.");
  const auto& first = std::get<ToolCallPart>(response->message.parts[2]);
  const auto& second = std::get<ToolCallPart>(response->message.parts[3]);
  EXPECT_EQ(first.id, "toolu_a");
  EXPECT_EQ(first.arguments, reply.tool_calls[0].arguments);
  EXPECT_EQ(second.name, "exec");
  EXPECT_FALSE(second.id.empty());
  EXPECT_EQ(second.arguments, reply.tool_calls[1].arguments);
  EXPECT_EQ(response->stop, StopReason::tool_use);
  ASSERT_EQ(sink.calls_.size(), 2U);
  EXPECT_EQ(sink.calls_[1].arguments, reply.tool_calls[1].arguments);
}

// A reply cut by the output limit says so.
TEST(AnthropicMessages, DecodesMaxTokensStop) {
  fakes::FakeReply reply;
  reply.text = "This answer goes on and on";
  reply.max_tokens = true;
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(fakes::render_anthropic_stream(reply)), sink);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->stop, StopReason::max_tokens);
}

// A stream in the shape of the API documentation's tool-use example, written out by hand: named
// events, a ping, CRLF line ends, a text block then a tool_use block whose JSON arrives in
// fragments, and message_delta usage.
TEST(AnthropicMessages, DecodesDocumentedStreamShape) {
  std::string bytes =
      "event: message_start\r\n"
      "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_014p7gG3wDgGV9EUtLvnow3U\","
      "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\","
      "\"stop_sequence\":null,\"usage\":{\"input_tokens\":472,\"output_tokens\":2},"
      "\"content\":[],\"stop_reason\":null}}\r\n\r\n"
      "event: content_block_start\r\n"
      "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
      "\"text\":\"\"}}\r\n\r\n"
      "event: ping\r\n"
      "data: {\"type\": \"ping\"}\r\n\r\n"
      "event: content_block_delta\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
      "\"text\":\"Okay, let me check\"}}\r\n\r\n"
      "event: content_block_delta\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
      "\"text\":\" the weather.\"}}\r\n\r\n"
      "event: content_block_stop\r\n"
      "data: {\"type\":\"content_block_stop\",\"index\":0}\r\n\r\n"
      "event: content_block_start\r\n"
      "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
      "\"tool_use\",\"id\":\"toolu_01T1x1fJ34qAmk2tNTrN7Up6\",\"name\":\"get_weather\","
      "\"input\":{}}}\r\n\r\n"
      "event: content_block_delta\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
      "\"input_json_delta\",\"partial_json\":\"\"}}\r\n\r\n"
      "event: content_block_delta\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
      "\"input_json_delta\",\"partial_json\":\"{\\\"location\\\": \\\"San Fra\"}}\r\n\r\n"
      "event: content_block_delta\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
      "\"input_json_delta\",\"partial_json\":\"ncisco, CA\\\", \\\"unit\\\": \\\"fahr\"}}\r\n\r\n"
      "event: content_block_delta\r\n"
      "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
      "\"input_json_delta\",\"partial_json\":\"enheit\\\"}\"}}\r\n\r\n"
      "event: content_block_stop\r\n"
      "data: {\"type\":\"content_block_stop\",\"index\":1}\r\n\r\n"
      "event: message_delta\r\n"
      "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\","
      "\"stop_sequence\":null},\"usage\":{\"output_tokens\":89}}\r\n\r\n"
      "event: message_stop\r\n"
      "data: {\"type\":\"message_stop\"}\r\n\r\n";
  RecordingSink sink;
  auto response = replay_sse(adapter(), bytes, sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->id, "msg_014p7gG3wDgGV9EUtLvnow3U");
  EXPECT_EQ(sink.text_, "Okay, let me check the weather.");
  ASSERT_EQ(response->message.parts.size(), 2U);
  const auto& call = std::get<ToolCallPart>(response->message.parts[1]);
  EXPECT_EQ(call.id, "toolu_01T1x1fJ34qAmk2tNTrN7Up6");
  EXPECT_EQ(call.name, "get_weather");
  EXPECT_EQ(call.arguments.at("location"), "San Francisco, CA");
  EXPECT_EQ(call.arguments.at("unit"), "fahrenheit");
  EXPECT_EQ(response->stop, StopReason::tool_use);
  EXPECT_EQ(response->usage.input, 472);
  EXPECT_EQ(response->usage.output, 89);
}

// An error event mid-stream ends the call, classified by its type, partial after text.
TEST(AnthropicMessages, InStreamErrorEventEndsTheCall) {
  fakes::FakeReply reply;
  reply.text = "Half an ans";
  std::vector<std::string> chunks = fakes::render_anthropic_stream(reply);
  chunks.resize(5);  // message_start, ping, block start, two deltas
  chunks.push_back(
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
      "\"message\":\"Overloaded\"}}\n\n");
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(chunks), sink);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().reason, FailoverReason::overloaded);
  EXPECT_EQ(response.error().message, "Overloaded");
  EXPECT_TRUE(response.error().partial);
  EXPECT_FALSE(sink.text_.empty());

  std::string early =
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
      "\"message\":\"Number of request tokens has exceeded your per-minute rate limit\"}}\n\n";
  auto limited = replay_sse(adapter(), early, sink);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().reason, FailoverReason::rate_limit);
  EXPECT_FALSE(limited.error().partial);
}

// A stream that stops before message_stop is a dropped connection, not a reply.
TEST(AnthropicMessages, TruncatedStreamIsPartialTimeout) {
  fakes::FakeReply reply;
  reply.text = "Cut short here";
  std::vector<std::string> chunks = fakes::render_anthropic_stream(reply);
  chunks.pop_back();  // message_stop never arrives
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(chunks), sink);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().reason, FailoverReason::timeout);
  EXPECT_TRUE(response.error().partial);

  auto nothing = replay_sse(adapter(), "", sink);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().reason, FailoverReason::timeout);
  EXPECT_FALSE(nothing.error().partial);
}

// Tool input that does not parse is an error naming the tool, never an empty call.
TEST(AnthropicMessages, InvalidToolJsonIsAnError) {
  std::string bytes =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\","
      "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"exec\",\"input\":{}}}\n\n"
      "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
      "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"command\\\": \"}}\n\n"
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
  RecordingSink sink;
  auto response = replay_sse(adapter(), bytes, sink);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("exec"), std::string::npos);
  EXPECT_TRUE(sink.calls_.empty());
}

// Anthropic's error types decide the reason, refined by the message where the type is vague.
TEST(AnthropicMessages, ReadErrorUsesErrorTypes) {
  struct Case {
    int status;
    std::string_view type;
    std::string_view message;
    FailoverReason reason;
  };
  const Case cases[] = {
      {529, "overloaded_error", "Overloaded", FailoverReason::overloaded},
      {429, "rate_limit_error", "slow down", FailoverReason::rate_limit},
      {500, "api_error", "Internal server error", FailoverReason::server_error},
      {400, "invalid_request_error", "messages: field required", FailoverReason::format},
      {400, "invalid_request_error", "prompt is too long: 201000 tokens > 200000 maximum",
       FailoverReason::context_overflow},
      {400, "invalid_request_error", "Your credit balance is too low to access the API",
       FailoverReason::billing},
      {401, "authentication_error", "invalid x-api-key", FailoverReason::auth},
      {403, "permission_error", "no access to this model", FailoverReason::auth},
      {402, "billing_error", "payment issue", FailoverReason::billing},
      {413, "request_too_large", "Request exceeds the maximum size",
       FailoverReason::context_overflow},
      {404, "not_found_error", "model: claude-nope", FailoverReason::model_not_found},
  };
  for (const Case& c : cases) {
    ProviderError error = adapter().read_error(
        c.status, fakes::render_anthropic_error(c.type, c.message), std::chrono::seconds(3));
    EXPECT_EQ(error.reason, c.reason) << c.type << ": " << c.message;
    EXPECT_EQ(error.message, c.message);
    EXPECT_EQ(error.http_status, c.status);
    ASSERT_TRUE(error.retry_after);
    EXPECT_EQ(error.retry_after->count(), 3000);
  }
  ProviderError html = adapter().read_error(502, "<html>Bad Gateway</html>", std::nullopt);
  EXPECT_EQ(html.reason, FailoverReason::server_error);
}

}  // namespace
}  // namespace pincer::providers
