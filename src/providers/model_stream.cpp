// stream_model(): one POST per call, no connection reuse. Model calls last seconds to minutes,
// so a fresh connection (tens of ms) costs nothing noticeable and keeps failure handling simple:
// whatever goes wrong, the socket dies with the call.
//
// Order of a call: resolve -> connect (-> CONNECT tunnel) (-> TLS) -> write request -> read
// headers -> either read a bounded error body, or feed each body chunk as it arrives to the SSE
// parser and each event to the adapter's decoder until the decoder sees its terminal event or
// the body ends. Each phase has its own deadline (StreamOptions); cancellation from the awaiting
// coroutine ends whichever phase is running.

#include "providers/model_stream.hpp"

#include <openssl/ssl.h>

#include <array>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include "core/proxy_settings.hpp"
#include "core/text.hpp"
#include "core/tls_client_context.hpp"
#include "providers/retry_after.hpp"
#include "providers/sse_parser.hpp"

namespace pincer::providers {
namespace {

using core::ProxyChoice;
using core::ProxyEnvironment;
using core::ProxyServer;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Outcome = std::expected<ModelResponse, ProviderError>;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::uint32_t kMaxResponseHeader = 64 * 1024;

struct Target {
  bool tls = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string path;    // origin-form: "/v1/messages?x=y"
  std::string origin;  // "https://api.example.com" or "http://127.0.0.1:1234", for messages
  std::string host_header;
};

std::unexpected<ProviderError> failure(FailoverReason reason, std::string message,
                                       bool partial = false) {
  ProviderError error;
  error.reason = reason;
  error.message = std::move(message);
  error.partial = partial;
  return std::unexpected(std::move(error));
}

std::string seconds_text(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

std::expected<Target, ProviderError> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  std::string scheme = parsed ? core::to_lower_ascii(parsed->scheme()) : std::string();
  if (!parsed || (scheme != "http" && scheme != "https") || parsed->host().empty()) {
    return failure(FailoverReason::format,
                   "the model URL \"" + std::string(url) +
                       "\" is not an http:// or https:// URL; check the provider's baseUrl");
  }
  Target target;
  target.tls = scheme == "https";
  target.host = parsed->host_address();
  std::uint16_t default_port = target.tls ? 443 : 80;
  target.port = parsed->has_port() ? parsed->port_number() : default_port;
  target.path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) {
    target.path += "?" + std::string(parsed->encoded_query());
  }
  target.host_header = std::string(parsed->encoded_host_and_port());
  if (!parsed->has_port()) {
    target.host_header = std::string(parsed->encoded_host());
  }
  target.origin = scheme + "://" + target.host_header;
  return target;
}

asio::awaitable<bool> cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

std::unexpected<ProviderError> aborted(bool partial) {
  return failure(FailoverReason::aborted, "the model call was cancelled", partial);
}

// Opens a TCP connection to host:port within `timeout`.
asio::awaitable<std::expected<void, ProviderError>> connect(beast::tcp_stream& stream,
                                                            const std::string& host,
                                                            std::uint16_t port,
                                                            std::string_view what,
                                                            std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code connect_ec;
  // A literal address (a local server, a proxy by IP) needs no resolver: asio resolves on a
  // thread of its own, two thread hand-offs and a getaddrinfo per call for nothing.
  boost::system::error_code literal_ec;
  std::string bare =
      host.size() > 2 && host.front() == '[' ? host.substr(1, host.size() - 2) : host;
  auto literal = asio::ip::make_address(bare, literal_ec);
  if (!literal_ec) {
    stream.expires_after(timeout);
    auto [ec] = co_await stream.async_connect(tcp::endpoint(literal, port), kTuple);
    connect_ec = ec;
  } else {
    tcp::resolver resolver(executor);
    // The resolver has no expiry of its own; a timer cancels it.
    asio::steady_timer deadline(executor, timeout);
    auto cancel_resolve = [&resolver](boost::system::error_code ec) {
      if (!ec) {
        resolver.cancel();
      }
    };
    deadline.async_wait(cancel_resolve);
    auto [resolve_ec, endpoints] =
        co_await resolver.async_resolve(host, std::to_string(port), kTuple);
    deadline.cancel();
    if (co_await cancelled()) {
      co_return aborted(false);
    }
    if (resolve_ec) {
      co_return failure(FailoverReason::timeout,
                        "could not resolve " + host + " (" + std::string(what) +
                            "): " + resolve_ec.message() + " — check the URL and the network");
    }
    stream.expires_after(timeout);
    auto [ec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
    connect_ec = ec;
  }
  if (co_await cancelled()) {
    co_return aborted(false);
  }
  if (connect_ec == beast::error::timeout) {
    co_return failure(FailoverReason::timeout, "timed out connecting to " + std::string(what) +
                                                   " after " + seconds_text(timeout));
  }
  if (connect_ec) {
    co_return failure(FailoverReason::timeout, "could not connect to " + std::string(what) + ": " +
                                                   connect_ec.message() +
                                                   " — is the server running?");
  }
  stream.socket().set_option(tcp::no_delay(true));
  co_return std::expected<void, ProviderError>{};
}

// Asks an HTTP proxy for a tunnel to the target (RFC 9110 §9.3.6).
asio::awaitable<std::expected<void, ProviderError>> open_tunnel(beast::tcp_stream& stream,
                                                                const Target& target,
                                                                const ProxyServer& proxy,
                                                                std::chrono::milliseconds timeout) {
  std::string authority = target.host.find(':') != std::string::npos
                              ? "[" + target.host + "]:" + std::to_string(target.port)
                              : target.host + ":" + std::to_string(target.port);
  http::request<http::empty_body> request{http::verb::connect, authority, 11};
  request.set(http::field::host, authority);
  if (!proxy.authorization.empty()) {
    request.set(http::field::proxy_authorization, proxy.authorization);
  }
  stream.expires_after(timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (co_await cancelled()) {
    co_return aborted(false);
  }
  std::string proxy_name = "the proxy " + proxy.host + ":" + std::to_string(proxy.port);
  if (write_ec) {
    co_return failure(FailoverReason::timeout,
                      proxy_name + " dropped the connection: " + write_ec.message());
  }
  // A CONNECT answer has no body; the tunnel's bytes follow its header directly, and none come
  // before our TLS hello, so the buffer holds nothing that belongs to the tunnel.
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);
  auto [read_ec, read] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (co_await cancelled()) {
    co_return aborted(false);
  }
  if (read_ec) {
    co_return failure(FailoverReason::timeout,
                      proxy_name + " did not answer the tunnel request: " + read_ec.message());
  }
  if (parser.get().result_int() != 200) {
    co_return failure(FailoverReason::other,
                      proxy_name + " refused a tunnel to " + authority + ": HTTP " +
                          std::to_string(parser.get().result_int()) + " " +
                          std::string(parser.get().reason()) +
                          " — check HTTPS_PROXY / NO_PROXY and the proxy's credentials");
  }
  co_return std::expected<void, ProviderError>{};
}

// Sends the request on an open connection (plain or TLS) and reads the streamed answer.
template <class Stream>
asio::awaitable<Outcome> exchange(Stream& stream, const Target& target, bool absolute_form,
                                  const HttpRequestSpec& spec, const ApiAdapter& adapter,
                                  StreamSink& sink, const StreamOptions& options) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  std::string request_target = absolute_form ? target.origin + target.path : target.path;
  http::request<http::string_body> request{http::verb::post, request_target, 11};
  request.set(http::field::host, target.host_header);
  request.set(http::field::user_agent, "pincer");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, "text/event-stream");
  for (const auto& [name, value] : spec.headers) {
    request.set(name, value);
  }
  request.body() = spec.body;
  request.prepare_payload();

  tcp_layer.expires_after(options.header_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (co_await cancelled()) {
    co_return aborted(false);
  }
  if (write_ec) {
    co_return failure(FailoverReason::timeout,
                      "the connection to " + target.origin +
                          " failed while sending the request: " + write_ec.message());
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kMaxResponseHeader);
  parser.body_limit(boost::none);
  auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (co_await cancelled()) {
    co_return aborted(false);
  }
  if (header_ec == beast::error::timeout) {
    co_return failure(FailoverReason::timeout, target.origin + " sent no response within " +
                                                   seconds_text(options.header_timeout));
  }
  if (header_ec) {
    co_return failure(
        FailoverReason::timeout,
        target.origin + " closed the connection before answering: " + header_ec.message());
  }

  const int status = static_cast<int>(parser.get().result_int());
  std::array<char, 16 * 1024> chunk{};
  // Reads the next piece of the body into `chunk`; returns the bytes read and the error.
  auto read_some = [&]() -> asio::awaitable<std::pair<boost::system::error_code, std::size_t>> {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    tcp_layer.expires_after(options.idle_timeout);
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    co_return std::pair{ec, chunk.size() - parser.get().body().size};
  };

  if (status < 200 || status > 299) {
    std::string body;
    while (!parser.is_done() && body.size() < kMaxErrorBody) {
      auto [ec, n] = co_await read_some();
      body.append(chunk.data(), std::min(n, kMaxErrorBody - body.size()));
      if (ec) {
        break;
      }
    }
    if (co_await cancelled()) {
      co_return aborted(false);
    }
    const auto& headers = parser.get();
    auto retry_after = parse_retry_after(headers["retry-after"], headers["retry-after-ms"],
                                         std::chrono::system_clock::now());
    co_return std::unexpected(adapter.read_error(status, body, retry_after));
  }

  auto decoder = adapter.make_decoder();
  SseParser events;
  std::optional<ProviderError> decode_error;
  bool any_event = false;
  auto on_event = [&](const SseEvent& event) -> bool {
    any_event = true;
    auto fed = decoder->on_event(event.type, event.data, sink);
    if (!fed) {
      decode_error = std::move(fed.error());
      return false;
    }
    return !decoder->complete();
  };
  auto stream_broken = [&](const Error& error) {
    return failure(FailoverReason::format,
                   "the model stream from " + target.origin + " is not valid: " + error.message,
                   any_event);
  };

  while (!decoder->complete()) {
    if (parser.is_done()) {
      if (auto flushed = events.finish(on_event); !flushed) {
        co_return stream_broken(flushed.error());
      }
      break;
    }
    auto [ec, n] = co_await read_some();
    if (n > 0) {
      auto fed = events.feed(std::string_view(chunk.data(), n), on_event);
      if (!fed) {
        co_return stream_broken(fed.error());
      }
      if (decode_error) {
        co_return std::unexpected(std::move(*decode_error));
      }
    }
    if (ec) {
      if (co_await cancelled()) {
        co_return aborted(any_event);
      }
      if (ec == beast::error::timeout) {
        co_return failure(FailoverReason::timeout,
                          "the model stream from " + target.origin + " stalled: no data for " +
                              seconds_text(options.idle_timeout),
                          any_event);
      }
      break;  // EOF or reset: whether the reply is whole is the decoder's call
    }
  }
  if (decode_error) {
    co_return std::unexpected(std::move(*decode_error));
  }
  co_return decoder->finish();
}

asio::awaitable<Outcome> stream_model_impl(const ApiAdapter& adapter, const ModelRequest& request,
                                           const Endpoint& endpoint, StreamSink& sink,
                                           const StreamOptions& options) {
  HttpRequestSpec spec = adapter.build_request(request, endpoint);
  auto target = parse_target(spec.url);
  if (!target) {
    co_return std::unexpected(target.error());
  }
  ProxyChoice choice{options.proxy, options.use_environment_proxy, !options.proxy_loopback_for_test,
                     ProxyEnvironment::from_process()};
  auto proxy =
      core::select_proxy(choice, target->tls ? "https" : "http", target->host, target->port);
  if (!proxy) {
    co_return failure(FailoverReason::format, proxy.error().describe());
  }

  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream tcp_stream(executor);
  if (*proxy) {
    const ProxyServer& server = **proxy;
    std::string what = "the proxy http://" + server.host + ":" + std::to_string(server.port);
    auto connected =
        co_await connect(tcp_stream, server.host, server.port, what, options.connect_timeout);
    if (!connected) {
      co_return std::unexpected(connected.error());
    }
    if (target->tls) {
      auto tunnel = co_await open_tunnel(tcp_stream, *target, server, options.connect_timeout);
      if (!tunnel) {
        co_return std::unexpected(tunnel.error());
      }
    }
  } else {
    auto connected = co_await connect(tcp_stream, target->host, target->port, target->origin,
                                      options.connect_timeout);
    if (!connected) {
      co_return std::unexpected(connected.error());
    }
  }

  if (!target->tls) {
    co_return co_await exchange(tcp_stream, *target, proxy->has_value(), spec, adapter, sink,
                                options);
  }

  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream),
                                                  core::tls_client_context());
  boost::system::error_code address_ec;
  asio::ip::make_address(target->host, address_ec);
  if (address_ec) {  // SNI carries names only, never IP addresses
    SSL_set_tlsext_host_name(tls_stream.native_handle(), target->host.c_str());
  }
  tls_stream.set_verify_callback(ssl::host_name_verification(target->host));
  beast::get_lowest_layer(tls_stream).expires_after(options.connect_timeout);
  auto [handshake_ec] = co_await tls_stream.async_handshake(ssl::stream_base::client, kTuple);
  if (co_await cancelled()) {
    co_return aborted(false);
  }
  if (handshake_ec) {
    co_return failure(FailoverReason::other,
                      "the TLS handshake with " + target->origin +
                          " failed: " + handshake_ec.message() +
                          " — check the URL, the system clock and the CA certificates");
  }
  co_return co_await exchange(tls_stream, *target, false, spec, adapter, sink, options);
}

}  // namespace

asio::awaitable<Outcome> stream_model(const ApiAdapter& adapter, const ModelRequest& request,
                                      const Endpoint& endpoint, StreamSink& sink,
                                      StreamOptions options) {
  // Cancellation is reported as `aborted`, not thrown; the caller's own setting comes back after.
  bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Outcome outcome = co_await stream_model_impl(adapter, request, endpoint, sink, options);
  co_await asio::this_coro::throw_if_cancelled(caller_throws);
  co_return outcome;
}

}  // namespace pincer::providers
