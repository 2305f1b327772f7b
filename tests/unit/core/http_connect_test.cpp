#include "core/http_connect.hpp"

#include <gtest/gtest.h>

#include <array>
#include <mutex>
#include <optional>
#include <string>
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

namespace pincer::core {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Outcome = std::expected<HttpStream, HttpConnectError>;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// One scripted peer on 127.0.0.1 with its own thread, standing in for a proxy or a server:
// accepts one connection, reads a request head if asked to, sends `reply` (if any), then keeps
// the connection open, silent, until the client leaves.
class ScriptedPeer {
 public:
  struct Script {
    bool read_head = true;
    std::optional<std::string> reply;
  };

  explicit ScriptedPeer(Script script) : script_(std::move(script)) {
    asio::co_spawn(io_, serve(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedPeer() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string head() {
    std::lock_guard lock(mutex_);
    return head_;
  }

 private:
  asio::awaitable<void> serve() {
    auto [accept_ec, client] = co_await acceptor_.async_accept(kTuple);
    if (accept_ec) {
      co_return;
    }
    std::string received;
    if (script_.read_head) {
      co_await asio::async_read_until(client, asio::dynamic_buffer(received), "\r\n\r\n", kTuple);
      std::lock_guard lock(mutex_);
      head_ = received;
    }
    if (script_.reply) {
      co_await asio::async_write(client, asio::buffer(*script_.reply), kTuple);
    }
    std::array<char, 256> sink{};
    for (;;) {  // until the client closes
      auto [ec, n] = co_await client.async_read_some(asio::buffer(sink), kTuple);
      if (ec) {
        co_return;
      }
    }
  }

  Script script_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::thread thread_;
  std::mutex mutex_;  // guards head_
  std::string head_;
};

struct Timed {
  Outcome outcome;
  Clock::duration elapsed{};
};

// Runs one http_connect() on `io` (which must outlive the returned stream); cancels it
// (terminal) after `cancel_after` if set. The coroutine keeps asio's default
// throw_if_cancelled(true), so a thrown cancellation would show as a missing outcome.
Timed run(asio::io_context& io, const HttpOrigin& origin, const std::optional<ProxyServer>& proxy,
          std::chrono::milliseconds timeout,
          std::optional<Clock::duration> cancel_after = std::nullopt) {
  asio::cancellation_signal signal;
  std::optional<Outcome> outcome;
  auto started = Clock::now();
  auto deadline = started + timeout;
  auto call = [&]() -> asio::awaitable<void> {
    outcome.emplace(co_await http_connect(origin, proxy, deadline, timeout));  // streams only move
  };
  asio::co_spawn(io, call(), asio::bind_cancellation_slot(signal.slot(), asio::detached));
  asio::steady_timer timer(io);
  if (cancel_after) {
    timer.expires_after(*cancel_after);
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) {
        signal.emit(asio::cancellation_type::terminal);
      }
    });
  }
  while (!outcome && io.run_one_for(10s) > 0) {
  }
  timer.cancel();
  io.restart();
  io.poll();
  EXPECT_TRUE(outcome.has_value()) << "http_connect never completed";
  if (!outcome) {
    return {std::unexpected(HttpConnectError{HttpConnectErrorKind::connect, "did not complete"})};
  }
  return {std::move(*outcome), Clock::now() - started};
}

ProxyServer proxy_at(std::uint16_t port, std::string authorization = {}) {
  return ProxyServer{"127.0.0.1", port, std::move(authorization)};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// The origin's authority in the CONNECT line and Host header; a refusal names the proxy, the
// origin and the status, and says what to check, without the proxy's credentials.
TEST(HttpConnect, TunnelRefusedByProxyIsClear) {
  ScriptedPeer proxy(
      {true, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n"});
  asio::io_context io;
  HttpOrigin origin{true, "api.example.test", 443};
  auto result = run(io, origin, proxy_at(proxy.port(), "Basic c2VjcmV0OnB3"), 5s);
  ASSERT_FALSE(result.outcome);
  const auto& error = result.outcome.error();
  EXPECT_EQ(error.kind, HttpConnectErrorKind::tunnel_refused) << error.message;
  EXPECT_TRUE(contains(error.message, "the proxy http://127.0.0.1:" + std::to_string(proxy.port())))
      << error.message;
  EXPECT_TRUE(contains(error.message, "https://api.example.test:443")) << error.message;
  EXPECT_TRUE(contains(error.message, "HTTP 407 Proxy Authentication Required")) << error.message;
  EXPECT_TRUE(contains(error.message, "check HTTPS_PROXY")) << error.message;
  EXPECT_FALSE(contains(error.message, "c2VjcmV0")) << error.message;
  std::string head = proxy.head();
  EXPECT_TRUE(head.starts_with("CONNECT api.example.test:443 HTTP/1.1\r\n")) << head;
  EXPECT_TRUE(contains(head, "Proxy-Authorization: Basic c2VjcmV0OnB3\r\n")) << head;
}

// An IPv6 origin is bracketed in the CONNECT target and in messages.
TEST(HttpConnect, TunnelToIpv6OriginUsesBrackets) {
  ScriptedPeer proxy({true, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"});
  asio::io_context io;
  HttpOrigin origin{true, "2001:db8::1", 8443};
  auto result = run(io, origin, proxy_at(proxy.port()), 5s);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpConnectErrorKind::tunnel_refused);
  EXPECT_TRUE(contains(result.outcome.error().message, "https://[2001:db8::1]:8443"))
      << result.outcome.error().message;
  std::string head = proxy.head();
  EXPECT_TRUE(head.starts_with("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n")) << head;
  EXPECT_TRUE(contains(head, "Host: [2001:db8::1]:8443\r\n")) << head;
}

// A proxy that takes the CONNECT and never answers fails as `timeout` at the deadline, naming
// the phase.
TEST(HttpConnect, SilentProxyTimesOut) {
  ScriptedPeer proxy({true, std::nullopt});
  asio::io_context io;
  HttpOrigin origin{true, "api.example.test", 443};
  auto result = run(io, origin, proxy_at(proxy.port()), 200ms);
  ASSERT_FALSE(result.outcome);
  const auto& error = result.outcome.error();
  EXPECT_EQ(error.kind, HttpConnectErrorKind::timeout) << error.message;
  EXPECT_TRUE(contains(error.message, "timed out after 200 ms")) << error.message;
  EXPECT_TRUE(contains(error.message, "waiting for the proxy http://127.0.0.1:" +
                                          std::to_string(proxy.port()) + " to open a tunnel"))
      << error.message;
  EXPECT_LT(result.elapsed, 3s);
}

// A server that accepts and never answers the TLS hello fails as `timeout` in the handshake.
TEST(HttpConnect, SilentTlsServerTimesOut) {
  ScriptedPeer server({false, std::nullopt});
  asio::io_context io;
  HttpOrigin origin{true, "127.0.0.1", server.port()};
  auto result = run(io, origin, std::nullopt, 200ms);
  ASSERT_FALSE(result.outcome);
  const auto& error = result.outcome.error();
  EXPECT_EQ(error.kind, HttpConnectErrorKind::timeout) << error.message;
  EXPECT_TRUE(contains(error.message, "(TLS handshake)")) << error.message;
  EXPECT_LT(result.elapsed, 3s);
}

// A TCP connect that gets no answer (the listener's accept queue is full, so Linux drops the
// SYN) fails as `timeout` at the deadline, naming the peer.
TEST(HttpConnect, UnansweredConnectTimesOut) {
  asio::io_context server_io;
  tcp::acceptor acceptor(server_io);
  acceptor.open(tcp::v4());
  acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor.listen(0);  // room for one queued connection
  std::uint16_t port = acceptor.local_endpoint().port();
  tcp::socket filler(server_io);
  filler.connect(acceptor.local_endpoint());  // queued, never accepted: the queue is now full

  asio::io_context io;
  HttpOrigin origin{false, "127.0.0.1", port};
  auto result = run(io, origin, std::nullopt, 300ms);
  ASSERT_FALSE(result.outcome);
  const auto& error = result.outcome.error();
  EXPECT_EQ(error.kind, HttpConnectErrorKind::timeout) << error.message;
  EXPECT_TRUE(contains(error.message, "connecting to http://127.0.0.1:" + std::to_string(port)))
      << error.message;
  EXPECT_LT(result.elapsed, 3s);
}

// Terminal cancellation while the proxy is silent ends the call at once as `aborted`, returned
// as a value even though the awaiting coroutine throws on cancellation.
TEST(HttpConnect, CancellationAbortsPromptly) {
  ScriptedPeer proxy({true, std::nullopt});
  asio::io_context io;
  HttpOrigin origin{true, "api.example.test", 443};
  auto result = run(io, origin, proxy_at(proxy.port()), 30s, 100ms);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpConnectErrorKind::aborted)
      << result.outcome.error().message;
  EXPECT_LT(result.elapsed, 5s);
}

// Plain http through a proxy: a TCP stream to the proxy itself, no CONNECT sent.
TEST(HttpConnect, PlainHttpThroughProxyConnectsToTheProxy) {
  ScriptedPeer proxy({false, std::nullopt});
  asio::io_context io;
  HttpOrigin origin{false, "api.example.test", 80};
  auto result = run(io, origin, proxy_at(proxy.port()), 5s);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  auto* stream = std::get_if<PlainHttpStream>(&*result.outcome);
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(stream->socket().remote_endpoint().port(), proxy.port());
}

TEST(HttpConnect, OriginTextHasSchemeHostAndPort) {
  EXPECT_EQ(origin_text({true, "api.telegram.org", 443}), "https://api.telegram.org:443");
  EXPECT_EQ(origin_text({false, "::1", 8080}), "http://[::1]:8080");
}

}  // namespace
}  // namespace pincer::core
