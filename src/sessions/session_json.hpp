#pragma once
// JSON shapes of the store's records, with the protocol's camelCase names (SessionRow in
// protocol.schema.json where a field exists there), shared by the CLI (`pincer sessions
// --json`, export) and the gateway's sessions.* and chat.history methods.

#include <boost/json/object.hpp>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::sessions {

// key, sessionId, kind, agentId, label, displayName, channel, accountId, chatType, createdAt,
// updatedAt, sessionStartedAt, lastInteractionAt, archived, archivedAt, archiveReason,
// previousSessionId, lastTo, lastThreadId, origin, inputTokens, outputTokens, totalTokens,
// contextTokens, compactionCount, entryCount, settings; plus the SessionRow-level overrides
// found in settings (model, thinkingLevel, verboseLevel, reasoningLevel, pinned, ...). Empty
// strings and unset times are left out.
boost::json::object to_session_json(const SessionRecord& session);

// seq, id, kind, role, content (parsed back to JSON; kept as a string if it does not parse),
// createdAt, runId, model, inputTokens, outputTokens, durationMs, meta. Unset fields are left
// out.
boost::json::object to_entry_json(const TranscriptEntry& entry);

// "direct" | "group" | "global" | "unknown", as SessionRow.kind: from the chat type, "global"
// for the global key.
std::string_view session_kind(const SessionRecord& session);

}  // namespace pincer::sessions
