// stream_model(): one POST per call, no connection reuse. Model calls last seconds to minutes,
// so a fresh connection (tens of ms) costs nothing noticeable and keeps failure handling simple:
// whatever goes wrong, the socket dies with the call.
//
// Order of a call: core::http_connect() (resolve -> connect (-> CONNECT tunnel) (-> TLS), together
// within connect_timeout) -> write request -> read headers -> either read a bounded error body,
// or feed each body chunk as it arrives to the SSE parser and each event to the adapter's decoder
// until the decoder sees its terminal event or the body ends. Each phase has its own deadline
// (StreamOptions); cancellation from the awaiting coroutine ends whichever phase is running.

#include "providers/model_stream.hpp"

#include <array>
#include <string>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include "core/http_connect.hpp"
#include "core/proxy_settings.hpp"
#include "core/text.hpp"
#include "providers/retry_after.hpp"
#include "providers/sse_parser.hpp"

namespace pincer::providers {
namespace {

using core::ProxyChoice;
using core::ProxyEnvironment;

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
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

// The shared connect error in provider terms: failing to reach the server (no name, no answer,
// too slow) is `timeout`, which the model caller retries once on the same model; a proxy
// refusing the tunnel or a failed certificate check is `other`, which a retry would not fix.
std::unexpected<ProviderError> connect_failure(core::HttpConnectError error) {
  switch (error.kind) {
    case core::HttpConnectErrorKind::resolve:
    case core::HttpConnectErrorKind::connect:
    case core::HttpConnectErrorKind::timeout:
      return failure(FailoverReason::timeout, std::move(error.message));
    case core::HttpConnectErrorKind::tunnel_refused:
    case core::HttpConnectErrorKind::tls:
      return failure(FailoverReason::other, std::move(error.message));
    case core::HttpConnectErrorKind::aborted:
      return aborted(false);
  }
  return failure(FailoverReason::other, std::move(error.message));
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

  const core::HttpOrigin origin{target->tls, target->host, target->port};
  // One budget for resolve, connect, tunnel and TLS together; the exchange has its own.
  const auto connect_deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  auto connected =
      co_await core::http_connect(origin, *proxy, connect_deadline, options.connect_timeout);
  if (!connected) {
    co_return connect_failure(std::move(connected.error()));
  }
  if (auto* tls_stream = std::get_if<core::TlsHttpStream>(&*connected)) {
    co_return co_await exchange(*tls_stream, *target, false, spec, adapter, sink, options);
  }
  // Plain http through a proxy has no tunnel: the request goes to the proxy in absolute form.
  auto& tcp_stream = std::get<core::PlainHttpStream>(*connected);
  co_return co_await exchange(tcp_stream, *target, proxy->has_value(), spec, adapter, sink,
                              options);
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
