#pragma once
// What the sessions_* tools need from the daemon: session rows, transcripts, and the agent's
// submit/wait. A seam so the tools can be tested with fakes; make_sessions_backend() is the
// real one over state.db and agent::AgentService.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "agent/agent_service.hpp"
#include "agent/run_types.hpp"
#include "core/result.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools {

// A session as the tools show it (the active generation of its key).
struct SessionSummary {
  std::string key;
  std::string session_id;
  std::string agent_id;
  std::string channel;  // "" when no chat message ever came in
  std::string account_id;
  std::string last_to;
  std::string last_thread_id;
  std::string label;
  std::string display_name;
  int64_t updated_at_ms = 0;
};

struct SessionListQuery {
  std::optional<std::string> agent_id;
  std::string search;  // substring of key, label or display name; "" matches all
  std::optional<std::string> label;
  int64_t limit = 20;
};

// One transcript entry as role + plain text.
struct HistoryItem {
  std::string role;  // user | assistant | toolCall | toolResult | system
  std::string text;
  int64_t seq = 0;
  int64_t created_at_ms = 0;
};

struct SessionsBackend {
  // Newest first.
  std::function<boost::asio::awaitable<Result<std::vector<SessionSummary>>>(SessionListQuery)> list;
  // nullopt when the key has no active session.
  std::function<boost::asio::awaitable<Result<std::optional<SessionSummary>>>(std::string key)>
      find;
  // The newest `limit` items, oldest first; tool calls and results only with include_tools.
  // Errc::not_found when the key has no active session.
  std::function<boost::asio::awaitable<Result<std::vector<HistoryItem>>>(
      std::string key, int64_t limit, bool include_tools)>
      history;
  std::function<agent::AgentService::Submitted(agent::ChatRequest)> submit;
  // The run's outcome once it ends, or nullopt after `timeout`.
  std::function<boost::asio::awaitable<std::optional<agent::RunOutcome>>(
      std::string run_id, std::chrono::milliseconds timeout)>
      wait;
};

// The plain text of a stored transcript entry's content JSON (a string, an array of parts, or a
// message object with `content`); text parts joined by newlines, images and thinking left out.
std::string transcript_entry_text(std::string_view content);

// list/find/history over the session and transcript stores; submit/wait over `agent`, which
// must outlive the backend.
SessionsBackend make_sessions_backend(const ToolDeps& deps, agent::AgentService& agent);

}  // namespace pincer::tools
