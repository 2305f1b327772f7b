#include "gateway/node_registry.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/log.hpp"
#include "gateway/gateway.hpp"
#include "gateway/protocol.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Longer than any sane invoke, short enough that steady_clock arithmetic cannot overflow.
constexpr std::chrono::milliseconds kMaxInvokeTimeout = std::chrono::hours(24);

NodeInvokeOutcome failure(std::string code, std::string message) {
  NodeInvokeOutcome outcome;
  outcome.error_code = std::move(code);
  outcome.error_message = std::move(message);
  return outcome;
}

// The node.invoke response for an outcome (the reference's shapes: a failure's message is
// "CODE: message" so people see the node's code, and clients branch on details.nodeError.code).
RpcResult to_rpc_result(const std::string& node_id, const std::string& command,
                        NodeInvokeOutcome outcome, bool dispatched) {
  if (outcome.ok) {
    json::value payload = std::move(outcome.payload);
    json::value payload_json = nullptr;
    if (outcome.payload_json) {
      boost::system::error_code ec;
      json::value parsed = json::parse(*outcome.payload_json, ec);
      payload = ec ? json::value(json::object{{"payloadJSON", *outcome.payload_json}})
                   : std::move(parsed);
      payload_json = json::string(*outcome.payload_json);
    }
    return json::value(json::object{{"ok", true},
                                    {"nodeId", node_id},
                                    {"command", command},
                                    {"payload", std::move(payload)},
                                    {"payloadJSON", std::move(payload_json)}});
  }
  std::string message =
      outcome.error_message.empty() ? "node invoke failed" : outcome.error_message;
  json::object node_error;
  if (!outcome.error_code.empty()) {
    node_error["code"] = outcome.error_code;
  }
  node_error["message"] = message;
  json::object details;
  if (outcome.error_code == "NOT_CONNECTED") {
    details["code"] = "NOT_CONNECTED";
  } else if (!outcome.error_code.empty()) {
    message = outcome.error_code + ": " + message;
  }
  details["nodeError"] = std::move(node_error);
  details["nodeCommandDispatched"] = dispatched;
  return std::unexpected(RpcError{std::string(error_code::kUnavailable), std::move(message),
                                  std::move(details), std::nullopt, std::nullopt});
}

}  // namespace

struct NodeRegistry::Pending {
  explicit Pending(asio::io_context& io) : timer(io) {}

  std::string id;
  std::string node_id;
  std::string command;
  std::string node_connection_id;
  std::string caller_connection_id;
  asio::steady_timer timer;  // the wake-up: fires at the deadline, cancelled by finish()
  std::optional<NodeInvokeOutcome> outcome;
};

std::string node_id_for(const Principal& principal, std::string_view connection_id) {
  if (!principal.device_id.empty()) {
    return principal.device_id;
  }
  if (!principal.client.instance_id.empty()) {
    return principal.client.instance_id;
  }
  return std::string(connection_id);
}

NodeRegistry::NodeRegistry(asio::io_context& io) : io_(io) {}

NodeRegistry::~NodeRegistry() = default;

void NodeRegistry::on_attach(const std::shared_ptr<Connection>& connection) {
  const Principal* who = connection->principal();
  if (who == nullptr || who->role != role::kNode) {
    return;
  }
  NodeSession session;
  session.node_id = node_id_for(*who, connection->id());
  session.connection_id = connection->id();
  session.connection = connection;
  session.client_id = who->client.id;
  session.client_mode = who->client.mode;
  session.display_name = who->client.display_name;
  session.platform = who->client.platform;
  session.version = who->client.version;
  session.device_family = who->client.device_family;
  session.model_identifier = who->client.model_identifier;
  session.remote_ip = connection->peer().remote_address;
  session.device_id = who->device_id;
  session.caps = who->caps;
  session.commands = who->commands;
  session.permissions = who->permissions;
  session.path_env = who->path_env;
  session.connected_at_ms = who->connected_at_ms;
  session.last_seen_ms = who->connected_at_ms;
  if (auto it = nodes_.find(session.node_id); it != nodes_.end()) {
    log::info("gateway", "node {} reconnected on {}; {} no longer receives invokes",
              session.node_id, session.connection_id, it->second.connection_id);
  }
  log::debug("gateway", "node {} connected ({} commands)", session.node_id,
             session.commands.size());
  std::string key = session.node_id;
  nodes_.insert_or_assign(std::move(key), std::move(session));
}

void NodeRegistry::on_detach(const Connection& connection) {
  // A node leaving: only its current route is forgotten (a replaced connection closing later
  // must not remove the node's new one).
  for (auto it = nodes_.begin(); it != nodes_.end(); ++it) {
    if (it->second.connection_id == connection.id()) {
      log::debug("gateway", "node {} disconnected", it->first);
      nodes_.erase(it);
      break;
    }
  }
  // Collect first: finish() erases from pending_.
  std::vector<std::shared_ptr<Pending>> lost_node;
  std::vector<std::shared_ptr<Pending>> lost_caller;
  for (const auto& [id, pending] : pending_) {
    if (pending->node_connection_id == connection.id()) {
      lost_node.push_back(pending);
    } else if (!pending->caller_connection_id.empty() &&
               pending->caller_connection_id == connection.id()) {
      lost_caller.push_back(pending);
    }
  }
  for (const auto& pending : lost_node) {
    finish(*pending, failure("DISCONNECTED", "node disconnected (" + pending->command + ")"));
  }
  for (const auto& pending : lost_caller) {
    send_cancel(*pending);
    finish(*pending, failure("CANCELLED", "node invoke cancelled: the caller disconnected"));
  }
}

const NodeSession* NodeRegistry::find(std::string_view node_id) const {
  auto it = nodes_.find(node_id);
  return it == nodes_.end() ? nullptr : &it->second;
}

const NodeSession* NodeRegistry::find_by_connection(std::string_view connection_id) const {
  for (const auto& [id, session] : nodes_) {
    if (session.connection_id == connection_id) {
      return &session;
    }
  }
  return nullptr;
}

std::vector<const NodeSession*> NodeRegistry::list() const {
  std::vector<const NodeSession*> out;
  out.reserve(nodes_.size());
  for (const auto& [id, session] : nodes_) {
    out.push_back(&session);
  }
  return out;
}

void NodeRegistry::touch(std::string_view connection_id) {
  for (auto& [id, session] : nodes_) {
    if (session.connection_id == connection_id) {
      session.last_seen_ms = unix_ms();
      return;
    }
  }
}

bool NodeRegistry::rename(std::string_view node_id, std::string display_name) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) {
    return false;
  }
  it->second.display_name = std::move(display_name);
  return true;
}

asio::awaitable<RpcResult> NodeRegistry::invoke(NodeInvokeRequest request) {
  std::string node_id = request.node_id;
  std::string command = request.command;
  bool dispatched = false;
  NodeInvokeOutcome outcome = co_await await_outcome(std::move(request), dispatched);
  co_return to_rpc_result(node_id, command, std::move(outcome), dispatched);
}

asio::awaitable<NodeInvokeOutcome> NodeRegistry::await_outcome(NodeInvokeRequest request,
                                                               bool& dispatched) {
  const NodeSession* session = find(request.node_id);
  std::shared_ptr<Connection> connection = session ? session->connection.lock() : nullptr;
  if (connection == nullptr || connection->closed()) {
    co_return failure("NOT_CONNECTED", "node not connected");
  }
  auto pending = std::make_shared<Pending>(io_);
  pending->id = random_uuid();
  pending->node_id = request.node_id;
  pending->command = request.command;
  pending->node_connection_id = session->connection_id;
  pending->caller_connection_id = std::move(request.caller_connection_id);
  pending_.emplace(pending->id, pending);

  auto timeout = std::clamp(request.timeout, std::chrono::milliseconds(1), kMaxInvokeTimeout);
  json::object event{
      {"id", pending->id}, {"nodeId", request.node_id}, {"command", request.command}};
  if (!request.params.is_null()) {
    event["paramsJSON"] = json::serialize(request.params);
  }
  event["timeoutMs"] = timeout.count();
  if (!request.idempotency_key.empty()) {
    event["idempotencyKey"] = request.idempotency_key;
  }
  connection->send_event("node.invoke.request", event);
  dispatched = true;

  pending->timer.expires_after(timeout);
  // The wait ends at the deadline or when finish() cancels the timer; the outcome decides.
  co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!pending->outcome) {
    log::info("gateway", "node invoke {} ({} on {}) timed out after {} ms", pending->id,
              pending->command, pending->node_id, timeout.count());
    send_cancel(*pending);
    finish(*pending, failure("TIMEOUT", "node invoke timed out"));
  }
  co_return std::move(*pending->outcome);
}

bool NodeRegistry::complete(std::string_view connection_id, std::string_view invoke_id,
                            NodeInvokeOutcome outcome) {
  auto it = pending_.find(invoke_id);
  if (it == pending_.end() || it->second->node_connection_id != connection_id) {
    return false;
  }
  auto pending = it->second;
  finish(*pending, std::move(outcome));
  return true;
}

bool NodeRegistry::waiting(std::string_view connection_id, std::string_view invoke_id) const {
  auto it = pending_.find(invoke_id);
  return it != pending_.end() && it->second->node_connection_id == connection_id;
}

bool NodeRegistry::cancel(std::string_view invoke_id) {
  auto it = pending_.find(invoke_id);
  if (it == pending_.end()) {
    return false;
  }
  auto pending = it->second;
  send_cancel(*pending);
  finish(*pending, failure("CANCELLED", "node invoke cancelled"));
  return true;
}

void NodeRegistry::finish(Pending& pending, NodeInvokeOutcome outcome) {
  if (pending.outcome) {
    return;
  }
  pending.outcome = std::move(outcome);
  pending_.erase(pending.id);  // the waiting invoke() still holds the Pending
  pending.timer.cancel();
}

void NodeRegistry::send_cancel(const Pending& pending) {
  const NodeSession* session = find(pending.node_id);
  if (session == nullptr || session->connection_id != pending.node_connection_id) {
    return;
  }
  if (auto connection = session->connection.lock()) {
    connection->send_event("node.invoke.cancel",
                           json::object{{"invokeId", pending.id}, {"nodeId", pending.node_id}});
  }
}

}  // namespace pincer::gateway
