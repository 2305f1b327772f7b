#include "sessions/session_json.hpp"

#include <array>

#include <boost/json.hpp>

#include "sessions/session_key.hpp"

namespace pincer::sessions {

namespace json = boost::json;

namespace {

// Settings that SessionRow carries as top-level fields.
constexpr std::array<std::string_view, 12> kRowSettings{
    "model",          "modelProvider", "thinkingLevel", "verboseLevel",
    "reasoningLevel", "elevatedLevel", "sendPolicy",    "groupActivation",
    "responseUsage",  "pinned",        "pinnedAt",      "unread"};

void put_text(json::object& out, std::string_view name, const std::string& value) {
  if (!value.empty()) {
    out[name] = value;
  }
}

void put_time(json::object& out, std::string_view name, const std::optional<int64_t>& value) {
  if (value) {
    out[name] = *value;
  }
}

json::value parse_or_string(const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec) {
    return json::value(text);
  }
  return value;
}

}  // namespace

std::string_view session_kind(const SessionRecord& session) {
  return to_string(classify_session_key(session.session_key));
}

json::object to_session_json(const SessionRecord& s) {
  json::object out;
  out["key"] = s.session_key;
  out["sessionId"] = s.session_id;
  out["kind"] = session_kind(s);
  put_text(out, "agentId", s.agent_id);
  put_text(out, "label", s.label);
  put_text(out, "displayName", s.display_name);
  put_text(out, "channel", s.channel);
  put_text(out, "accountId", s.account_id);
  if (s.chat_type) {
    out["chatType"] = to_string(*s.chat_type);
  }
  out["createdAt"] = s.created_at_ms;
  out["updatedAt"] = s.updated_at_ms;
  out["sessionStartedAt"] = s.started_at_ms;
  put_time(out, "lastInteractionAt", s.last_interaction_at_ms);
  out["archived"] = s.archived();
  put_time(out, "archivedAt", s.archived_at_ms);
  if (s.archive_reason) {
    out["archiveReason"] = to_string(*s.archive_reason);
  }
  if (s.previous_session_id) {
    out["previousSessionId"] = *s.previous_session_id;
  }
  put_text(out, "lastTo", s.last_to);
  put_text(out, "lastThreadId", s.last_thread_id);
  if (!s.origin.empty()) {
    out["origin"] = s.origin;
  }
  out["inputTokens"] = s.input_tokens;
  out["outputTokens"] = s.output_tokens;
  out["totalTokens"] = s.total_tokens;
  out["contextTokens"] = s.context_tokens;
  out["compactionCount"] = s.compaction_count;
  out["entryCount"] = s.entry_count;
  for (auto name : kRowSettings) {
    if (const auto* value = s.settings.if_contains(name)) {
      out[name] = *value;
    }
  }
  out["settings"] = s.settings;
  return out;
}

json::object to_entry_json(const TranscriptEntry& e) {
  json::object out;
  out["seq"] = e.seq;
  out["id"] = e.entry_id;
  out["kind"] = to_string(e.kind);
  put_text(out, "role", e.role);
  out["content"] = parse_or_string(e.content);
  out["createdAt"] = e.created_at_ms;
  put_text(out, "runId", e.run_id);
  put_text(out, "model", e.model);
  put_time(out, "inputTokens", e.input_tokens);
  put_time(out, "outputTokens", e.output_tokens);
  put_time(out, "durationMs", e.duration_ms);
  if (!e.meta.empty()) {
    out["meta"] = parse_or_string(e.meta);
  }
  return out;
}

}  // namespace pincer::sessions
