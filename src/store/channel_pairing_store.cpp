#include "store/channel_pairing_store.hpp"

#include <openssl/rand.h>

#include <array>
#include <cctype>

#include <boost/json.hpp>

#include "core/ids.hpp"
#include "store/database.hpp"
#include "store/rows.hpp"
#include "store/transaction.hpp"

namespace pincer::store {

namespace json = boost::json;

namespace {

// A fresh code collides with a live one of the same channel about once in 10^11 draws; a few
// retries make a duplicate impossible in practice without looping forever on a broken RNG.
constexpr int kCodeAttempts = 8;

std::string to_json_map(const std::map<std::string, std::string>& metadata) {
  json::object object;
  for (const auto& [key, value] : metadata) {
    object[key] = value;
  }
  return json::serialize(object);
}

// Metadata is written only by this file; anything unreadable reads as empty rather than hiding
// the request from the operator.
std::map<std::string, std::string> from_json_map(std::string_view text) {
  std::map<std::string, std::string> out;
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) {
    return out;
  }
  for (const auto& [key, item] : value.get_object()) {
    if (item.is_string()) {
      out.emplace(std::string(key), std::string(item.get_string()));
    }
  }
  return out;
}

constexpr std::string_view kRequestColumns =
    "request_id, channel, account_id, sender_id, sender_label, code, metadata, created_at_ms, "
    "last_seen_at_ms, expires_at_ms";

ChannelPairingRequest read_request(const Statement& row) {
  ChannelPairingRequest request;
  request.request_id = row.column_text(0);
  request.channel = row.column_text(1);
  request.account_id = row.column_text(2);
  request.sender_id = row.column_text(3);
  request.sender_label = row.column_text(4);
  request.code = row.column_text(5);
  request.metadata = from_json_map(row.column_text_view(6));
  request.created_at_ms = row.column_int64(7);
  request.last_seen_at_ms = row.column_int64(8);
  request.expires_at_ms = row.column_int64(9);
  return request;
}

constexpr std::string_view kAllowColumns =
    "channel, account_id, sender_id, sender_label, approved_at_ms";

ChannelAllowEntry read_allow(const Statement& row) {
  ChannelAllowEntry entry;
  entry.channel = row.column_text(0);
  entry.account_id = row.column_text(1);
  entry.sender_id = row.column_text(2);
  entry.sender_label = row.column_text(3);
  entry.approved_at_ms = row.column_int64(4);
  return entry;
}

std::string select_requests(std::string_view where) {
  return "SELECT " + std::string(kRequestColumns) + " FROM channel_pairing_requests WHERE " +
         std::string(where);
}

// The code as stored: surrounding whitespace dropped, ASCII letters uppercased.
std::string canonical_code(std::string_view code) {
  while (!code.empty() && std::isspace(static_cast<unsigned char>(code.front()))) {
    code.remove_prefix(1);
  }
  while (!code.empty() && std::isspace(static_cast<unsigned char>(code.back()))) {
    code.remove_suffix(1);
  }
  std::string out(code);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// A code no live request of `channel` holds.
Result<std::string> unused_code(Database& db, std::string_view channel, int64_t now_ms) {
  for (int attempt = 0; attempt < kCodeAttempts; ++attempt) {
    auto code = generate_pairing_code();
    if (!code) {
      return code;
    }
    auto taken = query_int(db,
                           "SELECT COUNT(*) FROM channel_pairing_requests WHERE channel = ?1 AND "
                           "code = ?2 AND expires_at_ms > ?3",
                           channel, std::string_view(*code), now_ms);
    if (!taken) {
      return std::unexpected(taken.error());
    }
    if (*taken == 0) {
      return code;
    }
  }
  return fail(Errc::internal, "could not draw an unused pairing code",
              "the random number generator looks broken; check OpenSSL");
}

Status write_request(Database& db, const ChannelPairingRequest& r) {
  std::string sql = "INSERT OR REPLACE INTO channel_pairing_requests (" +
                    std::string(kRequestColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
  return run_sql(db, sql, std::string_view(r.request_id), std::string_view(r.channel),
                 std::string_view(r.account_id), std::string_view(r.sender_id),
                 std::string_view(r.sender_label), std::string_view(r.code),
                 to_json_map(r.metadata), r.created_at_ms, r.last_seen_at_ms, r.expires_at_ms);
}

}  // namespace

Result<std::string> generate_pairing_code() {
  constexpr std::size_t kAlphabetSize = kPairingCodeAlphabet.size();
  // Bytes at or above the largest multiple of the alphabet size are redrawn, so every character
  // is equally likely. (With 32 characters nothing is redrawn; the bound keeps that true if the
  // alphabet ever changes.)
  constexpr unsigned kLimit = 256 - (256 % kAlphabetSize);
  std::string code;
  code.reserve(kPairingCodeLength);
  while (code.size() < kPairingCodeLength) {
    std::array<unsigned char, 16> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      return fail(Errc::internal, "OpenSSL could not produce random bytes for a pairing code",
                  "check the system's entropy source");
    }
    for (unsigned char byte : bytes) {
      if (byte < kLimit && code.size() < kPairingCodeLength) {
        code += kPairingCodeAlphabet[byte % kAlphabetSize];
      }
    }
  }
  return code;
}

Result<PairingRequestOutcome> ChannelPairingStore::request(
    std::string_view channel, std::string_view account_id, std::string_view sender_id,
    std::string_view sender_label, const std::map<std::string, std::string>& metadata,
    int64_t now_ms) {
  auto transaction = Transaction::begin(db_);
  if (!transaction) {
    return std::unexpected(transaction.error());
  }
  auto existing = first_row(query_rows<ChannelPairingRequest>(
      db_, select_requests("channel = ?1 AND account_id = ?2 AND sender_id = ?3"), read_request,
      channel, account_id, sender_id));
  if (!existing) {
    return std::unexpected(existing.error());
  }

  PairingRequestOutcome outcome;
  if (*existing && (*existing)->expires_at_ms > now_ms) {
    // Still live: the sender already has the code; remember that they wrote again.
    ChannelPairingRequest refreshed = std::move(**existing);
    refreshed.last_seen_at_ms = now_ms;
    if (!sender_label.empty()) {
      refreshed.sender_label = std::string(sender_label);
    }
    if (!metadata.empty()) {
      refreshed.metadata = metadata;
    }
    if (auto written = write_request(db_, refreshed); !written) {
      return std::unexpected(written.error());
    }
    outcome.request = std::move(refreshed);
  } else {
    auto live = query_int(db_,
                          "SELECT COUNT(*) FROM channel_pairing_requests WHERE channel = ?1 AND "
                          "account_id = ?2 AND expires_at_ms > ?3",
                          channel, account_id, now_ms);
    if (!live) {
      return std::unexpected(live.error());
    }
    if (*live >= kMaxPendingPerAccount) {
      return outcome;  // ignored; the transaction rolls back having changed nothing
    }
    auto code = unused_code(db_, channel, now_ms);
    if (!code) {
      return std::unexpected(code.error());
    }
    ChannelPairingRequest created;
    // The code is the request's id: the sender is shown it, the owner approves with it, and the
    // protocol's approve/dismiss take a request id, so one name serves every path.
    created.request_id = *code;
    created.channel = std::string(channel);
    created.account_id = std::string(account_id);
    created.sender_id = std::string(sender_id);
    created.sender_label = std::string(sender_label);
    created.code = std::move(*code);
    created.metadata = metadata;
    created.created_at_ms = now_ms;
    created.last_seen_at_ms = now_ms;
    created.expires_at_ms = now_ms + kTtlMs;
    // INSERT OR REPLACE: an expired request of the same sender gives way (same unique key).
    if (auto written = write_request(db_, created); !written) {
      return std::unexpected(written.error());
    }
    outcome.request = std::move(created);
    outcome.created = true;
  }
  if (auto committed = transaction->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return outcome;
}

Result<std::vector<ChannelPairingRequest>> ChannelPairingStore::list_pending(
    std::optional<std::string> channel, std::optional<std::string> account_id, int64_t now_ms) {
  return query_rows<ChannelPairingRequest>(
      db_,
      select_requests("expires_at_ms > ?1 AND (?2 IS NULL OR channel = ?2) AND "
                      "(?3 IS NULL OR account_id = ?3) ORDER BY created_at_ms, request_id"),
      read_request, now_ms, channel, account_id);
}

Result<std::optional<ChannelPairingRequest>> ChannelPairingStore::find_by_code(
    std::string_view channel, std::string_view code, std::optional<std::string> account_id,
    int64_t now_ms) {
  std::string canonical = canonical_code(code);
  if (canonical.empty()) {
    return std::optional<ChannelPairingRequest>();
  }
  return first_row(query_rows<ChannelPairingRequest>(
      db_,
      select_requests("channel = ?1 AND code = ?2 AND expires_at_ms > ?3 AND "
                      "(?4 IS NULL OR account_id = ?4) ORDER BY created_at_ms, request_id"),
      read_request, channel, std::string_view(canonical), now_ms, account_id));
}

Result<std::optional<ChannelPairingRequest>> ChannelPairingStore::find_by_id(
    std::string_view request_id) {
  return first_row(query_rows<ChannelPairingRequest>(db_, select_requests("request_id = ?1"),
                                                     read_request, request_id));
}

Result<std::optional<ChannelAllowEntry>> ChannelPairingStore::approve(std::string_view request_id,
                                                                      int64_t now_ms) {
  auto transaction = Transaction::begin(db_);
  if (!transaction) {
    return std::unexpected(transaction.error());
  }
  auto request = find_by_id(request_id);
  if (!request) {
    return std::unexpected(request.error());
  }
  if (!*request || (*request)->expires_at_ms <= now_ms) {
    return std::optional<ChannelAllowEntry>();
  }
  ChannelAllowEntry entry{(*request)->channel, (*request)->account_id, (*request)->sender_id,
                          (*request)->sender_label, now_ms};
  std::string insert = "INSERT OR REPLACE INTO channel_pairing_allow (" +
                       std::string(kAllowColumns) + ") VALUES (?1, ?2, ?3, ?4, ?5)";
  if (auto written = run_sql(db_, insert, std::string_view(entry.channel),
                             std::string_view(entry.account_id), std::string_view(entry.sender_id),
                             std::string_view(entry.sender_label), entry.approved_at_ms);
      !written) {
    return std::unexpected(written.error());
  }
  if (auto removed =
          run_sql(db_, "DELETE FROM channel_pairing_requests WHERE request_id = ?1", request_id);
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto committed = transaction->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return std::optional<ChannelAllowEntry>(std::move(entry));
}

Result<std::optional<ChannelPairingRequest>> ChannelPairingStore::dismiss(
    std::string_view request_id) {
  auto transaction = Transaction::begin(db_);
  if (!transaction) {
    return std::unexpected(transaction.error());
  }
  auto request = find_by_id(request_id);
  if (!request) {
    return std::unexpected(request.error());
  }
  if (!*request) {
    return request;
  }
  if (auto removed =
          run_sql(db_, "DELETE FROM channel_pairing_requests WHERE request_id = ?1", request_id);
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto committed = transaction->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return request;
}

Result<bool> ChannelPairingStore::is_allowed(std::string_view channel, std::string_view account_id,
                                             std::string_view sender_id) {
  auto count = query_int(db_,
                         "SELECT COUNT(*) FROM channel_pairing_allow WHERE channel = ?1 AND "
                         "account_id = ?2 AND sender_id = ?3",
                         channel, account_id, sender_id);
  if (!count) {
    return std::unexpected(count.error());
  }
  return *count > 0;
}

Result<std::vector<ChannelAllowEntry>> ChannelPairingStore::list_allowed(
    std::optional<std::string> channel) {
  std::string sql = "SELECT " + std::string(kAllowColumns) +
                    " FROM channel_pairing_allow WHERE (?1 IS NULL OR channel = ?1) ORDER BY "
                    "approved_at_ms, channel, account_id, sender_id";
  return query_rows<ChannelAllowEntry>(db_, sql, read_allow, channel);
}

Result<bool> ChannelPairingStore::revoke(std::string_view channel, std::string_view account_id,
                                         std::string_view sender_id) {
  auto removed = run_sql(db_,
                         "DELETE FROM channel_pairing_allow WHERE channel = ?1 AND "
                         "account_id = ?2 AND sender_id = ?3",
                         channel, account_id, sender_id);
  if (!removed) {
    return std::unexpected(removed.error());
  }
  return db_.changes() > 0;
}

Result<int64_t> ChannelPairingStore::purge_expired(int64_t now_ms) {
  auto removed =
      run_sql(db_, "DELETE FROM channel_pairing_requests WHERE expires_at_ms <= ?1", now_ms);
  if (!removed) {
    return std::unexpected(removed.error());
  }
  return db_.changes();
}

}  // namespace pincer::store
