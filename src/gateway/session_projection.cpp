#include "gateway/session_projection.hpp"

#include <boost/json.hpp>

#include "core/config.hpp"

namespace pincer::gateway {

namespace json = boost::json;

namespace {

constexpr std::string_view kAgentPrefix = "agent:";

std::string default_agent_id(const core::Config& /*config*/) {
  return "main";
}

// The part of "agent:<id>:<rest>" after the agent id; the whole key otherwise.
std::string_view key_rest(std::string_view key) {
  if (!key.starts_with(kAgentPrefix)) {
    return key;
  }
  auto rest = key.substr(kAgentPrefix.size());
  auto colon = rest.find(':');
  return colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
}

bool contains_segment(std::string_view rest, std::string_view segment) {
  std::string needle = ":" + std::string(segment) + ":";
  return (":" + std::string(rest) + ":").find(needle) != std::string::npos;
}

std::string_view key_kind(std::string_view key) {
  if (key == "global") {
    return "global";
  }
  if (key == "unknown") {
    return "unknown";
  }
  auto rest = key_rest(key);
  if (contains_segment(rest, "group") || contains_segment(rest, "channel")) {
    return "group";
  }
  return "direct";
}

std::string_view key_classification(std::string_view key) {
  auto rest = key_rest(key);
  if (key.starts_with(kAgentPrefix) && rest == "main") {
    return "main";
  }
  if (rest.starts_with("cron:")) {
    return "cron";
  }
  if (rest.starts_with("hook:")) {
    return "hook";
  }
  if (contains_segment(rest, "group")) {
    return "group";
  }
  if (contains_segment(rest, "channel")) {
    return "channel";
  }
  if (contains_segment(rest, "direct") || contains_segment(rest, "dm")) {
    return "direct";
  }
  return "custom";
}

// "provider/model" → {provider, model}; a bare model has no provider.
std::pair<std::string, std::string> split_model(std::string_view ref) {
  auto slash = ref.find('/');
  if (slash == std::string_view::npos) {
    return {std::string(), std::string(ref)};
  }
  return {std::string(ref.substr(0, slash)), std::string(ref.substr(slash + 1))};
}

void put_model(json::object& row, std::string_view ref) {
  auto [provider, model] = split_model(ref);
  if (!provider.empty()) {
    row["modelProvider"] = provider;
  }
  if (!model.empty()) {
    row["model"] = model;
  }
}

void base_row(json::object& row, std::string_view key, const core::Config& config, int64_t now_ms) {
  row["key"] = key;
  row["kind"] = key_kind(key);
  row["classification"] = key_classification(key);
  row["agentId"] = agent_id_of_key(key, config);
  row["isMain"] = key_classification(key) == "main";
  row["isBackground"] = false;
  row["archived"] = false;
  row["pinned"] = false;
  row["unread"] = false;
  // No agent runs exist in this process yet: every session is idle.
  row["hasActiveRun"] = false;
  row["activeRunIds"] = json::array();
  row["snapshotAt"] = now_ms;
}

// Appends text parts of a content value (a string, a part, or an array of parts).
void collect_text(const json::value& content, std::string& out) {
  auto add = [&](std::string_view text) {
    if (!text.empty()) {
      if (!out.empty()) {
        out += "\n";
      }
      out += text;
    }
  };
  if (content.is_string()) {
    add(content.get_string());
  } else if (content.is_array()) {
    for (const auto& part : content.get_array()) {
      collect_text(part, out);
    }
  } else if (const auto* part = content.if_object()) {
    const auto* type = part->if_contains("type");
    const auto* text = part->if_contains("text");
    if (text != nullptr && text->is_string() &&
        (type == nullptr || (type->is_string() && type->get_string() == "text"))) {
      add(text->get_string());
    } else if (const auto* inner = part->if_contains("content")) {
      collect_text(*inner, out);
    }
  }
}

json::value parse_or_string(std::string_view text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) {
    return json::string(text);
  }
  return value;
}

// Clips every text part of a content value in place.
void clip_content(json::value& content, std::size_t max_chars) {
  if (content.is_string()) {
    if (content.get_string().size() > max_chars) {
      content = clip_text(content.get_string(), max_chars);
    }
  } else if (content.is_array()) {
    for (auto& part : content.get_array()) {
      clip_content(part, max_chars);
    }
  } else if (auto* part = content.if_object()) {
    if (auto* text = part->if_contains("text"); text != nullptr && text->is_string()) {
      clip_content(*text, max_chars);
    }
  }
}

}  // namespace

std::string agent_id_of_key(std::string_view key, const core::Config& config) {
  if (key.starts_with(kAgentPrefix)) {
    auto rest = key.substr(kAgentPrefix.size());
    auto id = rest.substr(0, rest.find(':'));
    if (!id.empty()) {
      return std::string(id);
    }
  }
  return default_agent_id(config);
}

json::object session_row(const sessions::SessionRecord& record, const core::Config& config,
                         int64_t now_ms, const RowExtras& extras) {
  json::object row;
  // Overrides first, so the stored facts below win over a same-named setting.
  for (const auto& [name, value] : record.settings) {
    row[name] = value;
  }
  base_row(row, record.session_key, config, now_ms);
  row["agentId"] = record.agent_id;
  row["sessionId"] = record.session_id;
  if (!record.label.empty()) {
    row["label"] = record.label;
  }
  if (!record.label.empty() || !record.display_name.empty()) {
    row["displayName"] = record.label.empty() ? record.display_name : record.label;
  }
  if (!record.channel.empty()) {
    row["channel"] = record.channel;
  }
  if (!record.account_id.empty()) {
    row["accountId"] = record.account_id;
  }
  if (record.chat_type) {
    row["chatType"] = sessions::to_string(*record.chat_type);
  }
  row["createdAt"] = record.created_at_ms;
  row["updatedAt"] = record.updated_at_ms;
  row["sessionStartedAt"] = record.started_at_ms;
  if (record.last_interaction_at_ms) {
    row["lastInteractionAt"] = *record.last_interaction_at_ms;
  }
  row["archived"] = record.archived();
  if (record.archived_at_ms) {
    row["archivedAt"] = *record.archived_at_ms;
  }
  if (record.archive_reason) {
    row["archiveReason"] = sessions::to_string(*record.archive_reason);
  }
  if (record.previous_session_id) {
    row["previousSessionId"] = *record.previous_session_id;
  }
  if (!record.origin.empty()) {
    row["origin"] = record.origin;
  }
  row["inputTokens"] = record.input_tokens;
  row["outputTokens"] = record.output_tokens;
  row["totalTokens"] = record.total_tokens;
  if (record.context_tokens > 0) {
    row["contextTokens"] = record.context_tokens;
  }
  row["compactionCount"] = record.compaction_count;
  row["messageCount"] = record.entry_count;
  for (std::string_view flag : {"pinned", "unread"}) {
    const auto* value = record.settings.if_contains(flag);
    row[flag] = value != nullptr && value->is_bool() && value->get_bool();
  }
  // The model the session runs on: its override, else the configured default.
  const auto* override_model = record.settings.if_contains("model");
  if (override_model != nullptr && override_model->is_string()) {
    put_model(row, override_model->get_string());
    row["modelOverrideSource"] = "user";  // an operator or /model chose it
  } else {
    put_model(row, config.agents.defaults.model.primary);
    row["modelOverrideSource"] = nullptr;
  }
  if (extras.last_message_preview) {
    row["lastMessagePreview"] = *extras.last_message_preview;
  }
  if (extras.derived_title) {
    row["derivedTitle"] = *extras.derived_title;
  }
  return row;
}

json::object missing_session_row(std::string_view key, const core::Config& config, int64_t now_ms) {
  json::object row;
  base_row(row, key, config, now_ms);
  row["updatedAt"] = nullptr;
  put_model(row, config.agents.defaults.model.primary);
  return row;
}

json::object session_defaults(const core::Config& config) {
  json::object defaults;
  put_model(defaults, config.agents.defaults.model.primary);
  return defaults;
}

json::object chat_message(const sessions::TranscriptEntry& entry, std::size_t max_chars) {
  json::value content = parse_or_string(entry.content);
  json::object message;
  if (auto* stored = content.if_object(); stored != nullptr && stored->contains("role")) {
    message = std::move(*stored);  // the runner stored a whole provider-neutral message
  } else {
    message["role"] =
        entry.role.empty() ? std::string(sessions::to_string(entry.kind)) : entry.role;
    if (content.is_string()) {
      content = json::array{json::object{{"type", "text"}, {"text", content.get_string()}}};
    }
    message["content"] = std::move(content);
  }
  if (auto* body = message.if_contains("content")) {
    clip_content(*body, max_chars);
  }
  message["timestamp"] = entry.created_at_ms;
  if (!entry.model.empty() && !message.contains("model")) {
    message["model"] = entry.model;
  }
  if ((entry.input_tokens || entry.output_tokens) && !message.contains("usage")) {
    int64_t input = entry.input_tokens.value_or(0);
    int64_t output = entry.output_tokens.value_or(0);
    message["usage"] =
        json::object{{"input", input}, {"output", output}, {"totalTokens", input + output}};
  }
  json::object envelope{{"id", entry.entry_id}, {"seq", entry.seq}};
  if (entry.kind == sessions::EntryKind::compaction) {
    envelope["kind"] = "compaction";
  }
  if (!entry.run_id.empty()) {
    envelope["runId"] = entry.run_id;
  }
  message["__openclaw"] = std::move(envelope);
  return message;
}

std::string entry_text(const sessions::TranscriptEntry& entry) {
  json::value content = parse_or_string(entry.content);
  std::string out;
  if (const auto* stored = content.if_object(); stored != nullptr && stored->contains("role")) {
    if (const auto* body = stored->if_contains("content")) {
      collect_text(*body, out);
    }
  } else {
    collect_text(content, out);
  }
  return out;
}

std::string clip_text(std::string_view text, std::size_t max_chars) {
  // Count code points, not bytes: a cut must not split a UTF-8 sequence.
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (count == max_chars) {
        return std::string(text.substr(0, i)) + "…";
      }
      ++count;
    }
  }
  return std::string(text);
}

bool is_silent_reply(const sessions::TranscriptEntry& entry) {
  if (entry.kind != sessions::EntryKind::assistant) {
    return false;
  }
  std::string text = entry_text(entry);
  return text == "NO_REPLY" || text == "no_reply";
}

}  // namespace pincer::gateway
