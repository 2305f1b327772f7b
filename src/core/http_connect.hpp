#pragma once
// http_connect(): the connection half of an outbound HTTP(S) call, shared by HttpClient
// (request/response, keep-alive) and providers/model_stream (streamed model calls), so both
// resolve, connect, tunnel and verify certificates the same way.
//
// Order: resolve (skipped for a literal IP address) -> TCP connect, to the proxy when there is
// one -> for https through a proxy, an HTTP CONNECT tunnel (RFC 9110 §9.3.6) -> for https, the
// TLS handshake with SNI and host name verification against tls_client_context().
//
// What it does not do: choose the proxy (proxy_settings.hpp), send the request, or pool
// connections. Plain http through a proxy gets a TCP stream to the proxy and no tunnel: the
// caller then sends absolute-form targets with the proxy's Proxy-Authorization.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "core/proxy_settings.hpp"

namespace pincer::core {

// Where a call goes: scheme, host and port only. A URL's path and query never reach this code,
// so no error from it can leak a secret they hold (a Telegram bot token sits in the path).
struct HttpOrigin {
  bool tls = false;  // https
  std::string host;  // a name or an IP address, IPv6 without brackets
  std::uint16_t port = 0;
};

// "https://api.telegram.org:443", "http://[::1]:8080": the only form error messages use.
std::string origin_text(const HttpOrigin& origin);

using PlainHttpStream = boost::beast::tcp_stream;
using TlsHttpStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
// TLS for https origins, plain TCP otherwise; expiry left at the deadline it was opened with.
using HttpStream = std::variant<PlainHttpStream, TlsHttpStream>;

enum class HttpConnectErrorKind {
  resolve,         // the host name (the origin's, or the proxy's) did not resolve
  connect,         // TCP connect failed, or the proxy dropped or garbled the tunnel request
  tunnel_refused,  // the proxy answered the CONNECT with a status other than 200
  tls,             // the TLS handshake failed (certificate, host name, protocol)
  timeout,         // the deadline passed in one of the phases
  aborted,         // the awaiting coroutine was cancelled
};

std::string_view to_string(HttpConnectErrorKind kind);

struct HttpConnectError {
  HttpConnectErrorKind kind = HttpConnectErrorKind::connect;
  // What happened and what to do; names scheme://host:port of the origin or the proxy, and for
  // timeouts `timeout` and the phase that ran out of it.
  std::string message;
};

// Opens a stream to `origin`, through `proxy` when set, finishing before `deadline`; `timeout`
// is the budget the deadline came from, only quoted in messages. Terminal cancellation of the
// awaiting coroutine ends any phase (a name lookup in progress runs to its end first) and
// yields `aborted`; it is reported, not thrown, whatever the caller's throw_if_cancelled.
// Must be awaited on the executor the stream is to live on.
boost::asio::awaitable<std::expected<HttpStream, HttpConnectError>> http_connect(
    const HttpOrigin& origin, const std::optional<ProxyServer>& proxy,
    std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds timeout);

}  // namespace pincer::core
