#include "providers/model_stream.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "fakes/fake_llm_server.hpp"
#include "providers/anthropic_messages.hpp"

namespace pincer::providers {
namespace {

namespace asio = boost::asio;
using fakes::FakeLlmServer;
using fakes::FakeReply;
using fakes::ScriptStep;
using namespace std::chrono_literals;
using Outcome = std::expected<ModelResponse, ProviderError>;
using Clock = std::chrono::steady_clock;

class RecordingSink final : public StreamSink {
 public:
  void on_text_delta(std::string_view text) override { text_ += text; }
  std::string text_;
};

struct CallResult {
  Outcome outcome;
  Clock::duration after_cancel{};  // from the cancellation to the result
};

std::string reply_text(const ModelResponse& response) {
  std::string text;
  for (const auto& part : response.message.parts) {
    if (const auto* t = std::get_if<TextPart>(&part)) {
      text += t->text;
    }
  }
  return text;
}

ModelRequest hello_request() {
  ModelRequest request;
  request.model = "claude-test";
  request.messages.push_back({Role::user, {TextPart{"hello"}}});
  return request;
}

// Runs one stream_model() call on a fresh io_context; cancels it after `cancel_after` if set.
CallResult call(const std::string& base_url, StreamOptions options, StreamSink& sink,
                std::optional<Clock::duration> cancel_after = std::nullopt) {
  asio::io_context io;
  asio::cancellation_signal signal;
  std::optional<Outcome> outcome;
  Clock::time_point cancelled_at{};
  Endpoint endpoint{base_url, "sk-test-secret", {}};
  ModelRequest request = hello_request();
  auto run = [&]() -> asio::awaitable<void> {
    outcome = co_await stream_model(anthropic_messages_adapter(), request, endpoint, sink, options);
  };
  asio::co_spawn(io, run(), asio::bind_cancellation_slot(signal.slot(), asio::detached));
  asio::steady_timer timer(io);
  if (cancel_after) {
    timer.expires_after(*cancel_after);
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) {
        cancelled_at = Clock::now();
        signal.emit(asio::cancellation_type::terminal);
      }
    });
  }
  io.run_for(20s);
  EXPECT_TRUE(outcome.has_value()) << "stream_model did not finish";
  CallResult result{outcome.value_or(std::unexpected(ProviderError{})), {}};
  if (cancel_after) {
    result.after_cancel = Clock::now() - cancelled_at;
  }
  return result;
}

CallResult call(const FakeLlmServer& server, StreamOptions options = {}) {
  RecordingSink sink;
  return call(server.base_url(), std::move(options), sink);
}

// A normal streamed reply arrives whole, deltas reach the sink as they come, and the request
// carries the adapter's headers.
TEST(ModelStream, StreamsAReplyThroughTheDecoder) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "Hello from the fake model, streamed in pieces.";
  server.push(ScriptStep::of(reply));
  RecordingSink sink;
  auto result = call(server.base_url(), {}, sink);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(reply_text(*result.outcome), reply.text);
  EXPECT_EQ(sink.text_, reply.text);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/messages");
  EXPECT_EQ(requests[0].header("x-api-key"), "sk-test-secret");
  EXPECT_NE(requests[0].body.find("claude-test"), std::string::npos);
}

// Content-Length framing (no chunked encoding) streams the same way.
TEST(ModelStream, ReadsContentLengthBodies) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "fixed length";
  ScriptStep step = ScriptStep::of(reply);
  step.chunked = false;
  server.push(step);
  auto result = call(server);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(reply_text(*result.outcome), "fixed length");
}

// 429 with retry-after is a rate limit carrying the wait.
TEST(ModelStream, RateLimitCarriesRetryAfter) {
  FakeLlmServer server;
  ScriptStep step;
  step.status = 429;
  step.headers = {{"retry-after", "7"}};
  step.chunks = {fakes::render_anthropic_error("rate_limit_error", "Number of requests exceeded")};
  server.push(step);
  step.headers = {{"retry-after-ms", "1500"}, {"retry-after", "7"}};
  server.push(step);
  auto first = call(server);
  ASSERT_FALSE(first.outcome);
  EXPECT_EQ(first.outcome.error().reason, FailoverReason::rate_limit);
  EXPECT_EQ(first.outcome.error().http_status, 429);
  EXPECT_EQ(first.outcome.error().retry_after, std::chrono::milliseconds(7000));
  auto second = call(server);
  ASSERT_FALSE(second.outcome);
  EXPECT_EQ(second.outcome.error().retry_after, std::chrono::milliseconds(1500));
}

// Server errors and auth failures are classified from the status and the body.
TEST(ModelStream, ServerAndAuthErrors) {
  FakeLlmServer server;
  ScriptStep step;
  step.status = 500;
  step.chunks = {fakes::render_anthropic_error("api_error", "Internal server error")};
  server.push(step);
  step.status = 401;
  step.chunks = {fakes::render_anthropic_error("authentication_error", "invalid x-api-key")};
  server.push(step);
  auto five_hundred = call(server);
  ASSERT_FALSE(five_hundred.outcome);
  EXPECT_EQ(five_hundred.outcome.error().reason, FailoverReason::server_error);
  EXPECT_NE(five_hundred.outcome.error().message.find("Internal server error"), std::string::npos);
  auto unauthorized = call(server);
  ASSERT_FALSE(unauthorized.outcome);
  EXPECT_EQ(unauthorized.outcome.error().reason, FailoverReason::auth);
  EXPECT_EQ(unauthorized.outcome.error().message.find("sk-test-secret"), std::string::npos);
}

// A connection dropped mid-stream is an error that says part of the reply had arrived.
TEST(ModelStream, DisconnectMidStreamIsPartial) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "this reply will be cut off before it ends";
  ScriptStep step = ScriptStep::of(reply);
  step.disconnect_after = 4;
  server.push(step);
  auto result = call(server);
  ASSERT_FALSE(result.outcome);
  EXPECT_TRUE(result.outcome.error().partial);
  EXPECT_EQ(result.outcome.error().reason, FailoverReason::timeout);
}

// Lines that are not SSE fields are skipped; the stream around them still reads.
TEST(ModelStream, MalformedLinesDoNotBreakTheStream) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "survives noise";
  ScriptStep step;
  step.chunks = {"garbage without a colon\n", ": a comment\n", "\xFF\xFE\n",
                 "unknown-field: x\n\n"};
  for (auto& chunk : fakes::render_anthropic_stream(reply)) {
    step.chunks.push_back(chunk);
  }
  server.push(step);
  ScriptStep broken;
  broken.chunks = {"event: message_start\ndata: {not json\n\n"};
  server.push(broken);
  auto result = call(server);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(reply_text(*result.outcome), "survives noise");
  auto bad = call(server);
  EXPECT_FALSE(bad.outcome);  // an error value, not a crash
}

// A slow stream that keeps moving is fine; the idle timeout is per gap, not for the whole reply.
TEST(ModelStream, SlowButMovingStreamSucceeds) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "slow but steady";
  reply.delta_bytes = 64;
  ScriptStep step = ScriptStep::of(reply);
  step.delay = 200ms;
  server.push(step);
  StreamOptions options;
  options.idle_timeout = 1s;
  auto result = call(server, options);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(reply_text(*result.outcome), "slow but steady");
}

// A stream that stalls after its headers fails as a timeout soon after the idle limit.
TEST(ModelStream, StalledStreamTimesOut) {
  FakeLlmServer server;
  ScriptStep step;
  step.hang = true;
  server.push(step);
  StreamOptions options;
  options.idle_timeout = 300ms;
  auto start = Clock::now();
  auto result = call(server, options);
  auto elapsed = Clock::now() - start;
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().reason, FailoverReason::timeout);
  EXPECT_NE(result.outcome.error().message.find("stalled"), std::string::npos)
      << result.outcome.error().message;
  EXPECT_LT(elapsed, 2s);
}

// Terminal cancellation of the awaiting coroutine ends the call at once as aborted.
TEST(ModelStream, CancellationAbortsPromptly) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "a long reply that takes a while to stream out completely";
  ScriptStep step = ScriptStep::of(reply);
  step.delay = 100ms;
  server.push(step);
  RecordingSink sink;
  auto result = call(server.base_url(), {}, sink, 350ms);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().reason, FailoverReason::aborted);
  EXPECT_LT(result.after_cancel, 50ms);
}

// Nothing listening: a message that names the URL and says what to check.
TEST(ModelStream, ConnectionRefusedIsClear) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  RecordingSink sink;
  auto result = call("http://127.0.0.1:" + std::to_string(port), {}, sink);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().reason, FailoverReason::timeout);
  const auto& message = result.outcome.error().message;
  EXPECT_NE(message.find("could not connect to http://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("is the server running?"), std::string::npos) << message;
}

// A minimal HTTP proxy: records the first request line; CONNECT opens a tunnel, anything else
// is forwarded to the fake as is.
class TinyProxy {
 public:
  explicit TinyProxy(std::uint16_t upstream_port) : upstream_port_(upstream_port) {
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, serve(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TinyProxy() {
    io_.stop();
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::string first_line() {
    std::lock_guard lock(mutex_);
    return first_line_;
  }

 private:
  static asio::awaitable<void> pipe(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to) {
    std::array<char, 4096> buffer{};
    for (;;) {
      auto [ec, n] =
          co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
      if (ec) {
        boost::system::error_code ignored;
        to.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        co_return;
      }
      co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                                 asio::as_tuple(asio::use_awaitable));
    }
  }

  asio::awaitable<void> serve() {
    auto client = co_await acceptor_.async_accept(asio::use_awaitable);
    std::string head;
    co_await asio::async_read_until(client, asio::dynamic_buffer(head), "\r\n\r\n",
                                    asio::use_awaitable);
    {
      std::lock_guard lock(mutex_);
      first_line_ = head.substr(0, head.find("\r\n"));
    }
    asio::ip::tcp::socket upstream(io_);
    co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), upstream_port_},
                                    asio::use_awaitable);
    if (head.starts_with("CONNECT ")) {
      std::string ok = "HTTP/1.1 200 Connection established\r\n\r\n";
      co_await asio::async_write(client, asio::buffer(ok), asio::use_awaitable);
    } else {
      co_await asio::async_write(upstream, asio::buffer(head), asio::use_awaitable);
    }
    asio::co_spawn(io_, pipe(upstream, client), asio::detached);
    co_await pipe(client, upstream);
    asio::steady_timer linger(io_, 5s);  // keep both sockets alive for the other direction
    co_await linger.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  std::uint16_t upstream_port_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::mutex mutex_;  // guards first_line_
  std::string first_line_;
};

// http:// targets go through the proxy as absolute-form requests.
TEST(ModelStream, PlainHttpThroughProxyUsesAbsoluteForm) {
  FakeLlmServer server;
  FakeReply reply;
  reply.text = "via the proxy";
  server.push(ScriptStep::of(reply));
  TinyProxy proxy(server.port());
  StreamOptions options;
  options.proxy = proxy.url();
  options.proxy_loopback_for_test = true;
  auto result = call(server, options);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(reply_text(*result.outcome), "via the proxy");
  EXPECT_EQ(proxy.first_line(), "POST " + server.base_url() + "/v1/messages HTTP/1.1");
}

// https:// targets get a CONNECT tunnel first, then TLS inside it (here the fake speaks plain
// HTTP, so the handshake fails after the tunnel opened, and says so).
TEST(ModelStream, HttpsThroughProxyOpensATunnel) {
  FakeLlmServer server;
  TinyProxy proxy(server.port());
  StreamOptions options;
  options.proxy = proxy.url();
  options.proxy_loopback_for_test = true;
  options.connect_timeout = 2s;
  RecordingSink sink;
  auto result = call("https://127.0.0.1:" + std::to_string(server.port()), options, sink);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(proxy.first_line(), "CONNECT 127.0.0.1:" + std::to_string(server.port()) + " HTTP/1.1");
  EXPECT_NE(result.outcome.error().message.find("TLS handshake"), std::string::npos)
      << result.outcome.error().message;
}

}  // namespace
}  // namespace pincer::providers
