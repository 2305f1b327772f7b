#pragma once
// The gateway's listener: one port serving HTTP (health probes, the Control UI's files; webhooks
// and the OpenAI-compatible endpoint later) and the WebSocket RPC protocol (an HTTP upgrade on
// any path, handed to connection.cpp).
//
// Runs entirely on the I/O thread: one coroutine per connection, every read and write with a
// deadline. stop() closes the listener and every open socket; Gateway::drain() is what lets
// in-flight requests finish first. It binds exactly the address it is given: choosing that
// address from gateway.bind, and refusing to expose an unauthenticated gateway, is the caller's
// job (see bind_address_for()).

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/config.hpp"
#include "core/result.hpp"

namespace pincer::gateway {

// The address gateway.bind means: loopback → 127.0.0.1, lan/auto → 0.0.0.0, custom → its host.
// Fails for tailnet (not supported yet) and for any non-loopback bind without auth configured.
Result<std::string> bind_address_for(const core::GatewayConfig& config);

class Gateway;

class GatewayServer {
 public:
  explicit GatewayServer(Gateway& gateway);
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;
  ~GatewayServer();

  // Binds and starts accepting. Port 0 picks a free port; the bound port is returned.
  Result<uint16_t> listen(const std::string& address, uint16_t port);

  // Stops accepting: closes the listener; /readyz answers 503 from now on.
  void stop_accepting();
  // Closes the listener and every open socket.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pincer::gateway
