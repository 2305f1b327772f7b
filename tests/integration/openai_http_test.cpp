// The OpenAI-compatible endpoint of the real `pincer gateway` (/v1/chat/completions, plain and
// SSE, and /v1/models), with the agent talking to the in-process fake model server.

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "fakes/fake_llm_server.hpp"
#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using fakes::FakeReply;
using fakes::ScriptStep;
using namespace std::chrono_literals;

constexpr std::string_view kToken = "openai-endpoint-test-token-7f3a";
constexpr auto kDeadline = 30s;

struct Call {
  http::verb method = http::verb::post;
  std::string target = "/v1/chat/completions";
  std::string body;
  std::string token = std::string(kToken);  // empty: no Authorization header
  std::vector<std::pair<std::string, std::string>> headers;
};

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  json::value json() const { return json::parse(body); }
};

http::request<http::string_body> make_request(const Call& call) {
  http::request<http::string_body> request{call.method, call.target, 11};
  request.set(http::field::host, "127.0.0.1");
  if (!call.token.empty()) {
    request.set(http::field::authorization, "Bearer " + call.token);
  }
  if (!call.body.empty()) {
    request.set(http::field::content_type, "application/json");
  }
  for (const auto& [name, value] : call.headers) {
    request.set(name, value);
  }
  request.body() = call.body;
  request.prepare_payload();
  return request;
}

asio::ip::tcp::endpoint loopback(uint16_t port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

// One request on a fresh connection; nullopt when no whole response came within `deadline`.
std::optional<Reply> send(uint16_t port, const Call& call,
                          std::chrono::seconds deadline = kDeadline) {
  asio::io_context io;
  std::optional<Reply> reply;
  auto exchange = [&]() -> asio::awaitable<void> {
    beast::tcp_stream stream(io);
    stream.expires_after(deadline);
    co_await stream.async_connect(loopback(port), asio::use_awaitable);
    auto request = make_request(call);
    co_await http::async_write(stream, request, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    const auto& response = parser.get();
    reply = Reply{static_cast<int>(response.result_int()),
                  std::string(response[http::field::content_type]), response.body()};
  };
  // A failure (refused, timed out, cut) leaves `reply` empty; the test reports that.
  asio::co_spawn(io, exchange, [](const std::exception_ptr&) {});
  io.run_for(deadline + 5s);
  return reply;
}

// Starts a streaming completion, reads until the first content delta, then hangs up. Returns
// whether content arrived before the hang-up.
bool stream_then_hang_up(uint16_t port, const Call& call) {
  asio::io_context io;
  bool saw_content = false;
  auto exchange = [&]() -> asio::awaitable<void> {
    beast::tcp_stream stream(io);
    stream.expires_after(kDeadline);
    co_await stream.async_connect(loopback(port), asio::use_awaitable);
    auto request = make_request(call);
    co_await http::async_write(stream, request, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    co_await http::async_read_header(stream, buffer, parser, asio::use_awaitable);
    auto has_content = [&] {
      return parser.get().body().find(R"("content")") != std::string::npos;
    };
    while (!parser.is_done() && !has_content()) {
      co_await http::async_read_some(stream, buffer, parser, asio::use_awaitable);
    }
    saw_content = has_content() && !parser.is_done();
    boost::system::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  };
  asio::co_spawn(io, exchange, [](const std::exception_ptr&) {});
  io.run_for(kDeadline + 5s);
  return saw_content;
}

// Sends a request and hangs up without reading once `started` holds. Returns whether it did.
bool send_then_hang_up(uint16_t port, const Call& call, const std::function<bool()>& started) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  bool sent = false;
  auto exchange = [&]() -> asio::awaitable<void> {
    stream.expires_after(kDeadline);
    co_await stream.async_connect(loopback(port), asio::use_awaitable);
    auto request = make_request(call);
    co_await http::async_write(stream, request, asio::use_awaitable);
    stream.expires_never();
    sent = true;
  };
  asio::co_spawn(io, exchange, [](const std::exception_ptr&) {});
  io.run_for(kDeadline);
  auto deadline = std::chrono::steady_clock::now() + kDeadline;
  while (sent && !started() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);  // polls an observable condition, bounded
  }
  bool ok = sent && started();
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
  return ok;
}

struct SseStream {
  std::vector<json::object> chunks;
  std::string content;  // the content deltas concatenated
  bool done = false;    // ended with data: [DONE]
  bool well_formed = true;
};

SseStream parse_sse(const std::string& body) {
  SseStream out;
  std::size_t at = 0;
  while (at < body.size()) {
    auto end = body.find("\n\n", at);
    if (end == std::string::npos) {
      out.well_formed = false;
      break;
    }
    std::string event = body.substr(at, end - at);
    at = end + 2;
    if (!event.starts_with("data: ") || out.done) {
      out.well_formed = false;
      continue;
    }
    std::string data = event.substr(6);
    if (data == "[DONE]") {
      out.done = true;
      continue;
    }
    json::object chunk = json::parse(data).as_object();
    if (const auto* choices = chunk.if_contains("choices");
        choices != nullptr && !choices->as_array().empty()) {
      const auto& delta = choices->as_array()[0].at("delta").as_object();
      if (const auto* content = delta.if_contains("content")) {
        out.content += content->as_string();
      }
    }
    out.chunks.push_back(std::move(chunk));
  }
  return out;
}

std::string chat_body(const std::string& text, const std::string& extra = {}) {
  json::object body{{"model", "openclaw/default"},
                    {"messages", json::array{json::object{{"role", "user"}, {"content", text}}}}};
  std::string out = json::serialize(body);
  if (!extra.empty()) {
    out.pop_back();
    out += "," + extra + "}";
  }
  return out;
}

FakeReply text_reply(std::string text) {
  FakeReply reply;
  reply.text = std::move(text);
  reply.input_tokens = 120;
  reply.output_tokens = 7;
  reply.cache_read_tokens = 30;
  return reply;
}

class OpenAiHttpTest : public ::testing::Test {
 protected:
  // The endpoint enabled (or not), the gateway token set, and the agent's model pointed at the
  // fake server (or no model and no key at all when `with_model` is false).
  void start(bool enabled = true, bool with_model = true) {
    std::string config = R"({
      gateway: { auth: { token: ")" +
                         std::string(kToken) +
                         R"(" },
                 http: { endpoints: { chatCompletions: { enabled: )" +
                         (enabled ? "true" : "false") + R"( } } } },
    )";
    if (with_model) {
      config += R"(
      agents: { defaults: { model: "anthropic/claude-sonnet-4-5", timeoutSeconds: 20 } },
      models: { providers: { anthropic: { baseUrl: ")" +
                fake.base_url() + R"(", apiKey: "key-config" } } },
      )";
    }
    config += "}";
    GatewayProcess::Options options;
    options.config = config;
    gateway = GatewayProcess::start(options);
  }

  uint16_t port() const { return gateway->port(); }

  fakes::FakeLlmServer fake;
  std::unique_ptr<GatewayProcess> gateway;  // after `fake`: stops before the model server goes
};

// A plain request runs one agent turn and answers with its text, the model alias it was asked
// for, and usage with cached prompt tokens counted as prompt tokens.
TEST_F(OpenAiHttpTest, NonStreamingReplyCarriesTextAndUsage) {
  start();
  fake.push(ScriptStep::of(text_reply("Hello from the fake model.")));
  Call call;
  call.body = R"({"model":"openclaw/default","messages":[
      {"role":"system","content":"Answer like a pirate."},
      {"role":"user","content":[{"type":"text","text":"hi there"}]}]})";
  auto reply = send(port(), call);
  ASSERT_TRUE(reply) << gateway->output();
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_TRUE(reply->content_type.starts_with("application/json"));
  json::value body = reply->json();
  EXPECT_EQ(body.at("object"), "chat.completion");
  EXPECT_EQ(body.at("model"), "openclaw/default");
  EXPECT_TRUE(body.at("id").as_string().starts_with("chatcmpl"));
  const auto& choice = body.at("choices").as_array().at(0);
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_EQ(choice.at("message").at("content"), "Hello from the fake model.");
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(body.at("usage").at("prompt_tokens").to_number<int64_t>(), 150);
  EXPECT_EQ(body.at("usage").at("completion_tokens").to_number<int64_t>(), 7);
  EXPECT_EQ(body.at("usage").at("total_tokens").to_number<int64_t>(), 157);

  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_NE(requests[0].body.find("Answer like a pirate."), std::string::npos);  // system text
  EXPECT_NE(requests[0].body.find("hi there"), std::string::npos);
}

// stream: true answers with SSE: a role chunk, content deltas that add up to the reply, a
// finish chunk, the usage chunk when asked for, then [DONE].
TEST_F(OpenAiHttpTest, StreamingDeltasConcatenateToTheReplyAndEndWithDone) {
  start();
  std::string text = "Streaming works across several small deltas.";
  fake.push(ScriptStep::of(text_reply(text)));
  Call call;
  call.body =
      chat_body("stream please", R"("stream":true,"stream_options":{"include_usage":true})");
  auto reply = send(port(), call);
  ASSERT_TRUE(reply) << gateway->output();
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_TRUE(reply->content_type.starts_with("text/event-stream")) << reply->content_type;
  SseStream sse = parse_sse(reply->body);
  EXPECT_TRUE(sse.well_formed) << reply->body;
  EXPECT_TRUE(sse.done) << reply->body;
  EXPECT_EQ(sse.content, text);
  ASSERT_GE(sse.chunks.size(), 4U) << reply->body;  // role, content, finish, usage
  EXPECT_EQ(sse.chunks.front().at("object"), "chat.completion.chunk");
  EXPECT_EQ(sse.chunks.front().at("choices").at(0).at("delta").at("role"), "assistant");
  const auto& finish = sse.chunks[sse.chunks.size() - 2];
  EXPECT_EQ(finish.at("choices").at(0).at("finish_reason"), "stop");
  const auto& usage = sse.chunks.back();
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_EQ(usage.at("usage").at("completion_tokens").to_number<int64_t>(), 7);
  for (const auto& chunk : sse.chunks) {
    EXPECT_EQ(chunk.at("id"), sse.chunks.front().at("id"));
  }
}

// Without the gateway's secret as a bearer token nothing runs: 401 with an OpenAI-style error.
TEST_F(OpenAiHttpTest, WrongOrMissingBearerIsUnauthorized) {
  start();
  for (std::string token : {"not-the-token", ""}) {
    Call call;
    call.token = token;
    call.body = chat_body("hi");
    auto reply = send(port(), call);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 401) << reply->body;
    EXPECT_EQ(reply->json().at("error").at("type"), "authentication_error");
  }
  Call models;
  models.method = http::verb::get;
  models.target = "/v1/models";
  models.token = "not-the-token";
  auto reply = send(port(), models);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 401);
  EXPECT_TRUE(fake.requests().empty());
}

// Off by default: the paths answer like any unknown path.
TEST_F(OpenAiHttpTest, DisabledEndpointIsNotFound) {
  start(/*enabled=*/false);
  Call call;
  call.body = chat_body("hi");
  auto reply = send(port(), call);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  Call models;
  models.method = http::verb::get;
  models.target = "/v1/models";
  reply = send(port(), models);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404);
  EXPECT_TRUE(fake.requests().empty());
}

// Malformed or incomplete bodies are refused with 400 invalid_request_error before any run.
TEST_F(OpenAiHttpTest, BadRequestsAreRefused) {
  start();
  struct Case {
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string message;  // substring of error.message
  };
  const std::vector<Case> cases = {
      {"{not json", {}, "Invalid JSON"},
      {"[1,2]", {}, "JSON object"},
      {R"({"model":"openclaw"})", {}, "messages"},
      {R"({"messages":[]})", {}, "messages"},
      {R"({"messages":[{"role":"assistant","content":"hello"}]})", {}, "Missing user message"},
      {chat_body("hi", R"("temperature":3)"), {}, "temperature"},
      {chat_body("hi", R"("stream":"yes")"), {}, "stream"},
      {R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})", {}, "Invalid `model`"},
      {R"({"model":"openclaw/nobody","messages":[{"role":"user","content":"hi"}]})",
       {},
       "Unknown agent"},
      {chat_body("hi"), {{"x-openclaw-session-key", "cron:nightly"}}, "reserved"},
      {chat_body("hi"), {{"x-openclaw-session-key", "agent:main:subagent:x"}}, "reserved"},
  };
  for (const auto& c : cases) {
    Call call;
    call.body = c.body;
    call.headers = c.headers;
    auto reply = send(port(), call);
    ASSERT_TRUE(reply) << c.body;
    EXPECT_EQ(reply->status, 400) << c.body << " -> " << reply->body;
    json::value error = reply->json().at("error");
    EXPECT_EQ(error.at("type"), "invalid_request_error") << c.body;
    EXPECT_NE(std::string(error.at("message").as_string()).find(c.message), std::string::npos)
        << c.body << " -> " << reply->body;
  }
  EXPECT_TRUE(fake.requests().empty());
}

// Images ride inline as data: URLs, so bodies may be far larger than other gateway requests
// (up to 20 MB); the latest user message's image reaches the model.
TEST_F(OpenAiHttpTest, LargeInlineImageIsAccepted) {
  start();
  fake.push(ScriptStep::of(text_reply("A very plain picture.")));
  std::string image(2 * 1024 * 1024, 'A');  // 1.5 MB decoded: past the 1 MB default body limit
  image.replace(0, 8, "iVBORw0K");
  json::object body{
      {"model", "openclaw"},
      {"messages",
       json::array{json::object{
           {"role", "user"},
           {"content",
            json::array{
                json::object{{"type", "text"}, {"text", "what is this?"}},
                json::object{{"type", "image_url"},
                             {"image_url", {{"url", "data:image/png;base64," + image}}}}}}}}}};
  Call call;
  call.body = json::serialize(body);
  auto reply = send(port(), call);
  ASSERT_TRUE(reply) << gateway->output();
  ASSERT_EQ(reply->status, 200) << reply->body;
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_NE(requests[0].body.find("iVBORw0KAAAA"), std::string::npos);
  EXPECT_NE(requests[0].body.find("what is this?"), std::string::npos);
}

// Only this endpoint gets the larger body limit: other paths still refuse bodies over 1 MB (a
// GET /health that would otherwise answer 200 is cut off instead).
TEST_F(OpenAiHttpTest, OtherPathsKeepTheSmallBodyLimit) {
  start();
  Call call;
  call.method = http::verb::get;
  call.target = "/health";
  call.body = std::string(2 * 1024 * 1024, 'x');
  auto reply = send(port(), call);
  EXPECT_FALSE(reply && reply->status == 200);
  call.body = "small";
  reply = send(port(), call);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200);
}

// The same `user` continues one agent session: the second turn's model request carries the
// first exchange. Without `user` every request starts a fresh session.
TEST_F(OpenAiHttpTest, UserKeepsOneSessionAcrossCalls) {
  start();
  fake.push(ScriptStep::of(text_reply("Noted: pelican.")));
  fake.push(ScriptStep::of(text_reply("The word was pelican.")));
  fake.push(ScriptStep::of(text_reply("I do not know.")));
  Call first;
  first.body = chat_body("remember the word pelican", R"("user":"Conv:42")");
  auto reply = send(port(), first);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;

  Call second;
  second.body = chat_body("what was the word?", R"("user":"Conv:42")");
  reply = send(port(), second);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(reply->json().at("choices").at(0).at("message").at("content"), "The word was pelican.");

  Call fresh;
  fresh.body = chat_body("what was the word?");
  reply = send(port(), fresh);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;

  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_NE(requests[1].body.find("remember the word pelican"), std::string::npos);
  EXPECT_NE(requests[1].body.find("Noted: pelican."), std::string::npos);
  EXPECT_EQ(requests[2].body.find("pelican"), std::string::npos);
}

// With no model configured and no API key anywhere, the request ends at once with an error that
// says how to add a key, in both response shapes (never a hang, never an empty 200).
TEST_F(OpenAiHttpTest, NoCredentialsAnswerWithHowToAddAKey) {
  start(/*enabled=*/true, /*with_model=*/false);
  Call call;
  call.body = chat_body("hi");
  auto reply = send(port(), call);
  ASSERT_TRUE(reply) << gateway->output();
  EXPECT_EQ(reply->status, 500) << reply->body;
  json::value error = reply->json().at("error");
  EXPECT_EQ(error.at("type"), "api_error");
  EXPECT_NE(std::string(error.at("message").as_string()).find("ANTHROPIC_API_KEY"),
            std::string::npos)
      << reply->body;

  Call streaming;
  streaming.body = chat_body("hi", R"("stream":true)");
  reply = send(port(), streaming);
  ASSERT_TRUE(reply) << gateway->output();
  EXPECT_EQ(reply->status, 200);
  SseStream sse = parse_sse(reply->body);
  EXPECT_TRUE(sse.done) << reply->body;
  ASSERT_FALSE(sse.chunks.empty());
  const auto& last = sse.chunks.back();
  ASSERT_TRUE(last.contains("error")) << reply->body;
  EXPECT_NE(std::string(last.at("error").at("message").as_string()).find("ANTHROPIC_API_KEY"),
            std::string::npos);
}

// /v1/models lists the agent targets, and one target can be fetched by (encoded) id.
TEST_F(OpenAiHttpTest, ModelsListTheAgentTargets) {
  start();
  Call list;
  list.method = http::verb::get;
  list.target = "/v1/models";
  auto reply = send(port(), list);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->status, 200) << reply->body;
  json::value body = reply->json();
  EXPECT_EQ(body.at("object"), "list");
  std::vector<std::string> ids;
  for (const auto& model : body.at("data").as_array()) {
    EXPECT_EQ(model.at("object"), "model");
    EXPECT_EQ(model.at("owned_by"), "openclaw");
    ids.emplace_back(model.at("id").as_string());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"openclaw", "openclaw/default", "openclaw/main"}));

  Call one = list;
  one.target = "/v1/models/openclaw%2Fdefault";
  reply = send(port(), one);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(reply->json().at("id"), "openclaw/default");

  one.target = "/v1/models/openclaw%2Fnobody";
  reply = send(port(), one);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 404) << reply->body;
}

// A client that hangs up mid-stream aborts its run: the session is free again at once, so the
// next request of the same `user` is answered long before the abandoned reply would have ended.
TEST_F(OpenAiHttpTest, ClientHangingUpAbortsTheRun) {
  start();
  FakeReply slow = text_reply(
      "This reply trickles out very slowly, four bytes at a time, so that the client has "
      "plenty of time to hang up before it ends.");
  slow.delta_bytes = 4;
  ScriptStep step = ScriptStep::of(slow);
  step.delay = 400ms;  // ~35 events: about 14 s for the whole reply
  fake.push(step);
  fake.push(ScriptStep::of(text_reply("Fresh answer.")));

  Call abandoned;
  abandoned.body = chat_body("tell me slowly", R"("stream":true,"user":"hang-up")");
  ASSERT_TRUE(stream_then_hang_up(port(), abandoned)) << gateway->output();

  Call next;
  next.body = chat_body("are you free?", R"("user":"hang-up")");
  auto reply = send(port(), next, 6s);
  ASSERT_TRUE(reply) << "the abandoned run still holds the session\n" << gateway->output();
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(reply->json().at("choices").at(0).at("message").at("content"), "Fresh answer.");
}

// The same holds without streaming, where nothing is written until the end: the gateway notices
// the closed connection itself.
TEST_F(OpenAiHttpTest, ClientHangingUpWithoutStreamingAbortsTheRun) {
  start();
  FakeReply slow = text_reply(
      "This reply trickles out very slowly, four bytes at a time, so that the client has "
      "plenty of time to hang up before it ends.");
  slow.delta_bytes = 4;
  ScriptStep step = ScriptStep::of(slow);
  step.delay = 400ms;
  fake.push(step);
  fake.push(ScriptStep::of(text_reply("Fresh answer.")));

  Call abandoned;
  abandoned.body = chat_body("tell me slowly", R"("user":"hang-up")");
  ASSERT_TRUE(send_then_hang_up(port(), abandoned, [&] { return !fake.requests().empty(); }));

  Call next;
  next.body = chat_body("are you free?", R"("user":"hang-up")");
  auto reply = send(port(), next, 6s);
  ASSERT_TRUE(reply) << "the abandoned run still holds the session\n" << gateway->output();
  ASSERT_EQ(reply->status, 200) << reply->body;
  EXPECT_EQ(reply->json().at("choices").at(0).at("message").at("content"), "Fresh answer.");
}

}  // namespace
}  // namespace pincer::testing
