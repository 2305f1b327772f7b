// Node methods: node.list, node.describe, node.rename, node.invoke (operators) and
// node.invoke.result, node.invoke.progress, node.event (nodes).
//
// node.invoke is the only way an operator reaches a node: the node must be connected and must
// have declared the command at connect; commands that reach into the node's host (shell, file
// listing, browser proxy) also need operator.admin. The node's local exec approvals still apply
// on its side. node.rename stores the label on the device's pairing record.

#include <algorithm>
#include <array>
#include <cctype>

#include <boost/json.hpp>

#include "core/log.hpp"
#include "core/text.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/node_registry.hpp"
#include "gateway/protocol.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"
#include "store/pairing_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::chrono::milliseconds kDefaultInvokeTimeout{30'000};
constexpr std::size_t kMaxProgressChunkBytes = 16384;

// Commands that act on the node's host with the node's privileges.
constexpr std::array<std::string_view, 7> kAdminOnlyCommands{
    "system.run", "system.run.prepare", "system.which", "browser.proxy",
    "fs.listDir", "terminal.upload",    "file.upload",
};

const json::object& params_object(const RpcContext& context) {
  static const json::object kEmpty;
  const auto* object = context.params().if_object();
  return object != nullptr ? *object : kEmpty;
}

// A trimmed non-empty string field, or "" when absent, empty or not a string.
std::string trimmed_string(const json::object& params, std::string_view key) {
  const auto* value = params.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    return {};
  }
  return std::string(core::trim(value->get_string()));
}

json::array sorted_unique(std::vector<std::string> items) {
  std::ranges::sort(items);
  auto [first, last] = std::ranges::unique(items);
  items.erase(first, last);
  json::array out;
  for (auto& item : items) {
    out.emplace_back(std::move(item));
  }
  return out;
}

// One node as node.list and node.describe show it.
json::object node_entry(const NodeSession& node) {
  json::object entry{{"nodeId", node.node_id}};
  auto put = [&entry](std::string_view key, const std::string& value) {
    if (!value.empty()) {
      entry[key] = value;
    }
  };
  put("displayName", node.display_name);
  put("platform", node.platform);
  put("version", node.version);
  put("clientId", node.client_id);
  put("clientMode", node.client_mode);
  put("deviceFamily", node.device_family);
  put("modelIdentifier", node.model_identifier);
  put("remoteIp", node.remote_ip);
  entry["caps"] = sorted_unique(node.caps);
  entry["commands"] = sorted_unique(node.commands);
  put("pathEnv", node.path_env);
  if (!node.permissions.empty()) {
    entry["permissions"] = node.permissions;
  }
  entry["connectedAtMs"] = node.connected_at_ms;
  entry["lastConnectedAtMs"] = node.connected_at_ms;
  entry["lastSeenAtMs"] = node.last_seen_ms;
  // Nodes connect only with a paired device identity.
  // TODO(pairing): list paired nodes that are offline too, from the pairing store.
  entry["paired"] = !node.device_id.empty();
  entry["connected"] = true;
  return entry;
}

RpcError forbidden(std::string message) {
  return RpcError{std::string(error_code::kForbidden), std::move(message), nullptr, {}, {}};
}

asio::awaitable<RpcResult> node_list(RpcContext& context) {
  json::array nodes;
  for (const NodeSession* node : context.gateway().nodes().list()) {
    nodes.emplace_back(node_entry(*node));
  }
  // Connected first, then by name, like the reference's catalog (all are connected for now).
  std::ranges::stable_sort(nodes, [](const json::value& left, const json::value& right) {
    auto name = [](const json::value& entry) {
      const auto& object = entry.get_object();
      const auto* display = object.if_contains("displayName");
      return std::string(display != nullptr ? display->get_string()
                                            : object.at("nodeId").get_string());
    };
    return name(left) < name(right);
  });
  co_return json::value(json::object{{"ts", unix_ms()}, {"nodes", std::move(nodes)}});
}

asio::awaitable<RpcResult> node_describe(RpcContext& context) {
  std::string node_id = trimmed_string(params_object(context), "nodeId");
  if (node_id.empty()) {
    co_return std::unexpected(invalid_request("nodeId required"));
  }
  const NodeSession* node = context.gateway().nodes().find(node_id);
  if (node == nullptr) {
    co_return std::unexpected(invalid_request("unknown nodeId"));
  }
  json::object out = node_entry(*node);
  out["ts"] = unix_ms();
  co_return json::value(std::move(out));
}

asio::awaitable<RpcResult> node_rename(RpcContext& context) {
  const auto& params = params_object(context);
  std::string node_id = trimmed_string(params, "nodeId");
  std::string display_name = trimmed_string(params, "displayName");
  if (node_id.empty()) {
    co_return std::unexpected(invalid_request("nodeId required"));
  }
  if (display_name.empty()) {
    co_return std::unexpected(invalid_request("displayName required"));
  }
  // The label lives on the pairing record (it survives reconnects and re-pairing); a connected
  // node shows it at once.
  auto persist = [&node_id, &display_name](store::Database& db) {
    store::PairingStore pairing(db);
    return pairing.rename_device(node_id, display_name);
  };
  auto stored = co_await context.gateway().with_database(persist);
  if (!stored) {
    co_return std::unexpected(from_error(stored.error()));
  }
  bool live = context.gateway().nodes().rename(node_id, display_name);
  if (!*stored && !live) {
    co_return std::unexpected(invalid_request("unknown nodeId"));
  }
  co_return json::value(json::object{{"nodeId", node_id}, {"displayName", display_name}});
}

asio::awaitable<RpcResult> node_invoke(RpcContext& context) {
  const Principal& caller = context.principal();
  if (caller.role != role::kOperator) {
    co_return std::unexpected(forbidden("method node.invoke is for operator clients"));
  }
  if (!scope_satisfied(caller.scopes, scope::kWrite)) {
    co_return std::unexpected(missing_scope(scope::kWrite));
  }
  const auto& params = params_object(context);
  std::string node_id = trimmed_string(params, "nodeId");
  std::string command = trimmed_string(params, "command");
  std::string idempotency_key = trimmed_string(params, "idempotencyKey");
  if (node_id.empty() || command.empty()) {
    co_return std::unexpected(invalid_request("nodeId and command required"));
  }
  if (idempotency_key.empty()) {
    co_return std::unexpected(invalid_request(
        "idempotencyKey required: send a unique string per invoke so a retry does not run twice"));
  }
  std::chrono::milliseconds timeout = kDefaultInvokeTimeout;
  if (const auto* value = params.if_contains("timeoutMs")) {
    if (value->is_int64() && value->get_int64() >= 0) {
      if (value->get_int64() > 0) {
        timeout = std::chrono::milliseconds(value->get_int64());
      }
    } else if (value->is_uint64()) {
      timeout = std::chrono::hours(24);  // clamped by the registry
    } else {
      co_return std::unexpected(invalid_request("timeoutMs must be a non-negative integer"));
    }
  }
  if (command.starts_with("system.execApprovals.")) {
    co_return std::unexpected(invalid_request(
        "node.invoke does not allow system.execApprovals.*; use exec.approvals.node.*",
        json::object{{"command", command}}));
  }
  if (std::ranges::find(kAdminOnlyCommands, command) != kAdminOnlyCommands.end() &&
      !scope_satisfied(caller.scopes, scope::kAdmin)) {
    co_return std::unexpected(missing_scope(scope::kAdmin));
  }

  NodeRegistry& nodes = context.gateway().nodes();
  if (const NodeSession* node = nodes.find(node_id)) {
    if (node->commands.empty()) {
      co_return std::unexpected(invalid_request(
          "node command not allowed: the node did not declare any supported commands",
          json::object{{"reason", "node did not declare commands"}, {"command", command}}));
    }
    if (std::ranges::find(node->commands, command) == node->commands.end()) {
      co_return std::unexpected(invalid_request(
          "node command not allowed: the node (platform: " +
              (node->platform.empty() ? std::string("unknown") : node->platform) +
              ") does not support \"" + command + "\"",
          json::object{{"reason", "command not declared by node"}, {"command", command}}));
    }
  }
  // An unknown node falls through: invoke() answers NOT_CONNECTED in the reference's shape.
  NodeInvokeRequest request;
  request.node_id = node_id;
  request.command = command;
  if (const auto* value = params.if_contains("params")) {
    request.params = *value;
  }
  request.timeout = timeout;
  request.idempotency_key = idempotency_key;
  request.caller_connection_id = context.connection()->id();
  co_return co_await nodes.invoke(std::move(request));
}

// The id a node's requests must carry as nodeId.
std::string caller_node_id(const RpcContext& context) {
  return node_id_for(context.principal(), context.connection()->id());
}

asio::awaitable<RpcResult> node_invoke_result(RpcContext& context) {
  NodeRegistry& nodes = context.gateway().nodes();
  nodes.touch(context.connection()->id());
  const auto& params = params_object(context);
  std::string id = trimmed_string(params, "id");
  std::string node_id = trimmed_string(params, "nodeId");
  const auto* ok = params.if_contains("ok");
  if (id.empty() || node_id.empty() || ok == nullptr || !ok->is_bool()) {
    co_return std::unexpected(
        invalid_request("invalid node.invoke.result params: id, nodeId and "
                        "ok (boolean) are required"));
  }
  if (node_id != caller_node_id(context)) {
    co_return std::unexpected(invalid_request("nodeId mismatch"));
  }
  NodeInvokeOutcome outcome;
  outcome.ok = ok->get_bool();
  if (const auto* payload = params.if_contains("payload")) {
    outcome.payload = *payload;
  }
  if (const auto* payload_json = params.if_contains("payloadJSON")) {
    if (payload_json->is_string()) {
      outcome.payload_json = std::string(payload_json->get_string());
    } else if (!payload_json->is_null() && outcome.payload.is_null()) {
      outcome.payload = *payload_json;  // a client that sent the object itself
    }
  }
  if (const auto* error = params.if_contains("error"); error != nullptr && error->is_object()) {
    outcome.error_code = trimmed_string(error->get_object(), "code");
    outcome.error_message = trimmed_string(error->get_object(), "message");
  }
  if (!nodes.complete(context.connection()->id(), id, std::move(outcome))) {
    log::debug("gateway", "late invoke result ignored: id={} node={}", id, node_id);
    co_return json::value(json::object{{"ok", true}, {"ignored", true}});
  }
  co_return json::value(json::object{{"ok", true}});
}

asio::awaitable<RpcResult> node_invoke_progress(RpcContext& context) {
  NodeRegistry& nodes = context.gateway().nodes();
  nodes.touch(context.connection()->id());
  const auto& params = params_object(context);
  std::string invoke_id = trimmed_string(params, "invokeId");
  std::string node_id = trimmed_string(params, "nodeId");
  const auto* seq = params.if_contains("seq");
  const auto* chunk = params.if_contains("chunk");
  if (invoke_id.empty() || node_id.empty() || seq == nullptr || !seq->is_number() ||
      chunk == nullptr || !chunk->is_string()) {
    co_return std::unexpected(invalid_request(
        "invalid node.invoke.progress params: invokeId, nodeId, seq and chunk are required"));
  }
  if (node_id != caller_node_id(context)) {
    co_return std::unexpected(invalid_request("nodeId mismatch"));
  }
  if (chunk->get_string().size() > kMaxProgressChunkBytes) {
    co_return std::unexpected(invalid_request("progress chunk too large"));
  }
  // Pincer's callers take the terminal result only; progress is acknowledged, not relayed.
  bool waiting = nodes.waiting(context.connection()->id(), invoke_id);
  co_return json::value(json::object{{"ok", true}, {"ignored", !waiting}});
}

asio::awaitable<RpcResult> node_event(RpcContext& context) {
  context.gateway().nodes().touch(context.connection()->id());
  std::string event = trimmed_string(params_object(context), "event");
  if (event.empty()) {
    co_return std::unexpected(invalid_request("invalid node.event params: event is required"));
  }
  log::debug("gateway", "node {} event {}", caller_node_id(context), event);
  co_return json::value(json::object{{"ok", true},
                                     {"event", event},
                                     {"handled", false},
                                     {"reason", "no handler for this event in pincer yet"}});
}

}  // namespace

void register_node_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  methods.add({"node.list", Access::operator_scope, std::string(scope::kRead), false, node_list});
  methods.add(
      {"node.describe", Access::operator_scope, std::string(scope::kRead), false, node_describe});
  methods.add(
      {"node.rename", Access::operator_scope, std::string(scope::kPairing), true, node_rename});
  methods.add({"node.invoke", Access::dynamic, {}, true, node_invoke});
  methods.add({"node.invoke.progress", Access::node, {}, false, node_invoke_progress});
  methods.add({"node.invoke.result", Access::node, {}, false, node_invoke_result});
  methods.add({"node.event", Access::node, {}, false, node_event});
  methods.add_event("node.invoke.request");
  methods.add_event("node.invoke.cancel");
}

}  // namespace pincer::gateway
