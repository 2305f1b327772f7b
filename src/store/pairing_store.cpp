#include "store/pairing_store.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "store/database.hpp"
#include "store/rows.hpp"
#include "store/transaction.hpp"

namespace pincer::store {

namespace json = boost::json;

namespace {

std::string to_json_list(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items) {
    array.emplace_back(item);
  }
  return json::serialize(array);
}

// Lists are written only by this file; anything unreadable reads as empty rather than failing
// every pairing operation on the device.
std::vector<std::string> from_json_list(std::string_view text) {
  std::vector<std::string> out;
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_array()) {
    return out;
  }
  for (const auto& item : value.get_array()) {
    if (item.is_string()) {
      out.emplace_back(item.get_string());
    }
  }
  return out;
}

constexpr std::string_view kDeviceColumns =
    "device_id, public_key, roles, scopes, commands, client_id, client_mode, platform, "
    "device_family, display_name, label, remote_ip, created_at_ms, approved_at_ms";

PairedDevice read_device(const Statement& row) {
  PairedDevice device;
  device.device_id = row.column_text(0);
  device.public_key = row.column_text(1);
  device.roles = from_json_list(row.column_text_view(2));
  device.scopes = from_json_list(row.column_text_view(3));
  device.commands = from_json_list(row.column_text_view(4));
  device.client = {row.column_text(5), row.column_text(6), row.column_text(7), row.column_text(8),
                   row.column_text(9)};
  device.label = row.column_text(10);
  device.remote_ip = row.column_text(11);
  device.created_at_ms = row.column_int64(12);
  device.approved_at_ms = row.column_int64(13);
  return device;
}

constexpr std::string_view kRequestColumns =
    "request_id, device_id, public_key, role, scopes, commands, client_id, client_mode, "
    "platform, device_family, display_name, remote_ip, created_at_ms";

PairingRequest read_request(const Statement& row) {
  PairingRequest request;
  request.request_id = row.column_text(0);
  request.device_id = row.column_text(1);
  request.public_key = row.column_text(2);
  request.role = row.column_text(3);
  request.scopes = from_json_list(row.column_text_view(4));
  request.commands = from_json_list(row.column_text_view(5));
  request.client = {row.column_text(6), row.column_text(7), row.column_text(8), row.column_text(9),
                    row.column_text(10)};
  request.remote_ip = row.column_text(11);
  request.created_at_ms = row.column_int64(12);
  return request;
}

DeviceToken read_token(const Statement& row) {
  DeviceToken token;
  token.device_id = row.column_text(0);
  token.role = row.column_text(1);
  token.token_hash = row.column_text(2);
  token.scopes = from_json_list(row.column_text_view(3));
  token.created_at_ms = row.column_int64(4);
  if (!row.column_is_null(5)) {
    token.rotated_at_ms = row.column_int64(5);
  }
  if (!row.column_is_null(6)) {
    token.revoked_at_ms = row.column_int64(6);
  }
  return token;
}

constexpr std::string_view kTokenColumns =
    "device_id, role, token_hash, scopes, created_at_ms, rotated_at_ms, revoked_at_ms";

// Runs a statement that was fully bound by `bind`, as one helper so every writer checks each
// bind the same way.
template <class Bind>
Status run_bound(Database& db, std::string_view sql, Bind bind) {
  auto statement = db.prepare(sql);
  if (!statement) {
    return std::unexpected(statement.error());
  }
  if (auto bound = bind(*statement); !bound) {
    return bound;
  }
  return statement->run();
}

template <class T, class Read, class Bind>
Result<std::vector<T>> query(Database& db, std::string_view sql, Bind bind, Read read) {
  auto statement = db.prepare(sql);
  if (!statement) {
    return std::unexpected(statement.error());
  }
  if (auto bound = bind(*statement); !bound) {
    return std::unexpected(bound.error());
  }
  return collect_rows<T>(*statement, read);
}

Status no_binds(Statement&) {
  return {};
}

Status write_device(Database& db, const PairedDevice& d) {
  std::string sql = "INSERT OR REPLACE INTO paired_devices (" + std::string(kDeviceColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
  return run_bound(db, sql, [&](Statement& s) {
    return bind_all(s, std::string_view(d.device_id), std::string_view(d.public_key),
                    to_json_list(d.roles), to_json_list(d.scopes), to_json_list(d.commands),
                    std::string_view(d.client.client_id), std::string_view(d.client.client_mode),
                    std::string_view(d.client.platform), std::string_view(d.client.device_family),
                    std::string_view(d.client.display_name), std::string_view(d.label),
                    std::string_view(d.remote_ip), d.created_at_ms, d.approved_at_ms);
  });
}

template <class T>
Result<std::optional<T>> first(Result<std::vector<T>> rows) {
  if (!rows) {
    return std::unexpected(rows.error());
  }
  if (rows->empty()) {
    return std::optional<T>();
  }
  return std::optional<T>(std::move(rows->front()));
}

}  // namespace

std::vector<std::string> merge_unique(std::vector<std::string> base,
                                      const std::vector<std::string>& extra) {
  for (const auto& item : extra) {
    if (std::find(base.begin(), base.end(), item) == base.end()) {
      base.push_back(item);
    }
  }
  return base;
}

Result<std::optional<PairedDevice>> PairingStore::find_device(std::string_view device_id) {
  std::string sql =
      "SELECT " + std::string(kDeviceColumns) + " FROM paired_devices WHERE device_id = ?1";
  return first(query<PairedDevice>(
      db_, sql, [&](Statement& s) { return s.bind(1, device_id); }, read_device));
}

Result<std::vector<PairedDevice>> PairingStore::list_devices() {
  std::string sql = "SELECT " + std::string(kDeviceColumns) +
                    " FROM paired_devices ORDER BY approved_at_ms, device_id";
  return query<PairedDevice>(db_, sql, no_binds, read_device);
}

Status PairingStore::put_device(const PairedDevice& device) {
  return write_device(db_, device);
}

Result<bool> PairingStore::remove_device(std::string_view device_id) {
  auto transaction = Transaction::begin(db_);
  if (!transaction) {
    return std::unexpected(transaction.error());
  }
  auto bind_id = [&](Statement& s) { return s.bind(1, device_id); };
  if (auto removed =
          run_bound(db_, "DELETE FROM device_pairing_requests WHERE device_id = ?1", bind_id);
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto removed = run_bound(db_, "DELETE FROM device_tokens WHERE device_id = ?1", bind_id);
      !removed) {
    return std::unexpected(removed.error());
  }
  if (auto removed = run_bound(db_, "DELETE FROM paired_devices WHERE device_id = ?1", bind_id);
      !removed) {
    return std::unexpected(removed.error());
  }
  bool existed = db_.changes() > 0;
  if (auto committed = transaction->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return existed;
}

Result<bool> PairingStore::rename_device(std::string_view device_id, std::string_view label) {
  auto updated = run_bound(db_, "UPDATE paired_devices SET label = ?2 WHERE device_id = ?1",
                           [&](Statement& s) { return bind_all(s, device_id, label); });
  if (!updated) {
    return std::unexpected(updated.error());
  }
  return db_.changes() > 0;
}

Result<PairingRequest> PairingStore::put_request(const PairingRequest& request) {
  auto transaction = Transaction::begin(db_);
  if (!transaction) {
    return std::unexpected(transaction.error());
  }
  std::string select = "SELECT " + std::string(kRequestColumns) +
                       " FROM device_pairing_requests WHERE device_id = ?1 AND role = ?2";
  auto existing = first(query<PairingRequest>(
      db_, select,
      [&](Statement& s) {
        return bind_all(s, std::string_view(request.device_id), std::string_view(request.role));
      },
      read_request));
  if (!existing) {
    return std::unexpected(existing.error());
  }
  PairingRequest stored = request;
  if (*existing) {
    stored.request_id = (*existing)->request_id;
    stored.created_at_ms = (*existing)->created_at_ms;
  }
  std::string sql = "INSERT OR REPLACE INTO device_pairing_requests (" +
                    std::string(kRequestColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
  auto written = run_bound(db_, sql, [&](Statement& s) {
    const auto& r = stored;
    return bind_all(s, std::string_view(r.request_id), std::string_view(r.device_id),
                    std::string_view(r.public_key), std::string_view(r.role),
                    to_json_list(r.scopes), to_json_list(r.commands),
                    std::string_view(r.client.client_id), std::string_view(r.client.client_mode),
                    std::string_view(r.client.platform), std::string_view(r.client.device_family),
                    std::string_view(r.client.display_name), std::string_view(r.remote_ip),
                    r.created_at_ms);
  });
  if (!written) {
    return std::unexpected(written.error());
  }
  if (auto committed = transaction->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return stored;
}

Result<std::optional<PairingRequest>> PairingStore::find_request(std::string_view request_id) {
  std::string sql = "SELECT " + std::string(kRequestColumns) +
                    " FROM device_pairing_requests WHERE request_id = ?1";
  return first(query<PairingRequest>(
      db_, sql, [&](Statement& s) { return s.bind(1, request_id); }, read_request));
}

Result<std::vector<PairingRequest>> PairingStore::list_requests() {
  std::string sql = "SELECT " + std::string(kRequestColumns) +
                    " FROM device_pairing_requests ORDER BY created_at_ms, request_id";
  return query<PairingRequest>(db_, sql, no_binds, read_request);
}

Result<bool> PairingStore::remove_request(std::string_view request_id) {
  auto removed = run_bound(db_, "DELETE FROM device_pairing_requests WHERE request_id = ?1",
                           [&](Statement& s) { return s.bind(1, request_id); });
  if (!removed) {
    return std::unexpected(removed.error());
  }
  return db_.changes() > 0;
}

Result<PairedDevice> PairingStore::approve_request(std::string_view request_id, int64_t now_ms) {
  auto transaction = Transaction::begin(db_);
  if (!transaction) {
    return std::unexpected(transaction.error());
  }
  auto request = find_request(request_id);
  if (!request) {
    return std::unexpected(request.error());
  }
  if (!*request) {
    return fail(Errc::not_found, "unknown requestId",
                "list pending requests with `pincer devices list`");
  }
  const PairingRequest& r = **request;
  auto current = find_device(r.device_id);
  if (!current) {
    return std::unexpected(current.error());
  }
  PairedDevice device;
  if (*current && (*current)->public_key == r.public_key) {
    device = std::move(**current);
  } else {
    // New device, or the id now comes with a different key: the old grant does not carry over.
    device.device_id = r.device_id;
    device.public_key = r.public_key;
    device.created_at_ms = now_ms;
    if (*current) {
      device.label = (*current)->label;
      device.created_at_ms = (*current)->created_at_ms;
    }
  }
  device.roles = merge_unique(std::move(device.roles), {r.role});
  device.scopes = merge_unique(std::move(device.scopes), r.scopes);
  device.commands = merge_unique(std::move(device.commands), r.commands);
  device.client = r.client;
  device.remote_ip = r.remote_ip;
  device.approved_at_ms = now_ms;
  if (auto written = write_device(db_, device); !written) {
    return std::unexpected(written.error());
  }
  if (auto removed = remove_request(request_id); !removed) {
    return std::unexpected(removed.error());
  }
  if (auto committed = transaction->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return device;
}

Result<std::optional<DeviceToken>> PairingStore::find_token(std::string_view device_id,
                                                            std::string_view role) {
  std::string sql = "SELECT " + std::string(kTokenColumns) +
                    " FROM device_tokens WHERE device_id = ?1 AND role = ?2";
  return first(query<DeviceToken>(
      db_, sql, [&](Statement& s) { return bind_all(s, device_id, role); }, read_token));
}

Result<std::vector<DeviceToken>> PairingStore::list_tokens(std::string_view device_id) {
  std::string sql = "SELECT " + std::string(kTokenColumns) +
                    " FROM device_tokens WHERE device_id = ?1 ORDER BY role";
  return query<DeviceToken>(
      db_, sql, [&](Statement& s) { return s.bind(1, device_id); }, read_token);
}

Status PairingStore::put_token(const DeviceToken& t) {
  std::string sql = "INSERT OR REPLACE INTO device_tokens (" + std::string(kTokenColumns) +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
  return run_bound(db_, sql, [&](Statement& s) {
    return bind_all(s, std::string_view(t.device_id), std::string_view(t.role),
                    std::string_view(t.token_hash), to_json_list(t.scopes), t.created_at_ms,
                    t.rotated_at_ms, t.revoked_at_ms);
  });
}

Result<bool> PairingStore::revoke_token(std::string_view device_id, std::string_view role,
                                        int64_t now_ms) {
  auto updated = run_bound(
      db_, "UPDATE device_tokens SET revoked_at_ms = ?3 WHERE device_id = ?1 AND role = ?2",
      [&](Statement& s) { return bind_all(s, device_id, role, now_ms); });
  if (!updated) {
    return std::unexpected(updated.error());
  }
  return db_.changes() > 0;
}

}  // namespace pincer::store
