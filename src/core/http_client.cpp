// HttpClient::request(): take an idle connection for the origin (or open one with http_connect():
// resolve -> connect (-> CONNECT tunnel) (-> TLS)), write the request, read the header, read the
// body under its cap, then pool the connection if the response allows keep-alive. One deadline
// covers all of it; every wait also ends on the awaiting coroutine's terminal cancellation.
//
// A connection is owned by exactly one place at a time: the idle list, or the request using it
// (a unique_ptr moved between them), so two requests can never share one. A connection whose
// exchange failed in any way is destroyed, never pooled.

#include "core/http_client.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <deque>
#include <map>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include "core/http_connect.hpp"
#include "core/proxy_settings.hpp"
#include "core/text.hpp"

namespace pincer::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using Clock = std::chrono::steady_clock;
using Outcome = std::expected<HttpResponse, HttpError>;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kMaxResponseHeader = 64 * 1024;

struct Target {
  bool tls = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string path;         // origin-form: "/bot<token>/getMe?x=y" (secret: never in messages)
  std::string origin;       // "https://api.telegram.org:443": the only form messages use
  std::string host_header;  // "api.telegram.org" (default port) or "127.0.0.1:8080"
};

std::unexpected<HttpError> failure(HttpErrorKind kind, std::string message) {
  return std::unexpected(HttpError{kind, std::move(message)});
}

std::string duration_text(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

std::expected<Target, HttpError> parse_target(std::string_view url) {
  // The URL itself is never quoted back: its path may hold a token.
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return failure(HttpErrorKind::bad_url,
                   "the request URL is not a valid absolute URL — check the configured address");
  }
  std::string scheme = to_lower_ascii(parsed->scheme());
  if (scheme != "http" && scheme != "https") {
    return failure(
        HttpErrorKind::bad_url,
        "the request URL uses the scheme \"" + scheme +
            "\"; only http:// and https:// are supported — check the configured address");
  }
  if (parsed->host().empty()) {
    return failure(HttpErrorKind::bad_url,
                   "the request URL has no host — check the configured address");
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
  std::string host = std::string(parsed->encoded_host());  // IPv6 keeps its brackets
  target.host_header =
      target.port == default_port ? host : host + ":" + std::to_string(target.port);
  target.origin = scheme + "://" + host + ":" + std::to_string(target.port);
  return target;
}

bool idempotent(http::verb verb) {
  switch (verb) {
    case http::verb::get:
    case http::verb::head:
    case http::verb::put:
    case http::verb::delete_:
    case http::verb::options:
    case http::verb::trace:
      return true;
    default:
      return false;
  }
}

// The peer hung up, reset, or cut TLS short: the errors a stale keep-alive connection gives.
bool peer_closed(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted || ec == ssl::error::stream_truncated;
}

// The parser rejected what the peer sent (as opposed to the peer going away).
bool is_parse_error(const boost::system::error_code& ec) {
  return ec && ec.category() == http::make_error_code(http::error::bad_version).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::header_limit && ec != http::error::body_limit;
}

struct Connection {
  explicit Connection(HttpStream&& opened) : stream(std::move(opened)) {}

  beast::tcp_stream& tcp() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream);
  }

  // Whether an idle connection can carry another request: still open, nothing unread, and the
  // peer has neither closed it nor sent anything unasked (a TLS close_notify, a stray reply).
  bool reusable() {
    if (buffer.size() != 0 || !tcp().socket().is_open()) {
      return false;
    }
    char byte = 0;
    auto n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  HttpStream stream;
  beast::flat_buffer buffer;
  bool absolute_form = false;       // plain http through a proxy: absolute-form targets
  std::string proxy_authorization;  // sent with absolute-form requests
  Clock::time_point idle_since{};
};

asio::awaitable<bool> cancelled() {
  auto state = co_await asio::this_coro::cancellation_state;
  co_return state.cancelled() != asio::cancellation_type::none;
}

std::unexpected<HttpError> aborted(const Target& target) {
  return failure(HttpErrorKind::aborted, "the request to " + target.origin + " was cancelled");
}

std::unexpected<HttpError> timed_out(const Target& target, std::chrono::milliseconds timeout,
                                     std::string_view phase) {
  return failure(HttpErrorKind::timeout, "the request to " + target.origin + " timed out after " +
                                             duration_text(timeout) + " (" + std::string(phase) +
                                             ") — check the network or raise the timeout");
}

// The shared connect error in this client's terms; cancellation keeps the client's wording.
std::unexpected<HttpError> connect_failure(const Target& target, HttpConnectError error) {
  switch (error.kind) {
    case HttpConnectErrorKind::resolve:
      return failure(HttpErrorKind::resolve, std::move(error.message));
    case HttpConnectErrorKind::connect:
    case HttpConnectErrorKind::tunnel_refused:
      return failure(HttpErrorKind::connect, std::move(error.message));
    case HttpConnectErrorKind::tls:
      return failure(HttpErrorKind::tls, std::move(error.message));
    case HttpConnectErrorKind::timeout:
      return failure(HttpErrorKind::timeout, std::move(error.message));
    case HttpConnectErrorKind::aborted:
      return aborted(target);
  }
  return failure(HttpErrorKind::connect, std::move(error.message));
}

asio::awaitable<std::expected<std::unique_ptr<Connection>, HttpError>> open_connection(
    const Target& target, const std::optional<ProxyServer>& proxy, Clock::time_point deadline,
    std::chrono::milliseconds timeout) {
  const HttpOrigin origin{target.tls, target.host, target.port};
  auto stream = co_await http_connect(origin, proxy, deadline, timeout);
  if (!stream) {
    co_return connect_failure(target, std::move(stream.error()));
  }
  auto connection = std::make_unique<Connection>(std::move(*stream));
  if (proxy && !target.tls) {  // no tunnel: requests go to the proxy itself
    connection->absolute_form = true;
    connection->proxy_authorization = proxy->authorization;
  }
  co_return connection;
}

struct Exchanged {
  Outcome outcome;
  bool stale = false;       // the peer closed before sending any byte of a response
  bool keep_alive = false;  // the connection may carry another request
};

template <class Stream>
asio::awaitable<Exchanged> exchange(Stream& stream, Connection& connection, const Target& target,
                                    const HttpRequest& spec, bool keep_alive_wanted,
                                    Clock::time_point deadline) {
  beast::tcp_stream& tcp_layer = beast::get_lowest_layer(stream);
  std::string request_target = connection.absolute_form ? target.origin + target.path : target.path;
  http::request<http::string_body> request{spec.verb, request_target, 11};
  request.set(http::field::host, target.host_header);
  request.set(http::field::user_agent, "pincer");
  if (!spec.content_type.empty()) {
    request.set(http::field::content_type, spec.content_type);
  }
  if (connection.absolute_form && !connection.proxy_authorization.empty()) {
    request.set(http::field::proxy_authorization, connection.proxy_authorization);
  }
  for (const auto& [name, value] : spec.headers) {
    request.set(name, value);
  }
  request.body() = spec.body;
  request.keep_alive(keep_alive_wanted);
  request.prepare_payload();

  tcp_layer.expires_at(deadline);
  auto [write_ec, written] = co_await http::async_write(stream, request, kTuple);
  if (co_await cancelled()) {
    co_return Exchanged{aborted(target)};
  }
  if (write_ec == beast::error::timeout) {
    co_return Exchanged{timed_out(target, spec.timeout, "sending the request")};
  }
  if (write_ec) {
    co_return Exchanged{failure(HttpErrorKind::closed,
                                "the connection to " + target.origin +
                                    " failed while sending the request: " + write_ec.message()),
                        true};
  }

  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxResponseHeader);
  parser.body_limit(spec.max_response_bytes);
  if (spec.verb == http::verb::head) {
    parser.skip(true);
  }
  auto [header_ec, header_bytes] =
      co_await http::async_read_header(stream, connection.buffer, parser, kTuple);
  if (co_await cancelled()) {
    co_return Exchanged{aborted(target)};
  }
  if (header_ec == beast::error::timeout) {
    co_return Exchanged{timed_out(target, spec.timeout, "waiting for the response")};
  }
  if (header_ec == http::error::body_limit) {  // Content-Length already says too much
    co_return Exchanged{failure(HttpErrorKind::too_large,
                                "the response from " + target.origin + " is larger than the " +
                                    std::to_string(spec.max_response_bytes) + " byte limit")};
  }
  if (header_ec == http::error::header_limit) {
    co_return Exchanged{failure(HttpErrorKind::too_large,
                                target.origin + " sent response headers over the " +
                                    std::to_string(kMaxResponseHeader / 1024) + " KiB limit")};
  }
  if (is_parse_error(header_ec)) {
    co_return Exchanged{
        failure(HttpErrorKind::protocol,
                target.origin + " sent an invalid HTTP response: " + header_ec.message())};
  }
  if (header_ec) {
    bool nothing_came = !parser.got_some() && connection.buffer.size() == 0;
    co_return Exchanged{
        failure(HttpErrorKind::closed,
                target.origin + " closed the connection before answering: " + header_ec.message()),
        nothing_came && (peer_closed(header_ec) || header_ec == http::error::partial_message)};
  }

  if (!parser.is_done()) {
    auto [body_ec, body_bytes] =
        co_await http::async_read(stream, connection.buffer, parser, kTuple);
    if (co_await cancelled()) {
      co_return Exchanged{aborted(target)};
    }
    if (body_ec == beast::error::timeout) {
      co_return Exchanged{timed_out(target, spec.timeout, "reading the response")};
    }
    if (body_ec == http::error::body_limit) {
      co_return Exchanged{failure(HttpErrorKind::too_large,
                                  "the response from " + target.origin + " is larger than the " +
                                      std::to_string(spec.max_response_bytes) + " byte limit")};
    }
    if (body_ec == http::error::end_of_stream || body_ec == http::error::partial_message ||
        peer_closed(body_ec)) {
      co_return Exchanged{
          failure(HttpErrorKind::closed,
                  target.origin + " closed the connection before the response was complete")};
    }
    if (body_ec) {
      co_return Exchanged{
          failure(HttpErrorKind::protocol,
                  target.origin + " sent an invalid HTTP response: " + body_ec.message())};
    }
  }

  auto& message = parser.get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  for (const auto& field : message) {
    response.headers.emplace_back(to_lower_ascii(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  bool keep_alive = keep_alive_wanted && message.keep_alive() && !message.need_eof() &&
                    connection.buffer.size() == 0;
  tcp_layer.expires_never();
  co_return Exchanged{std::move(response), false, keep_alive};
}

}  // namespace

std::string_view HttpResponse::header(std::string_view name) const {
  std::string wanted = to_lower_ascii(name);
  for (const auto& [key, value] : headers) {
    if (key == wanted) {
      return value;
    }
  }
  return {};
}

std::string_view to_string(HttpErrorKind kind) {
  switch (kind) {
    case HttpErrorKind::bad_url:
      return "bad_url";
    case HttpErrorKind::resolve:
      return "resolve";
    case HttpErrorKind::connect:
      return "connect";
    case HttpErrorKind::tls:
      return "tls";
    case HttpErrorKind::timeout:
      return "timeout";
    case HttpErrorKind::aborted:
      return "aborted";
    case HttpErrorKind::protocol:
      return "protocol";
    case HttpErrorKind::too_large:
      return "too_large";
    case HttpErrorKind::closed:
      return "closed";
  }
  return "unknown";
}

// The pool and the options; shared with requests in flight so a destroyed client leaves them
// nothing dangling.
struct HttpClient::State {
  asio::any_io_executor executor;
  HttpClientOptions options;
  bool shut_down = false;  // the client is gone: connections are closed, not pooled
  // pool key -> idle connections, oldest first.
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle;

  // Drops connections idle for longer than options.idle_timeout, in every origin.
  void expire(Clock::time_point now) {
    for (auto it = idle.begin(); it != idle.end();) {
      auto& list = it->second;
      while (!list.empty() && now - list.front()->idle_since >= options.idle_timeout) {
        list.pop_front();
      }
      it = list.empty() ? idle.erase(it) : std::next(it);
    }
  }

  // The most recently used live connection for `key`, or null.
  std::unique_ptr<Connection> take(const std::string& key) {
    expire(Clock::now());
    auto it = idle.find(key);
    if (it == idle.end()) {
      return nullptr;
    }
    std::unique_ptr<Connection> found;
    auto& list = it->second;
    while (!list.empty() && !found) {
      std::unique_ptr<Connection> candidate = std::move(list.back());
      list.pop_back();
      if (candidate->reusable()) {
        found = std::move(candidate);
      }
    }
    if (list.empty()) {
      idle.erase(it);
    }
    return found;
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> connection) {
    if (shut_down || options.max_idle_per_origin == 0) {
      return;
    }
    connection->idle_since = Clock::now();
    auto& list = idle[key];
    list.push_back(std::move(connection));
    while (list.size() > options.max_idle_per_origin) {
      list.pop_front();
    }
  }
};

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : state_(std::make_shared<State>()) {
  state_->executor = std::move(executor);
  state_->options = std::move(options);
}

HttpClient::~HttpClient() {
  state_->shut_down = true;
  state_->idle.clear();
}

void HttpClient::close_idle() {
  state_->idle.clear();
}

std::size_t HttpClient::idle_connections() const {
  std::size_t count = 0;
  for (const auto& [key, list] : state_->idle) {
    count += list.size();
  }
  return count;
}

const HttpClientOptions& HttpClient::options() const {
  return state_->options;
}

asio::awaitable<Outcome> HttpClient::request(HttpRequest request) {
  std::shared_ptr<State> state = state_;
  // Cancellation is reported as `aborted`, not thrown; the caller's own setting comes back after.
  bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
  co_await asio::this_coro::throw_if_cancelled(false);
  Outcome outcome = co_await send(std::move(state), request);
  co_await asio::this_coro::throw_if_cancelled(caller_throws);
  co_return outcome;
}

asio::awaitable<Outcome> HttpClient::send(std::shared_ptr<State> state, const HttpRequest& spec) {
  auto target = parse_target(spec.url);
  if (!target) {
    co_return std::unexpected(target.error());
  }
  const HttpClientOptions& options = state->options;
  ProxyChoice choice{options.proxy, options.use_environment_proxy, !options.proxy_loopback_for_test,
                     ProxyEnvironment::from_process()};
  auto proxy = select_proxy(choice, target->tls ? "https" : "http", target->host, target->port);
  if (!proxy) {
    co_return failure(HttpErrorKind::bad_url,
                      "the proxy setting is not usable: " + proxy.error().describe());
  }
  std::string pool_key = target->origin;
  if (*proxy) {
    pool_key += " via " + (*proxy)->host + ":" + std::to_string((*proxy)->port);
  }
  const Clock::time_point deadline = Clock::now() + spec.timeout;
  const bool replayable = idempotent(spec.verb) || spec.replay_safe;
  const bool keep_alive_wanted = options.max_idle_per_origin > 0;

  for (int attempt = 0;; ++attempt) {
    if (co_await cancelled()) {
      co_return aborted(*target);
    }
    std::unique_ptr<Connection> connection;
    if (attempt == 0) {
      connection = state->take(pool_key);
    }
    const bool reused = connection != nullptr;
    if (!connection) {
      auto opened = co_await open_connection(*target, *proxy, deadline, spec.timeout);
      if (!opened) {
        co_return std::unexpected(opened.error());
      }
      connection = std::move(*opened);
    }
    Exchanged result = co_await std::visit(
        [&](auto& stream) {
          return exchange(stream, *connection, *target, spec, keep_alive_wanted, deadline);
        },
        connection->stream);
    if (!result.outcome && result.stale && reused && replayable && attempt == 0) {
      continue;  // the peer had closed the idle connection; this one is dropped
    }
    if (result.outcome && result.keep_alive) {
      state->give_back(pool_key, std::move(connection));
    }
    co_return std::move(result.outcome);
  }
}

}  // namespace pincer::core
