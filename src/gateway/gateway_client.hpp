#pragma once
// A client of the gateway's WebSocket protocol, for the CLI and the benchmarks.
//
// connect() opens ws://host:port, waits for connect.challenge, sends `connect` (protocol 3-4,
// role operator, the requested scopes, a token or password) and returns once hello-ok arrived.
// Then call() sends one request and waits for its response; call_async() queues requests so many
// can be in flight on one socket (responses may come back in any order; ids match them up).
//
// Everything runs on one io_context, on the calling thread: by default the client owns one and
// call()/wait()/close() drive it. Several clients may share a caller's io_context (the throughput
// benchmark runs a thousand sockets on one); then any of them driving it progresses all of them.
// Not thread-safe. wss:// is not supported yet: connect() says so.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace boost::asio {
class io_context;
}

namespace pincer::gateway {

struct ClientOptions {
  std::string url = "ws://127.0.0.1:18789";
  std::string token;     // sent as auth.token when not empty
  std::string password;  // sent as auth.password when not empty
  std::vector<std::string> scopes = {"operator.admin"};
  std::string client_id = "cli";
  std::string client_mode = "cli";
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // Shared I/O context; null: the client owns one.
  boost::asio::io_context* io = nullptr;
};

// Called for every event frame after the handshake (ticks, presence, shutdown ...).
using EventHandler = std::function<void(std::string_view event, const boost::json::value& payload)>;
// Receives a response: its payload, or the error (see call()).
using ResponseHandler = std::function<void(Result<boost::json::value>)>;

class GatewayClient {
 public:
  // Connects and completes the handshake. Errors:
  //  - Errc::io: nothing accepted the TCP connection (no gateway listens there);
  //  - Errc::unavailable: the connection or WebSocket upgrade failed later, or timed out;
  //  - the gateway's refusal of `connect`, mapped as for call() (message "CODE: message").
  static Result<GatewayClient> connect(const ClientOptions& options);

  GatewayClient(GatewayClient&&) noexcept;
  GatewayClient& operator=(GatewayClient&&) noexcept;
  ~GatewayClient();  // drops the socket without a close handshake; call close() to be polite

  // The hello-ok payload (server version, features, policy, snapshot).
  const boost::json::value& hello() const;

  // Sends `method` and waits for its response. An error response becomes an Error whose message
  // is "CODE: message" (e.g. "INVALID_REQUEST: unknown method: nope") and whose code maps
  // INVALID_REQUEST/FORBIDDEN/CONFLICT → invalid_argument, NOT_FOUND/NOT_PAIRED → not_found,
  // UNAVAILABLE/TIMEOUT → unavailable, the rest → internal. No answer within `timeout` or a lost
  // connection is Errc::unavailable.
  Result<boost::json::value> call(std::string_view method,
                                  const boost::json::value& params = nullptr,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Queues a request; `on_response` runs on the I/O thread when the answer (or the connection's
  // end) arrives. Nothing happens until someone drives the io_context (wait(), call(), or the
  // owner of a shared one).
  void call_async(std::string_view method, const boost::json::value& params,
                  ResponseHandler on_response);
  // Drives the io_context until no call_async() of this client is unanswered; false on timeout.
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::size_t pending() const;

  void on_event(EventHandler handler);

  // Sends a WebSocket close and waits (briefly) for the gateway's; pending calls fail.
  void close();
  bool is_open() const;

 private:
  struct Impl;
  explicit GatewayClient(std::unique_ptr<boost::asio::io_context> owned_io,
                         std::shared_ptr<Impl> impl);

  std::unique_ptr<boost::asio::io_context> owned_io_;  // destroyed last: it owns pending handlers
  std::shared_ptr<Impl> impl_;
};

// "CODE: message" → Errc, as call() maps it. Exposed for tests.
Errc errc_for_gateway_code(std::string_view code);

}  // namespace pincer::gateway
