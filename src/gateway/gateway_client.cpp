// The gateway client: a Beast WebSocket on one io_context, driven by whoever waits.
//
// connect() runs the handshake as a coroutine and drives the io_context until it finishes or the
// deadline passes (then it cuts the socket, which ends the coroutine). Afterwards one read chain
// stays armed: every frame is either a response (matched to its pending handler by id) or an
// event. Writes go through a queue so only one async_write is in flight. Deadlines are enforced
// by the waiting side (call/wait), not by timers inside, so a shared io_context with a thousand
// clients carries no per-call timers.

#include "gateway/gateway_client.hpp"

#include <fmt/core.h>

#include <charconv>
#include <deque>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "core/version.hpp"
#include "gateway/protocol.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kCloseWait = std::chrono::seconds(2);

struct Target {
  std::string host;
  std::string port;
  std::string path;
};

Result<Target> parse_target(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return fail(Errc::invalid_argument, "gateway URL \"" + url + "\" is not a URL",
                "use ws://HOST:PORT, e.g. ws://127.0.0.1:18789");
  }
  std::string scheme(parsed->scheme());
  if (scheme == "wss") {
    return fail(Errc::invalid_argument, "wss:// gateway URLs are not supported yet",
                "reach the gateway over ws:// through an SSH tunnel or Tailscale");
  }
  if (scheme != "ws") {
    return fail(Errc::invalid_argument, "gateway URL \"" + url + "\" must start with ws://",
                "use ws://HOST:PORT, e.g. ws://127.0.0.1:18789");
  }
  Target target;
  target.host = std::string(parsed->host_address());
  if (target.host.empty()) {
    return fail(Errc::invalid_argument, "gateway URL \"" + url + "\" has no host",
                "use ws://HOST:PORT, e.g. ws://127.0.0.1:18789");
  }
  target.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  target.path = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  return target;
}

std::string_view string_at(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
    return value->get_string();
  }
  return {};
}

Error error_from_frame(const json::object& frame) {
  const json::object* error = nullptr;
  if (const auto* value = frame.if_contains("error")) {
    error = value->if_object();
  }
  if (error == nullptr) {
    return Error{Errc::internal, "the gateway answered ok:false without an error", ""};
  }
  std::string_view code = string_at(*error, "code");
  std::string_view message = string_at(*error, "message");
  return Error{errc_for_gateway_code(code), fmt::format("{}: {}", code, message), ""};
}

}  // namespace

Errc errc_for_gateway_code(std::string_view code) {
  if (code == error_code::kInvalidRequest || code == error_code::kForbidden ||
      code == error_code::kConflict) {
    return Errc::invalid_argument;
  }
  if (code == error_code::kNotFound || code == error_code::kNotPaired) {
    return Errc::not_found;
  }
  if (code == error_code::kUnavailable || code == error_code::kTimeout) {
    return Errc::unavailable;
  }
  return Errc::internal;
}

struct GatewayClient::Impl : std::enable_shared_from_this<Impl> {
  explicit Impl(asio::io_context& io_context) : io(io_context), ws(io_context) {}

  asio::io_context& io;
  websocket::stream<beast::tcp_stream> ws;
  std::string url;
  beast::flat_buffer read_buffer;
  std::deque<std::string> outbox;
  bool writing = false;
  bool open = false;
  std::string close_detail;  // why the connection ended, for pending calls
  std::unordered_map<uint64_t, ResponseHandler> pending;
  uint64_t next_id = 0;
  EventHandler event_handler;
  json::value hello;

  // Drives the io_context until done() holds or the deadline passes; true if done() held.
  template <class Done>
  bool run_until(Done done, std::chrono::steady_clock::time_point deadline) {
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      if (io.stopped()) {
        io.restart();
      }
      io.run_one_until(deadline);
    }
    return true;
  }

  void cut() {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
  }

  std::string_view frame_text() const {
    return {static_cast<const char*>(read_buffer.data().data()), read_buffer.size()};
  }

  asio::awaitable<Result<json::object>> read_frame() {
    read_buffer.clear();
    auto [ec, size] = co_await ws.async_read(read_buffer, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return fail(Errc::unavailable, "the gateway at " + url +
                                            " closed the connection during "
                                            "the handshake: " +
                                            describe_end(ec));
    }
    boost::system::error_code parse_ec;
    json::value frame = json::parse(frame_text(), parse_ec);
    if (parse_ec || !frame.is_object()) {
      co_return fail(Errc::unavailable, "the gateway at " + url +
                                            " sent a frame that is not "
                                            "a JSON object");
    }
    co_return std::move(frame.get_object());
  }

  std::string describe_end(const boost::system::error_code& ec) const {
    if (ec == websocket::error::closed) {
      const auto& reason = ws.reason();
      return fmt::format("closed with code {}{}{}", static_cast<int>(reason.code),
                         reason.reason.empty() ? "" : ": ",
                         std::string(reason.reason.data(), reason.reason.size()));
    }
    return ec.message();
  }

  asio::awaitable<Status> handshake(ClientOptions options, Target target) {
    auto self = shared_from_this();
    tcp::resolver resolver(io);
    auto [resolve_ec, endpoints] = co_await resolver.async_resolve(
        target.host, target.port, asio::as_tuple(asio::use_awaitable));
    if (resolve_ec) {
      co_return fail(Errc::io, "cannot resolve " + target.host + ": " + resolve_ec.message(),
                     "check the host in --url or gateway.remote.url");
    }
    auto [connect_ec, endpoint] = co_await beast::get_lowest_layer(ws).async_connect(
        endpoints, asio::as_tuple(asio::use_awaitable));
    if (connect_ec) {
      co_return fail(Errc::io, "no gateway answers at " + url + ": " + connect_ec.message(),
                     "start one with `pincer gateway`, or check --url and gateway.port");
    }
    beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true));
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, fmt::format("pincer-cli/{}", core::version()));
    }));
    ws.read_message_max(kMaxPayloadBytes);
    auto [upgrade_ec] = co_await ws.async_handshake(target.host + ":" + target.port, target.path,
                                                    asio::as_tuple(asio::use_awaitable));
    if (upgrade_ec) {
      co_return fail(Errc::unavailable,
                     "the WebSocket upgrade at " + url + " failed: " + upgrade_ec.message(),
                     "check that the port belongs to a Pincer gateway");
    }
    ws.text(true);

    // The gateway speaks first: connect.challenge. Nothing else is expected before it.
    for (;;) {
      auto frame = co_await read_frame();
      if (!frame) {
        co_return std::unexpected(frame.error());
      }
      if (string_at(*frame, "type") == "event" &&
          string_at(*frame, "event") == "connect.challenge") {
        break;
      }
    }

    json::object client{{"id", options.client_id},
                        {"version", core::version()},
                        {"platform", "linux"},
                        {"mode", options.client_mode}};
    json::object params{{"minProtocol", kMinProtocolVersion},
                        {"maxProtocol", kProtocolVersion},
                        {"client", std::move(client)},
                        {"role", "operator"},
                        {"scopes", json::value_from(options.scopes)}};
    json::object auth;
    if (!options.token.empty()) {
      auth["token"] = options.token;
    }
    if (!options.password.empty()) {
      auth["password"] = options.password;
    }
    if (!auth.empty()) {
      params["auth"] = std::move(auth);
    }
    std::string request = json::serialize(json::object{
        {"type", "req"}, {"id", "connect"}, {"method", "connect"}, {"params", params}});
    auto [write_ec, written] =
        co_await ws.async_write(asio::buffer(request), asio::as_tuple(asio::use_awaitable));
    if (write_ec) {
      co_return fail(Errc::unavailable,
                     "sending connect to " + url + " failed: " + write_ec.message());
    }
    for (;;) {
      auto frame = co_await read_frame();
      if (!frame) {
        co_return std::unexpected(frame.error());
      }
      if (string_at(*frame, "type") != "res" || string_at(*frame, "id") != "connect") {
        continue;  // ticks or presence before hello-ok are harmless
      }
      const auto* ok = frame->if_contains("ok");
      if (ok == nullptr || !ok->is_bool() || !ok->get_bool()) {
        co_return std::unexpected(error_from_frame(*frame));
      }
      if (const auto* payload = frame->if_contains("payload")) {
        hello = *payload;
      }
      break;
    }
    open = true;
    co_return Status{};
  }

  void start_reading() {
    read_buffer.clear();
    ws.async_read(read_buffer, [self = shared_from_this()](boost::system::error_code ec,
                                                           std::size_t) { self->on_read(ec); });
  }

  void on_read(boost::system::error_code ec) {
    if (ec) {
      finish(describe_end(ec));
      return;
    }
    // Without a handler, events are skipped unparsed: with many sockets open, presence
    // broadcasts would otherwise dominate the client's time. The gateway writes "type" first.
    constexpr std::string_view kEventPrefix = R"({"type":"event")";
    if (event_handler || !frame_text().starts_with(kEventPrefix)) {
      boost::system::error_code parse_ec;
      json::value frame = json::parse(frame_text(), parse_ec);
      if (!parse_ec && frame.is_object()) {
        dispatch(frame.get_object());
      }
    }
    if (open) {
      start_reading();
    }
  }

  void dispatch(json::object& frame) {
    std::string_view type = string_at(frame, "type");
    if (type == "res") {
      std::string_view id_text = string_at(frame, "id");
      uint64_t id = 0;
      auto [end, parse_ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
      if (parse_ec != std::errc{} || end != id_text.data() + id_text.size()) {
        return;
      }
      auto it = pending.find(id);
      if (it == pending.end()) {
        return;  // answered after its caller gave up
      }
      ResponseHandler handler = std::move(it->second);
      pending.erase(it);
      const auto* ok = frame.if_contains("ok");
      if (ok != nullptr && ok->is_bool() && ok->get_bool()) {
        json::value payload;
        if (auto* value = frame.if_contains("payload")) {
          payload = std::move(*value);
        }
        handler(std::move(payload));
      } else {
        handler(std::unexpected(error_from_frame(frame)));
      }
    } else if (type == "event" && event_handler) {
      const json::value* payload = frame.if_contains("payload");
      static const json::value kNull;
      event_handler(string_at(frame, "event"), payload != nullptr ? *payload : kNull);
    }
  }

  // The connection is over: every pending call learns why.
  void finish(const std::string& why) {
    if (!open && pending.empty()) {
      return;
    }
    open = false;
    close_detail = why;
    auto failed = std::move(pending);
    pending.clear();
    // The frame being written must outlive its async_write.
    outbox.erase(writing && !outbox.empty() ? outbox.begin() + 1 : outbox.begin(), outbox.end());
    for (auto& [id, handler] : failed) {
      handler(fail(Errc::unavailable, "the connection to the gateway at " + url + " ended: " + why,
                   "check the gateway log; it may have restarted"));
    }
  }

  void send(std::string frame) {
    outbox.push_back(std::move(frame));
    if (!writing) {
      write_next();
    }
  }

  void write_next() {
    if (outbox.empty() || !open) {
      writing = false;
      return;
    }
    writing = true;
    ws.async_write(asio::buffer(outbox.front()),
                   [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                     self->outbox.pop_front();
                     if (ec) {
                       self->writing = false;
                       self->cut();
                       return;  // the read side reports the end
                     }
                     self->write_next();
                   });
  }
};

GatewayClient::GatewayClient(std::unique_ptr<asio::io_context> owned_io, std::shared_ptr<Impl> impl)
    : owned_io_(std::move(owned_io)), impl_(std::move(impl)) {}

GatewayClient::GatewayClient(GatewayClient&&) noexcept = default;
GatewayClient& GatewayClient::operator=(GatewayClient&&) noexcept = default;

GatewayClient::~GatewayClient() {
  if (impl_) {
    impl_->open = false;
    impl_->pending.clear();
    impl_->cut();
  }
}

Result<GatewayClient> GatewayClient::connect(const ClientOptions& options) {
  auto target = parse_target(options.url);
  if (!target) {
    return std::unexpected(target.error());
  }
  std::unique_ptr<asio::io_context> owned;
  asio::io_context* io = options.io;
  if (io == nullptr) {
    owned = std::make_unique<asio::io_context>(1);
    io = owned.get();
  }
  auto impl = std::make_shared<Impl>(*io);
  impl->url = options.url;

  // Shared with the completion handler, which may outlive this call on a shared io_context.
  auto shared_outcome = std::make_shared<std::optional<Status>>();
  auto& outcome = *shared_outcome;
  asio::co_spawn(*io, impl->handshake(options, *target),
                 [shared_outcome](std::exception_ptr error, Status status) {
                   *shared_outcome =
                       error ? fail(Errc::internal, "gateway handshake threw") : status;
                 });
  auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  if (!impl->run_until([&] { return outcome.has_value(); }, deadline)) {
    impl->cut();  // ends the coroutine
    outcome = fail(Errc::unavailable,
                   fmt::format("the gateway at {} did not complete the handshake within {} ms",
                               options.url, options.connect_timeout.count()),
                   "check that the gateway is healthy (pincer doctor)");
  }
  if (!*outcome) {
    impl->cut();
    return std::unexpected(outcome->error());
  }
  impl->start_reading();
  return GatewayClient(std::move(owned), std::move(impl));
}

const json::value& GatewayClient::hello() const {
  return impl_->hello;
}

void GatewayClient::call_async(std::string_view method, const json::value& params,
                               ResponseHandler on_response) {
  if (!impl_->open) {
    on_response(fail(Errc::unavailable,
                     "not connected to the gateway" +
                         (impl_->close_detail.empty() ? "" : ": " + impl_->close_detail),
                     "reconnect"));
    return;
  }
  uint64_t id = ++impl_->next_id;
  std::string frame;
  frame.reserve(64 + method.size());
  frame += R"({"type":"req","id":")";
  frame += std::to_string(id);
  frame += R"(","method":)";
  frame += json::serialize(json::string_view(method));
  if (!params.is_null()) {
    frame += R"(,"params":)";
    frame += json::serialize(params);
  }
  frame += '}';
  impl_->pending.emplace(id, std::move(on_response));
  impl_->send(std::move(frame));
}

Result<json::value> GatewayClient::call(std::string_view method, const json::value& params,
                                        std::chrono::milliseconds timeout) {
  std::optional<Result<json::value>> outcome;
  uint64_t id = impl_->next_id + 1;
  call_async(method, params,
             [&outcome](Result<json::value> result) { outcome = std::move(result); });
  if (!impl_->run_until([&] { return outcome.has_value(); },
                        std::chrono::steady_clock::now() + timeout)) {
    impl_->pending.erase(id);  // a late answer is dropped, not delivered to a dead frame
    return fail(Errc::unavailable,
                fmt::format("no answer to {} within {} ms", method, timeout.count()),
                "the gateway may be overloaded; retry, or raise --timeout");
  }
  return std::move(*outcome);
}

bool GatewayClient::wait(std::chrono::milliseconds timeout) {
  return impl_->run_until([&] { return impl_->pending.empty(); },
                          std::chrono::steady_clock::now() + timeout);
}

std::size_t GatewayClient::pending() const {
  return impl_->pending.size();
}

void GatewayClient::on_event(EventHandler handler) {
  impl_->event_handler = std::move(handler);
}

bool GatewayClient::is_open() const {
  return impl_ && impl_->open;
}

void GatewayClient::close() {
  if (!impl_ || !impl_->open) {
    return;
  }
  impl_->finish("closed by the client");
  auto deadline = std::chrono::steady_clock::now() + kCloseWait;
  // Beast allows one write at a time, and the close frame is a write.
  if (!impl_->run_until([&] { return !impl_->writing; }, deadline)) {
    impl_->cut();
    return;
  }
  auto done = std::make_shared<bool>(false);
  impl_->ws.async_close(websocket::close_code::normal,
                        [done, self = impl_](boost::system::error_code) { *done = true; });
  if (!impl_->run_until([&] { return *done; }, deadline)) {
    impl_->cut();
  }
}

}  // namespace pincer::gateway
