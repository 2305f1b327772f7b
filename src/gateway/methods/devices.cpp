// Device and node pairing methods, device tokens, and the gateway's own identity:
// device.pair.{list,approve,reject,remove,rename}, device.token.{rotate,revoke},
// node.pair.{list,approve,reject,remove}, gateway.identity.get.
//
// Pairing records live in state.db (store/pairing_store.hpp); the handshake creates pending
// requests and these methods resolve them. A node request is a device request with role "node":
// it lists under node.pair.* and its events are node.pair.requested/resolved. Approving one needs
// more than operator.pairing when the node declared commands (see required_node_scope()).
//
// Removing a device or revoking its token closes that device's live connections: a credential
// an operator withdrew must not keep working until the next reconnect.

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <optional>

#include <boost/json.hpp>

#include "core/log.hpp"
#include "gateway/device_identity.hpp"
#include "gateway/device_pairing.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"
#include "store/pairing_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

RpcResult store_error(const Error& error) {
  return std::unexpected(from_error(error));
}

void broadcast_resolved(Gateway& gateway, std::string_view role, const std::string& request_id,
                        const std::string& device_id, std::string_view decision) {
  json::object payload{{"requestId", request_id},
                       {"deviceId", device_id},
                       {"decision", decision},
                       {"ts", unix_ms()}};
  gateway.broadcast(fmt::format("{}.resolved", pairing_family(role)), payload, scope::kPairing);
}

// Closes the live connections of a device (optionally only those holding `role`).
void disconnect_device(Gateway& gateway, const std::string& device_id, std::string_view role,
                       const std::string& reason) {
  std::vector<std::shared_ptr<Connection>> targets;
  gateway.for_each_connection([&](const std::shared_ptr<Connection>& connection) {
    const Principal* who = connection->principal();
    if (who != nullptr && who->device_id == device_id && (role.empty() || who->role == role)) {
      targets.push_back(connection);
    }
  });
  for (const auto& connection : targets) {
    connection->close(kClosePolicyViolation, reason);
  }
}

// The commands that let a node run things on its host: approving a node that declares one of
// them is an admin decision.
bool is_dangerous_node_command(std::string_view command) {
  static constexpr std::string_view kDangerous[] = {"system.run",
                                                    "system.run.prepare",
                                                    "system.which",
                                                    "browser.proxy",
                                                    "fs.listDir",
                                                    "browser.proxy.upload.v1",
                                                    "system.execApprovals.get",
                                                    "system.execApprovals.set"};
  return std::find(std::begin(kDangerous), std::end(kDangerous), command) != std::end(kDangerous);
}

// The scope, beyond operator.pairing, that approving this request needs ("" for none).
std::string_view required_node_scope(const store::PairingRequest& request) {
  if (request.role != role::kNode || request.commands.empty()) {
    return {};
  }
  bool dangerous = std::any_of(request.commands.begin(), request.commands.end(),
                               [](const std::string& c) { return is_dangerous_node_command(c); });
  return dangerous ? scope::kAdmin : scope::kWrite;
}

bool is_node_request(const store::PairingRequest& request) {
  return request.role == role::kNode;
}

bool has_role(const store::PairedDevice& device, std::string_view role) {
  return std::find(device.roles.begin(), device.roles.end(), role) != device.roles.end();
}

// ---------------------------------------------------------------------------------------------
// Lists

struct Listing {
  std::vector<store::PairingRequest> requests;
  std::vector<std::pair<store::PairedDevice, std::vector<store::DeviceToken>>> devices;
};

Result<Listing> read_listing(store::Database& db) {
  store::PairingStore pairing(db);
  Listing out;
  auto requests = pairing.list_requests();
  if (!requests) {
    return std::unexpected(requests.error());
  }
  out.requests = std::move(*requests);
  auto devices = pairing.list_devices();
  if (!devices) {
    return std::unexpected(devices.error());
  }
  for (auto& device : *devices) {
    auto tokens = pairing.list_tokens(device.device_id);
    if (!tokens) {
      return std::unexpected(tokens.error());
    }
    out.devices.emplace_back(std::move(device), std::move(*tokens));
  }
  return out;
}

asio::awaitable<RpcResult> pair_list(RpcContext& context, bool nodes) {
  ParamReader params(context, {});
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto read = [](store::Database& db) { return read_listing(db); };
  auto listing = co_await context.gateway().with_database(read);
  if (!listing) {
    co_return store_error(listing.error());
  }
  json::array pending;
  for (const auto& request : listing->requests) {
    if (is_node_request(request) == nodes) {
      pending.emplace_back(pairing_request_json(request));
    }
  }
  json::array paired;
  for (const auto& [device, tokens] : listing->devices) {
    if (nodes && !has_role(device, role::kNode)) {
      continue;
    }
    json::object entry = paired_device_json(device, tokens);
    if (nodes) {
      entry["nodeId"] = device.device_id;
    }
    paired.emplace_back(std::move(entry));
  }
  co_return json::value{{"pending", std::move(pending)}, {"paired", std::move(paired)}};
}

asio::awaitable<RpcResult> device_pair_list(RpcContext& context) {
  co_return co_await pair_list(context, false);
}

asio::awaitable<RpcResult> node_pair_list(RpcContext& context) {
  co_return co_await pair_list(context, true);
}

// ---------------------------------------------------------------------------------------------
// Approve / reject

asio::awaitable<RpcResult> pair_approve(RpcContext& context) {
  ParamReader params(context, {"requestId"});
  std::string request_id = params.required_string("requestId");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto find = [&](store::Database& db) { return store::PairingStore(db).find_request(request_id); };
  auto request = co_await gateway.with_database(find);
  if (!request) {
    co_return store_error(request.error());
  }
  if (!*request) {
    co_return std::unexpected(invalid_request("unknown requestId"));
  }
  if (auto extra = required_node_scope(**request);
      !extra.empty() && !scope_satisfied(context.principal().scopes, extra)) {
    co_return std::unexpected(missing_scope(extra));
  }
  int64_t now = unix_ms();
  auto approve = [&](store::Database& db) {
    return store::PairingStore(db).approve_request(request_id, now);
  };
  auto device = co_await gateway.with_database(approve);
  if (!device) {
    if (device.error().code == Errc::not_found) {
      co_return std::unexpected(invalid_request("unknown requestId"));  // resolved meanwhile
    }
    co_return store_error(device.error());
  }
  log::info("gateway", "pairing request {} approved: device {} role {}", request_id,
            device->device_id, (*request)->role);
  broadcast_resolved(gateway, (*request)->role, request_id, device->device_id, "approved");
  co_return json::value{{"requestId", request_id}, {"device", paired_device_json(*device, {})}};
}

asio::awaitable<RpcResult> pair_reject(RpcContext& context) {
  ParamReader params(context, {"requestId"});
  std::string request_id = params.required_string("requestId");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto reject = [&](store::Database& db) -> Result<std::optional<store::PairingRequest>> {
    store::PairingStore pairing(db);
    auto request = pairing.find_request(request_id);
    if (!request || !*request) {
      return request;
    }
    if (auto removed = pairing.remove_request(request_id); !removed) {
      return std::unexpected(removed.error());
    }
    return request;
  };
  auto request = co_await gateway.with_database(reject);
  if (!request) {
    co_return store_error(request.error());
  }
  if (!*request) {
    co_return std::unexpected(invalid_request("unknown requestId"));
  }
  log::info("gateway", "pairing request {} rejected", request_id);
  broadcast_resolved(gateway, (*request)->role, request_id, (*request)->device_id, "rejected");
  co_return json::value{{"requestId", request_id}, {"deviceId", (*request)->device_id}};
}

// ---------------------------------------------------------------------------------------------
// Remove / rename

asio::awaitable<RpcResult> remove_paired(RpcContext& context, std::string_view id_field) {
  ParamReader params(context, {id_field});
  std::string device_id = params.required_string(id_field);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto remove = [&](store::Database& db) {
    return store::PairingStore(db).remove_device(device_id);
  };
  auto removed = co_await context.gateway().with_database(remove);
  if (!removed) {
    co_return store_error(removed.error());
  }
  if (!*removed) {
    co_return std::unexpected(invalid_request(fmt::format("unknown {}", id_field)));
  }
  log::info("gateway", "paired device {} removed", device_id);
  disconnect_device(context.gateway(), device_id, {},
                    "device removed: this device's pairing was removed; pair it again");
  co_return json::value{{id_field, device_id}};
}

asio::awaitable<RpcResult> device_pair_remove(RpcContext& context) {
  co_return co_await remove_paired(context, "deviceId");
}

asio::awaitable<RpcResult> node_pair_remove(RpcContext& context) {
  co_return co_await remove_paired(context, "nodeId");
}

asio::awaitable<RpcResult> device_pair_rename(RpcContext& context) {
  ParamReader params(context, {"deviceId", "label"});
  std::string device_id = params.required_string("deviceId");
  std::string label = params.required_string("label", 64);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto rename = [&](store::Database& db) {
    return store::PairingStore(db).rename_device(device_id, label);
  };
  auto renamed = co_await context.gateway().with_database(rename);
  if (!renamed) {
    co_return store_error(renamed.error());
  }
  if (!*renamed) {
    co_return std::unexpected(invalid_request("unknown deviceId"));
  }
  co_return json::value{{"deviceId", device_id}, {"label", label}};
}

// ---------------------------------------------------------------------------------------------
// Tokens

struct TokenTarget {
  std::optional<store::PairedDevice> device;
  std::optional<store::DeviceToken> token;
};

Result<TokenTarget> read_token_target(store::Database& db, const std::string& device_id,
                                      const std::string& role) {
  store::PairingStore pairing(db);
  auto device = pairing.find_device(device_id);
  if (!device) {
    return std::unexpected(device.error());
  }
  auto token = pairing.find_token(device_id, role);
  if (!token) {
    return std::unexpected(token.error());
  }
  return TokenTarget{std::move(*device), std::move(*token)};
}

// Token management stays inside what pairing approved and what the caller holds: the role must
// be one the device was approved for, non-operator roles need operator.admin, and a non-admin
// caller cannot touch a token broader than its own scopes.
std::optional<RpcError> check_token_access(const RpcContext& context, const TokenTarget& target,
                                           const std::string& role,
                                           const std::vector<std::string>& scopes,
                                           std::string_view verb) {
  const auto& caller = context.principal().scopes;
  if (!target.device || !has_role(*target.device, role)) {
    return invalid_request(
        fmt::format("device token {} denied: the device is not paired for "
                    "role {} (approve a pairing request for it first)",
                    verb, role));
  }
  if (role != role::kOperator && !scope_satisfied(caller, scope::kAdmin)) {
    return missing_scope(scope::kAdmin);
  }
  if (!scope_satisfied(caller, scope::kAdmin)) {
    for (const auto& scope : scopes) {
      if (!scope_satisfied(caller, scope)) {
        return missing_scope(scope);
      }
    }
  }
  return std::nullopt;
}

asio::awaitable<RpcResult> device_token_rotate(RpcContext& context) {
  ParamReader params(context, {"deviceId", "role", "scopes"});
  std::string device_id = params.required_string("deviceId");
  std::string role = params.required_string("role");
  auto requested = params.string_array("scopes");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto read = [&](store::Database& db) { return read_token_target(db, device_id, role); };
  auto target = co_await gateway.with_database(read);
  if (!target) {
    co_return store_error(target.error());
  }
  std::vector<std::string> scopes;
  if (requested) {
    scopes = normalize_scopes(*requested);
  } else if (target->token) {
    scopes = target->token->scopes;
  } else if (target->device) {
    scopes = target->device->scopes;
  }
  if (role != role::kOperator) {
    scopes.clear();  // operator scopes mean nothing on a node token
  }
  if (auto denied = check_token_access(context, *target, role, scopes, "rotation")) {
    co_return std::unexpected(*denied);
  }
  // The new token cannot exceed what pairing approved.
  for (const auto& scope : scopes) {
    if (!scope_satisfied(target->device->scopes, scope)) {
      co_return std::unexpected(invalid_request(fmt::format(
          "device token rotation denied: scope {} was never approved for this device (approve "
          "a scope upgrade first)",
          scope)));
    }
  }
  int64_t now = unix_ms();
  auto issue = [&](store::Database& db) {
    store::PairingStore pairing(db);
    return issue_device_token(pairing, device_id, role, scopes, now, true);
  };
  auto token = co_await gateway.with_database(issue);
  if (!token) {
    co_return store_error(token.error());
  }
  log::info("gateway", "device token rotated: device {} role {}", device_id, role);
  json::array scope_list;
  for (const auto& scope : scopes) {
    scope_list.emplace_back(scope);
  }
  json::object out{{"deviceId", device_id},
                   {"role", role},
                   {"scopes", std::move(scope_list)},
                   {"rotatedAtMs", now}};
  // Only the device itself gets the bearer token back; anyone else would be holding another
  // device's credential.
  if (context.principal().device_id == device_id) {
    out["token"] = *token;
    out["tokenDelivery"] = "in-band";
  } else {
    out["tokenDelivery"] = "withheld-cross-device";
  }
  co_return json::value(std::move(out));
}

asio::awaitable<RpcResult> device_token_revoke(RpcContext& context) {
  ParamReader params(context, {"deviceId", "role"});
  std::string device_id = params.required_string("deviceId");
  std::string role = params.required_string("role");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto read = [&](store::Database& db) { return read_token_target(db, device_id, role); };
  auto target = co_await gateway.with_database(read);
  if (!target) {
    co_return store_error(target.error());
  }
  std::vector<std::string> scopes =
      target->token ? target->token->scopes : std::vector<std::string>{};
  if (auto denied = check_token_access(context, *target, role, scopes, "revocation")) {
    co_return std::unexpected(*denied);
  }
  if (!target->token) {
    co_return std::unexpected(invalid_request(
        fmt::format("device token revocation denied: the device has no {} token", role)));
  }
  int64_t now = unix_ms();
  auto revoke = [&](store::Database& db) {
    return store::PairingStore(db).revoke_token(device_id, role, now);
  };
  auto revoked = co_await gateway.with_database(revoke);
  if (!revoked) {
    co_return store_error(revoked.error());
  }
  log::info("gateway", "device token revoked: device {} role {}", device_id, role);
  disconnect_device(gateway, device_id, role,
                    "device token revoked: reconnect with the gateway token or re-pair");
  co_return json::value{{"deviceId", device_id}, {"role", role}, {"revokedAtMs", now}};
}

// ---------------------------------------------------------------------------------------------
// Gateway identity

// Loaded at registration; a failure there is retried on the next call.
struct IdentityState {
  std::filesystem::path path;
  std::optional<GatewayIdentity> identity;
};

asio::awaitable<RpcResult> gateway_identity_get(RpcContext& context,
                                                std::shared_ptr<IdentityState> state) {
  if (!state->identity) {
    auto load = [&]() { return load_or_create_gateway_identity(state->path); };
    auto loaded = co_await core::run_blocking(context.gateway().pool(), load);
    if (!loaded) {
      co_return store_error(loaded.error());
    }
    state->identity = std::move(*loaded);
  }
  co_return json::value{{"deviceId", state->identity->device_id},
                        {"publicKey", state->identity->public_key}};
}

}  // namespace

void register_device_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  const std::string pairing(scope::kPairing);
  methods.add({"device.pair.list", Access::operator_scope, pairing, false, device_pair_list});
  methods.add({"device.pair.approve", Access::operator_scope, pairing, true, pair_approve});
  methods.add({"device.pair.reject", Access::operator_scope, pairing, true, pair_reject});
  methods.add({"device.pair.remove", Access::operator_scope, pairing, true, device_pair_remove});
  methods.add({"device.pair.rename", Access::operator_scope, pairing, true, device_pair_rename});
  methods.add({"device.token.rotate", Access::operator_scope, pairing, true, device_token_rotate});
  methods.add({"device.token.revoke", Access::operator_scope, pairing, true, device_token_revoke});
  methods.add({"node.pair.list", Access::operator_scope, pairing, false, node_pair_list});
  methods.add({"node.pair.approve", Access::operator_scope, pairing, true, pair_approve});
  methods.add({"node.pair.reject", Access::operator_scope, pairing, true, pair_reject});
  methods.add({"node.pair.remove", Access::operator_scope, pairing, true, node_pair_remove});

  auto state = std::make_shared<IdentityState>();
  state->path = gateway.paths().state_dir / "gateway-identity.pem";
  if (auto loaded = load_or_create_gateway_identity(state->path)) {
    state->identity = std::move(*loaded);
  } else {
    log::error("gateway", "gateway identity unavailable: {}", loaded.error().describe());
  }
  methods.add({"gateway.identity.get", Access::operator_scope, std::string(scope::kRead), false,
               [state](RpcContext& context) { return gateway_identity_get(context, state); }});

  methods.add_event("device.pair.requested");
  methods.add_event("device.pair.resolved");
  methods.add_event("node.pair.requested");
  methods.add_event("node.pair.resolved");
}

}  // namespace pincer::gateway
