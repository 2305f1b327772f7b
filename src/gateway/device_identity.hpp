#pragma once
// Device identity: an Ed25519 key pair a client keeps, proven on every connect by signing the
// gateway's challenge nonce. The device id is the lowercase hex SHA-256 of the raw 32-byte
// public key, so an id cannot be claimed without the key.
//
// The signed payload is the reference client's pipe-joined string (v3, with v2 still accepted
// for older clients); verify_device_proof() rebuilds it from the connect params and checks, in
// the reference's order: nonce present and equal to the challenge, public key well-formed,
// device id equal to the key's fingerprint, signature valid, signedAt within ±2 minutes.
//
// The gateway has an identity of its own (gateway.identity.get): a key pair generated on first
// start and kept in a 0600 file under the state directory.

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::gateway {

// RFC 4648 §5 base64url without padding. decode accepts input with or without '=' padding and
// returns nullopt for any other character.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// Lowercase hex SHA-256.
std::string sha256_hex(std::string_view bytes);

// The device id for a raw 32-byte Ed25519 public key.
std::string device_id_for_public_key(std::string_view raw_public_key);

// True when `signature` is a valid Ed25519 signature of `message` by `raw_public_key`.
bool ed25519_verify(std::string_view raw_public_key, std::string_view message,
                    std::string_view signature);

// What the client signed over, besides its device fields.
struct DeviceAuthContext {
  std::string client_id;
  std::string client_mode;
  std::string role;
  std::vector<std::string> scopes;  // exactly as sent (order kept, not normalized)
  std::string token;                // the auth token the client sent; "" when none
  std::string platform;
  std::string device_family;
};

// connect.params.device.
struct DeviceProof {
  std::string id;
  std::string public_key;  // base64url of the raw key
  std::string signature;   // base64url
  int64_t signed_at_ms = 0;
  std::string nonce;
};

std::string build_device_auth_payload_v3(const DeviceProof& device,
                                         const DeviceAuthContext& context);
std::string build_device_auth_payload_v2(const DeviceProof& device,
                                         const DeviceAuthContext& context);

// Why a device proof was refused: the wire detail code, the stable reason and the message.
struct DeviceAuthFailure {
  std::string_view code;    // DEVICE_AUTH_*
  std::string_view reason;  // device-nonce-missing, ...
  std::string_view message;
};

inline constexpr int64_t kDeviceSignatureSkewMs = int64_t{2} * 60 * 1000;

// Checks a device proof against the challenge nonce at time now_ms. On success returns the
// decoded raw public key.
std::expected<std::string, DeviceAuthFailure> verify_device_proof(const DeviceProof& device,
                                                                  const DeviceAuthContext& context,
                                                                  std::string_view challenge_nonce,
                                                                  int64_t now_ms);

// The gateway's own key pair.
struct GatewayIdentity {
  std::string device_id;
  std::string public_key;   // base64url raw
  std::string private_pem;  // PKCS#8 PEM; never sent anywhere
};

// Loads the identity from `path`, or generates one and writes it there (mode 0600) when the file
// does not exist. Fails when the file exists but is not a usable key.
Result<GatewayIdentity> load_or_create_gateway_identity(const std::filesystem::path& path);

}  // namespace pincer::gateway
