// http_connect(): resolve -> connect (-> CONNECT tunnel) (-> TLS), each phase bounded by the one
// deadline (the socket's expiry, or a timer for the resolver, which has none) and each followed
// by a look at the coroutine's cancellation state, so a cancelled call stops at the next phase
// boundary even when the operation itself finished.

#include "core/http_connect.hpp"

#include <openssl/ssl.h>

#include <memory>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "core/tls_client_context.hpp"

namespace pincer::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Outcome = std::expected<HttpStream, HttpConnectError>;
using Step = std::expected<void, HttpConnectError>;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// What one call knows while it runs; every message is built from these names only.
struct Attempt {
  const HttpOrigin& origin;
  std::string origin_name;  // origin_text(origin)
  std::chrono::milliseconds timeout;
  Clock::time_point deadline;
};

std::unexpected<HttpConnectError> failure(HttpConnectErrorKind kind, std::string message) {
  return std::unexpected(HttpConnectError{kind, std::move(message)});
}

std::string duration_text(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// "host:port", IPv6 in brackets: the authority form of URLs and of CONNECT targets.
std::string authority(const std::string& host, std::uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

asio::awaitable<bool> cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

std::unexpected<HttpConnectError> aborted(const Attempt& attempt) {
  return failure(HttpConnectErrorKind::aborted,
                 "the connection to " + attempt.origin_name + " was cancelled");
}

std::unexpected<HttpConnectError> timed_out(const Attempt& attempt, std::string_view phase) {
  return failure(HttpConnectErrorKind::timeout,
                 "the connection to " + attempt.origin_name + " timed out after " +
                     duration_text(attempt.timeout) + " (" + std::string(phase) +
                     ") — check the network or raise the timeout");
}

// Opens a TCP connection to host:port; `peer` names it in messages (the origin or the proxy).
asio::awaitable<Step> connect_tcp(beast::tcp_stream& stream, const std::string& host,
                                  std::uint16_t port, const std::string& peer,
                                  const Attempt& attempt) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code connect_ec;
  boost::system::error_code literal_ec;
  auto literal = asio::ip::make_address(host, literal_ec);
  if (!literal_ec) {
    // A literal address (a local server, a proxy by IP) needs no resolver: asio resolves on a
    // thread of its own, two thread hand-offs and a getaddrinfo per call for nothing.
    stream.expires_at(attempt.deadline);
    auto [ec] = co_await stream.async_connect(tcp::endpoint(literal, port), kTuple);
    connect_ec = ec;
  } else {
    // The resolver has no expiry of its own; a timer cancels it. The timer's handler may run
    // after this frame moved on (it can be queued just as the resolve completes), so it keeps
    // what it touches alive itself.
    auto resolver = std::make_shared<tcp::resolver>(executor);
    auto expired = std::make_shared<bool>(false);
    asio::steady_timer timer(executor, attempt.deadline);
    timer.async_wait([resolver, expired](boost::system::error_code ec) {
      if (!ec) {
        *expired = true;
        resolver->cancel();
      }
    });
    auto [resolve_ec, endpoints] =
        co_await resolver->async_resolve(host, std::to_string(port), kTuple);
    timer.cancel();
    if (co_await cancelled()) {
      co_return aborted(attempt);
    }
    if (*expired) {
      co_return timed_out(attempt, "resolving " + host);
    }
    if (resolve_ec) {
      co_return failure(HttpConnectErrorKind::resolve,
                        "could not resolve " + peer + ": " + resolve_ec.message() +
                            " — check the host name and the DNS setup");
    }
    stream.expires_at(attempt.deadline);
    auto [ec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
    connect_ec = ec;
  }
  if (co_await cancelled()) {
    co_return aborted(attempt);
  }
  if (connect_ec == beast::error::timeout) {
    co_return timed_out(attempt, "connecting to " + peer);
  }
  if (connect_ec) {
    co_return failure(HttpConnectErrorKind::connect,
                      "could not connect to " + peer + ": " + connect_ec.message() +
                          " — is the server running? Is it reachable from this host?");
  }
  stream.socket().set_option(tcp::no_delay(true));
  co_return Step{};
}

// Asks an HTTP proxy for a tunnel to the origin (RFC 9110 §9.3.6).
asio::awaitable<Step> open_tunnel(beast::tcp_stream& stream, const ProxyServer& proxy,
                                  const std::string& proxy_name, const Attempt& attempt) {
  std::string target = authority(attempt.origin.host, attempt.origin.port);
  http::request<http::empty_body> request{http::verb::connect, target, 11};
  request.set(http::field::host, target);
  if (!proxy.authorization.empty()) {
    request.set(http::field::proxy_authorization, proxy.authorization);
  }
  stream.expires_at(attempt.deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (co_await cancelled()) {
    co_return aborted(attempt);
  }
  if (write_ec == beast::error::timeout) {
    co_return timed_out(attempt, "asking " + proxy_name + " for a tunnel");
  }
  if (write_ec) {
    co_return failure(HttpConnectErrorKind::connect,
                      proxy_name + " dropped the connection: " + write_ec.message());
  }
  // A CONNECT answer has no body, and nothing follows it before our TLS hello, so this buffer
  // holds nothing that belongs to the tunnel.
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  auto [read_ec, read] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (co_await cancelled()) {
    co_return aborted(attempt);
  }
  if (read_ec == beast::error::timeout) {
    co_return timed_out(attempt, "waiting for " + proxy_name + " to open a tunnel");
  }
  if (read_ec) {
    co_return failure(HttpConnectErrorKind::connect,
                      proxy_name + " did not answer the tunnel request: " + read_ec.message());
  }
  const auto& answer = parser.get();
  if (answer.result_int() != 200) {
    std::string reason(answer.reason());
    co_return failure(HttpConnectErrorKind::tunnel_refused,
                      proxy_name + " refused a tunnel to " + attempt.origin_name + ": HTTP " +
                          std::to_string(answer.result_int()) +
                          (reason.empty() ? "" : " " + reason) +
                          " — check HTTPS_PROXY / NO_PROXY and the proxy's credentials");
  }
  co_return Step{};
}

asio::awaitable<Outcome> connect_impl(const Attempt& attempt,
                                      const std::optional<ProxyServer>& proxy) {
  const HttpOrigin& origin = attempt.origin;
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream tcp_stream(executor);
  if (proxy) {
    std::string proxy_name = "the proxy http://" + authority(proxy->host, proxy->port);
    auto connected =
        co_await connect_tcp(tcp_stream, proxy->host, proxy->port, proxy_name, attempt);
    if (!connected) {
      co_return std::unexpected(std::move(connected.error()));
    }
    if (origin.tls) {
      auto tunnel = co_await open_tunnel(tcp_stream, *proxy, proxy_name, attempt);
      if (!tunnel) {
        co_return std::unexpected(std::move(tunnel.error()));
      }
    }
  } else {
    auto connected =
        co_await connect_tcp(tcp_stream, origin.host, origin.port, attempt.origin_name, attempt);
    if (!connected) {
      co_return std::unexpected(std::move(connected.error()));
    }
  }
  if (!origin.tls) {
    co_return HttpStream(std::in_place_index<0>, std::move(tcp_stream));
  }

  TlsHttpStream tls_stream(std::move(tcp_stream), tls_client_context());
  if (!is_ip_literal(origin.host)) {  // SNI carries names only, never IP addresses
    SSL_set_tlsext_host_name(tls_stream.native_handle(), origin.host.c_str());
  }
  tls_stream.set_verify_callback(ssl::host_name_verification(origin.host));
  beast::get_lowest_layer(tls_stream).expires_at(attempt.deadline);
  auto [handshake_ec] = co_await tls_stream.async_handshake(ssl::stream_base::client, kTuple);
  if (co_await cancelled()) {
    co_return aborted(attempt);
  }
  if (handshake_ec == beast::error::timeout) {
    co_return timed_out(attempt, "TLS handshake");
  }
  if (handshake_ec) {
    co_return failure(HttpConnectErrorKind::tls,
                      "the TLS handshake with " + attempt.origin_name +
                          " failed: " + handshake_ec.message() +
                          " — check the address, the system clock and the CA certificates");
  }
  co_return HttpStream(std::in_place_index<1>, std::move(tls_stream));
}

}  // namespace

std::string origin_text(const HttpOrigin& origin) {
  return std::string(origin.tls ? "https" : "http") + "://" + authority(origin.host, origin.port);
}

std::string_view to_string(HttpConnectErrorKind kind) {
  switch (kind) {
    case HttpConnectErrorKind::resolve:
      return "resolve";
    case HttpConnectErrorKind::connect:
      return "connect";
    case HttpConnectErrorKind::tunnel_refused:
      return "tunnel_refused";
    case HttpConnectErrorKind::tls:
      return "tls";
    case HttpConnectErrorKind::timeout:
      return "timeout";
    case HttpConnectErrorKind::aborted:
      return "aborted";
  }
  return "unknown";
}

asio::awaitable<Outcome> http_connect(const HttpOrigin& origin,
                                      const std::optional<ProxyServer>& proxy,
                                      Clock::time_point deadline,
                                      std::chrono::milliseconds timeout) {
  // Cancellation is reported as `aborted`, not thrown; the caller's own setting comes back after.
  bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Attempt attempt{origin, origin_text(origin), timeout, deadline};
  Outcome outcome = co_await connect_impl(attempt, proxy);
  co_await asio::this_coro::throw_if_cancelled(caller_throws);
  co_return std::move(outcome);  // the streams move, never copy
}

}  // namespace pincer::core
