#pragma once
// The connected nodes and the invokes in flight to them.
//
// A node is a connection with role "node" (a companion app or a headless node host). It
// registers when its handshake succeeds and leaves when the connection closes; its id is the
// device id, or the client instance id, or (for neither) the connection id. A second connection
// with the same id replaces the first as the node's route; the older connection keeps running
// until it closes but no longer receives invokes.
//
// invoke() sends the node a `node.invoke.request` event and suspends until the node answers with
// `node.invoke.result` (complete()), the timeout passes, the node disconnects, or the invoke is
// cancelled (cancel(), or the caller's connection closing). Exactly one of these wins; the rest
// find the invoke gone and are ignored, so a late result is harmless.
//
// Everything here runs on the I/O thread and needs no lock.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "gateway/connection.hpp"
#include "gateway/rpc_error.hpp"

namespace pincer::gateway {

struct NodeSession {
  std::string node_id;
  std::string connection_id;
  std::weak_ptr<Connection> connection;
  std::string client_id;
  std::string client_mode;
  std::string display_name;  // the operator's rename wins over the client's claim
  std::string platform;
  std::string version;
  std::string device_family;
  std::string model_identifier;
  std::string remote_ip;
  std::string device_id;
  std::vector<std::string> caps;
  std::vector<std::string> commands;
  boost::json::object permissions;
  std::string path_env;
  int64_t connected_at_ms = 0;
  int64_t last_seen_ms = 0;
};

// What a node answered to an invoke (NodeInvokeResultParams without the routing fields).
struct NodeInvokeOutcome {
  bool ok = false;
  boost::json::value payload;  // null when the node sent none
  std::optional<std::string> payload_json;
  std::string error_code;  // when !ok
  std::string error_message;
};

struct NodeInvokeRequest {
  std::string node_id;
  std::string command;
  boost::json::value params;  // null: no params
  std::chrono::milliseconds timeout{30'000};
  std::string idempotency_key;
  // The connection waiting for the answer: when it closes, the invoke is cancelled and the node
  // told. Empty for callers inside the gateway (the agent).
  std::string caller_connection_id;
};

class NodeRegistry {
 public:
  explicit NodeRegistry(boost::asio::io_context& io);
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;
  ~NodeRegistry();

  // Gateway::attach/detach call these for every connection; only nodes register.
  void on_attach(const std::shared_ptr<Connection>& connection);
  void on_detach(const Connection& connection);

  const NodeSession* find(std::string_view node_id) const;
  const NodeSession* find_by_connection(std::string_view connection_id) const;
  std::vector<const NodeSession*> list() const;  // ordered by node id
  // Records activity from a node's connection (any request it sends).
  void touch(std::string_view connection_id);
  // Overrides the display name of a connected node; false when it is not connected.
  bool rename(std::string_view node_id, std::string display_name);

  // Sends the invoke and waits for the node's answer. Success is the node.invoke response
  // {ok, nodeId, command, payload, payloadJSON}; any failure (the node's own error, not
  // connected, timeout, disconnect, cancel) is UNAVAILABLE with details.nodeError {code,
  // message} (NOT_CONNECTED, TIMEOUT, DISCONNECTED, CANCELLED for the gateway's own) and
  // details.nodeCommandDispatched.
  boost::asio::awaitable<RpcResult> invoke(NodeInvokeRequest request);

  // A node's answer. False when no invoke with this id is waiting on that connection (unknown,
  // already finished, or sent by a different node): the caller ignores it.
  bool complete(std::string_view connection_id, std::string_view invoke_id,
                NodeInvokeOutcome outcome);
  // Cancels a waiting invoke and tells the node (node.invoke.cancel). False when not waiting.
  bool cancel(std::string_view invoke_id);

  // True when an invoke with this id waits for an answer from that connection.
  bool waiting(std::string_view connection_id, std::string_view invoke_id) const;
  std::size_t pending_count() const { return pending_.size(); }

 private:
  struct Pending;

  boost::asio::awaitable<NodeInvokeOutcome> await_outcome(NodeInvokeRequest request,
                                                          bool& dispatched);
  void finish(Pending& pending, NodeInvokeOutcome outcome);
  void send_cancel(const Pending& pending);

  boost::asio::io_context& io_;
  std::map<std::string, NodeSession, std::less<>> nodes_;                 // by node id
  std::map<std::string, std::shared_ptr<Pending>, std::less<>> pending_;  // by invoke id
};

// The node id a principal on `connection_id` registers under.
std::string node_id_for(const Principal& principal, std::string_view connection_id);

}  // namespace pincer::gateway
