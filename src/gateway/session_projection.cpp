#include "gateway/session_projection.hpp"

#include <boost/json.hpp>

#include "core/config.hpp"
#include "sessions/session_json.hpp"
#include "sessions/session_key.hpp"

namespace pincer::gateway {

namespace json = boost::json;

namespace {

// SessionRow.classification: what the conversation is, finer than kind.
std::string_view key_classification(std::string_view key) {
  if (sessions::is_main_session_key(key)) {
    return "main";
  }
  auto parsed = sessions::parse_session_key(key);
  std::string_view rest = parsed ? std::string_view(parsed->rest) : key;
  if (rest.starts_with("cron:")) {
    return "cron";
  }
  if (rest.starts_with("hook:")) {
    return "hook";
  }
  if (auto type = sessions::chat_type_of_key(key)) {
    return sessions::to_string(*type);
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

// Facts every row has, whether or not the session is stored.
void put_runtime_facts(json::object& row, std::string_view key, int64_t now_ms) {
  row["classification"] = key_classification(key);
  row["isMain"] = sessions::is_main_session_key(key);
  row["isBackground"] = false;
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
  if (auto parsed = sessions::parse_session_key(key)) {
    return parsed->agent_id;
  }
  return core::default_agent_id(config.agents);
}

json::object session_row(const sessions::SessionRecord& record, const core::Config& config,
                         int64_t now_ms, const RowExtras& extras) {
  json::object row = sessions::to_session_json(record);
  // Every override shows at row level (to_session_json lifts the common ones), without
  // shadowing a stored fact of the same name.
  for (const auto& [name, value] : record.settings) {
    if (!row.contains(name)) {
      row[name] = value;
    }
  }
  put_runtime_facts(row, record.session_key, now_ms);
  if (!row.contains("displayName") && !record.label.empty()) {
    row["displayName"] = record.label;
  }
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
  json::object row{{"key", key},
                   {"kind", sessions::to_string(sessions::classify_session_key(key))},
                   {"agentId", agent_id_of_key(key, config)},
                   {"archived", false},
                   {"pinned", false},
                   {"unread", false},
                   {"updatedAt", nullptr}};
  put_runtime_facts(row, key, now_ms);
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
