#pragma once
// ChannelPairingStore: DM pairing for chat channels (docs: channels/pairing.md), in state.db.
//
// When a chat channel's DM policy is `pairing`, an unknown sender gets a short code and their
// message is not processed until an operator approves the code. This store keeps the two tables
// behind that: pending requests (one per channel, account and sender, each with its code and an
// expiry one hour after creation) and the allow list of approved senders.
//
// Promises:
//  - A code is 8 characters from kPairingCodeAlphabet (uppercase letters and digits without the
//    look-alikes 0 O 1 I), drawn from OpenSSL's CSPRNG without modulo bias, and unique among the
//    channel's live requests. Lookups by code ignore case.
//  - A request is live while now < expires_at_ms. Expired requests are never returned by the
//    lookups and never approved; purge_expired() deletes them.
//  - An account holds at most kMaxPendingPerAccount live requests; further senders are ignored
//    until one expires, is approved or is dismissed.
//  - Each call is one statement or one transaction.
//
// Not here: policy (which DM policy uses pairing, whether config allowFrom admits a sender) and
// sending the code to the sender. Approval grants DM access only; group admission never reads
// this allow list (channels/admission.hpp).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::store {

class Database;

struct ChannelPairingRequest {
  std::string request_id;
  std::string channel;
  std::string account_id;
  std::string sender_id;
  std::string sender_label;  // display name or @username, for the operator; may be empty
  std::string code;          // uppercase
  std::map<std::string, std::string> metadata;
  int64_t created_at_ms = 0;
  int64_t last_seen_at_ms = 0;
  int64_t expires_at_ms = 0;
};

struct ChannelAllowEntry {
  std::string channel;
  std::string account_id;
  std::string sender_id;
  std::string sender_label;
  int64_t approved_at_ms = 0;
};

struct PairingRequestOutcome {
  // Empty: the account already has the maximum of live requests and this sender was ignored.
  std::optional<ChannelPairingRequest> request;
  bool created = false;  // a new code was issued (the channel should send it to the sender)
};

// The characters a pairing code is drawn from: 24 letters and 8 digits.
inline constexpr std::string_view kPairingCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
inline constexpr std::size_t kPairingCodeLength = 8;

// A fresh random code. Fails (Errc::internal) only when OpenSSL cannot produce random bytes.
Result<std::string> generate_pairing_code();

class ChannelPairingStore {
 public:
  static constexpr int64_t kTtlMs = 3'600'000;  // codes expire after 1 hour
  static constexpr int kMaxPendingPerAccount = 3;

  explicit ChannelPairingStore(Database& db) : db_(db) {}

  // An unknown sender wrote. A live request for the sender is refreshed (last seen, label,
  // metadata) and returned with created=false, keeping its code and expiry; an expired one is
  // replaced by a new request and code (created=true); a new sender gets a new request unless
  // the account already has kMaxPendingPerAccount live ones (then `request` is empty). One
  // transaction.
  Result<PairingRequestOutcome> request(std::string_view channel, std::string_view account_id,
                                        std::string_view sender_id, std::string_view sender_label,
                                        const std::map<std::string, std::string>& metadata,
                                        int64_t now_ms);

  // Live requests, oldest first, optionally for one channel and/or account.
  Result<std::vector<ChannelPairingRequest>> list_pending(std::optional<std::string> channel,
                                                          std::optional<std::string> account_id,
                                                          int64_t now_ms);

  // The live request with this code on the channel (and account, when given). The code is
  // matched case-insensitively, surrounding whitespace ignored.
  Result<std::optional<ChannelPairingRequest>> find_by_code(std::string_view channel,
                                                            std::string_view code,
                                                            std::optional<std::string> account_id,
                                                            int64_t now_ms);

  // The request with this id, live or expired.
  Result<std::optional<ChannelPairingRequest>> find_by_id(std::string_view request_id);

  // Moves the live request into the allow list in one transaction and returns the new entry;
  // nullopt when the request is unknown or expired (an expired one is left for purge_expired).
  Result<std::optional<ChannelAllowEntry>> approve(std::string_view request_id, int64_t now_ms);

  // Removes the request without approving it and returns it; nullopt when unknown. Not a block:
  // the sender may ask again.
  Result<std::optional<ChannelPairingRequest>> dismiss(std::string_view request_id);

  Result<bool> is_allowed(std::string_view channel, std::string_view account_id,
                          std::string_view sender_id);
  // Approved senders, oldest approval first, optionally for one channel.
  Result<std::vector<ChannelAllowEntry>> list_allowed(std::optional<std::string> channel);
  // Removes an approved sender. False when it was not on the list.
  Result<bool> revoke(std::string_view channel, std::string_view account_id,
                      std::string_view sender_id);

  // Deletes the expired requests and returns how many there were.
  Result<int64_t> purge_expired(int64_t now_ms);

 private:
  Database& db_;
};

}  // namespace pincer::store
