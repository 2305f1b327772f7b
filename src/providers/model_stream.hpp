#pragma once
// The transport every adapter shares: one streaming HTTPS (or plain HTTP for local servers)
// request, its server-sent events parsed incrementally and fed to the adapter's decoder as bytes
// arrive.
//
// - TLS with OpenSSL, peer verification against the system store, SNI.
// - HTTPS_PROXY / HTTP_PROXY (and lower-case forms) honoured through an HTTP CONNECT tunnel;
//   NO_PROXY hosts (and 127.0.0.1/localhost) go direct.
// - Timeouts: connect, time to response headers, and idle time between body bytes (a stalled
//   stream fails as `timeout`; a slow but moving one is fine).
// - Cancellation: the awaiting coroutine's cancellation slot (terminal cancellation, as
//   RunControl::abort emits) closes the socket at once and the call fails as `aborted`.
// - Non-2xx responses: the body is read (bounded) and handed to ApiAdapter::read_error with
//   retry-after / retry-after-ms parsed.

#include <chrono>
#include <expected>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "providers/api_adapter.hpp"

namespace pincer::providers {

struct StreamOptions {
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds header_timeout{std::chrono::seconds(120)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(120)};
  // "http://host:port" of a proxy; empty: read HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the
  // environment for each call.
  std::string proxy;
  bool use_environment_proxy = true;
  // Send even loopback targets through the proxy, so a test can put a proxy in front of a
  // 127.0.0.1 fake. Never set outside tests.
  bool proxy_loopback_for_test = false;
};

boost::asio::awaitable<std::expected<ModelResponse, ProviderError>> stream_model(
    const ApiAdapter& adapter, const ModelRequest& request, const Endpoint& endpoint,
    StreamSink& sink, StreamOptions options = {});

}  // namespace pincer::providers
