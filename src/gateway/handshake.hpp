#pragma once
// The connect handshake: the first request on every connection. Validates connect.params,
// negotiates the protocol version within what both sides support (3..4), authenticates (shared
// token/password, device identity + device token, or none), and decides the role and scopes the
// connection holds. build_hello_ok() then describes the gateway to the client.

#include <cstdint>
#include <expected>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "gateway/principal.hpp"
#include "gateway/rpc_error.hpp"

namespace pincer::gateway {

class Gateway;

struct Challenge {
  std::string nonce;
  int64_t ts = 0;
};

struct ConnectAccepted {
  Principal principal;
  boost::json::object auth;  // hello-ok.auth: role, scopes, and deviceToken when one is issued
};

struct ConnectRejection {
  RpcError error;
  uint16_t close_code = 0;
  std::string close_reason;
};

boost::asio::awaitable<std::expected<ConnectAccepted, ConnectRejection>> accept_connect(
    Gateway& gateway, const boost::json::value& params, const PeerInfo& peer,
    const Challenge& challenge);

boost::json::object build_hello_ok(const Gateway& gateway, const ConnectAccepted& accepted,
                                   const std::string& connection_id);

}  // namespace pincer::gateway
