#include "gateway/gateway_server.hpp"

#include <chrono>
#include <list>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json.hpp>

#include "core/log.hpp"
#include "core/version.hpp"
#include "gateway/detail/websocket_session.hpp"
#include "gateway/gateway.hpp"
#include "gateway/openai_http.hpp"
#include "gateway/origin_policy.hpp"
#include "gateway/proxy_identity.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr size_t kMaxHeaderBytes = size_t{16} * 1024;
constexpr size_t kMaxBodyBytes = size_t{1024} * 1024;

bool is_loopback(const std::string& address) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  return !ec && addr.is_loopback();
}

}  // namespace

Result<std::string> bind_address_for(const core::GatewayConfig& config) {
  std::string address;
  switch (config.bind) {
    case core::BindMode::loopback:
      address = "127.0.0.1";
      break;
    case core::BindMode::lan:
    case core::BindMode::auto_:
      address = "0.0.0.0";
      break;
    case core::BindMode::custom:
      address = config.custom_bind_host;
      break;
    case core::BindMode::tailnet:
      return fail(Errc::config, R"(gateway.bind "tailnet" is not supported by Pincer yet)",
                  R"(use "loopback" with an SSH tunnel, or "custom" with the tailnet address)");
  }
  if (is_loopback(address)) {
    return address;
  }
  bool has_secret =
      (config.auth.mode == core::AuthMode::token && !config.auth.token.empty()) ||
      (config.auth.mode == core::AuthMode::password && !config.auth.password.empty()) ||
      (config.auth.mode == core::AuthMode::trusted_proxy && !config.trusted_proxies.empty() &&
       !config.auth.trusted_proxy.user_header.empty());
  if (!has_secret) {
    return fail(Errc::config,
                "refusing to bind the gateway to " + address + " without authentication",
                "set gateway.auth.token (pincer onboard generates one) or keep gateway.bind "
                "\"loopback\"");
  }
  return address;
}

namespace {

// A plain page at / until the Control UI issue embeds the real one.
constexpr std::string_view kIndexPage = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pincer</title></head>
<body><h1>Pincer gateway</h1>
<p>The gateway is running. The Control UI is not built into this version yet; use
<code>pincer gateway call</code> or a WebSocket client on this port.</p></body></html>
)";

PeerInfo peer_info(const tcp::socket& socket, const http::request<http::string_body>& request,
                   const core::GatewayConfig& config) {
  PeerInfo peer;
  boost::system::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (!ec) {
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    HeaderLookup header = [&request](std::string_view name) -> std::optional<std::string> {
      auto it = request.find(name);
      if (it == request.end()) {
        return std::nullopt;
      }
      return std::string(it->value());
    };
    auto identity = resolve_proxy_identity(config, address.to_string(), header);
    peer.remote_address = std::move(identity.client_address);
    peer.loopback = identity.client_loopback;
    peer.proxy_user = std::move(identity.user);
    peer.proxy_problem = std::move(identity.problem);
  }
  peer.origin = std::string(request[http::field::origin]);
  peer.host = std::string(request[http::field::host]);
  peer.user_agent = std::string(request[http::field::user_agent]);
  return peer;
}

http::response<http::string_body> forbidden(const http::request<http::string_body>& request,
                                            const std::string& message) {
  http::response<http::string_body> response{http::status::forbidden, request.version()};
  response.set(http::field::server, "pincer");
  response.set(http::field::content_type, "application/json");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(false);
  boost::json::object body{{"ok", false}, {"error", {{"code", "FORBIDDEN"}, {"message", message}}}};
  response.body() = boost::json::serialize(body);
  response.prepare_payload();
  return response;
}

}  // namespace

struct GatewayServer::Impl : std::enable_shared_from_this<GatewayServer::Impl> {
  explicit Impl(Gateway& gateway_) : gateway(gateway_), io(gateway_.io()), acceptor(io) {}

  Gateway& gateway;
  asio::io_context& io;
  tcp::acceptor acceptor;
  std::list<std::weak_ptr<beast::tcp_stream>> connections;
  bool draining = false;

  http::response<http::string_body> respond(const http::request<http::string_body>& request) const {
    http::response<http::string_body> response;
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set(http::field::server, "pincer");
    response.set(http::field::content_type, "application/json");
    response.set(http::field::cache_control, "no-store");
    std::string_view target = request.target();
    if (auto q = target.find('?'); q != std::string_view::npos) {
      target = target.substr(0, q);
    }
    bool get = request.method() == http::verb::get || request.method() == http::verb::head;
    if (get && (target == "/health" || target == "/healthz")) {
      response.result(http::status::ok);
      response.body() = R"({"ok":true,"status":"live"})";
    } else if (get && (target == "/ready" || target == "/readyz")) {
      response.result(draining ? http::status::service_unavailable : http::status::ok);
      response.body() =
          draining ? R"({"ok":false,"status":"draining"})" : R"({"ok":true,"status":"ready"})";
    } else if (get && (target == "/" || target == "/index.html") &&
               gateway.config().gateway.control_ui_enabled) {
      response.result(http::status::ok);
      response.set(http::field::content_type, "text/html; charset=utf-8");
      response.body() = kIndexPage;
    } else if (get && target == "/version") {
      response.result(http::status::ok);
      response.body() = R"({"version":")" + std::string(core::version()) + R"(","commit":")" +
                        std::string(core::git_hash()) + "\"}";
    } else {
      response.result(http::status::not_found);
      response.body() = R"({"ok":false,"error":{"code":"NOT_FOUND","message":"no such endpoint"}})";
    }
    if (request.method() == http::verb::head) {
      response.content_length(response.body().size());
      response.body().clear();
    }
    response.prepare_payload();
    return response;
  }

  asio::awaitable<void> serve(std::shared_ptr<beast::tcp_stream> stream) {
    auto self = shared_from_this();
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      // The header decides the body limit: the OpenAI-compatible endpoint takes images inline
      // (20 MB), everything else 1 MB. Beast checks a declared Content-Length against the limit
      // as the header completes, so the larger one is set first and the smaller one checked here.
      parser.body_limit(kOpenAiHttpMaxBodyBytes);
      stream->expires_after(kIdleTimeout);
      auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser,
                                                      asio::as_tuple(asio::use_awaitable));
      bool openai = !ec && is_openai_http_target(gateway.config().gateway, parser.get().target());
      if (!ec && !openai) {
        parser.body_limit(kMaxBodyBytes);
        if (parser.content_length().value_or(0) > kMaxBodyBytes) {
          ec = http::error::body_limit;
        }
      }
      if (!ec) {
        auto [body_ec, body_n] =
            co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        ec = body_ec;
      }
      if (ec) {
        // A peer closing, idling out or sending garbage is routine for a listener.
        if (ec != http::error::end_of_stream && ec != asio::error::operation_aborted &&
            ec != beast::error::timeout && ec != asio::error::eof) {
          log::debug("gateway", "dropping HTTP connection: {}", ec.message());
        }
        break;
      }
      if (websocket::is_upgrade(parser.get())) {
        if (draining) {
          break;
        }
        const auto& config = gateway.config().gateway;
        boost::system::error_code local_ec;
        auto local = stream->socket().local_endpoint(local_ec);
        auto origin =
            check_origin(parser.get()[http::field::origin], parser.get()[http::field::host], config,
                         !local_ec && local.address().is_loopback());
        if (!origin.allowed) {
          log::warn("gateway", "refused a WebSocket upgrade: {}", origin.reason);
          auto response = forbidden(parser.get(), origin.reason);
          co_await http::async_write(*stream, response, asio::as_tuple(asio::use_awaitable));
          break;
        }
        PeerInfo peer = peer_info(stream->socket(), parser.get(), config);
        co_await serve_websocket(gateway, stream, parser.release(), std::move(peer));
        break;
      }
      if (openai) {
        bool keep = co_await serve_openai_http(gateway, *stream, parser.get());
        if (!keep || draining) {
          break;
        }
        continue;
      }
      if (parser.get().method() == http::verb::post) {
        std::string_view target = parser.get().target();
        std::string_view path = target.substr(0, target.find('?'));
        auto hook = gateway.channels().webhook(
            path, parser.get()["X-Telegram-Bot-Api-Secret-Token"], std::move(parser.get().body()));
        if (hook) {
          channels::WebhookReply reply = co_await std::move(*hook);
          http::response<http::string_body> answer{static_cast<http::status>(reply.status),
                                                   parser.get().version()};
          answer.set(http::field::content_type, "application/json");
          answer.keep_alive(parser.get().keep_alive());
          answer.body() = std::move(reply.body);
          answer.prepare_payload();
          auto [hec, hn] =
              co_await http::async_write(*stream, answer, asio::as_tuple(asio::use_awaitable));
          if (hec || !answer.keep_alive() || draining) {
            break;
          }
          continue;
        }
      }
      auto response = respond(parser.get());
      bool keep_alive = response.keep_alive() && !draining;
      auto [wec, wn] =
          co_await http::async_write(*stream, response, asio::as_tuple(asio::use_awaitable));
      if (wec || !keep_alive) {
        break;
      }
    }
    boost::system::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream->close();
  }

  asio::awaitable<void> accept_loop() {
    auto self = shared_from_this();
    while (acceptor.is_open()) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
          co_return;
        }
        // EMFILE and friends: back off briefly instead of spinning.
        log::warn("gateway", "accept failed: {}", ec.message());
        asio::steady_timer pause(io, std::chrono::milliseconds(100));
        co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      // Responses and events are whole frames written at once: Nagle would hold the tail of a
      // large one (a chat.history page) for the client's delayed ACK, ~40 ms per reply.
      boost::system::error_code nodelay_ec;
      socket.set_option(tcp::no_delay(true), nodelay_ec);
      auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      connections.push_back(stream);
      asio::co_spawn(io, serve(std::move(stream)), asio::detached);
    }
  }
};

GatewayServer::GatewayServer(Gateway& gateway) : impl_(std::make_shared<Impl>(gateway)) {}

GatewayServer::~GatewayServer() {
  stop();
}

Result<uint16_t> GatewayServer::listen(const std::string& address, uint16_t port) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) {
    return fail(Errc::config, "\"" + address + "\" is not an IP address",
                "set gateway.customBindHost to an IPv4 or IPv6 address");
  }
  tcp::endpoint endpoint(addr, port);
  auto& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); ec) {
    return fail(Errc::io, "cannot open a socket: " + ec.message());
  }
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor.bind(endpoint, ec); ec) {
    acceptor.close();
    std::string where = address + ":" + std::to_string(port);
    if (ec == asio::error::address_in_use) {
      return fail(Errc::unavailable, "port " + std::to_string(port) + " is already in use",
                  "stop the other gateway (pincer doctor shows it) or use --port");
    }
    return fail(Errc::io, "cannot bind " + where + ": " + ec.message());
  }
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    acceptor.close();
    return fail(Errc::io, "cannot listen: " + ec.message());
  }
  uint16_t bound = acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return bound;
}

void GatewayServer::stop_accepting() {
  impl_->draining = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
}

void GatewayServer::stop() {
  if (!impl_) {
    return;
  }
  stop_accepting();
  boost::system::error_code ec;
  for (auto& weak : impl_->connections) {
    if (auto stream = weak.lock()) {
      stream->socket().close(ec);
    }
  }
  impl_->connections.clear();
}

}  // namespace pincer::gateway
