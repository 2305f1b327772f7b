#include "gateway/run_events.hpp"

#include <boost/json.hpp>

#include "gateway/gateway.hpp"
#include "gateway/scopes.hpp"
#include "sessions/session_key.hpp"

namespace pincer::gateway {

namespace json = boost::json;

boost::json::object assistant_message(std::string_view text, int64_t timestamp_ms) {
  json::array content;
  if (!text.empty()) {
    content.push_back(json::object{{"type", "text"}, {"text", text}});
  }
  return json::object{
      {"role", "assistant"}, {"content", std::move(content)}, {"timestamp", timestamp_ms}};
}

std::string_view chat_error_kind(std::string_view error_reason) {
  if (error_reason == "rate_limit") {
    return "rate_limit";
  }
  if (error_reason == "timeout") {
    return "timeout";
  }
  if (error_reason == "context_overflow") {
    return "context_length";
  }
  if (error_reason == "refusal") {
    return "refusal";
  }
  return "unknown";
}

namespace {

json::object usage_json(const providers::Usage& usage) {
  return json::object{{"input", usage.input},
                      {"output", usage.output},
                      {"cacheRead", usage.cache_read},
                      {"cacheWrite", usage.cache_write},
                      {"totalTokens", usage.total()}};
}

std::string clip(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) {
    return std::string(text);
  }
  // Cut at a UTF-8 boundary: the schema caps these fields and clients render them.
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(text.substr(0, end));
}

}  // namespace

void RunEventBroadcaster::send_agent(const agent::RunEvent& event, RunState& run,
                                     std::string_view stream, json::object data) {
  json::object payload{{"runId", event.run_id},
                       {"seq", run.seq++},
                       {"stream", stream},
                       {"ts", unix_ms()},
                       {"data", std::move(data)}};
  gateway_.broadcast("agent", payload, scope::kRead);
}

void RunEventBroadcaster::send_chat(const agent::RunEvent& event, RunState& run,
                                    json::object payload) {
  payload["runId"] = event.run_id;
  payload["sessionKey"] = event.session_key;
  payload["seq"] = run.seq++;
  if (auto key = sessions::parse_session_key(event.session_key); key && !key->agent_id.empty()) {
    payload["agentId"] = key->agent_id;
  }
  gateway_.broadcast("chat", payload, scope::kRead);
}

void RunEventBroadcaster::flush_later(RunState& run, std::chrono::steady_clock::duration delay) {
  if (!run.flush_timer) {
    run.flush_timer = std::make_unique<boost::asio::steady_timer>(gateway_.io());
  } else if (run.flush_timer->expiry() > std::chrono::steady_clock::now()) {
    return;  // already armed
  }
  run.flush_timer->expires_after(delay);
  // The run may finish (and its state go) before the timer fires: look it up again by id.
  run.flush_timer->async_wait([this, id = run.run_id](boost::system::error_code ec) {
    if (ec) {
      return;
    }
    auto it = runs_.find(id);
    if (it == runs_.end()) {
      return;
    }
    RunState& state = it->second;
    agent::RunEvent event{.kind = agent::RunEvent::Kind::text_delta,
                          .run_id = state.run_id,
                          .session_key = state.session_key};
    flush(event, state);
  });
}

void RunEventBroadcaster::flush(const agent::RunEvent& event, RunState& run) {
  if (run.flush_timer) {
    run.flush_timer->cancel();
  }
  if (run.pending.empty()) {
    return;
  }
  std::string delta = std::move(run.pending);
  run.pending.clear();
  run.last_sent = std::chrono::steady_clock::now();
  send_agent(event, run, "assistant", json::object{{"text", run.accumulated}, {"delta", delta}});
  send_chat(event, run,
            json::object{{"state", "delta"},
                         {"deltaText", std::move(delta)},
                         {"message", assistant_message(run.accumulated, unix_ms())}});
}

void RunEventBroadcaster::on_run_event(const agent::RunEvent& event) {
  using Kind = agent::RunEvent::Kind;
  RunState& run = runs_[std::string(event.run_id)];
  if (run.run_id.empty()) {
    run.run_id = std::string(event.run_id);
    run.session_key = std::string(event.session_key);
  }
  switch (event.kind) {
    case Kind::started:
      run.started_at_ms = unix_ms();
      send_agent(event, run, "lifecycle",
                 json::object{{"phase", "start"},
                              {"startedAt", run.started_at_ms},
                              {"sessionKey", event.session_key}});
      break;
    case Kind::text_delta: {
      if (event.accumulated.size() < run.accumulated.size()) {
        run.pending.clear();  // a new step: its text starts over
      }
      run.pending.append(event.text);
      run.accumulated.assign(event.accumulated);
      auto now = std::chrono::steady_clock::now();
      if (now - run.last_sent >= kDeltaInterval) {
        flush(event, run);
      } else {
        flush_later(run, kDeltaInterval - (now - run.last_sent));
      }
      break;
    }
    case Kind::thinking_delta:
      send_agent(event, run, "thinking", json::object{{"delta", event.text}});
      break;
    case Kind::tool_started:
      flush(event, run);
      if (event.tool != nullptr) {
        send_agent(event, run, "tool",
                   json::object{{"phase", "start"},
                                {"name", event.tool->name},
                                {"toolCallId", event.tool->id},
                                {"args", event.tool->arguments}});
      }
      break;
    case Kind::tool_finished:
      if (event.tool != nullptr) {
        send_agent(event, run, "tool",
                   json::object{{"phase", "result"},
                                {"name", event.tool->name},
                                {"toolCallId", event.tool->id},
                                {"isError", event.tool_error},
                                {"result", clip(event.tool_result, 4000)}});
      }
      run.accumulated.clear();
      break;
    case Kind::retrying:
      send_agent(event, run, "lifecycle", json::object{{"phase", "retry"}, {"reason", event.text}});
      break;
    case Kind::compacted:
      send_agent(event, run, "compaction", json::object{{"phase", "end"}, {"note", event.text}});
      break;
    case Kind::finished: {
      flush(event, run);
      const agent::RunOutcome* outcome = event.outcome;
      if (outcome == nullptr) {
        break;
      }
      int64_t ended = outcome->ended_at_ms != 0 ? outcome->ended_at_ms : unix_ms();
      int64_t started = run.started_at_ms != 0 ? run.started_at_ms : outcome->started_at_ms;
      json::object end{{"startedAt", started}, {"endedAt", ended}};
      json::object chat;
      switch (outcome->status) {
        case agent::RunStatus::ok:
          end["phase"] = "end";
          chat = {{"state", "final"},
                  {"message", assistant_message(outcome->text, ended)},
                  {"usage", usage_json(outcome->usage)}};
          if (!outcome->stop_reason.empty()) {
            chat["stopReason"] = outcome->stop_reason;
          }
          break;
        case agent::RunStatus::aborted:
          end["phase"] = "end";
          end["aborted"] = true;
          chat = {{"state", "aborted"}, {"stopReason", "aborted"}};
          if (!outcome->text.empty()) {
            chat["message"] = assistant_message(outcome->text, ended);
          }
          break;
        default: {
          end["phase"] = "error";
          end["error"] = outcome->error;
          json::object detail;
          if (!outcome->provider.empty()) {
            detail["provider"] = clip(outcome->provider, 300);
          }
          if (!outcome->model.empty()) {
            detail["model"] = clip(outcome->model, 300);
          }
          if (!outcome->error_reason.empty()) {
            detail["failoverReason"] = clip(outcome->error_reason, 300);
          }
          chat = {{"state", "error"},
                  {"errorMessage", outcome->error},
                  {"errorKind", chat_error_kind(outcome->status == agent::RunStatus::timeout
                                                    ? std::string_view("timeout")
                                                    : std::string_view(outcome->error_reason))},
                  {"errorDetail", std::move(detail)}};
          break;
        }
      }
      send_agent(event, run, "lifecycle", std::move(end));
      send_chat(event, run, std::move(chat));
      runs_.erase(std::string(event.run_id));
      break;
    }
  }
}

}  // namespace pincer::gateway
