#pragma once
// Device pairing glue between the handshake, the pairing RPC methods and the pairing store:
// device tokens (issue, hash, compare), the wire shapes of pairing records and events, and which
// event family a role's requests belong to.
//
// A device token is 32 random bytes, base64url. Only its SHA-256 is stored; a presented token is
// hashed and compared with CRYPTO_memcmp, so timing says nothing about a near miss.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "store/pairing_store.hpp"

namespace pincer::gateway {

std::string new_device_token();
std::string hash_device_token(std::string_view token);
// True when `presented` is the stored token and it has not been revoked.
bool device_token_matches(const store::DeviceToken& stored, std::string_view presented);

// Creates (or replaces) the device's token for `role` and returns the plaintext, which exists
// only in the caller's reply from here on. `rotated` records a rotation time.
Result<std::string> issue_device_token(store::PairingStore& pairing, const std::string& device_id,
                                       const std::string& role,
                                       const std::vector<std::string>& scopes, int64_t now_ms,
                                       bool rotated);

// "node.pair" for role node, "device.pair" otherwise: the prefix of the requested/resolved
// events and of the list a request shows up in.
std::string_view pairing_family(std::string_view role);

// A pending request as device.pair.requested / the pending lists show it
// (DevicePairRequestedEvent; node requests add the declared commands).
boost::json::object pairing_request_json(const store::PairingRequest& request);
// A paired device with its tokens (metadata only, never hashes).
boost::json::object paired_device_json(const store::PairedDevice& device,
                                       const std::vector<store::DeviceToken>& tokens);

}  // namespace pincer::gateway
