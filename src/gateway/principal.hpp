#pragma once
// Who is on the other end of a connection, as established by the connect handshake.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace pincer::gateway {

// What the client says about itself (connect.params.client). Claims, not proof.
struct ClientInfo {
  std::string id;
  std::string display_name;
  std::string version;
  std::string platform;
  std::string device_family;
  std::string model_identifier;
  std::string mode;
  std::string instance_id;
};

// The transport facts of a connection, known before any frame is read.
struct PeerInfo {
  std::string remote_address;  // the socket's peer (or the trusted proxy's client address)
  bool loopback = false;       // a direct connection from this host
  std::string origin;          // the Origin header of the upgrade request, if any
  std::string host;            // the Host header
  std::string user_agent;
  std::string proxy_user;  // identity a configured trusted proxy asserted, if any
};

// How the connection proved itself.
enum class AuthMethod { none, token, password, device_token, trusted_proxy };
std::string_view to_string(AuthMethod method);

struct Principal {
  std::string role;                 // "operator" or "node"
  std::vector<std::string> scopes;  // normalized operator scopes (empty for nodes)
  ClientInfo client;
  int protocol = 0;
  AuthMethod auth_method = AuthMethod::none;
  std::string device_id;  // empty when the client sent no device identity
  std::vector<std::string> caps;
  std::vector<std::string> commands;  // node command allowlist claim
  boost::json::object permissions;
  std::string path_env;
  std::string locale;
  int64_t connected_at_ms = 0;
};

}  // namespace pincer::gateway
