// Agent methods: chat.send and agent start a run and answer at once (the reply streams as
// `chat` and `agent` events, run_events.hpp); agent.wait awaits a run's end; chat.abort stops
// runs; send posts an assistant message to a conversation without running the model;
// models.list, usage.status and usage.cost report the catalog and what was spent.
//
// Runs are keyed by the caller's idempotencyKey (the runId), so a client that retries a send
// after a dropped connection gets the state of the first run, never a second run:
// {status: "in_flight"} while it runs, {status: "ok"} after (the reference's contract).

#include <date/date.h>
#include <date/tz.h>
#include <fmt/core.h>

#include <chrono>
#include <optional>
#include <regex>
#include <string>

#include <boost/json.hpp>

#include "agent/auth_profile_store.hpp"
#include "agent/auth_rotation.hpp"
#include "agent/model_catalog.hpp"
#include "agent/usage_ledger.hpp"
#include "core/base64.hpp"
#include "core/config.hpp"
#include "core/text.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/run_events.hpp"
#include "gateway/scopes.hpp"
#include "sessions/session_key.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr int64_t kDefaultWaitMs = 30'000;
constexpr int64_t kMaxWaitMs = 24LL * 3600 * 1000;
constexpr int64_t kDayMs = 24LL * 3600 * 1000;

// A session key as clients write it: canonical keys pass; "main" and other agent-relative keys
// are scoped to `agent_id` (or the default agent).
std::string canonical_session_key(const core::Config& config, std::string_view key,
                                  const std::optional<std::string>& agent_id) {
  std::string agent = agent_id ? core::normalize_agent_id(*agent_id)
                               : std::string(core::default_agent_id(config.agents));
  if (key.empty() || key == "main") {
    return sessions::main_session_key(agent, config.session);
  }
  return sessions::to_agent_store_key(agent, key);
}

std::optional<core::QueueMode> queue_mode_of(const std::optional<std::string>& text) {
  if (!text) {
    return std::nullopt;
  }
  if (*text == "steer") {
    return core::QueueMode::steer;
  }
  if (*text == "followup") {
    return core::QueueMode::followup;
  }
  if (*text == "collect") {
    return core::QueueMode::collect;
  }
  return core::QueueMode::interrupt;
}

// chat.send/agent attachments: images travel to the model; other files are not supported yet
// and are refused rather than silently dropped.
std::optional<std::string> read_images(const json::value* attachments,
                                       std::vector<providers::ImagePart>& images) {
  if (attachments == nullptr) {
    return std::nullopt;
  }
  if (!attachments->is_array()) {
    return "attachments must be an array";
  }
  for (const auto& item : attachments->get_array()) {
    const auto* object = item.if_object();
    if (object == nullptr) {
      return "attachments[]: each attachment is an object";
    }
    std::string mime;
    if (const auto* m = object->if_contains("mimeType"); m != nullptr && m->is_string()) {
      mime = std::string(m->get_string());
    }
    const auto* content = object->if_contains("content");
    std::string type;
    if (const auto* t = object->if_contains("type"); t != nullptr && t->is_string()) {
      type = std::string(t->get_string());
    }
    bool image = type == "image" || mime.starts_with("image/");
    if (!image || content == nullptr || !content->is_string()) {
      return "attachments[]: only images with base64 `content` are supported (type \"image\", "
             "mimeType image/png, image/jpeg, image/gif or image/webp)";
    }
    std::string data(content->get_string());
    // A data: URL carries its own media type.
    if (data.starts_with("data:")) {
      auto comma = data.find(',');
      auto semi = data.find(';');
      if (comma == std::string::npos) {
        return "attachments[]: malformed data: URL";
      }
      if (mime.empty() && semi != std::string::npos && semi < comma) {
        mime = data.substr(5, semi - 5);
      }
      data.erase(0, comma + 1);
    }
    images.push_back({mime.empty() ? "image/png" : mime, std::move(data)});
  }
  return std::nullopt;
}

// The `thinking` param of chat.send and agent: a level the runner knows.
std::optional<std::string> read_thinking(ParamReader& params) {
  return params.one_of("thinking", {"off", "minimal", "low", "medium", "high", "xhigh"});
}

// A known run answered from its state (a retried send, or agent.wait).
json::object run_state(const agent::RunOutcome& outcome) {
  if (!outcome.finished()) {
    return {{"runId", outcome.run_id}, {"status", "in_flight"}};
  }
  return {{"runId", outcome.run_id},
          {"status", outcome.status == agent::RunStatus::ok ? "ok" : "error"}};
}

asio::awaitable<RpcResult> chat_send(RpcContext& context) {
  ParamReader params(context, {"sessionKey",
                               "agentId",
                               "sessionId",
                               "message",
                               "intent",
                               "thinking",
                               "fastMode",
                               "fastAutoOnSeconds",
                               "queueMode",
                               "deliver",
                               "originatingChannel",
                               "originatingTo",
                               "originatingAccountId",
                               "originatingThreadId",
                               "replyToId",
                               "attachments",
                               "toolBindings",
                               "timeoutMs",
                               "systemInputProvenance",
                               "systemProvenanceReceipt",
                               "suppressCommandInterpretation",
                               "expectedLeafEntryId",
                               "expectedSessionRoutingContract",
                               "expectedPermissionMode",
                               "expectedToolOverrides",
                               "idempotencyKey"});
  std::string key = params.required_string("sessionKey", 512);
  auto agent_id = params.string("agentId");
  params.string("sessionId");
  auto message = params.string("message", 0, true);
  if (!message && !params.has("message")) {
    params.fail("message is required");
  }
  auto thinking = read_thinking(params);
  auto queue = params.one_of("queueMode", {"steer", "followup", "collect", "interrupt"});
  params.boolean("deliver");
  auto timeout_ms = params.integer("timeoutMs", 0, kMaxWaitMs);
  std::string run_id = params.required_string("idempotencyKey");
  agent::ChatRequest request;
  if (auto problem = read_images(params.raw("attachments"), request.images)) {
    params.fail(*problem);
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  std::string text = message.value_or("");  // present: a missing one failed above
  if (text.empty() && request.images.empty()) {
    co_return std::unexpected(invalid_request("chat.send: message is empty"));
  }
  Gateway& gateway = context.gateway();
  agent::AgentService& service = gateway.agent();
  if (auto known = service.find(run_id)) {
    co_return run_state(*known);
  }
  request.session_key = canonical_session_key(gateway.config(), key, agent_id);
  request.text = std::move(text);
  request.run_id = run_id;
  request.thinking = thinking.value_or("");
  request.queue_mode = queue_mode_of(queue);
  if (timeout_ms && *timeout_ms > 0) {
    request.timeout = std::chrono::milliseconds(*timeout_ms);
  }
  request.channel = "webchat";
  auto submitted = service.submit(std::move(request));
  if (submitted.duplicate) {
    if (auto known = service.find(run_id)) {
      co_return run_state(*known);
    }
  }
  co_return json::object{{"runId", submitted.run_id}, {"status", "started"}};
}

asio::awaitable<RpcResult> chat_abort(RpcContext& context) {
  ParamReader params(context, {"sessionKey", "agentId", "runId", "preserveSideRuns"});
  std::string key = params.required_string("sessionKey", 512);
  auto agent_id = params.string("agentId");
  auto run_id = params.string("runId");
  params.boolean("preserveSideRuns");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  std::string session = canonical_session_key(gateway.config(), key, agent_id);
  if (run_id) {
    // A run of another session is not this caller's to stop through this key.
    auto known = gateway.agent().find(*run_id);
    if (known && known->session_key != session) {
      co_return std::unexpected(
          invalid_request(fmt::format("run {} belongs to another session", *run_id)));
    }
  }
  auto aborted = gateway.agent().abort(session, run_id.value_or(""));
  json::array ids;
  for (auto& id : aborted) {
    ids.emplace_back(std::move(id));
  }
  bool any = !ids.empty();
  co_return json::object{{"ok", true}, {"aborted", any}, {"runIds", std::move(ids)}};
}

asio::awaitable<RpcResult> agent_run(RpcContext& context) {
  ParamReader params(context, {"message",
                               "agentId",
                               "provider",
                               "model",
                               "to",
                               "replyTo",
                               "sessionId",
                               "sessionKey",
                               "expectedExistingSessionId",
                               "thinking",
                               "deliver",
                               "attachments",
                               "channel",
                               "replyChannel",
                               "accountId",
                               "replyAccountId",
                               "threadId",
                               "groupId",
                               "groupChannel",
                               "groupSpace",
                               "timeout",
                               "bestEffortDeliver",
                               "lane",
                               "cwd",
                               "cleanupBundleMcpOnRunEnd",
                               "modelRun",
                               "promptMode",
                               "extraSystemPrompt",
                               "bootstrapContextMode",
                               "bootstrapContextRunKind",
                               "acpTurnSource",
                               "internalRuntimeHandoffId",
                               "internalExecutionIdentityRetry",
                               "internalExecutionIdentityRecoveryAttempt",
                               "execApprovalFollowupExpectedSessionId",
                               "internalEvents",
                               "inputProvenance",
                               "suppressPromptPersistence",
                               "sessionEffects",
                               "sourceReplyDeliveryMode",
                               "disableMessageTool",
                               "swarmCollector",
                               "swarmOutputSchema",
                               "forceRestartSafeTools",
                               "forceCodeModeTools",
                               "voiceWakeTrigger",
                               "idempotencyKey",
                               "label"});
  std::string message = params.required_string("message");
  auto agent_id = params.string("agentId");
  auto provider = params.string("provider");
  auto model = params.string("model");
  auto key = params.string("sessionKey", 512);
  auto thinking = read_thinking(params);
  auto channel = params.string("channel");
  auto timeout_s = params.integer("timeout", 0, kMaxWaitMs / 1000);
  auto extra = params.string("extraSystemPrompt", 0, true);
  std::string run_id = params.required_string("idempotencyKey");
  agent::ChatRequest request;
  if (auto problem = read_images(params.raw("attachments"), request.images)) {
    params.fail(*problem);
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  agent::AgentService& service = gateway.agent();
  int64_t accepted_at = unix_ms();
  if (auto known = service.find(run_id)) {
    json::object state = run_state(*known);
    state["acceptedAt"] = known->started_at_ms;
    co_return state;
  }
  if (model) {
    request.model = provider && !model->contains('/') ? *provider + "/" + *model : *model;
    if (auto resolved = service.catalog().resolve(request.model); !resolved) {
      co_return std::unexpected(invalid_request(resolved.error().describe()));
    }
  }
  request.session_key = canonical_session_key(gateway.config(), key.value_or(""), agent_id);
  request.text = std::move(message);
  request.run_id = run_id;
  request.thinking = thinking.value_or("");
  request.extra_system_prompt = extra.value_or("");
  if (timeout_s && *timeout_s > 0) {
    request.timeout = std::chrono::seconds(*timeout_s);
  }
  request.channel = channel.value_or("webchat");
  auto submitted = service.submit(std::move(request));
  co_return json::object{{"runId", submitted.run_id},
                         {"status", "accepted"},
                         {"acceptedAt", accepted_at},
                         {"sessionKey", submitted.session_key}};
}

asio::awaitable<RpcResult> agent_wait(RpcContext& context) {
  ParamReader params(context, {"runId", "timeoutMs"});
  std::string run_id = params.required_string("runId");
  int64_t timeout_ms = params.integer("timeoutMs", 0, kMaxWaitMs).value_or(kDefaultWaitMs);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  agent::AgentService& service = context.gateway().agent();
  auto outcome = co_await service.wait(run_id, std::chrono::milliseconds(timeout_ms));
  if (!outcome) {
    // Still queued or running, or unknown to this process: the wait expired, the run did not.
    json::object result{{"runId", run_id}, {"status", "timeout"}};
    if (auto known = service.find(run_id); known && known->status == agent::RunStatus::queued) {
      result["status"] = "pending";
      result["timeoutPhase"] = "queue";
      result["providerStarted"] = false;
    } else if (context.gateway().draining()) {
      result["timeoutPhase"] = "gateway_draining";
    }
    co_return result;
  }
  const agent::RunOutcome& run = *outcome;
  json::object result{{"runId", run.run_id},
                      {"sessionKey", run.session_key},
                      {"status", run.status == agent::RunStatus::ok        ? "ok"
                                 : run.status == agent::RunStatus::timeout ? "timeout"
                                                                           : "error"},
                      {"startedAt", run.started_at_ms},
                      {"endedAt", run.ended_at_ms}};
  if (run.status == agent::RunStatus::ok) {
    result["terminalReply"] = json::object{{"text", run.text}};
  } else if (run.status == agent::RunStatus::aborted) {
    result["stopReason"] = "aborted";
    result["error"] = "The run was aborted.";
  } else {
    result["error"] = run.error;
    if (!run.error_reason.empty()) {
      result["errorKind"] = chat_error_kind(run.error_reason);
    }
  }
  if (!run.stop_reason.empty() && !result.contains("stopReason")) {
    result["stopReason"] = run.stop_reason;
  }
  if (!run.provider.empty()) {
    result["provider"] = run.provider;
    result["model"] = run.model;
  }
  result["usage"] =
      json::object{{"input", run.usage.input},          {"output", run.usage.output},
                   {"cacheRead", run.usage.cache_read}, {"cacheWrite", run.usage.cache_write},
                   {"totalTokens", run.usage.total()},  {"costUsd", run.cost_usd}};
  co_return result;
}

// `send` delivers a message to a conversation as the assistant, without a model turn. Chat
// channels (Telegram, Discord ...) deliver through their own adapters once they exist; until
// then only the built-in web chat is a destination: the message lands in the session's
// transcript and reaches open chats as a `chat` final event.
asio::awaitable<RpcResult> send_message(RpcContext& context) {
  ParamReader params(context, {"to", "message", "mediaUrl", "mediaUrls", "buffer", "filename",
                               "contentType", "asVoice", "gifPlayback", "channel", "accountId",
                               "agentId", "replyToId", "threadId", "forceDocument", "silent",
                               "parseMode", "sessionKey", "idempotencyKey"});
  std::string to = params.required_string("to");
  auto message = params.string("message", 0, true);
  auto channel = params.string("channel");
  auto agent_id = params.string("agentId");
  auto key = params.string("sessionKey", 512);
  std::string run_id = params.required_string("idempotencyKey");
  bool to_channel = channel && *channel != "webchat";
  std::vector<channels::SendMedia> media;
  if (auto url = params.string("mediaUrl"); url && !url->empty()) {
    media.push_back({*url,
                     {},
                     params.string("filename").value_or(""),
                     params.string("contentType").value_or("")});
  }
  for (const auto& url : params.string_array("mediaUrls").value_or(std::vector<std::string>{})) {
    media.push_back({url, {}, {}, {}});
  }
  if (auto buffer = params.string("buffer"); buffer && !buffer->empty()) {
    auto bytes = core::base64_decode(*buffer);
    if (!bytes) {
      params.fail("buffer: expected the file as base64");
    } else {
      media.push_back({{},
                       std::move(*bytes),
                       params.string("filename").value_or("file"),
                       params.string("contentType").value_or("")});
    }
  }
  if (!media.empty() && !to_channel) {
    params.fail("media is not supported by the web chat yet; send text");
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  if ((!message || message->empty()) && media.empty()) {
    co_return std::unexpected(invalid_request("send: message is empty"));
  }
  Gateway& gateway = context.gateway();
  if (to_channel) {
    if (!gateway.channels().is_known_channel(*channel)) {
      co_return std::unexpected(unavailable(
          fmt::format("channel \"{}\" is not available on this gateway (webchat and telegram "
                      "are): check the name",
                      *channel)));
    }
    channels::SendRequest request;
    request.channel = *channel;
    request.account_id = params.string("accountId").value_or("");
    request.to = to;
    request.thread_id = params.string("threadId").value_or("");
    request.reply_to = params.string("replyToId").value_or("");
    request.text = message.value_or("");
    request.media = std::move(media);
    request.as_document = params.boolean("forceDocument").value_or(false);
    request.silent = params.boolean("silent").value_or(false);
    auto receipt =
        co_await gateway.channels().send(std::move(request), std::chrono::milliseconds(15'000));
    if (!receipt) {
      co_return std::unexpected(from_error(receipt.error()));
    }
    json::object result{{"runId", run_id},
                        {"channel", receipt->channel},
                        {"accountId", receipt->account_id},
                        {"to", receipt->to},
                        {"queued", !receipt->message_id.has_value()}};
    if (receipt->message_id) {
      result["messageId"] = *receipt->message_id;
    }
    co_return result;
  }
  std::string session = canonical_session_key(gateway.config(), key.value_or(to), agent_id);
  int64_t now = unix_ms();
  auto write = [&](store::Database& db) {
    return sessions::append_assistant_text(db, session, *message, "gateway-send", run_id, now);
  };
  auto appended = co_await gateway.with_database(write);
  if (!appended && appended.error().code == Errc::not_found) {
    co_return std::unexpected(not_found(fmt::format(
        "no conversation {} (send it a message first, or create it with sessions.create)",
        session)));
  }
  if (!appended) {
    co_return std::unexpected(from_error(appended.error()));
  }
  json::object event{{"runId", run_id},
                     {"sessionKey", session},
                     {"seq", 0},
                     {"state", "final"},
                     {"message", assistant_message(*message, now)}};
  gateway.broadcast("chat", event, scope::kRead);
  co_return json::object{{"runId", run_id},
                         {"messageId", appended->entry_id},
                         {"channel", "webchat"},
                         {"sessionKey", session}};
}

struct CredentialView {
  std::vector<agent::AuthProfile> stored;
  agent::StateMap states;
};

asio::awaitable<Result<CredentialView>> read_credentials(Gateway& gateway) {
  co_return co_await gateway.with_database([](store::Database& db) -> Result<CredentialView> {
    agent::AuthProfileStore store(db);
    auto stored = store.list();
    if (!stored) {
      return std::unexpected(stored.error());
    }
    auto states = store.states();
    if (!states) {
      return std::unexpected(states.error());
    }
    return CredentialView{std::move(*stored), std::move(*states)};
  });
}

asio::awaitable<RpcResult> models_list(RpcContext& context) {
  ParamReader params(context,
                     {"agentId", "includeProviderCapabilities", "preparedOnly", "refresh", "view"});
  params.string("agentId");
  params.boolean("includeProviderCapabilities");
  params.boolean("preparedOnly");
  params.boolean("refresh");
  params.one_of("view", {"default", "configured", "provider-config", "all"});
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto credentials = co_await read_credentials(gateway);
  if (!credentials) {
    co_return std::unexpected(from_error(credentials.error()));
  }
  const agent::ModelCatalog& catalog = gateway.agent().catalog();
  agent::EnvReader env = agent::process_env_reader();
  int64_t now = unix_ms();
  json::array models;
  for (const auto& model : catalog.models()) {
    const agent::ProviderInfo* provider = catalog.provider(model.provider);
    json::object row{{"id", model.id},
                     {"name", model.name.empty() ? model.id : model.name},
                     {"provider", model.provider},
                     {"contextWindow", std::max<int64_t>(1, model.context_window)},
                     {"reasoning", model.reasoning},
                     {"supportsTools", true},
                     {"input", model.images ? json::array{"text", "image"} : json::array{"text"}}};
    if (provider != nullptr && provider->needs_key) {
      auto profiles = agent::provider_credentials(*provider, credentials->stored, env);
      row["apiKeySupported"] = true;
      if (profiles.empty()) {
        row["available"] = false;
        row["unavailableReason"] = "missing-auth";
      } else {
        auto order = agent::rotation_order(provider->id, std::move(profiles), credentials->states,
                                           gateway.config().auth, model.id, now);
        row["available"] = order.eligible > 0;
        if (order.eligible == 0) {
          row["unavailableReason"] = "cooldown";
          if (order.soonest_recovery_ms > 0) {
            row["unavailableUntil"] = order.soonest_recovery_ms;
          }
        }
      }
    } else {
      row["available"] = true;
    }
    models.push_back(std::move(row));
  }
  co_return json::object{{"models", std::move(models)}};
}

json::object totals_json(const agent::UsageTotals& totals) {
  return json::object{{"input", totals.input_tokens},
                      {"output", totals.output_tokens},
                      {"cacheRead", totals.cache_read_tokens},
                      {"cacheWrite", totals.cache_write_tokens},
                      {"totalTokens", totals.total_tokens()},
                      {"totalCost", totals.cost_usd},
                      {"calls", totals.calls},
                      {"missingCostEntries", 0}};
}

std::optional<date::year_month_day> parse_day(std::string_view text) {
  int y = 0;
  unsigned m = 0;
  unsigned d = 0;
  if (text.size() != 10 || std::sscanf(std::string(text).c_str(), "%4d-%2u-%2u", &y, &m, &d) != 3) {
    return std::nullopt;
  }
  date::year_month_day day{date::year(y), date::month(m), date::day(d)};
  return day.ok() ? std::optional(day) : std::nullopt;
}

// "UTC+5:30", "UTC-08:00", "UTC" → minutes east of UTC; nullopt when malformed or outside
// UTC-12:00 .. UTC+14:00 (the offsets clocks use).
std::optional<int> parse_utc_offset(std::string_view text) {
  static const std::regex kOffset(R"(UTC(?:([+-])(\d{1,2})(?::(\d{2}))?)?)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(text.begin(), text.end(), match, kOffset)) {
    return std::nullopt;
  }
  if (!match[1].matched) {
    return 0;
  }
  int minutes = std::stoi(match[2].str()) * 60 + (match[3].matched ? std::stoi(match[3].str()) : 0);
  if (match[3].matched && std::stoi(match[3].str()) >= 60) {
    return std::nullopt;
  }
  int total = match[1].str() == "-" ? -minutes : minutes;
  if (total < -12 * 60 || total > 14 * 60) {
    return std::nullopt;
  }
  return total;
}

// The calendar usage.cost counts days in: a time zone (DST-aware), a fixed offset, or UTC.
struct WallClock {
  const date::time_zone* zone = nullptr;
  std::chrono::minutes offset{0};

  int64_t midnight_ms(date::year_month_day day) const {
    date::local_days local{day};
    std::chrono::sys_time<std::chrono::milliseconds> at;
    if (zone != nullptr) {
      // choose::earliest: a midnight skipped or doubled by a DST change still has one answer.
      at = date::zoned_time<std::chrono::milliseconds>(zone, local, date::choose::earliest)
               .get_sys_time();
    } else {
      at = std::chrono::sys_time<std::chrono::milliseconds>(local.time_since_epoch() - offset);
    }
    return at.time_since_epoch().count();
  }
  date::year_month_day day_of(int64_t at_ms) const {
    std::chrono::sys_time<std::chrono::milliseconds> at{std::chrono::milliseconds(at_ms)};
    date::local_time<std::chrono::milliseconds> local =
        zone != nullptr
            ? zone->to_local(at)
            : date::local_time<std::chrono::milliseconds>(at.time_since_epoch() + offset);
    return date::year_month_day{date::floor<date::days>(local)};
  }
};

// usage.cost: tokens and dollars per calendar day over a range ({startDate, endDate} as
// YYYY-MM-DD, or the last `days` days; 30 by default), from the usage ledger. Days are UTC
// unless `timeZone` (IANA, wins) or `utcOffset` ("UTC+5:30") says otherwise.
asio::awaitable<RpcResult> usage_cost(RpcContext& context) {
  ParamReader params(context, {"startDate", "endDate", "days", "mode", "utcOffset", "timeZone",
                               "agentId", "agentScope"});
  auto start = params.string("startDate");
  auto end = params.string("endDate");
  auto days = params.integer("days", 1, 3660);
  params.string("mode");
  auto offset = params.string("utcOffset", 0, true);
  auto zone_name = params.string("timeZone");
  params.string("agentId");
  params.one_of("agentScope", {"all"});
  if (start.has_value() != end.has_value()) {
    params.fail("startDate and endDate must be provided together");
  }
  WallClock clock;
  if (zone_name) {
    try {
      clock.zone = date::locate_zone(*zone_name);
    } catch (const std::runtime_error&) {
      params.fail("timeZone: unknown time zone \"" + *zone_name +
                  "\" (use an IANA name such as Europe/Vienna)");
    }
  } else if (offset && !offset->empty()) {
    if (auto minutes = parse_utc_offset(*offset)) {
      clock.offset = std::chrono::minutes(*minutes);
    } else {
      params.fail(
          "utcOffset: expected UTC+H[:MM] or UTC-H[:MM] between UTC-12:00 and "
          "UTC+14:00, got \"" +
          *offset + "\"");
    }
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  int64_t now = unix_ms();
  date::year_month_day first;
  date::year_month_day last;
  if (start) {
    auto a = parse_day(*start);
    auto b = parse_day(end.value_or(""));  // given together with startDate (checked above)
    if (!a || !b) {
      co_return std::unexpected(invalid_request("startDate/endDate: expected YYYY-MM-DD dates"));
    }
    if (date::sys_days(*a) > date::sys_days(*b)) {
      co_return std::unexpected(invalid_request("startDate must not be after endDate"));
    }
    first = *a;
    last = *b;
  } else {
    last = clock.day_of(now);
    first = date::year_month_day{date::sys_days(last) - date::days(days.value_or(30) - 1)};
  }
  int64_t from = clock.midnight_ms(first);
  int64_t to = clock.midnight_ms(date::year_month_day{date::sys_days(last) + date::days(1)});
  int64_t day_count = (date::sys_days(last) - date::sys_days(first)).count() + 1;
  auto local_day = [clock](int64_t at_ms) { return date::format("%F", clock.day_of(at_ms)); };
  auto read = [from, to, &local_day](store::Database& db)
      -> Result<std::pair<agent::UsageTotals, std::vector<agent::UsageGroup>>> {
    agent::UsageLedger ledger(db);
    auto totals = ledger.totals(from, to);
    if (!totals) {
      return std::unexpected(totals.error());
    }
    auto daily = ledger.by_local_day(from, to, local_day);
    if (!daily) {
      return std::unexpected(daily.error());
    }
    return std::pair{*totals, std::move(*daily)};
  };
  auto summary = co_await context.gateway().with_database(read);
  if (!summary) {
    co_return std::unexpected(from_error(summary.error()));
  }
  json::array daily;
  for (const auto& day : summary->second) {
    json::object row = totals_json(day.totals);
    row["date"] = day.key;
    daily.push_back(std::move(row));
  }
  co_return json::object{{"updatedAt", now},
                         {"days", day_count},
                         {"daily", std::move(daily)},
                         {"totals", totals_json(summary->first)}};
}

// usage.status: per provider with credentials, what this gateway spent today and whether a
// credential is cooling down. Provider-side quota windows need each provider's usage API, which
// Pincer does not call: `windows` stays empty and `summary` says what is known locally.
asio::awaitable<RpcResult> usage_status(RpcContext& context) {
  Gateway& gateway = context.gateway();
  auto credentials = co_await read_credentials(gateway);
  if (!credentials) {
    co_return std::unexpected(from_error(credentials.error()));
  }
  int64_t now = unix_ms();
  int64_t today = now - now % kDayMs;
  auto by_model = co_await gateway.with_database([today](store::Database& db) {
    return agent::UsageLedger(db).by_model(today, today + kDayMs);
  });
  if (!by_model) {
    co_return std::unexpected(from_error(by_model.error()));
  }
  const agent::ModelCatalog& catalog = gateway.agent().catalog();
  agent::EnvReader env = agent::process_env_reader();
  json::array providers;
  for (const auto& provider : catalog.providers()) {
    auto profiles = agent::provider_credentials(provider, credentials->stored, env);
    agent::UsageTotals spent;
    for (const auto& group : *by_model) {
      if (group.key.starts_with(provider.id + "/")) {
        spent += group.totals;
      }
    }
    if (profiles.empty() && spent.calls == 0) {
      continue;
    }
    json::object row{
        {"provider", provider.id},
        {"displayName", provider.id},
        {"windows", json::array()},
        {"summary", fmt::format("today: {} calls, {} tokens, ${:.4f}", spent.calls,
                                spent.total_tokens(), spent.cost_usd)},
        {"today", totals_json(spent)},
    };
    auto order = agent::rotation_order(provider.id, std::move(profiles), credentials->states,
                                       gateway.config().auth, "", now);
    if (order.profiles.empty()) {
      row["error"] = "no credentials";
    } else if (order.eligible == 0) {
      row["error"] =
          fmt::format("every credential is cooling down (until {})", order.soonest_recovery_ms);
    }
    providers.push_back(std::move(row));
  }
  co_return json::object{{"updatedAt", now}, {"providers", std::move(providers)}};
}

}  // namespace

void register_agent_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  methods.add({"chat.send", Access::operator_scope, std::string(scope::kWrite), false, chat_send});
  methods.add(
      {"chat.abort", Access::operator_scope, std::string(scope::kWrite), false, chat_abort});
  methods.add({"agent", Access::operator_scope, std::string(scope::kWrite), false, agent_run});
  methods.add(
      {"agent.wait", Access::operator_scope, std::string(scope::kWrite), false, agent_wait});
  methods.add({"send", Access::operator_scope, std::string(scope::kWrite), true, send_message});
  methods.add(
      {"models.list", Access::operator_scope, std::string(scope::kRead), false, models_list});
  methods.add(
      {"usage.status", Access::operator_scope, std::string(scope::kRead), false, usage_status});
  methods.add({"usage.cost", Access::operator_scope, std::string(scope::kRead), false, usage_cost});
  methods.add_event("agent");
  methods.add_event("chat");
}

}  // namespace pincer::gateway
