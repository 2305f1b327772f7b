#pragma once
// PairingStore: the gateway's device pairing records in state.db.
//
// Three tables: paired devices (what an operator approved: roles, operator scopes, the client
// metadata seen at approval, an optional operator label), pending pairing requests (one per
// device and role; a reconnect refreshes it and keeps its request id), and device tokens (one per
// device and role, stored as the SHA-256 of the token only — the plaintext exists just once, in
// the hello-ok or rotate reply that issues it).
//
// Each call is one statement or one transaction. Removing a device removes its tokens and its
// pending requests. Lists (roles, scopes, commands) are stored as JSON arrays of strings.
//
// Not here: hashing, signature checks and policy (which scopes a role may hold, who may approve
// what): those belong to the gateway.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::store {

class Database;

// Client metadata recorded with a request or a paired device.
struct PairingClientInfo {
  std::string client_id;
  std::string client_mode;
  std::string platform;
  std::string device_family;
  std::string display_name;
};

struct PairedDevice {
  std::string device_id;
  std::string public_key;  // base64url raw Ed25519 key
  std::vector<std::string> roles;
  std::vector<std::string> scopes;    // approved operator scopes
  std::vector<std::string> commands;  // approved node commands (role node)
  PairingClientInfo client;
  std::string label;  // operator-chosen name; "" when none
  std::string remote_ip;
  int64_t created_at_ms = 0;
  int64_t approved_at_ms = 0;
};

struct PairingRequest {
  std::string request_id;
  std::string device_id;
  std::string public_key;
  std::string role;
  std::vector<std::string> scopes;
  std::vector<std::string> commands;  // declared node commands
  PairingClientInfo client;
  std::string remote_ip;
  int64_t created_at_ms = 0;
};

struct DeviceToken {
  std::string device_id;
  std::string role;
  std::string token_hash;  // lowercase hex SHA-256 of the token
  std::vector<std::string> scopes;
  int64_t created_at_ms = 0;
  std::optional<int64_t> rotated_at_ms;
  std::optional<int64_t> revoked_at_ms;
};

class PairingStore {
 public:
  explicit PairingStore(Database& db) : db_(db) {}

  Result<std::optional<PairedDevice>> find_device(std::string_view device_id);
  Result<std::vector<PairedDevice>> list_devices();  // oldest approval first
  // Inserts or replaces the device record (tokens are kept).
  Status put_device(const PairedDevice& device);
  // Removes the device, its tokens and its pending requests. False when it was not paired.
  Result<bool> remove_device(std::string_view device_id);
  // Sets the operator label. False when the device is not paired.
  Result<bool> rename_device(std::string_view device_id, std::string_view label);

  // Records a pending request. When one exists for the same device and role it is refreshed in
  // place and keeps its request id and creation time; the stored request is returned either way.
  Result<PairingRequest> put_request(const PairingRequest& request);
  Result<std::optional<PairingRequest>> find_request(std::string_view request_id);
  Result<std::vector<PairingRequest>> list_requests();  // oldest first
  Result<bool> remove_request(std::string_view request_id);

  // Approves a pending request in one transaction: the request's role, scopes and commands are
  // added to the device's record (created if new, with the request's key and client metadata),
  // and the request is removed. Errc::not_found when there is no such request.
  Result<PairedDevice> approve_request(std::string_view request_id, int64_t now_ms);

  Result<std::optional<DeviceToken>> find_token(std::string_view device_id, std::string_view role);
  Result<std::vector<DeviceToken>> list_tokens(std::string_view device_id);
  // Inserts or replaces the device's token for token.role. The device must be paired.
  Status put_token(const DeviceToken& token);
  // Marks the token revoked. False when the device has no token for that role.
  Result<bool> revoke_token(std::string_view device_id, std::string_view role, int64_t now_ms);

 private:
  Database& db_;
};

// Adds the entries of `extra` missing from `base`, keeping order.
std::vector<std::string> merge_unique(std::vector<std::string> base,
                                      const std::vector<std::string>& extra);

}  // namespace pincer::store
