#include "gateway/handshake.hpp"

#include <algorithm>
#include <cstdlib>

#include <boost/json.hpp>
#include <fmt/core.h>

#include "core/log.hpp"
#include "core/version.hpp"
#include "gateway/gateway.hpp"
#include "gateway/protocol.hpp"
#include "gateway/scopes.hpp"
#include "gateway/shared_secret.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using Outcome = std::expected<ConnectAccepted, ConnectRejection>;

std::unexpected<ConnectRejection> reject(RpcError error, uint16_t close_code = kClosePolicyViolation) {
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

}  // namespace

asio::awaitable<Outcome> accept_connect(Gateway& gateway, const json::value& params_value,
                                        const PeerInfo& peer, const Challenge& challenge) {
  (void)challenge;
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
    co_return reject(invalid_request(
                         fmt::format("protocol mismatch: this gateway speaks protocol {}-{}, the "
                                     "client offered {}-{}",
                                     kMinProtocolVersion, kProtocolVersion, *min_protocol,
                                     *max_protocol),
                         std::move(details)),
                     kCloseProtocolError);
  }
  principal.protocol = static_cast<int>(high);

  principal.role = params->contains("role") ? string_field(*params, "role") : "operator";
  if (principal.role != role::kOperator && principal.role != role::kNode) {
    co_return invalid_params(R"(role must be "operator" or "node")");
  }

  // Shared-secret authentication.
  const auto& auth_config = gateway.config().gateway.auth;
  json::object auth_params;
  if (auto* value = params->if_contains("auth")) {
    if (!value->is_object()) {
      co_return invalid_params("auth must be an object");
    }
    auth_params = value->get_object();
  }
  auto& limiter = gateway.rate_limiter();
  if (int64_t wait = limiter.retry_after_ms(peer.remote_address, peer.loopback); wait > 0) {
    RpcError error = unavailable(
        "unauthorized: too many failed authentication attempts from this address; try again "
        "later",
        wait);
    error.details = json::object{{"code", "AUTH_RATE_LIMITED"},
                                 {"recommendedNextStep", "wait_then_retry"}};
    co_return reject(std::move(error));
  }
  std::string token = string_field(auth_params, "token");
  std::string password = string_field(auth_params, "password");
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
      limiter.record_failure(peer.remote_address, peer.loopback);
      log::warn("gateway", "connect from {} refused: {}", peer.remote_address,
                primary.empty() && secondary.empty() ? "no credentials" : "wrong credentials");
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

  // TEST-ONLY SHORTCUT (drop when device pairing lands): lets a shared-secret node connect
  // without a verified, paired device so node.invoke can be tested. The device id is taken on
  // trust. Never set PINCER_TEST_ALLOW_UNPAIRED_NODES outside tests.
  const char* allow_unpaired = std::getenv("PINCER_TEST_ALLOW_UNPAIRED_NODES");
  if (principal.role == role::kNode && allow_unpaired != nullptr &&
      std::string_view(allow_unpaired) == "1") {
    if (auto* device = params->if_contains("device"); device != nullptr && device->is_object()) {
      principal.device_id = string_field(device->get_object(), "id");
    }
  } else {
    if (params->contains("device")) {
      co_return reject(invalid_request("device identity is not supported by this gateway yet"));
    }
    if (principal.role == role::kNode) {
      co_return reject(invalid_request("nodes must connect with a device identity"));
    }
  }

  principal.scopes = normalize_scopes(string_list(*params, "scopes"));
  principal.caps = string_list(*params, "caps");
  principal.commands = string_list(*params, "commands");
  if (auto* permissions = params->if_contains("permissions");
      permissions != nullptr && permissions->is_object()) {
    principal.permissions = permissions->get_object();
  }
  principal.path_env = string_field(*params, "pathEnv");
  principal.locale = string_field(*params, "locale");
  principal.connected_at_ms = unix_ms();

  ConnectAccepted accepted;
  json::array scopes;
  for (const auto& scope : principal.scopes) {
    scopes.emplace_back(scope);
  }
  accepted.auth = json::object{{"role", principal.role}, {"scopes", std::move(scopes)}};
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
