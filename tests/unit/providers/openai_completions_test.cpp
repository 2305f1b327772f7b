#include "providers/openai_completions.hpp"

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
  return openai_completions_adapter();
}

Endpoint local_endpoint() {
  return Endpoint{"http://127.0.0.1:11434/v1/", "", {}};
}

std::string header(const HttpRequestSpec& spec, std::string_view name) {
  for (const auto& [key, value] : spec.headers) {
    if (key == name) {
      return value;
    }
  }
  return {};
}

json::object body_of(const ModelRequest& request, const Endpoint& endpoint = local_endpoint()) {
  return json::parse(adapter().build_request(request, endpoint).body).as_object();
}

ModelRequest tool_loop_request() {
  ModelRequest request;
  request.model = "qwen3:8b";
  request.system = "You are Pincer.";
  request.system_suffix = "Now: Monday 09:00.";
  request.messages.push_back({Role::user, {TextPart{"List the files."}}});
  request.messages.push_back(
      {Role::assistant,
       {ThinkingPart{"I should call ls.", {}, false}, TextPart{"Listing."},
        ToolCallPart{"call_1", "exec", json::object{{"command", "ls"}}},
        ToolCallPart{"call_2", "read_file", json::object{{"path", "a.txt"}}}}});
  request.messages.push_back(
      {Role::user,
       {ToolResultPart{"call_1", "exec", "a.txt b.txt", false},
        ToolResultPart{"call_2", "read_file", "permission denied", true},
        TextPart{"And describe this:"}, ImagePart{"image/jpeg", "/9j/4AA="}}});
  request.tools.push_back({"exec", "Run a command", json::object{{"type", "object"}}});
  return request;
}

// The path is appended to the base as given, and a key, when there is one, is a bearer token.
TEST(OpenAiCompletions, UrlAndAuthorization) {
  ModelRequest request;
  HttpRequestSpec local = adapter().build_request(request, local_endpoint());
  EXPECT_EQ(local.url, "http://127.0.0.1:11434/v1/chat/completions");
  EXPECT_TRUE(header(local, "authorization").empty());
  EXPECT_EQ(header(local, "content-type"), "application/json");

  Endpoint hosted{"https://api.openai.com/v1", "sk-proj-abc", {{"OpenAI-Organization", "org"}}};
  HttpRequestSpec remote = adapter().build_request(request, hosted);
  EXPECT_EQ(remote.url, "https://api.openai.com/v1/chat/completions");
  EXPECT_EQ(header(remote, "authorization"), "Bearer sk-proj-abc");
  EXPECT_EQ(header(remote, "OpenAI-Organization"), "org");
}

// System prompt first, tool calls with JSON-string arguments, each tool result as a "tool"
// message right after the calls, then the rest of the user turn as content parts with a data URL.
TEST(OpenAiCompletions, MessagesMapToChatRoles) {
  json::object body = body_of(tool_loop_request());
  const json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 6U);
  EXPECT_EQ(messages[0].at("role"), "system");
  EXPECT_EQ(messages[0].at("content"), "You are Pincer.\n\nNow: Monday 09:00.");
  EXPECT_EQ(messages[1].at("role"), "user");
  EXPECT_EQ(messages[1].at("content"), "List the files.");

  const json::object& assistant = messages[2].as_object();
  EXPECT_EQ(assistant.at("role"), "assistant");
  EXPECT_EQ(assistant.at("content"), "Listing.");
  const json::array& calls = assistant.at("tool_calls").as_array();
  ASSERT_EQ(calls.size(), 2U);
  EXPECT_EQ(calls[0].at("id"), "call_1");
  EXPECT_EQ(calls[0].at("type"), "function");
  EXPECT_EQ(calls[0].at("function").at("name"), "exec");
  const json::string& arguments = calls[0].at("function").at("arguments").as_string();
  EXPECT_EQ(json::parse(arguments).at("command"), "ls");
  EXPECT_EQ(json::serialize(assistant).find("I should call ls"), std::string::npos);

  EXPECT_EQ(messages[3].at("role"), "tool");
  EXPECT_EQ(messages[3].at("tool_call_id"), "call_1");
  EXPECT_EQ(messages[3].at("content"), "a.txt b.txt");
  EXPECT_EQ(messages[4].at("tool_call_id"), "call_2");
  EXPECT_NE(messages[4].at("content").as_string().find("permission denied"), std::string::npos);

  const json::array& parts = messages[5].at("content").as_array();
  EXPECT_EQ(messages[5].at("role"), "user");
  ASSERT_EQ(parts.size(), 2U);
  EXPECT_EQ(parts[0].at("type"), "text");
  EXPECT_EQ(parts[1].at("type"), "image_url");
  EXPECT_EQ(parts[1].at("image_url").at("url"), "data:image/jpeg;base64,/9j/4AA=");
}

// The messages after a tool call answered with `results`.
json::array messages_after_results(std::vector<Part> results) {
  ModelRequest request;
  request.model = "gpt-4o";
  request.messages.push_back(
      {Role::assistant,
       {ToolCallPart{"call_1", "read", json::object{{"path", "chart.png"}}},
        ToolCallPart{"call_2", "read", json::object{{"path", "notes.txt"}}}}});
  request.messages.push_back({Role::user, std::move(results)});
  json::array messages = body_of(request).at("messages").as_array();
  messages.erase(messages.begin());  // the assistant's calls
  return messages;
}

// A tool message carries text only, so a tool's images follow all the tool messages in one user
// message: an intro line, then image_url parts with data URLs.
TEST(OpenAiCompletions, ToolResultImagesFollowInAUserMessage) {
  ToolResultPart chart{"call_1", "read", "", false};
  chart.images.push_back(ImagePart{"image/png", "iVBORw0KGgo="});
  chart.images.push_back(ImagePart{"image/gif", "R0lGOD=="});
  json::array messages = messages_after_results(
      {chart, ToolResultPart{"call_2", "read", "hello", false}, TextPart{"What now?"}});
  json::value expected = json::parse(R"json([
    {"role":"tool","tool_call_id":"call_1","content":"(see attached image)"},
    {"role":"tool","tool_call_id":"call_2","content":"hello"},
    {"role":"user","content":[
      {"type":"text","text":"Attached image(s) from tool result:"},
      {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
      {"type":"image_url","image_url":{"url":"data:image/gif;base64,R0lGOD=="}}]},
    {"role":"user","content":"What now?"}])json");
  EXPECT_EQ(json::value(messages), expected) << json::serialize(messages);
}

// Without images, tool results are the same "tool" messages as before and nothing follows.
TEST(OpenAiCompletions, TextOnlyToolResultsAreUnchanged) {
  json::array messages = messages_after_results({ToolResultPart{"call_1", "read", "a", false},
                                                 ToolResultPart{"call_2", "read", "denied", true}});
  EXPECT_EQ(json::serialize(messages),
            R"([{"role":"tool","tool_call_id":"call_1","content":"a"},)"
            R"({"role":"tool","tool_call_id":"call_2","content":"Error: denied"}])");
}

// Tools, streaming with usage, token limits under the name each server knows, reasoning effort
// only when thinking is on, and extraBody merged last.
TEST(OpenAiCompletions, RequestOptions) {
  ModelRequest request = tool_loop_request();
  request.max_tokens = 2048;
  request.temperature = 0.2;
  json::object body = body_of(request);
  EXPECT_EQ(body.at("model"), "qwen3:8b");
  EXPECT_EQ(body.at("stream"), true);
  EXPECT_EQ(body.at("stream_options").at("include_usage"), true);
  EXPECT_EQ(body.at("max_tokens"), 2048);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
  EXPECT_FALSE(body.contains("reasoning_effort"));
  EXPECT_DOUBLE_EQ(body.at("temperature").as_double(), 0.2);
  const json::array& tools = body.at("tools").as_array();
  ASSERT_EQ(tools.size(), 1U);
  EXPECT_EQ(tools[0].at("type"), "function");
  EXPECT_EQ(tools[0].at("function").at("name"), "exec");
  EXPECT_EQ(tools[0].at("function").at("description"), "Run a command");
  EXPECT_EQ(tools[0].at("function").at("parameters").at("type"), "object");

  request.thinking = ThinkingLevel::high;
  request.extra_body = json::object{{"temperature", 0.9}, {"top_k", 20}};
  json::object openai = body_of(request, {"https://api.openai.com/v1", "sk", {}});
  EXPECT_EQ(openai.at("max_completion_tokens"), 2048);
  EXPECT_FALSE(openai.contains("max_tokens"));
  EXPECT_EQ(openai.at("reasoning_effort"), "high");
  EXPECT_DOUBLE_EQ(openai.at("temperature").as_double(), 0.9);
  EXPECT_EQ(openai.at("top_k"), 20);
}

// Text assembles from small deltas; cached prompt tokens are split out of prompt_tokens.
TEST(OpenAiCompletions, DecodesRenderedText) {
  fakes::FakeReply reply;
  reply.text = "Ça marche — 完了です.";
  reply.delta_bytes = 3;
  reply.input_tokens = 50;
  reply.cache_read_tokens = 200;
  reply.output_tokens = 12;
  RecordingSink sink;
  auto response =
      replay_sse(adapter(), join_chunks(fakes::render_openai_completions_stream(reply)), sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(sink.text_, reply.text);
  EXPECT_GT(sink.text_deltas_, 5);
  ASSERT_EQ(response->message.parts.size(), 1U);
  EXPECT_EQ(std::get<TextPart>(response->message.parts[0]).text, reply.text);
  EXPECT_EQ(response->stop, StopReason::end_turn);
  EXPECT_EQ(response->usage.input, 50);
  EXPECT_EQ(response->usage.cache_read, 200);
  EXPECT_EQ(response->usage.output, 12);
  EXPECT_EQ(response->model, "fake-model");
  EXPECT_FALSE(response->id.empty());
}

// reasoning_content becomes thinking; tool calls assemble by index from argument fragments.
TEST(OpenAiCompletions, DecodesThinkingAndSeveralToolCalls) {
  fakes::FakeReply reply;
  reply.thinking = "Two calls needed.";
  reply.text = "On it.";
  reply.tool_calls.push_back({"call_x", "exec", json::object{{"command", "echo ü"}}});
  reply.tool_calls.push_back({"", "read_file", json::object{{"path", "/tmp/a"}, {"lines", 10}}});
  RecordingSink sink;
  auto response =
      replay_sse(adapter(), join_chunks(fakes::render_openai_completions_stream(reply)), sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(sink.thinking_, reply.thinking);
  ASSERT_EQ(response->message.parts.size(), 4U);
  EXPECT_EQ(std::get<ThinkingPart>(response->message.parts[0]).text, reply.thinking);
  EXPECT_EQ(std::get<TextPart>(response->message.parts[1]).text, "On it.");
  const auto& first = std::get<ToolCallPart>(response->message.parts[2]);
  const auto& second = std::get<ToolCallPart>(response->message.parts[3]);
  EXPECT_EQ(first.id, "call_x");
  EXPECT_EQ(first.name, "exec");
  EXPECT_EQ(first.arguments, reply.tool_calls[0].arguments);
  EXPECT_EQ(second.name, "read_file");
  EXPECT_EQ(second.arguments, reply.tool_calls[1].arguments);
  EXPECT_EQ(response->stop, StopReason::tool_use);
  ASSERT_EQ(sink.calls_.size(), 2U);
  EXPECT_EQ(sink.calls_[0].id, "call_x");
}

TEST(OpenAiCompletions, DecodesLengthAsMaxTokens) {
  fakes::FakeReply reply;
  reply.text = "and so on and so";
  reply.max_tokens = true;
  RecordingSink sink;
  auto response =
      replay_sse(adapter(), join_chunks(fakes::render_openai_completions_stream(reply)), sink);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->stop, StopReason::max_tokens);
}

// A stream in the shape of the API reference's streaming tool-call example, written by hand:
// the role chunk, the call's first fragment with id and name, argument fragments, finish_reason,
// the usage chunk with empty choices, [DONE].
TEST(OpenAiCompletions, DecodesDocumentedStreamShape) {
  std::string bytes =
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",\"choices\":[{\"index\":"
      "0,"
      "\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":"
      "\"call_DdmO9pD3xa9XTPNJ32zg2hcA\",\"type\":\"function\",\"function\":{\"name\":"
      "\"get_current_weather\",\"arguments\":\"\"}}]},\"logprobs\":null,\"finish_reason\":null}],"
      "\"usage\":null}\n\n"
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"function\":{\"arguments\":\"{\\\"\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"function\":{\"arguments\":\"location\"}}]},\"finish_reason\":null}],\"usage\":null}\n\n"
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
      "\"function\":{\"arguments\":\"\\\":\\\"Boston, MA\\\"}\"}}]},\"finish_reason\":null}],"
      "\"usage\":null}\n\n"
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,"
      "\"finish_reason\":\"tool_calls\"}],\"usage\":null}\n\n"
      "data: {\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,"
      "\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":82,"
      "\"completion_tokens\":17,\"total_tokens\":99,\"prompt_tokens_details\":{\"cached_tokens\":0}"
      ","
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n\n"
      "data: [DONE]\n\n";
  RecordingSink sink;
  auto response = replay_sse(adapter(), bytes, sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->id, "chatcmpl-123");
  EXPECT_EQ(response->model, "gpt-4o-mini");
  ASSERT_EQ(response->message.parts.size(), 1U);
  const auto& call = std::get<ToolCallPart>(response->message.parts[0]);
  EXPECT_EQ(call.id, "call_DdmO9pD3xa9XTPNJ32zg2hcA");
  EXPECT_EQ(call.name, "get_current_weather");
  EXPECT_EQ(call.arguments.at("location"), "Boston, MA");
  EXPECT_EQ(response->stop, StopReason::tool_use);
  EXPECT_EQ(response->usage.input, 82);
  EXPECT_EQ(response->usage.output, 17);
}

// Local servers: reasoning under `reasoning`, calls without id or index, "stop" after tool
// calls, no usage and no [DONE] — the stream closing after finish_reason is a whole reply.
TEST(OpenAiCompletions, ToleratesLooseCompatibleServers) {
  std::string bytes =
      "data: {\"model\":\"llama\",\"choices\":[{\"delta\":{\"reasoning\":\"hmm\"}}]}\n\n"
      "data: {\"model\":\"llama\",\"choices\":[]}\n\n"
      "data: {\"model\":\"llama\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":"
      "{\"name\":\"exec\",\"arguments\":\"{\\\"command\\\":\"}}]}}]}\n\n"
      "data: {\"model\":\"llama\",\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":"
      "{\"arguments\":\"\\\"pwd\\\"}\"}}]}}]}\n\n"
      "data: {\"model\":\"llama\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  RecordingSink sink;
  auto response = replay_sse(adapter(), bytes, sink);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(sink.thinking_, "hmm");
  ASSERT_EQ(response->message.parts.size(), 2U);
  const auto& call = std::get<ToolCallPart>(response->message.parts[1]);
  EXPECT_EQ(call.name, "exec");
  EXPECT_TRUE(call.id.starts_with("call_"));
  EXPECT_GT(call.id.size(), 10U);
  EXPECT_EQ(call.arguments.at("command"), "pwd");
  EXPECT_EQ(response->stop, StopReason::tool_use);
  EXPECT_EQ(sink.calls_.size(), 1U);
}

// An error object inside a 200 stream ends the call with the provider's message and class.
TEST(OpenAiCompletions, InStreamErrorObjectEndsTheCall) {
  fakes::FakeReply reply;
  reply.text = "Partial answer here";
  std::vector<std::string> chunks = fakes::render_openai_completions_stream(reply);
  chunks.resize(3);
  chunks.push_back(
      "data: {\"error\":{\"message\":\"Provider returned error: upstream overloaded\","
      "\"code\":502}}\n\n");
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(chunks), sink);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().reason, FailoverReason::overloaded);
  EXPECT_NE(response.error().message.find("upstream overloaded"), std::string::npos);
  EXPECT_TRUE(response.error().partial);

  auto limited = replay_sse(
      adapter(),
      "data: " + fakes::render_openai_error("rate_limit_exceeded", "Please retry later.") + "\n\n",
      sink);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().reason, FailoverReason::rate_limit);
  EXPECT_FALSE(limited.error().partial);
}

// Without a finish_reason or [DONE] the reply is not whole: a partial timeout.
TEST(OpenAiCompletions, TruncatedStreamIsPartialTimeout) {
  fakes::FakeReply reply;
  reply.text = "This will be cut";
  std::vector<std::string> chunks = fakes::render_openai_completions_stream(reply);
  chunks.resize(chunks.size() - 3);  // finish chunk, usage chunk and [DONE] lost
  RecordingSink sink;
  auto response = replay_sse(adapter(), join_chunks(chunks), sink);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().reason, FailoverReason::timeout);
  EXPECT_TRUE(response.error().partial);
}

TEST(OpenAiCompletions, InvalidToolJsonIsAnError) {
  std::string bytes =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\","
      "\"function\":{\"name\":\"exec\",\"arguments\":\"{\\\"command\\\": ls\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: [DONE]\n\n";
  RecordingSink sink;
  auto response = replay_sse(adapter(), bytes, sink);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("exec"), std::string::npos);
  EXPECT_TRUE(sink.calls_.empty());
}

// OpenAI's error bodies read through the shared classification.
TEST(OpenAiCompletions, ReadErrorOfDocumentedBodies) {
  ProviderError limited = adapter().read_error(
      429, fakes::render_openai_error("rate_limit_exceeded", "Rate limit reached for gpt-4o"),
      std::nullopt);
  EXPECT_EQ(limited.reason, FailoverReason::rate_limit);
  EXPECT_EQ(limited.message, "Rate limit reached for gpt-4o");
  ProviderError quota = adapter().read_error(
      429, fakes::render_openai_error("insufficient_quota", "You exceeded your current quota"),
      std::nullopt);
  EXPECT_EQ(quota.reason, FailoverReason::billing);
  ProviderError missing = adapter().read_error(
      404, fakes::render_openai_error("model_not_found", "The model `gpt-9` does not exist"),
      std::nullopt);
  EXPECT_EQ(missing.reason, FailoverReason::model_not_found);
}

}  // namespace
}  // namespace pincer::providers
