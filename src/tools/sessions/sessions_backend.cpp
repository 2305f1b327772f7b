#include "tools/sessions/sessions_backend.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/database.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Transcripts read for one history call at most: tool traffic is filtered after reading, so a
// tool-heavy session may show fewer than `limit` items rather than scan without end.
constexpr int64_t kMaxEntriesRead = 2000;

void append_line(std::string& out, std::string_view text) {
  if (text.empty()) {
    return;
  }
  if (!out.empty()) {
    out += '\n';
  }
  out += text;
}

void collect_text(const json::value& value, std::string& out, bool include_tool_calls) {
  if (value.is_string()) {
    append_line(out, value.get_string());
    return;
  }
  if (value.is_array()) {
    for (const auto& part : value.get_array()) {
      collect_text(part, out, include_tool_calls);
    }
    return;
  }
  if (!value.is_object()) {
    return;
  }
  const json::object& object = value.get_object();
  const json::value* type = object.if_contains("type");
  std::string_view kind = type != nullptr && type->is_string() ? type->get_string() : "";
  if (kind == "text") {
    if (const json::value* text = object.if_contains("text"); text && text->is_string()) {
      append_line(out, text->get_string());
    }
    return;
  }
  if (kind == "toolCall" || kind == "tool_use" || kind == "toolUse") {
    if (!include_tool_calls) {
      return;
    }
    const json::value* name = object.if_contains("name");
    std::string line = "[tool call ";
    line += name != nullptr && name->is_string() ? std::string(name->get_string()) : "?";
    if (const json::value* arguments = object.if_contains("arguments")) {
      line += " " + json::serialize(*arguments);
    }
    line += "]";
    append_line(out, line);
    return;
  }
  if (!kind.empty()) {
    return;  // image, thinking ...: not text the history shows
  }
  if (const json::value* content = object.if_contains("content")) {
    collect_text(*content, out, include_tool_calls);
  } else if (const json::value* summary = object.if_contains("summary");
             summary && summary->is_string()) {
    append_line(out, summary->get_string());
  }
}

std::string entry_text(std::string_view content, bool include_tool_calls) {
  boost::system::error_code ec;
  json::value value = json::parse(content, ec);
  if (ec) {
    return std::string(content);
  }
  std::string out;
  collect_text(value, out, include_tool_calls);
  return out;
}

SessionSummary summary_of(const sessions::SessionRecord& record) {
  return SessionSummary{record.session_key,    record.session_id, record.agent_id,
                        record.channel,        record.account_id, record.last_to,
                        record.last_thread_id, record.label,      record.display_name,
                        record.updated_at_ms};
}

std::optional<HistoryItem> history_item(const sessions::TranscriptEntry& entry,
                                        bool include_tools) {
  using sessions::EntryKind;
  HistoryItem item;
  item.seq = entry.seq;
  item.created_at_ms = entry.created_at_ms;
  switch (entry.kind) {
    case EntryKind::user:
      item.role = "user";
      break;
    case EntryKind::assistant:
      item.role = "assistant";
      break;
    case EntryKind::tool_call:
      if (!include_tools) {
        return std::nullopt;
      }
      item.role = "toolCall";
      break;
    case EntryKind::tool_result:
      if (!include_tools) {
        return std::nullopt;
      }
      item.role = "toolResult";
      break;
    case EntryKind::system:
    case EntryKind::event:
    case EntryKind::compaction:
      return std::nullopt;
  }
  item.text = entry_text(entry.content, include_tools);
  if (item.text.empty() && item.role == "assistant") {
    return std::nullopt;  // a step that only called tools
  }
  return item;
}

}  // namespace

std::string transcript_entry_text(std::string_view content) {
  return entry_text(content, false);
}

SessionsBackend make_sessions_backend(const ToolDeps& deps, agent::AgentService& agent) {
  store::DatabaseAccess& database = deps.database;
  SessionsBackend backend;
  backend.list =
      [&database](SessionListQuery query) -> asio::awaitable<Result<std::vector<SessionSummary>>> {
    auto read = [query](store::Database& db) -> Result<std::vector<SessionSummary>> {
      sessions::SessionListFilter filter;
      filter.agent_id = query.agent_id;
      filter.search = query.search;
      filter.label = query.label;
      filter.limit = query.limit;
      auto rows = sessions::SessionStore(db).list(filter);
      if (!rows) {
        return std::unexpected(rows.error());
      }
      std::vector<SessionSummary> out;
      out.reserve(rows->size());
      for (const auto& row : *rows) {
        out.push_back(summary_of(row));
      }
      return out;
    };
    co_return co_await database.with(read);
  };
  backend.find =
      [&database](std::string key) -> asio::awaitable<Result<std::optional<SessionSummary>>> {
    auto read = [key](store::Database& db) -> Result<std::optional<SessionSummary>> {
      auto found = sessions::SessionStore(db).find_active(key);
      if (!found) {
        return std::unexpected(found.error());
      }
      if (!*found) {
        return std::optional<SessionSummary>();
      }
      return std::optional<SessionSummary>(summary_of(**found));
    };
    co_return co_await database.with(read);
  };
  backend.history = [&database](
                        std::string key, int64_t limit,
                        bool include_tools) -> asio::awaitable<Result<std::vector<HistoryItem>>> {
    auto read = [key, limit,
                 include_tools](store::Database& db) -> Result<std::vector<HistoryItem>> {
      auto found = sessions::SessionStore(db).find_active(key);
      if (!found) {
        return std::unexpected(found.error());
      }
      if (!*found) {
        return fail(Errc::not_found, "no session with key " + key,
                    "list the sessions with sessions_list");
      }
      int64_t wanted = include_tools ? limit : std::min(kMaxEntriesRead, limit * 4);
      auto entries = sessions::TranscriptStore(db).last((*found)->session_id, wanted);
      if (!entries) {
        return std::unexpected(entries.error());
      }
      std::vector<HistoryItem> items;
      for (const auto& entry : *entries) {
        if (auto item = history_item(entry, include_tools)) {
          items.push_back(std::move(*item));
        }
      }
      if (static_cast<int64_t>(items.size()) > limit) {
        items.erase(items.begin(), items.end() - limit);
      }
      return items;
    };
    co_return co_await database.with(read);
  };
  backend.submit = [&agent](agent::ChatRequest request) {
    return agent.submit(std::move(request));
  };
  backend.wait = [&agent](std::string run_id, std::chrono::milliseconds timeout) {
    return agent.wait(std::move(run_id), timeout);
  };
  return backend;
}

}  // namespace pincer::tools
