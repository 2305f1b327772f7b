#pragma once
// HttpClient: request/response HTTP(S) calls for JSON APIs (the Telegram Bot API and the like),
// with keep-alive connections reused per origin. Model calls stream and use
// providers/model_stream instead; both share the TLS context and the proxy rules.
//
// - TLS with OpenSSL against the system CA store (tls_client_context()), SNI, host name check.
// - Proxies: an explicit http:// proxy, or HTTPS_PROXY / HTTP_PROXY / NO_PROXY read per request
//   (proxy_settings.hpp); https targets go through a CONNECT tunnel, http ones in absolute form.
// - One deadline per request (HttpRequest::timeout) covers resolve, connect, TLS, sending and
//   the whole response.
// - Cancellation: terminal cancellation of the awaiting coroutine closes the connection at once
//   and the call returns HttpErrorKind::aborted.
// - Keep-alive: a connection serves one request at a time; after a complete response that
//   allows keep-alive it goes back to its origin's idle list (at most max_idle_per_origin, idle
//   for at most idle_timeout). Idle connections the peer has closed are dropped before reuse.
// - Replay rule: when a connection taken from the idle list fails before any byte of the
//   response arrived because the peer closed it (EOF, reset, broken pipe), the request is sent
//   once more on a new connection, if its verb is idempotent (GET, HEAD, PUT, DELETE, OPTIONS,
//   TRACE) or the caller set HttpRequest::replay_safe. A peer that closes an idle keep-alive
//   connection has not read the request; a server that read a POST and died before answering
//   could see it twice, so POST and PATCH are replayed only when the caller says a second copy
//   is harmless. Nothing else is ever retried here.
// - Secrets: URLs may carry credentials in their path or query (Telegram puts the bot token in
//   the path), so no error message and no log line contains them: errors name only
//   scheme://host:port.
//
// Threading: a client and its requests live on one executor (the I/O thread, or a strand);
// nothing here takes a lock. The client may be destroyed with requests in flight: they finish
// and their connections are closed instead of pooled.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/verb.hpp>

namespace pincer::core {

struct HttpClientOptions {
  // "http://host:port" of a proxy; empty: the environment's, when use_environment_proxy.
  std::string proxy;
  bool use_environment_proxy = true;
  // Send even loopback targets through the proxy, so a test can put a proxy in front of a
  // 127.0.0.1 fake. Never set outside tests.
  bool proxy_loopback_for_test = false;
  // How long an idle keep-alive connection is kept for reuse.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(50)};
  // Idle connections kept per origin; 0 turns keep-alive off.
  std::size_t max_idle_per_origin = 4;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  boost::beast::http::verb verb = boost::beast::http::verb::get;
  std::string url;  // http:// or https://
  HttpHeaders headers;
  std::string body;
  std::string content_type;  // sets Content-Type when not empty
  // The whole exchange: resolve, connect, TLS, sending and reading the full response.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // Larger bodies fail as too_large (the connection is dropped, not read to the end).
  std::size_t max_response_bytes = std::size_t{16} * 1024 * 1024;
  // The caller vouches that a second copy of this request is harmless: allows the one replay
  // on a stale keep-alive connection for non-idempotent verbs (see the replay rule above).
  bool replay_safe = false;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names lower-cased, in the order received
  std::string body;

  // The first value of the header `name` (any case); empty when absent.
  std::string_view header(std::string_view name) const;
};

enum class HttpErrorKind {
  bad_url,    // not an http(s) URL, or an unusable proxy setting
  resolve,    // the host name did not resolve
  connect,    // TCP connect (or the proxy's tunnel) failed
  tls,        // the TLS handshake failed (certificate, host name, protocol)
  timeout,    // the request's deadline passed
  aborted,    // the awaiting coroutine was cancelled
  protocol,   // the peer's answer is not valid HTTP/1.1
  too_large,  // the response exceeded max_response_bytes (or the header limit)
  closed,     // the peer closed the connection before the response was complete
};

std::string_view to_string(HttpErrorKind kind);

struct HttpError {
  HttpErrorKind kind = HttpErrorKind::protocol;
  // What happened and what to do; names the origin (scheme://host:port), never path or query.
  std::string message;
};

class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and reads the whole response. Any HTTP status is a response; errors are
  // transport failures only. Must be awaited on the client's executor.
  boost::asio::awaitable<std::expected<HttpResponse, HttpError>> request(HttpRequest request);

  // Closes every idle connection (shutdown, or after a network change).
  void close_idle();

  // Idle connections currently pooled, over all origins.
  std::size_t idle_connections() const;

  const HttpClientOptions& options() const;

 private:
  struct State;
  static boost::asio::awaitable<std::expected<HttpResponse, HttpError>> send(
      std::shared_ptr<State> state, const HttpRequest& request);

  std::shared_ptr<State> state_;  // shared with requests in flight, which may outlive the client
};

}  // namespace pincer::core
