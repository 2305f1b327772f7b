#include "tools/sessions/sessions_tools.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "core/config.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "sessions/session_key.hpp"
#include "tools/tool_arguments.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using Backend = std::shared_ptr<const SessionsBackend>;

constexpr int64_t kDefaultListLimit = 20;
constexpr int64_t kMaxListLimit = 200;
constexpr int64_t kDefaultHistoryLimit = 50;
constexpr int64_t kMaxHistoryLimit = 200;
constexpr int64_t kDefaultSendWaitSeconds = 30;
constexpr int64_t kDefaultSpawnWaitSeconds = 300;
constexpr int64_t kMaxWaitSeconds = 3600;
constexpr int64_t kMaxRunTimeoutSeconds = 24 * 3600;

agent::ToolOutput json_output(const json::object& out, bool is_error = false) {
  return agent::ToolOutput{json::serialize(out), is_error};
}

std::string agent_of(const agent::ToolContext& context) {
  return context.agent_id.empty() ? std::string("main") : context.agent_id;
}

// "current" is the caller's session; a short key ("main", "telegram:group:1") is the caller
// agent's.
std::string resolve_key(std::string_view key, const agent::ToolContext& context) {
  std::string trimmed(core::trim(key));
  if (trimmed == "current" && !context.session_key.empty()) {
    return context.session_key;
  }
  return sessions::to_agent_store_key(agent_of(context), trimmed);
}

json::object summary_json(const SessionSummary& session) {
  json::object row;
  row["key"] = session.key;
  row["sessionId"] = session.session_id;
  row["agentId"] = session.agent_id;
  if (!session.channel.empty()) {
    row["channel"] = session.channel;
  }
  row["updatedAt"] = session.updated_at_ms;
  if (!session.label.empty()) {
    row["label"] = session.label;
  }
  if (!session.display_name.empty()) {
    row["displayName"] = session.display_name;
  }
  row["title"] = !session.label.empty()          ? session.label
                 : !session.display_name.empty() ? session.display_name
                                                 : session.key;
  return row;
}

// A finished (or still running) run as the tools report it.
agent::ToolOutput outcome_output(json::object out, const std::optional<agent::RunOutcome>& outcome,
                                 int64_t waited_seconds) {
  if (!outcome) {
    out["status"] = "timeout";
    out["note"] = "no reply within " + std::to_string(waited_seconds) +
                  "s; the run goes on. Read its answer later with sessions_history.";
    return json_output(out);
  }
  switch (outcome->status) {
    case agent::RunStatus::ok:
      if (outcome->text.empty()) {
        out["status"] = "no_reply";
      } else {
        out["status"] = "ok";
        out["reply"] = outcome->text;
      }
      return json_output(out);
    case agent::RunStatus::queued:
    case agent::RunStatus::running:
      out["status"] = "timeout";
      return json_output(out);
    case agent::RunStatus::aborted:
      out["status"] = "aborted";
      out["error"] = outcome->error.empty() ? std::string("the run was aborted") : outcome->error;
      return json_output(out, true);
    case agent::RunStatus::error:
    case agent::RunStatus::timeout:
      out["status"] = std::string(agent::to_string(outcome->status));
      out["error"] = outcome->error.empty() ? std::string("the run failed") : outcome->error;
      return json_output(out, true);
  }
  return json_output(out, true);
}

// ---- sessions_list -------------------------------------------------------------------------

json::object list_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "limit": {"type": "integer", "minimum": 1, "maximum": 200,
                "description": "Most sessions to return (default 20)"},
      "agentId": {"type": "string", "description": "Only this agent's sessions"},
      "search": {"type": "string", "description": "Substring of key, label or title"},
      "label": {"type": "string", "description": "Exact label"}
    }
  })json")
      .as_object();
}

asio::awaitable<agent::ToolOutput> run_list(Backend backend, const json::object& arguments,
                                            agent::ToolContext&) {
  ToolArguments args(arguments);
  SessionListQuery query;
  query.limit = args.integer("limit", 1, kMaxListLimit).value_or(kDefaultListLimit);
  if (auto agent_id = args.string("agentId"); agent_id && !core::trim(*agent_id).empty()) {
    query.agent_id = core::normalize_agent_id(*agent_id);
  }
  query.search = args.string("search").value_or("");
  query.label = args.string("label");
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  auto rows = co_await backend->list(std::move(query));
  if (!rows) {
    co_return agent::ToolOutput::failure("sessions_list failed: " + rows.error().describe());
  }
  json::array sessions;
  for (const auto& row : *rows) {
    sessions.push_back(summary_json(row));
  }
  json::object out;
  out["count"] = static_cast<int64_t>(sessions.size());
  out["sessions"] = std::move(sessions);
  co_return json_output(out);
}

// ---- sessions_history ----------------------------------------------------------------------

json::object history_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "sessionKey": {"type": "string",
                     "description": "Session key from sessions_list (\"main\" = this agent's main)"},
      "limit": {"type": "integer", "minimum": 1, "maximum": 200,
                "description": "Newest messages to return (default 50)"},
      "includeTools": {"type": "boolean",
                       "description": "Also show tool calls and results (default false)"}
    },
    "required": ["sessionKey"]
  })json")
      .as_object();
}

asio::awaitable<agent::ToolOutput> run_history(Backend backend, const json::object& arguments,
                                               agent::ToolContext& context) {
  ToolArguments args(arguments);
  std::string requested = args.required_string("sessionKey");
  int64_t limit = args.integer("limit", 1, kMaxHistoryLimit).value_or(kDefaultHistoryLimit);
  bool include_tools = args.boolean("includeTools").value_or(false);
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  std::string key = resolve_key(requested, context);
  std::string read_key = key;
  auto items = co_await backend->history(std::move(read_key), limit, include_tools);
  if (!items) {
    co_return agent::ToolOutput::failure("sessions_history failed: " + items.error().describe());
  }
  json::array messages;
  for (const auto& item : *items) {
    json::object message;
    message["role"] = item.role;
    message["text"] = item.text;
    message["timestamp"] = item.created_at_ms;
    messages.push_back(std::move(message));
  }
  json::object out;
  out["sessionKey"] = key;
  out["count"] = static_cast<int64_t>(messages.size());
  out["messages"] = std::move(messages);
  co_return json_output(out);
}

// ---- sessions_send -------------------------------------------------------------------------

json::object send_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "sessionKey": {"type": "string", "description": "Target session key from sessions_list"},
      "label": {"type": "string", "description": "Target session by its label instead"},
      "message": {"type": "string", "description": "What to tell the other session"},
      "timeoutSeconds": {"type": "integer", "minimum": 0, "maximum": 3600,
                         "description": "How long to wait for the reply (default 30; 0: do not wait)"}
    },
    "required": ["message"]
  })json")
      .as_object();
}

asio::awaitable<agent::ToolOutput> run_send(Backend backend, const json::object& arguments,
                                            agent::ToolContext& context) {
  ToolArguments args(arguments);
  auto requested = args.string("sessionKey");
  auto label = args.string("label");
  std::string message = args.required_string("message");
  int64_t wait_seconds =
      args.integer("timeoutSeconds", 0, kMaxWaitSeconds).value_or(kDefaultSendWaitSeconds);
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  const bool has_key = requested && !core::trim(*requested).empty();
  const bool has_label = label && !core::trim(*label).empty();
  if (!has_key && !has_label) {
    co_return agent::ToolOutput::failure(
        "sessionKey: required (or `label`); find one with sessions_list");
  }

  std::optional<SessionSummary> target;
  if (has_key) {
    std::string key = resolve_key(*requested, context);
    auto found = co_await backend->find(std::move(key));
    if (!found) {
      co_return agent::ToolOutput::failure("sessions_send failed: " + found.error().describe());
    }
    target = std::move(*found);
    if (!target) {
      co_return agent::ToolOutput::failure("no session with key " +
                                           resolve_key(*requested, context) +
                                           "; find one with sessions_list");
    }
  } else {
    SessionListQuery query;
    query.label = std::string(core::trim(*label));
    query.limit = 2;
    auto rows = co_await backend->list(std::move(query));
    if (!rows) {
      co_return agent::ToolOutput::failure("sessions_send failed: " + rows.error().describe());
    }
    if (rows->empty()) {
      co_return agent::ToolOutput::failure("no session is labelled \"" +
                                           std::string(core::trim(*label)) +
                                           "\"; find one with sessions_list");
    }
    if (rows->size() > 1) {
      co_return agent::ToolOutput::failure("several sessions are labelled \"" +
                                           std::string(core::trim(*label)) +
                                           "\"; pass `sessionKey` instead");
    }
    target = std::move(rows->front());
  }
  if (target->key == context.session_key) {
    co_return agent::ToolOutput::failure(
        "sessionKey: that is this session; sessions_send talks to another session");
  }
  if (target->key.find(":thread:") != std::string::npos) {
    co_return agent::ToolOutput::failure(
        "sessionKey: thread sessions cannot receive sessions_send; use the parent session's key");
  }

  agent::ChatRequest request;
  request.session_key = target->key;
  request.text =
      "[Inter-session message from " +
      (context.session_key.empty() ? std::string("another session") : context.session_key) +
      "; not written by the user]\n\n" + message;
  // Keep the target's delivery context: the turn must not re-route its chat.
  if (!target->channel.empty()) {
    request.channel = target->channel;
    request.account_id = target->account_id;
    request.reply_to = target->last_to;
    request.thread_id = target->last_thread_id;
  }
  agent::AgentService::Submitted submitted = backend->submit(std::move(request));

  json::object out;
  out["runId"] = submitted.run_id;
  out["sessionKey"] = submitted.session_key;
  if (wait_seconds == 0) {
    out["status"] = "accepted";
    co_return json_output(out);
  }
  std::string run_id = submitted.run_id;
  const std::chrono::milliseconds timeout = std::chrono::seconds(wait_seconds);
  auto outcome = co_await backend->wait(std::move(run_id), timeout);
  co_return outcome_output(std::move(out), outcome, wait_seconds);
}

// ---- sessions_spawn ------------------------------------------------------------------------

json::object spawn_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "task": {"type": "string", "description": "What the sub-agent should do, self-contained"},
      "label": {"type": "string", "description": "Short name for the sub-agent's session"},
      "agentId": {"type": "string", "description": "Agent to run it (default: this one)"},
      "model": {"type": "string", "description": "provider/model for the sub-agent"},
      "thinking": {"type": "string", "enum": ["off", "minimal", "low", "medium", "high"]},
      "runTimeoutSeconds": {"type": "integer", "minimum": 0, "maximum": 86400,
                            "description": "Limit for the sub-agent's run (0: the default)"},
      "timeoutSeconds": {"type": "integer", "minimum": 0, "maximum": 3600,
                         "description": "How long to wait for its result (default 300; 0: do not wait)"}
    },
    "required": ["task"]
  })json")
      .as_object();
}

asio::awaitable<agent::ToolOutput> run_spawn(Backend backend, const json::object& arguments,
                                             agent::ToolContext& context) {
  ToolArguments args(arguments);
  std::string task = args.required_string("task");
  auto label = args.string("label");
  auto agent_id = args.string("agentId");
  auto model = args.string("model");
  auto thinking = args.string("thinking");
  auto run_timeout = args.integer("runTimeoutSeconds", 0, kMaxRunTimeoutSeconds);
  int64_t wait_seconds =
      args.integer("timeoutSeconds", 0, kMaxWaitSeconds).value_or(kDefaultSpawnWaitSeconds);
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  if (thinking) {
    std::string level = core::lowercase_trimmed(*thinking);
    if (level != "off" && level != "minimal" && level != "low" && level != "medium" &&
        level != "high") {
      co_return agent::ToolOutput::failure("thinking: expected off, minimal, low, medium or high");
    }
    thinking = level;
  }
  if (model && !model->empty() && model->find('/') == std::string::npos) {
    co_return agent::ToolOutput::failure("model: expected \"provider/model\", got \"" + *model +
                                         "\"");
  }
  std::string child_agent = agent_id && !core::trim(*agent_id).empty()
                                ? core::normalize_agent_id(*agent_id)
                                : core::normalize_agent_id(agent_of(context));
  if (child_agent.empty()) {
    co_return agent::ToolOutput::failure("agentId: not a valid agent id");
  }

  agent::ChatRequest request;
  request.session_key = "agent:" + child_agent + ":subagent:" + core::random_uuid();
  request.text = "[Subagent Task]\n\n" + task;
  request.extra_system_prompt =
      "You are a sub-agent started by session " +
      (context.session_key.empty() ? std::string("(unknown)") : context.session_key) +
      " for one task. Do the task with your tools, then reply with the result: your final "
      "reply is handed back to the requester as is. Do not ask questions; nobody reads them.";
  request.channel = "subagent";
  request.model = model.value_or("");
  request.thinking = thinking.value_or("");
  if (run_timeout && *run_timeout > 0) {
    request.timeout = std::chrono::seconds(*run_timeout);
  }
  if (label && !core::trim(*label).empty()) {
    request.display_name = std::string(core::trim(*label));
  }
  agent::AgentService::Submitted submitted = backend->submit(std::move(request));

  json::object out;
  out["runId"] = submitted.run_id;
  out["childSessionKey"] = submitted.session_key;
  if (label && !label->empty()) {
    out["label"] = *label;
  }
  if (wait_seconds == 0) {
    out["status"] = "accepted";
    co_return json_output(out);
  }
  std::string run_id = submitted.run_id;
  const std::chrono::milliseconds timeout = std::chrono::seconds(wait_seconds);
  auto outcome = co_await backend->wait(std::move(run_id), timeout);
  co_return outcome_output(std::move(out), outcome, wait_seconds);
}

using Runner = asio::awaitable<agent::ToolOutput> (*)(Backend, const json::object&,
                                                      agent::ToolContext&);

void add_tool(agent::ToolRegistry& registry, const Backend& backend, std::string name,
              std::string description, json::object parameters, std::string guidance,
              bool parallel_safe, Runner runner) {
  agent::ToolSpec spec;
  spec.schema.name = std::move(name);
  spec.schema.description = std::move(description);
  spec.schema.parameters = std::move(parameters);
  spec.guidance = std::move(guidance);
  spec.parallel_safe = parallel_safe;
  spec.handler = [backend, runner](const json::object& arguments, agent::ToolContext& context) {
    return runner(backend, arguments, context);
  };
  registry.add(std::move(spec));
}

}  // namespace

void register_sessions_tools(agent::ToolRegistry& registry, SessionsBackend backend) {
  auto shared = std::make_shared<const SessionsBackend>(std::move(backend));
  add_tool(registry, shared, "sessions_list",
           "List recent sessions (newest first) with their key, channel, title and last update.",
           list_schema(), "list sessions", true, &run_list);
  add_tool(registry, shared, "sessions_history",
           "Read the recent messages of a session by its key.", history_schema(),
           "read another session's transcript", true, &run_history);
  add_tool(registry, shared, "sessions_send",
           "Send a message into another session, run a turn there and (unless timeoutSeconds "
           "is 0) wait for its reply.",
           send_schema(), "message another session and get its reply", false, &run_send);
  add_tool(registry, shared, "sessions_spawn",
           "Start a sub-agent in its own session for a self-contained task and wait for its "
           "result (timeoutSeconds 0: return at once with the child session key).",
           spawn_schema(), "delegate a task to a sub-agent", false, &run_spawn);
}

}  // namespace pincer::tools
