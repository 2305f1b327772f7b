#include "gateway/device_pairing.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

#include <boost/json.hpp>

#include "gateway/device_identity.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace json = boost::json;

namespace {

json::array to_array(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) {
    if (!item.empty()) {
      out.emplace_back(item);
    }
  }
  return out;
}

// The schema gives every optional string minLength 1: omit empty ones.
void put_if(json::object& object, std::string_view key, const std::string& value) {
  if (!value.empty()) {
    object[key] = value;
  }
}

}  // namespace

std::string new_device_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // Without randomness no token is safe to hand out; this is not recoverable.
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return base64url_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string hash_device_token(std::string_view token) {
  return sha256_hex(token);
}

bool device_token_matches(const store::DeviceToken& stored, std::string_view presented) {
  if (presented.empty() || stored.revoked_at_ms) {
    return false;
  }
  std::string hash = hash_device_token(presented);
  return hash.size() == stored.token_hash.size() &&
         CRYPTO_memcmp(hash.data(), stored.token_hash.data(), hash.size()) == 0;
}

Result<std::string> issue_device_token(store::PairingStore& pairing, const std::string& device_id,
                                       const std::string& role,
                                       const std::vector<std::string>& scopes, int64_t now_ms,
                                       bool rotated) {
  std::string token = new_device_token();
  store::DeviceToken record{device_id, role, hash_device_token(token), scopes, now_ms, {}, {}};
  if (rotated) {
    record.rotated_at_ms = now_ms;
  }
  if (auto written = pairing.put_token(record); !written) {
    return std::unexpected(written.error());
  }
  return token;
}

std::string_view pairing_family(std::string_view role) {
  return role == role::kNode ? "node.pair" : "device.pair";
}

json::object pairing_request_json(const store::PairingRequest& request) {
  json::object out{{"requestId", request.request_id},
                   {"deviceId", request.device_id},
                   {"publicKey", request.public_key}};
  put_if(out, "displayName", request.client.display_name);
  put_if(out, "platform", request.client.platform);
  put_if(out, "deviceFamily", request.client.device_family);
  put_if(out, "clientId", request.client.client_id);
  put_if(out, "clientMode", request.client.client_mode);
  out["role"] = request.role;
  out["roles"] = json::array{json::value(request.role)};
  out["scopes"] = to_array(request.scopes);
  put_if(out, "remoteIp", request.remote_ip);
  if (request.role == role::kNode) {
    out["commands"] = to_array(request.commands);
  }
  out["ts"] = request.created_at_ms;
  return out;
}

json::object paired_device_json(const store::PairedDevice& device,
                                const std::vector<store::DeviceToken>& tokens) {
  json::object out{{"deviceId", device.device_id}, {"publicKey", device.public_key}};
  // The operator's label wins over the name the client reports.
  put_if(out, "displayName", device.label.empty() ? device.client.display_name : device.label);
  put_if(out, "label", device.label);
  put_if(out, "platform", device.client.platform);
  put_if(out, "deviceFamily", device.client.device_family);
  put_if(out, "clientId", device.client.client_id);
  put_if(out, "clientMode", device.client.client_mode);
  put_if(out, "remoteIp", device.remote_ip);
  out["roles"] = to_array(device.roles);
  out["scopes"] = to_array(device.scopes);
  if (!device.commands.empty()) {
    out["commands"] = to_array(device.commands);
  }
  json::array token_list;
  for (const auto& token : tokens) {
    json::object entry{{"role", token.role},
                       {"scopes", to_array(token.scopes)},
                       {"createdAtMs", token.created_at_ms}};
    if (token.rotated_at_ms) {
      entry["rotatedAtMs"] = *token.rotated_at_ms;
    }
    if (token.revoked_at_ms) {
      entry["revokedAtMs"] = *token.revoked_at_ms;
    }
    token_list.emplace_back(std::move(entry));
  }
  out["tokens"] = std::move(token_list);
  out["createdAtMs"] = device.created_at_ms;
  out["approvedAtMs"] = device.approved_at_ms;
  return out;
}

}  // namespace pincer::gateway
