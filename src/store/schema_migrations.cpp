#include "store/schema_migrations.hpp"

#include <array>

namespace pincer::store {

namespace {

// Portable SQL only (a PostgreSQL store is planned): TEXT, INTEGER/BIGINT, no SQLite-only
// clauses. Times are Unix milliseconds in integer columns.
constexpr std::array kStateMigrations{
    Migration{1, "meta", R"sql(
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    )sql"},
    // Device pairing (pairing_store.hpp). Tokens and requests go with their device.
    Migration{2, "device_pairing", R"sql(
      CREATE TABLE paired_devices (
        device_id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        roles TEXT NOT NULL,
        scopes TEXT NOT NULL,
        commands TEXT NOT NULL,
        client_id TEXT NOT NULL,
        client_mode TEXT NOT NULL,
        platform TEXT NOT NULL,
        device_family TEXT NOT NULL,
        display_name TEXT NOT NULL,
        label TEXT NOT NULL,
        remote_ip TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        approved_at_ms BIGINT NOT NULL
      );
      CREATE TABLE device_pairing_requests (
        request_id TEXT PRIMARY KEY,
        device_id TEXT NOT NULL,
        public_key TEXT NOT NULL,
        role TEXT NOT NULL,
        scopes TEXT NOT NULL,
        commands TEXT NOT NULL,
        client_id TEXT NOT NULL,
        client_mode TEXT NOT NULL,
        platform TEXT NOT NULL,
        device_family TEXT NOT NULL,
        display_name TEXT NOT NULL,
        remote_ip TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        UNIQUE (device_id, role)
      );
      CREATE TABLE device_tokens (
        device_id TEXT NOT NULL REFERENCES paired_devices (device_id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        rotated_at_ms BIGINT,
        revoked_at_ms BIGINT,
        PRIMARY KEY (device_id, role)
      );
    )sql"},
};

}  // namespace

std::span<const Migration> state_schema_migrations() {
  return kStateMigrations;
}

}  // namespace pincer::store
