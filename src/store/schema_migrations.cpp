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
    // Sessions (sessions/session_store.hpp): one row per generation; a key has at most one
    // active row (archived_at_ms NULL). Transcripts (sessions/transcript_store.hpp): entries
    // numbered per generation by seq, read by range scans on the primary key.
    Migration{3, "sessions", R"sql(
      CREATE TABLE sessions (
        session_id TEXT PRIMARY KEY,
        session_key TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        started_at_ms BIGINT NOT NULL,
        last_interaction_at_ms BIGINT,
        archived_at_ms BIGINT,
        archive_reason TEXT,
        previous_session_id TEXT,
        chat_type TEXT,
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        last_to TEXT NOT NULL,
        last_thread_id TEXT NOT NULL,
        origin TEXT NOT NULL,
        label TEXT NOT NULL,
        display_name TEXT NOT NULL,
        settings TEXT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        total_tokens BIGINT NOT NULL,
        context_tokens BIGINT NOT NULL,
        compaction_count BIGINT NOT NULL,
        entry_count BIGINT NOT NULL
      );
      CREATE UNIQUE INDEX sessions_active_key ON sessions (session_key)
        WHERE archived_at_ms IS NULL;
      CREATE INDEX sessions_key_created ON sessions (session_key, created_at_ms);
      CREATE INDEX sessions_updated ON sessions (updated_at_ms);
      CREATE INDEX sessions_archived ON sessions (archived_at_ms);
      CREATE TABLE transcript_entries (
        session_id TEXT NOT NULL REFERENCES sessions (session_id) ON DELETE CASCADE,
        seq BIGINT NOT NULL,
        entry_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        role TEXT,
        content TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        run_id TEXT,
        model TEXT,
        input_tokens BIGINT,
        output_tokens BIGINT,
        duration_ms BIGINT,
        meta TEXT,
        PRIMARY KEY (session_id, seq)
      );
      CREATE UNIQUE INDEX transcript_entries_entry_id ON transcript_entries (entry_id);
    )sql"},
    Migration{4, "auth_profiles_and_usage", R"sql(
      CREATE TABLE auth_profiles (
        profile_id TEXT PRIMARY KEY,
        provider TEXT NOT NULL,
        type TEXT NOT NULL,
        secret TEXT NOT NULL,
        email TEXT,
        display_name TEXT,
        expires_at_ms BIGINT,
        created_at_ms BIGINT NOT NULL
      );
      CREATE INDEX auth_profiles_provider ON auth_profiles (provider);
      CREATE TABLE auth_profile_state (
        profile_id TEXT PRIMARY KEY,
        last_used_ms BIGINT NOT NULL DEFAULT 0,
        last_good_ms BIGINT NOT NULL DEFAULT 0,
        error_count BIGINT NOT NULL DEFAULT 0,
        last_failure_ms BIGINT NOT NULL DEFAULT 0,
        last_failure_reason TEXT,
        cooldown_until_ms BIGINT NOT NULL DEFAULT 0,
        cooldown_model TEXT,
        disabled_until_ms BIGINT NOT NULL DEFAULT 0,
        disabled_reason TEXT
      );
      CREATE TABLE model_usage (
        id INTEGER PRIMARY KEY,
        at_ms BIGINT NOT NULL,
        session_key TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        run_id TEXT,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        profile_id TEXT,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX model_usage_at ON model_usage (at_ms);
    )sql"},
    // Channels (src/channels/): inbound updates as received (the dedupe key is the channel's own
    // update id, so a redelivered update is recognised), the outbound queue (a reply is
    // recorded in the same transaction that marks its inbound answered, and leaves the table
    // only once the chat app accepted it), per-account cursors (Telegram's update offset), and
    // DM pairing (docs: channels/pairing.md): pending requests with their code, approved senders.
    Migration{5, "channels", R"sql(
      CREATE TABLE channel_inbound (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        message TEXT NOT NULL,
        state TEXT NOT NULL,
        run_id TEXT,
        session_key TEXT,
        draft_message_id TEXT,
        received_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        UNIQUE (channel, account_id, dedupe_key)
      );
      CREATE INDEX channel_inbound_state ON channel_inbound (state, id);
      CREATE TABLE channel_outbound (
        id INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        target TEXT NOT NULL,
        thread_id TEXT NOT NULL,
        reply_to TEXT NOT NULL,
        text TEXT NOT NULL,
        kind TEXT NOT NULL,
        draft_message_id TEXT,
        parts_sent BIGINT NOT NULL DEFAULT 0,
        attempts BIGINT NOT NULL DEFAULT 0,
        next_attempt_at_ms BIGINT NOT NULL,
        last_error TEXT,
        run_id TEXT,
        inbound_id BIGINT,
        created_at_ms BIGINT NOT NULL
      );
      CREATE INDEX channel_outbound_due ON channel_outbound (next_attempt_at_ms, id);
      CREATE TABLE channel_cursors (
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        cursor TEXT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, account_id)
      );
      CREATE TABLE channel_pairing_requests (
        request_id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_label TEXT NOT NULL,
        code TEXT NOT NULL,
        metadata TEXT NOT NULL,
        created_at_ms BIGINT NOT NULL,
        last_seen_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL,
        UNIQUE (channel, account_id, sender_id)
      );
      CREATE TABLE channel_pairing_allow (
        channel TEXT NOT NULL,
        account_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_label TEXT NOT NULL,
        approved_at_ms BIGINT NOT NULL,
        PRIMARY KEY (channel, account_id, sender_id)
      );
    )sql"},
    // Files on outbound messages: a JSON array of spooled files ({path, fileName, contentType,
    // asDocument}) sent after (or, with the text as caption, instead of) the text parts, and the
    // no-notification flag of `send {silent}`.
    Migration{6, "channel_outbound_media", R"sql(
      ALTER TABLE channel_outbound ADD COLUMN media TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE channel_outbound ADD COLUMN silent BIGINT NOT NULL DEFAULT 0;
    )sql"},
    // The memory index (tools/memory/memory_index.hpp): Markdown memory files chunked into
    // passages, per workspace (`scope` = the workspace's absolute path). The one SQLite-only part
    // of the schema: memory_fts is an FTS5 index over memory_chunks.text (external content, kept
    // in step by the triggers). memory_files holds what each file looked like when indexed
    // (mtime + size), so a search re-reads only files that changed. memory_embeddings caches
    // vectors by model and chunk-text hash, so re-chunking an edited file embeds only new text.
    Migration{7, "memory_index", R"sql(
      CREATE TABLE memory_files (
        scope TEXT NOT NULL,
        path TEXT NOT NULL,
        mtime_ns BIGINT NOT NULL,
        size BIGINT NOT NULL,
        indexed_at_ms BIGINT NOT NULL,
        PRIMARY KEY (scope, path)
      );
      CREATE TABLE memory_chunks (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL,
        path TEXT NOT NULL,
        start_line BIGINT NOT NULL,
        end_line BIGINT NOT NULL,
        text TEXT NOT NULL,
        text_hash TEXT NOT NULL
      );
      CREATE INDEX memory_chunks_by_file ON memory_chunks (scope, path);
      CREATE VIRTUAL TABLE memory_fts USING fts5(
        text, content='memory_chunks', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER memory_chunks_ai AFTER INSERT ON memory_chunks BEGIN
        INSERT INTO memory_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER memory_chunks_ad AFTER DELETE ON memory_chunks BEGIN
        INSERT INTO memory_fts (memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      CREATE TABLE memory_embeddings (
        model TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        dims BIGINT NOT NULL,
        vector BLOB NOT NULL,
        created_at_ms BIGINT NOT NULL,
        PRIMARY KEY (model, text_hash)
      );
    )sql"},
};

}  // namespace

std::span<const Migration> state_schema_migrations() {
  return kStateMigrations;
}

}  // namespace pincer::store
