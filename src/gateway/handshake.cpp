#include "gateway/handshake.hpp"

#include <fmt/core.h>

#include <algorithm>

#include <boost/json.hpp>

#include "core/log.hpp"
#include "core/version.hpp"
#include "gateway/device_identity.hpp"
#include "gateway/device_pairing.hpp"
#include "gateway/gateway.hpp"
#include "gateway/protocol.hpp"
#include "gateway/scopes.hpp"
#include "gateway/shared_secret.hpp"
#include "store/pairing_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using Outcome = std::expected<ConnectAccepted, ConnectRejection>;

std::unexpected<ConnectRejection> reject(RpcError error,
                                         uint16_t close_code = kClosePolicyViolation) {
  std::string reason = error.message.substr(0, 120);  // close reasons are limited to 123 bytes
  return std::unexpected(ConnectRejection{std::move(error), close_code, std::move(reason)});
}

std::unexpected<ConnectRejection> invalid_params(const std::string& what) {
  return reject(invalid_request("invalid connect params: " + what));
}

std::string string_field(const json::object& object, std::string_view key) {
  if (auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
    return std::string(value->get_string());
  }
  return {};
}

std::vector<std::string> string_list(const json::object& object, std::string_view key) {
  std::vector<std::string> out;
  if (auto* value = object.if_contains(key); value != nullptr && value->is_array()) {
    for (const auto& item : value->get_array()) {
      if (item.is_string() && !item.get_string().empty()) {
        out.emplace_back(item.get_string());
      }
    }
  }
  return out;
}

// Reads and checks the parts of ConnectParams every path needs. Returns an error text or "".
std::string read_client(const json::object& params, ClientInfo& client) {
  auto* value = params.if_contains("client");
  if (value == nullptr || !value->is_object()) {
    return "client must be an object with id, version, platform and mode";
  }
  const auto& object = value->get_object();
  for (std::string_view key : {"id", "version", "platform", "mode"}) {
    auto* field = object.if_contains(key);
    if (field == nullptr || !field->is_string() || field->get_string().empty()) {
      return "client." + std::string(key) + " must be a non-empty string";
    }
  }
  client.id = string_field(object, "id");
  client.display_name = string_field(object, "displayName");
  client.version = string_field(object, "version");
  client.platform = string_field(object, "platform");
  client.device_family = string_field(object, "deviceFamily");
  client.model_identifier = string_field(object, "modelIdentifier");
  client.mode = string_field(object, "mode");
  client.instance_id = string_field(object, "instanceId");
  return {};
}

std::optional<int64_t> integer_field(const json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_int64()) {
    return value->get_int64();
  }
  if (value->is_uint64() && value->get_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(value->get_uint64());
  }
  return std::nullopt;
}

RpcError auth_failure(std::string_view detail_code, std::string_view reason, std::string message,
                      std::string_view next_step) {
  json::object details{{"code", detail_code},
                       {"authReason", reason},
                       {"canRetryWithDeviceToken", false},
                       {"recommendedNextStep", next_step}};
  return invalid_request(std::move(message), std::move(details));
}

// Reads connect.params.device. Returns an error text or "". A missing nonce is left empty for
// verify_device_proof() to report with its own detail code.
std::string read_device(const json::value& value, DeviceProof& device) {
  const auto* object = value.if_object();
  if (object == nullptr) {
    return "device must be an object with id, publicKey, signature, signedAt and nonce";
  }
  for (std::string_view key : {"id", "publicKey", "signature"}) {
    auto* field = object->if_contains(key);
    if (field == nullptr || !field->is_string() || field->get_string().empty()) {
      return "device." + std::string(key) + " must be a non-empty string";
    }
  }
  auto signed_at = integer_field(*object, "signedAt");
  if (!signed_at) {
    return "device.signedAt must be an integer (Unix milliseconds)";
  }
  device.id = string_field(*object, "id");
  device.public_key = string_field(*object, "publicKey");
  device.signature = string_field(*object, "signature");
  device.signed_at_ms = *signed_at;
  device.nonce = string_field(*object, "nonce");
  return {};
}

// What state.db says about a device that proved its key.
struct DeviceRecord {
  std::optional<store::PairedDevice> paired;
  std::optional<store::DeviceToken> token;  // for the requested role
};

// The device is approved for this role and (operators) every requested scope, with this key.
bool pairing_covers(const DeviceRecord& record, const DeviceProof& device,
                    const Principal& principal) {
  if (!record.paired || record.paired->public_key != device.public_key) {
    return false;
  }
  const auto& roles = record.paired->roles;
  if (std::find(roles.begin(), roles.end(), principal.role) == roles.end()) {
    return false;
  }
  return std::all_of(principal.scopes.begin(), principal.scopes.end(), [&](const auto& scope) {
    return scope_satisfied(record.paired->scopes, scope);
  });
}

// Error for a connect that needs an operator's approval first.
std::unexpected<ConnectRejection> pairing_required(const store::PairingRequest& request,
                                                   std::string_view reason) {
  json::array scopes;
  for (const auto& scope : request.scopes) {
    scopes.emplace_back(scope);
  }
  std::string hint = fmt::format(
      "Approve this device from the pending pairing requests: run `pincer devices approve {}` "
      "on the gateway host, or approve it in the Control UI.",
      request.request_id);
  json::object details{{"code", "PAIRING_REQUIRED"},
                       {"reason", reason},
                       {"requestId", request.request_id},
                       {"remediationHint", hint},
                       {"recommendedNextStep", "wait_then_retry"},
                       {"deviceId", request.device_id},
                       {"requestedRole", request.role}};
  if (!scopes.empty()) {
    details["requestedScopes"] = std::move(scopes);
  }
  std::string_view requirement = reason == "role-upgrade"    ? "device is asking for a higher "
                                                               "role than currently approved"
                                 : reason == "scope-upgrade" ? "device is asking for more scopes "
                                                               "than currently approved"
                                                             : "device is not approved yet";
  RpcError error{std::string(error_code::kNotPaired),
                 fmt::format("pairing required: {} (run `pincer devices approve {}` on the "
                             "gateway host, or approve it in the Control UI)",
                             requirement, request.request_id),
                 std::move(details), std::nullopt, std::nullopt};
  return std::unexpected(ConnectRejection{
      std::move(error), kClosePolicyViolation,
      fmt::format("pairing required: {} (requestId: {})", requirement, request.request_id)});
}

using PairingOutcome = std::expected<std::string, ConnectRejection>;

std::unexpected<ConnectRejection> store_failure(const Error& error) {
  return std::unexpected(
      ConnectRejection{unavailable("could not update device pairing state: " + error.describe()),
                       kCloseTryAgainLater, "device pairing state unavailable; try again"});
}

// Decides what a device that proved its key may do, after authentication succeeded. Returns the
// device token to hand out in hello-ok ("" for none), or the rejection.
//  - Device-token auth: the token's grant bounds the connection (requested scopes narrow it).
//  - Paired for this role and these scopes: accepted; a token is issued when it has none.
//  - Otherwise, a direct loopback connect that proved the shared secret (or auth mode none) is
//    approved on the spot; anything else becomes a pending request an operator must approve.
asio::awaitable<PairingOutcome> settle_device_pairing(Gateway& gateway, const PeerInfo& peer,
                                                      const DeviceProof& device,
                                                      const DeviceRecord& record,
                                                      Principal& principal,
                                                      std::vector<std::string> commands) {
  int64_t now = unix_ms();
  if (principal.auth_method == AuthMethod::device_token) {
    const auto& granted = record.token->scopes;
    std::vector<std::string> scopes;
    if (principal.scopes.empty()) {
      scopes = normalize_scopes(granted);
    } else {
      for (const auto& scope : principal.scopes) {
        if (scope_satisfied(granted, scope)) {
          scopes.push_back(scope);
        }
      }
    }
    principal.scopes = std::move(scopes);
    co_return std::string();
  }

  if (pairing_covers(record, device, principal)) {
    if (record.token && !record.token->revoked_at_ms) {
      co_return std::string();  // the device already holds its token; only a rotation re-sends
    }
    auto issue = [&](store::Database& db) {
      store::PairingStore pairing(db);
      return issue_device_token(pairing, device.id, principal.role, principal.scopes, now, false);
    };
    auto token = co_await gateway.with_database(issue);
    if (!token) {
      co_return store_failure(token.error());
    }
    co_return std::move(*token);
  }

  store::PairingRequest request;
  request.request_id = random_uuid();
  request.device_id = device.id;
  request.public_key = device.public_key;
  request.role = principal.role;
  request.scopes = principal.scopes;
  request.commands = std::move(commands);
  request.client = {principal.client.id, principal.client.mode, principal.client.platform,
                    principal.client.device_family, principal.client.display_name};
  request.remote_ip = peer.remote_address;
  request.created_at_ms = now;

  bool shared_secret_auth = principal.auth_method == AuthMethod::token ||
                            principal.auth_method == AuthMethod::password ||
                            principal.auth_method == AuthMethod::none;
  if (peer.loopback && shared_secret_auth) {
    auto approve = [&](store::Database& db) -> Result<std::string> {
      store::PairingStore pairing(db);
      auto stored = pairing.put_request(request);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      if (auto approved = pairing.approve_request(stored->request_id, now); !approved) {
        return std::unexpected(approved.error());
      }
      return issue_device_token(pairing, device.id, principal.role, principal.scopes, now, false);
    };
    auto token = co_await gateway.with_database(approve);
    if (!token) {
      co_return store_failure(token.error());
    }
    log::info("gateway", "device {} paired for role {} (direct local connect)", device.id,
              principal.role);
    co_return std::move(*token);
  }

  std::string_view reason = "not-paired";
  if (record.paired && record.paired->public_key == device.public_key) {
    const auto& roles = record.paired->roles;
    reason = std::find(roles.begin(), roles.end(), principal.role) == roles.end() ? "role-upgrade"
                                                                                  : "scope-upgrade";
  }
  auto remember = [&](store::Database& db) { return store::PairingStore(db).put_request(request); };
  auto stored = co_await gateway.with_database(remember);
  if (!stored) {
    co_return store_failure(stored.error());
  }
  log::info("gateway", "device {} from {} needs pairing approval (request {})", device.id,
            peer.remote_address, stored->request_id);
  gateway.broadcast(fmt::format("{}.requested", pairing_family(principal.role)),
                    pairing_request_json(*stored), scope::kPairing);
  co_return pairing_required(*stored, reason);
}

}  // namespace

asio::awaitable<Outcome> accept_connect(Gateway& gateway, const json::value& params_value,
                                        const PeerInfo& peer, const Challenge& challenge) {
  const auto* params = params_value.if_object();
  if (params == nullptr) {
    co_return invalid_params("params must be an object");
  }
  auto min_protocol = integer_field(*params, "minProtocol");
  auto max_protocol = integer_field(*params, "maxProtocol");
  if (!min_protocol || !max_protocol || *min_protocol < 1 || *max_protocol < *min_protocol) {
    co_return invalid_params("minProtocol and maxProtocol must be integers with min <= max");
  }
  Principal principal;
  if (auto problem = read_client(*params, principal.client); !problem.empty()) {
    co_return invalid_params(problem);
  }

  int64_t low = std::max<int64_t>(*min_protocol, kMinProtocolVersion);
  int64_t high = std::min<int64_t>(*max_protocol, kProtocolVersion);
  if (low > high) {
    json::object details{{"code", "PROTOCOL_MISMATCH"},
                         {"clientMinProtocol", *min_protocol},
                         {"clientMaxProtocol", *max_protocol},
                         {"expectedProtocol", kProtocolVersion},
                         {"minimumProbeProtocol", kMinProtocolVersion}};
    co_return reject(
        invalid_request(
            fmt::format("protocol mismatch: this gateway speaks protocol {}-{}, the "
                        "client offered {}-{}",
                        kMinProtocolVersion, kProtocolVersion, *min_protocol, *max_protocol),
            std::move(details)),
        kCloseProtocolError);
  }
  principal.protocol = static_cast<int>(high);

  principal.role = params->contains("role") ? string_field(*params, "role") : "operator";
  if (principal.role != role::kOperator && principal.role != role::kNode) {
    co_return invalid_params(R"(role must be "operator" or "node")");
  }

  const auto& auth_config = gateway.config().gateway.auth;
  json::object auth_params;
  if (auto* value = params->if_contains("auth")) {
    if (!value->is_object()) {
      co_return invalid_params("auth must be an object");
    }
    auth_params = value->get_object();
  }
  std::string token = string_field(auth_params, "token");
  std::string password = string_field(auth_params, "password");
  std::string device_token = string_field(auth_params, "deviceToken");

  auto& limiter = gateway.rate_limiter();
  if (int64_t wait = limiter.retry_after_ms(peer.remote_address, peer.loopback); wait > 0) {
    RpcError error = unavailable(
        "unauthorized: too many failed authentication attempts from this address; try again "
        "later",
        wait);
    error.details =
        json::object{{"code", "AUTH_RATE_LIMITED"}, {"recommendedNextStep", "wait_then_retry"}};
    co_return reject(std::move(error));
  }
  // Device identity: the signature binds the challenge nonce, the client, the role, the scopes
  // exactly as sent and the token the client presents.
  std::optional<DeviceProof> device;
  if (auto* value = params->if_contains("device")) {
    device.emplace();
    if (auto problem = read_device(*value, *device); !problem.empty()) {
      co_return invalid_params(problem);
    }
    std::string signed_token = token;
    if (signed_token.empty()) {
      signed_token =
          !device_token.empty() ? device_token : string_field(auth_params, "bootstrapToken");
    }
    DeviceAuthContext context{principal.client.id,
                              principal.client.mode,
                              principal.role,
                              string_list(*params, "scopes"),
                              signed_token,
                              principal.client.platform,
                              principal.client.device_family};
    auto verified = verify_device_proof(*device, context, challenge.nonce, unix_ms());
    if (!verified) {
      log::warn("gateway", "connect from {} refused: {}", peer.remote_address,
                verified.error().reason);
      co_return reject(invalid_request(
          std::string(verified.error().message),
          json::object{{"code", verified.error().code}, {"reason", verified.error().reason}}));
    }
  } else if (principal.role == role::kNode) {
    co_return reject(invalid_request(
        "nodes must connect with a device identity (connect.params.device, signed over the "
        "connect.challenge nonce)",
        json::object{{"code", "DEVICE_IDENTITY_REQUIRED"}}));
  }
  principal.scopes = normalize_scopes(string_list(*params, "scopes"));

  // What state.db knows about this device: its pairing and its token for this role.
  DeviceRecord record;
  if (device) {
    auto lookup = [&](store::Database& db) -> Result<DeviceRecord> {
      store::PairingStore pairing(db);
      auto paired = pairing.find_device(device->id);
      if (!paired) {
        return std::unexpected(paired.error());
      }
      auto stored = pairing.find_token(device->id, principal.role);
      if (!stored) {
        return std::unexpected(stored.error());
      }
      return DeviceRecord{std::move(*paired), std::move(*stored)};
    };
    auto found = co_await gateway.with_database(lookup);
    if (!found) {
      co_return reject(
          unavailable("could not read device pairing state: " + found.error().describe()),
          kCloseTryAgainLater);
    }
    record = std::move(*found);
  }
  // Shared secret or device token. Either may carry the connection; a failure is reported (and
  // counted once) only when neither did.
  bool device_token_ok = device && record.token && record.paired &&
                         record.paired->public_key == device->public_key &&
                         (device_token_matches(*record.token, device_token) ||
                          device_token_matches(*record.token, token));
  switch (auth_config.mode) {
    case core::AuthMode::none:
      principal.auth_method = AuthMethod::none;
      break;
    case core::AuthMode::token:
    case core::AuthMode::password:
    case core::AuthMode::trusted_proxy: {
      bool token_mode = auth_config.mode == core::AuthMode::token;
      const std::string& expected = token_mode ? auth_config.token : auth_config.password;
      // The mode picks the configured secret, not the wire field: either field may carry it.
      const std::string& primary = token_mode ? token : password;
      const std::string& secondary = token_mode ? password : token;
      if (secrets_equal(primary, expected) || secrets_equal(secondary, expected)) {
        principal.auth_method = token_mode ? AuthMethod::token : AuthMethod::password;
        break;
      }
      if (device_token_ok) {
        principal.auth_method = AuthMethod::device_token;
        break;
      }
      limiter.record_failure(peer.remote_address, peer.loopback);
      log::warn("gateway", "connect from {} refused: {}", peer.remote_address,
                primary.empty() && secondary.empty() ? "no credentials" : "wrong credentials");
      if (device && !device_token.empty()) {
        co_return reject(auth_failure(
            "AUTH_DEVICE_TOKEN_MISMATCH", "device_token_mismatch",
            "unauthorized: device token mismatch (the token was rotated, revoked or belongs to "
            "another device; reconnect with the gateway token or re-pair the device)",
            "update_auth_credentials"));
      }
      std::string_view what = token_mode ? "token" : "password";
      std::string key = token_mode ? "gateway.auth.token" : "gateway.auth.password";
      if (primary.empty() && secondary.empty()) {
        co_return reject(auth_failure(
            token_mode ? "AUTH_TOKEN_MISSING" : "AUTH_PASSWORD_MISSING",
            token_mode ? "token_missing" : "password_missing",
            fmt::format("unauthorized: gateway {} missing (send this gateway's {})", what, key),
            "update_auth_configuration"));
      }
      co_return reject(auth_failure(
          token_mode ? "AUTH_TOKEN_MISMATCH" : "AUTH_PASSWORD_MISMATCH",
          token_mode ? "token_mismatch" : "password_mismatch",
          fmt::format("unauthorized: gateway {} mismatch (use this gateway's {} or pair the "
                      "device)",
                      what, key),
          "update_auth_credentials"));
    }
  }
  limiter.record_success(peer.remote_address);

  ConnectAccepted accepted;
  if (device) {
    auto paired = co_await settle_device_pairing(gateway, peer, *device, record, principal,
                                                 string_list(*params, "commands"));
    if (!paired) {
      co_return std::unexpected(std::move(paired.error()));
    }
    principal.device_id = device->id;
    if (!paired->empty()) {
      accepted.auth["deviceToken"] = std::move(*paired);
      accepted.auth["issuedAtMs"] = unix_ms();
    }
  }

  principal.caps = string_list(*params, "caps");
  principal.commands = string_list(*params, "commands");
  if (auto* permissions = params->if_contains("permissions");
      permissions != nullptr && permissions->is_object()) {
    principal.permissions = permissions->get_object();
  }
  principal.path_env = string_field(*params, "pathEnv");
  principal.locale = string_field(*params, "locale");
  principal.connected_at_ms = unix_ms();

  json::array scopes;
  for (const auto& scope : principal.scopes) {
    scopes.emplace_back(scope);
  }
  accepted.auth["role"] = principal.role;
  accepted.auth["scopes"] = std::move(scopes);
  accepted.principal = std::move(principal);
  co_return accepted;
}

json::object build_hello_ok(const Gateway& gateway, const ConnectAccepted& accepted,
                            const std::string& connection_id) {
  const auto& registry = gateway.methods();
  json::array methods;
  for (const auto& name : registry.method_names()) {
    methods.emplace_back(name);
  }
  json::array events;
  for (const auto& name : registry.event_names()) {
    events.emplace_back(name);
  }
  auto version = gateway.state_version();
  std::string_view auth_mode = "token";
  switch (gateway.config().gateway.auth.mode) {
    case core::AuthMode::token:
      break;
    case core::AuthMode::password:
      auth_mode = "password";
      break;
    case core::AuthMode::none:
      auth_mode = "none";
      break;
    case core::AuthMode::trusted_proxy:
      auth_mode = "trusted-proxy";
      break;
  }
  json::object snapshot{
      {"presence", gateway.presence_snapshot()},
      {"health", gateway.health_snapshot()},
      {"stateVersion", {{"presence", version.presence}, {"health", version.health}}},
      {"uptimeMs", gateway.uptime_ms()},
      {"configPath", gateway.paths().config_file.string()},
      {"stateDir", gateway.paths().state_dir.string()},
      {"sessionDefaults",
       {{"defaultAgentId", "main"}, {"mainKey", "main"}, {"mainSessionKey", "agent:main:main"}}},
      {"authMode", auth_mode},
  };
  return json::object{
      {"type", "hello-ok"},
      {"protocol", accepted.principal.protocol},
      {"server",
       {{"version", core::version()}, {"bootId", gateway.boot_id()}, {"connId", connection_id}}},
      {"features", {{"methods", std::move(methods)}, {"events", std::move(events)}}},
      {"snapshot", std::move(snapshot)},
      {"auth", accepted.auth},
      {"policy",
       {{"maxPayload", kMaxPayloadBytes},
        {"maxBufferedBytes", kMaxBufferedBytes},
        {"tickIntervalMs", kTickIntervalMs},
        {"attachments",
         {{"maxBytes", kAttachmentMaxBytes}, {"maxImageBytes", kAttachmentMaxImageBytes}}}}},
  };
}

}  // namespace pincer::gateway
