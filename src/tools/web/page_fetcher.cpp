#include "tools/web/page_fetcher.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/tls_client_context.hpp"

namespace pincer::tools::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Target {
  bool tls = false;
  std::string host;  // lower-case name or IP address, IPv6 without brackets
  std::uint16_t port = 0;
  std::string host_header;
  std::string path_and_query;
  std::string origin;  // scheme://host:port, for messages
};

Result<Target> parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return fail(Errc::invalid_argument, "url: not a valid absolute URL: " + url,
                "give a full http:// or https:// URL");
  }
  Target target;
  std::string scheme(parsed->scheme());
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return fail(Errc::invalid_argument,
                "url: only http and https URLs can be fetched, not " + scheme + ":");
  }
  target.tls = scheme == "https";
  std::string host(parsed->encoded_host_address());
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host.empty()) {
    return fail(Errc::invalid_argument, "url: has no host: " + url);
  }
  target.host = host;
  std::uint16_t default_port = target.tls ? 443 : 80;
  target.port = parsed->has_port() ? parsed->port_number() : default_port;
  if (target.port == 0) {
    return fail(Errc::invalid_argument, "url: bad port: " + url);
  }
  std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  target.host_header =
      target.port == default_port ? bracketed : bracketed + ":" + std::to_string(target.port);
  target.path_and_query = std::string(parsed->encoded_path());
  if (target.path_and_query.empty()) {
    target.path_and_query = "/";
  }
  if (parsed->has_query()) {
    target.path_and_query += "?" + std::string(parsed->encoded_query());
  }
  target.origin = scheme + "://" + bracketed + ":" + std::to_string(target.port);
  return target;
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// The addresses `target.host` stands for, each checked by the guard.
asio::awaitable<Result<std::vector<tcp::endpoint>>> resolve_checked(const Target& target,
                                                                    const PageRequest& request,
                                                                    Clock::time_point deadline) {
  if (auto reason = blocked_host_reason(target.host, request.policy); !reason.empty()) {
    co_return fail(Errc::invalid_argument,
                   "refused to fetch " + target.origin + ": the host is " + reason,
                   "web_fetch only reaches public addresses; an operator can allow private "
                   "ones with tools.web.fetch.ssrfPolicy.dangerouslyAllowPrivateNetwork or "
                   "allowedHostnames");
  }
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code literal_ec;
  auto literal = asio::ip::make_address(target.host, literal_ec);
  if (!literal_ec) {
    endpoints.emplace_back(literal, target.port);
  } else {
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, deadline);
    std::string port = std::to_string(target.port);
    auto raced =
        co_await (resolver.async_resolve(target.host, port, kTuple) || timer.async_wait(kTuple));
    if (raced.index() == 1) {
      co_return fail(Errc::unavailable, "timed out resolving " + target.host + " after " +
                                            seconds_text(request.timeout));
    }
    auto [ec, results] = std::get<0>(std::move(raced));
    if (ec) {
      co_return fail(Errc::unavailable, "could not resolve " + target.host + ": " + ec.message(),
                     "check the host name");
    }
    for (const auto& entry : results) {
      endpoints.push_back(entry.endpoint());
    }
  }
  if (endpoints.empty()) {
    co_return fail(Errc::unavailable, target.host + " resolved to no address");
  }
  if (!host_explicitly_allowed(target.host, request.policy)) {
    for (const auto& endpoint : endpoints) {
      if (auto reason = blocked_address_reason(endpoint.address(), request.policy);
          !reason.empty()) {
        co_return fail(Errc::invalid_argument,
                       "refused to fetch " + target.origin + ": it resolves to " +
                           endpoint.address().to_string() + ", a " + reason + " address",
                       "web_fetch only reaches public addresses; an operator can allow private "
                       "ones with tools.web.fetch.ssrfPolicy.dangerouslyAllowPrivateNetwork or "
                       "allowedHostnames");
      }
    }
  }
  co_return endpoints;
}

struct Hop {
  int status = 0;
  std::string location;
  std::string content_type;
  std::string body;
  bool truncated = false;
};

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Error network_error(const Target& target, const PageRequest& request, std::string_view phase,
                    const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) {
    return Error{Errc::unavailable,
                 "timed out " + std::string(phase) + " " + target.origin + " (limit " +
                     seconds_text(request.timeout) + ")",
                 "the site is slow or not answering; try again later or another source"};
  }
  return Error{Errc::unavailable,
               std::string(phase) + " " + target.origin + " failed: " + ec.message(), ""};
}

// Sends the GET on `stream` and reads the answer: headers always, the body unless redirected.
template <class Stream>
asio::awaitable<Result<Hop>> exchange(Stream& stream, const Target& target,
                                      const PageRequest& request) {
  http::request<http::empty_body> message{http::verb::get, target.path_and_query, 11};
  message.set(http::field::host, target.host_header);
  for (const auto& [name, value] : request.headers) {
    message.set(name, value);
  }
  message.set(http::field::accept_encoding, "identity");
  message.set(http::field::connection, "close");
  auto [write_ec, written] = co_await http::async_write(stream, message, kTuple);
  if (write_ec) {
    co_return std::unexpected(network_error(target, request, "sending the request to", write_ec));
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(boost::none);  // the cap below cuts the body off instead of failing
  auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, kTuple);
  if (header_ec) {
    co_return std::unexpected(
        network_error(target, request, "reading the response headers from", header_ec));
  }
  Hop hop;
  const auto& head = parser.get();
  hop.status = static_cast<int>(head.result_int());
  hop.location = std::string(head[http::field::location]);
  hop.content_type = std::string(head[http::field::content_type]);
  if (is_redirect(hop.status) && !hop.location.empty()) {
    co_return hop;
  }

  std::array<char, 16 * 1024> chunk{};
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    auto [read_ec, read] = co_await http::async_read(stream, buffer, parser, kTuple);
    if (read_ec == http::error::need_buffer) {
      read_ec = {};
    }
    std::size_t got = chunk.size() - parser.get().body().size;
    std::size_t room = request.max_body_bytes - hop.body.size();
    hop.body.append(chunk.data(), std::min(got, room));
    if (got > room || (hop.body.size() >= request.max_body_bytes && !parser.is_done())) {
      hop.truncated = true;  // dropping the connection ends the download
      break;
    }
    if (read_ec) {
      if (!hop.body.empty() &&
          (read_ec == http::error::partial_message || read_ec == asio::error::eof ||
           read_ec == asio::error::connection_reset)) {
        hop.truncated = true;  // the server cut the body short: keep what arrived
        break;
      }
      co_return std::unexpected(network_error(target, request, "reading the page from", read_ec));
    }
  }
  co_return hop;
}

asio::awaitable<Result<Hop>> fetch_hop(const Target& target, const PageRequest& request,
                                       Clock::time_point deadline) {
  auto endpoints = co_await resolve_checked(target, request, deadline);
  if (!endpoints) {
    co_return std::unexpected(std::move(endpoints.error()));
  }
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_at(deadline);
  // Only the checked addresses: the name is never looked up again for this hop.
  auto [connect_ec, endpoint] = co_await tcp_stream.async_connect(*endpoints, kTuple);
  if (connect_ec) {
    co_return std::unexpected(network_error(target, request, "connecting to", connect_ec));
  }
  if (!target.tls) {
    co_return co_await exchange(tcp_stream, target, request);
  }
  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream),
                                                  core::tls_client_context());
  boost::system::error_code literal_ec;
  asio::ip::make_address(target.host, literal_ec);
  if (literal_ec) {  // SNI carries names only
    SSL_set_tlsext_host_name(tls_stream.native_handle(), target.host.c_str());
  }
  tls_stream.set_verify_callback(asio::ssl::host_name_verification(target.host));
  auto [handshake_ec] = co_await tls_stream.async_handshake(asio::ssl::stream_base::client, kTuple);
  if (handshake_ec) {
    co_return std::unexpected(
        network_error(target, request, "the TLS handshake with", handshake_ec));
  }
  co_return co_await exchange(tls_stream, target, request);
}

}  // namespace

asio::awaitable<Result<PageResponse>> fetch_page(PageRequest request) {
  auto deadline = Clock::now() + request.timeout;
  std::string url = request.url;
  PageResponse response;
  for (int hop_index = 0;; ++hop_index) {
    auto target = parse_target(url);
    if (!target) {
      co_return std::unexpected(std::move(target.error()));
    }
    auto hop = co_await fetch_hop(*target, request, deadline);
    if (!hop) {
      co_return std::unexpected(std::move(hop.error()));
    }
    if (is_redirect(hop->status) && !hop->location.empty()) {
      if (hop_index >= request.max_redirects) {
        co_return fail(Errc::unavailable,
                       "too many redirects (more than " + std::to_string(request.max_redirects) +
                           ") starting at " + request.url,
                       "the page redirects in a loop or through too many hops");
      }
      auto base = boost::urls::parse_uri(url);
      auto reference = boost::urls::parse_uri_reference(hop->location);
      if (!base || !reference) {
        co_return fail(Errc::unavailable, "the redirect from " + target->origin +
                                              " has an unusable Location: " + hop->location);
      }
      boost::urls::url next;
      auto resolved = boost::urls::resolve(*base, *reference, next);
      if (!resolved) {
        co_return fail(Errc::unavailable, "the redirect from " + target->origin +
                                              " has an unusable Location: " + hop->location);
      }
      next.remove_fragment();
      url = std::string(next.buffer());
      ++response.redirects;
      continue;
    }
    response.final_url = url;
    response.status = hop->status;
    response.content_type = std::move(hop->content_type);
    response.body = std::move(hop->body);
    response.truncated = hop->truncated;
    co_return response;
  }
}

}  // namespace pincer::tools::web
