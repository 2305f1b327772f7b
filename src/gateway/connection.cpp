// The WebSocket side of a gateway connection.
//
// One coroutine reads frames in order; each request's handler runs as its own coroutine, so
// responses may arrive out of order (as the protocol allows) and a slow method does not hold up
// the socket. One writer coroutine drains the outbound queue, so only one async_write is ever in
// flight. Before the handshake a frame may be at most 64 KiB and the connection must send
// `connect` within 15 s; afterwards frames may be up to maxPayload.

#include <deque>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "core/log.hpp"
#include "gateway/detail/websocket_session.hpp"
#include "gateway/gateway.hpp"
#include "gateway/handshake.hpp"
#include "gateway/protocol.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace {

constexpr int64_t kMaxInFlightPerConnection = 256;
constexpr std::size_t kKeepBufferBytes = std::size_t{64} * 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(60);  // pings at half of it
constexpr auto kCloseGrace = std::chrono::seconds(2);

class WebSocketConnection final : public Connection,
                                  public std::enable_shared_from_this<WebSocketConnection> {
 public:
  WebSocketConnection(Gateway& gateway, std::shared_ptr<beast::tcp_stream> stream, PeerInfo peer)
      : gateway_(gateway),
        stream_(std::move(stream)),
        ws_(*stream_),
        id_(random_uuid()),
        peer_(std::move(peer)),
        wake_writer_(gateway.io(), asio::steady_timer::time_point::max()),
        handshake_timer_(gateway.io()) {}

  const std::string& id() const override { return id_; }
  const PeerInfo& peer() const override { return peer_; }
  const Principal* principal() const override { return principal_.get(); }
  bool closed() const override { return close_requested_ || finished_; }
  std::size_t buffered_bytes() const override { return buffered_; }

  void send_event(std::string_view event, const json::value& payload,
                  std::optional<StateVersion> state_version) override {
    if (closed()) {
      return;
    }
    enqueue(serialize_event(event, payload, ++seq_, state_version));
  }

  void send_event_text(std::string_view event, std::string_view payload_json,
                       std::optional<StateVersion> state_version) override {
    if (closed()) {
      return;
    }
    enqueue(serialize_event_text(event, payload_json, ++seq_, state_version));
  }

  void close(uint16_t code, std::string reason) override {
    if (close_requested_ || finished_) {
      return;
    }
    close_requested_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    wake_writer_.cancel();
    // A peer that never reads would hold the close frame behind a blocked write forever.
    auto self = shared_from_this();
    auto guard = std::make_shared<asio::steady_timer>(gateway_.io(), kCloseGrace);
    guard->async_wait([self, guard](const boost::system::error_code&) {
      if (!self->finished_) {
        boost::system::error_code ignored;
        self->stream_->socket().close(ignored);
      }
    });
  }

  asio::awaitable<void> run(http::request<http::string_body> request) {
    auto self = shared_from_this();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = std::chrono::milliseconds(kHandshakeTimeoutMs);
    timeouts.idle_timeout = kIdleTimeout;
    timeouts.keep_alive_pings = true;
    stream_->expires_never();
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "pincer"); }));
    ws_.read_message_max(kMaxPreauthPayloadBytes);
    auto [accept_ec] = co_await ws_.async_accept(request, asio::as_tuple(asio::use_awaitable));
    if (accept_ec) {
      log::debug("gateway", "WebSocket upgrade from {} failed: {}", peer_.remote_address,
                 accept_ec.message());
      co_return;
    }
    ws_.text(true);

    challenge_.nonce = random_uuid();
    challenge_.ts = unix_ms();
    enqueue(serialize_event("connect.challenge",
                            json::object{{"nonce", challenge_.nonce}, {"ts", challenge_.ts}},
                            std::nullopt));
    asio::co_spawn(gateway_.io(), write_loop(), asio::detached);
    asio::co_spawn(gateway_.io(), handshake_deadline(), asio::detached);

    co_await read_loop();

    finished_ = true;
    handshake_timer_.cancel();
    wake_writer_.cancel();
    if (principal_) {
      gateway_.detach(*this);
      log::debug("gateway", "connection {} ({}) closed", id_, principal_->client.id);
    }
  }

 private:
  void enqueue(std::string frame) {
    buffered_ += frame.size();
    queue_.push_back(std::move(frame));
    if (buffered_ > kMaxBufferedBytes) {
      log::warn("gateway", "disconnecting slow consumer {} ({}): {} bytes unsent", id_,
                peer_.remote_address, buffered_);
      queue_.clear();
      buffered_ = 0;
      close(kClosePolicyViolation, "slow consumer: send buffer exceeded maxBufferedBytes");
      return;
    }
    wake_writer_.cancel();
  }

  asio::awaitable<void> write_loop() {
    auto self = shared_from_this();
    for (;;) {
      if (queue_.empty()) {
        if (close_requested_ || finished_) {
          break;
        }
        wake_writer_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_writer_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      std::string frame = std::move(queue_.front());
      queue_.pop_front();
      auto [ec, written] =
          co_await ws_.async_write(asio::buffer(frame), asio::as_tuple(asio::use_awaitable));
      buffered_ -= std::min(buffered_, frame.size());
      if (ec) {
        queue_.clear();
        buffered_ = 0;
        co_return;
      }
    }
    if (close_requested_ && !finished_ && ws_.is_open()) {
      auto [ec] = co_await ws_.async_close(close_reason_, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        boost::system::error_code ignored;
        stream_->socket().close(ignored);
      }
    }
  }

  asio::awaitable<void> handshake_deadline() {
    auto self = shared_from_this();
    handshake_timer_.expires_after(std::chrono::milliseconds(kHandshakeTimeoutMs));
    auto [ec] = co_await handshake_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec && !principal_ && !finished_) {
      close(kClosePolicyViolation, "handshake timeout: send connect within 15 s");
    }
  }

  asio::awaitable<void> read_loop() {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, size] = co_await ws_.async_read(buffer, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == websocket::error::message_too_big) {
          log::warn("gateway", "closing {}: frame over the {} limit", peer_.remote_address,
                    principal_ ? "maxPayload" : "64 KiB pre-auth");
          close(kCloseTooBig, principal_ ? "frame exceeds maxPayload"
                                         : "frame exceeds the 64 KiB limit before connect");
          co_await drain_close();
        }
        co_return;
      }
      if (!ws_.got_text()) {
        close(1003, "binary frames are not supported: send JSON text frames");
        co_await drain_close();
        co_return;
      }
      std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      if (buffer.capacity() > kKeepBufferBytes) {
        buffer.shrink_to_fit();
      }
      if (close_requested_) {
        continue;  // draining the peer until its close frame arrives
      }
      if (!principal_) {
        co_await on_handshake_frame(text);
      } else {
        on_request_frame(text);
      }
    }
  }

  // Keeps reading (and discarding) until the close handshake completes or the socket dies.
  asio::awaitable<void> drain_close() {
    beast::flat_buffer scratch;
    for (;;) {
      auto [ec, size] = co_await ws_.async_read(scratch, asio::as_tuple(asio::use_awaitable));
      if (ec) {
        co_return;
      }
      scratch.consume(scratch.size());
    }
  }

  asio::awaitable<void> on_handshake_frame(const std::string& text) {
    auto request = parse_request(text);
    if (!request) {
      enqueue(serialize_error(request.error().id.value_or("connect"), request.error().error));
      close(kClosePolicyViolation, "invalid handshake: first frame must be a connect request");
      co_return;
    }
    if (request->method != "connect") {
      enqueue(serialize_error(request->id,
                              invalid_request("the first request must be \"connect\", got \"" +
                                              request->method + "\"")));
      close(kClosePolicyViolation, "invalid handshake: first request must be connect");
      co_return;
    }
    if (gateway_.draining()) {
      enqueue(serialize_error(request->id, unavailable("gateway is shutting down", 1000)));
      close(kCloseTryAgainLater, "gateway is shutting down");
      co_return;
    }
    auto outcome = co_await accept_connect(gateway_, request->params, peer_, challenge_);
    if (finished_ || close_requested_) {
      co_return;
    }
    if (!outcome) {
      enqueue(serialize_error(request->id, outcome.error().error));
      close(outcome.error().close_code, outcome.error().close_reason);
      co_return;
    }
    handshake_timer_.cancel();
    principal_ = std::make_shared<const Principal>(std::move(outcome->principal));
    ws_.read_message_max(kMaxPayloadBytes);
    json::object hello = build_hello_ok(gateway_, *outcome, id_);
    enqueue(serialize_response(request->id, hello));
    gateway_.attach(shared_from_this());
    log::debug("gateway", "connection {} from {}: {} {} ({}, protocol {})", id_,
               peer_.remote_address, principal_->role, principal_->client.id,
               to_string(principal_->auth_method), principal_->protocol);
  }

  void on_request_frame(const std::string& text) {
    auto request = parse_request(text);
    if (!request) {
      if (request.error().id) {
        enqueue(serialize_error(*request.error().id, request.error().error));
      } else {
        // Without an id there is nothing to answer; say why in the close reason.
        close(kClosePolicyViolation,
              "invalid frame: " + request.error().error.message.substr(0, 100));
      }
      return;
    }
    if (auto problem = admit(*request)) {
      enqueue(serialize_error(request->id, *problem));
      return;
    }
    asio::co_spawn(gateway_.io(), handle(std::move(*request)), asio::detached);
  }

  // Decides whether a request may start; returns the error when it may not.
  std::optional<RpcError> admit(const RequestFrame& request) {
    if (request.method == "connect") {
      return invalid_request("already connected: connect is only valid as the first request");
    }
    if (gateway_.draining()) {
      return unavailable("gateway is shutting down; reconnect after it restarts", 1000);
    }
    if (in_flight_ >= kMaxInFlightPerConnection) {
      return unavailable("too many requests in flight on this connection; retry shortly", 100);
    }
    const MethodSpec* spec = gateway_.methods().find(request.method);
    if (spec == nullptr) {
      return invalid_request("unknown method: " + request.method);
    }
    switch (spec->access) {
      case Access::operator_scope:
        if (principal_->role != role::kOperator) {
          return RpcError{std::string(error_code::kForbidden),
                          "method " + request.method + " is for operator clients",
                          nullptr,
                          {},
                          {}};
        }
        if (!scope_satisfied(principal_->scopes, spec->scope)) {
          return missing_scope(spec->scope);
        }
        break;
      case Access::node:
        if (principal_->role != role::kNode) {
          return RpcError{std::string(error_code::kForbidden),
                          "method " + request.method + " is for node clients",
                          nullptr,
                          {},
                          {}};
        }
        break;
      case Access::dynamic:
        break;
    }
    return std::nullopt;
  }

  asio::awaitable<void> handle(RequestFrame request) {
    auto self = shared_from_this();
    const MethodSpec* spec = gateway_.methods().find(request.method);
    ++in_flight_;
    gateway_.request_started();
    std::string id = request.id;
    RpcResult result;
    try {
      RpcContext context(gateway_, self, principal_, std::move(request));
      std::string idempotency_key;
      if (spec->side_effects) {
        if (const auto* params = context.params().if_object()) {
          if (const auto* value = params->if_contains("idempotencyKey");
              value != nullptr && value->is_string()) {
            idempotency_key = std::string(value->get_string());
          }
        }
      }
      if (!idempotency_key.empty()) {
        auto work = [&spec, &context]() { return spec->handler(context); };
        result = co_await gateway_.idempotency().run(spec->name, idempotency_key, work);
      } else {
        result = co_await spec->handler(context);
      }
    } catch (const std::exception& error) {
      log::error("gateway", "method {} failed: {}", spec->name, error.what());
      result = std::unexpected(RpcError{std::string(error_code::kUnavailable),
                                        "internal error in " + spec->name + "; see the gateway log",
                                        nullptr,
                                        false,
                                        {}});
    }
    --in_flight_;
    gateway_.request_finished();
    if (!closed()) {
      enqueue(result ? serialize_response(id, *result) : serialize_error(id, result.error()));
    }
  }

  Gateway& gateway_;
  std::shared_ptr<beast::tcp_stream> stream_;
  websocket::stream<beast::tcp_stream&> ws_;
  std::string id_;
  PeerInfo peer_;
  Challenge challenge_;
  // Immutable once the handshake set it; shared with every request context (no per-call copy).
  std::shared_ptr<const Principal> principal_;
  std::deque<std::string> queue_;
  std::size_t buffered_ = 0;
  int64_t seq_ = 0;
  int64_t in_flight_ = 0;
  bool close_requested_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
  asio::steady_timer wake_writer_;
  asio::steady_timer handshake_timer_;
};

}  // namespace

asio::awaitable<void> serve_websocket(Gateway& gateway, std::shared_ptr<beast::tcp_stream> stream,
                                      http::request<http::string_body> request, PeerInfo peer) {
  auto connection =
      std::make_shared<WebSocketConnection>(gateway, std::move(stream), std::move(peer));
  co_await connection->run(std::move(request));
}

}  // namespace pincer::gateway
