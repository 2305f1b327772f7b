// pincer agent: one agent turn from the terminal, the reply streamed to stdout as it is written.
//
// Through the gateway (the default) the command connects as a CLI client, listens for the run's
// `chat` and `agent` events, starts the turn with `chat.send` (or `agent` when --model picks a
// model for this run only: chat.send has no model field), and waits for it with `agent.wait`,
// re-asking while the wait expires before the run ends. With --local it runs the turn in this
// process on its own AgentService, against the same config and state.db (WAL lets it share the
// database with a running gateway).
//
// Output: stdout carries only the reply; notes (tool activity) and errors go to stderr. With
// --json nothing is printed while the turn runs and stdout gets one object at the end:
// {runId, sessionKey, status, text, error?, usage?, provider?, model?}.
//
// Exit codes: 0 the turn completed; 1 it failed, timed out or was aborted elsewhere, or no
// gateway answered; 2 a usage error (no message); 128 + signal after SIGINT (130) or SIGTERM
// (143), which first asks the gateway to stop the run (chat.abort), or aborts the local run.
//
// What it does not do: deliver the reply to a chat channel, or resume a turn after the
// connection to the gateway is lost (the run may still finish there; the transcript shows it).

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "agent/agent_service.hpp"
#include "agent/run_types.hpp"
#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/gateway_target.hpp"
#include "app/output.hpp"
#include "core/config_loader.hpp"
#include "core/files.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_client.hpp"
#include "sessions/lane_registry.hpp"
#include "sessions/session_key.hpp"
#include "store/database_access.hpp"
#include "store/state_database.hpp"

namespace pincer::app {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

// After the run's own limit, how long the CLI still waits for the gateway to report it.
constexpr std::chrono::seconds kDeadlineGrace{30};
// Each agent.wait asks for at most this long; the command asks again while the run goes on.
constexpr std::chrono::milliseconds kWaitChunk{30'000};
// How often the gateway loop looks at the signal flag and the deadline.
constexpr std::chrono::milliseconds kPollSlice{100};
// After the terminal `chat` event, how long to wait for agent.wait's summary (usage, model).
constexpr std::chrono::seconds kSummaryWait{5};
// chat.abort after a signal: best effort, then exit.
constexpr std::chrono::seconds kAbortTimeout{5};

struct AgentFlags {
  std::string message;
  std::string session;
  std::string agent;
  std::string thinking;
  std::string model;
  int64_t timeout_s = -1;  // -1: the run's configured limit (agents.defaults.timeoutSeconds)
  bool local = false;
  bool json = false;
  bool verbose = false;
  GatewayTargetFlags target;
};

// What the turn came to, for the exit code, the error line and --json.
struct TurnResult {
  std::string run_id;
  std::string session_key;
  std::string status = "error";  // ok | error | timeout | aborted
  std::string text;
  std::string error;
  std::string provider;
  std::string model;
  std::optional<json::object> usage;
  int signal = 0;  // the signal that interrupted the turn, if one did
};

// ---------------------------------------------------------------------------------------------
// Printing the reply as it streams.
//
// Deltas are printed as they arrive, so the reply appears while the model writes it. A turn may
// take several steps (text, tool calls, more text): a new step starts on a new line. The final
// reply is the last step's text; the gateway coalesces deltas, so it may be longer than what was
// streamed. At the end:
//   - the final text continues the step on screen: print the rest of it;
//   - it is the step that was already printed in full (a tool step with no text after): nothing;
//   - nothing was streamed (a chat command, a non-streaming reply): print it;
//   - otherwise (it differs from what was streamed): print the whole final reply on its own
//     lines after the streamed text, so the complete reply is always on screen once at the end.
class ReplyPrinter {
 public:
  ReplyPrinter(bool quiet, bool show_tools) : quiet_(quiet), show_tools_(show_tools) {}

  // `step_text`: the step's text so far when the source knows it (else empty); `delta`: the
  // text new since the last call.
  void on_text(std::string_view step_text, std::string_view delta) {
    if (!step_text.empty()) {
      if (!step_text.starts_with(current_)) {
        end_step();  // a new step: its text starts over
      }
      write(step_text.substr(current_.size()));
      current_.assign(step_text);
      return;
    }
    write(delta);
    current_.append(delta);
  }

  void on_tool(std::string_view name) {
    end_step();
    if (quiet_ || !show_tools_) {
      return;
    }
    if (::isatty(STDERR_FILENO) == 1) {
      fmt::print(stderr, "\x1b[2m· tool {}\x1b[0m\n", name);
    } else {
      fmt::print(stderr, "· tool {}\n", name);
    }
    std::fflush(stderr);
  }

  void finish(std::string_view final_text) {
    if (!current_.empty() && final_text.starts_with(current_)) {
      write(final_text.substr(current_.size()));
    } else if (current_.empty() && !previous_.empty() && final_text == previous_) {
      // Already on screen: the last step with text was the reply.
    } else if (!printed_) {
      write(final_text);
    } else if (!final_text.empty()) {
      end_line();
      write(final_text);
    }
    end_line();
  }

  // Ends a partly printed line (before an error or after an interruption).
  void end_line() {
    if (line_open_) {
      write("\n");
    }
  }

 private:
  void end_step() {
    if (!current_.empty()) {
      previous_ = std::move(current_);
      current_.clear();
    }
    end_line();
  }

  void write(std::string_view text) {
    if (quiet_ || text.empty()) {
      return;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    printed_ = true;
    line_open_ = text.back() != '\n';
  }

  bool quiet_;
  bool show_tools_;
  std::string current_;   // what was printed of the open step
  std::string previous_;  // the last closed step that had text
  bool printed_ = false;
  bool line_open_ = false;
};

json::object usage_json(const providers::Usage& usage, double cost_usd) {
  return json::object{{"input", usage.input},          {"output", usage.output},
                      {"cacheRead", usage.cache_read}, {"cacheWrite", usage.cache_write},
                      {"totalTokens", usage.total()},  {"costUsd", cost_usd}};
}

// Prints the outcome (JSON, or the error line) and sets the exit code.
void report_turn(CliContext& ctx, const AgentFlags& flags, ReplyPrinter& printer,
                 const TurnResult& result) {
  if (flags.json) {
    json::object out{{"runId", result.run_id},
                     {"sessionKey", result.session_key},
                     {"status", result.status},
                     {"text", result.text}};
    if (!result.error.empty()) {
      out["error"] = result.error;
    }
    if (result.usage) {
      out["usage"] = *result.usage;
    }
    if (!result.provider.empty()) {
      out["provider"] = result.provider;
    }
    if (!result.model.empty()) {
      out["model"] = result.model;
    }
    print_json(out);
  } else if (result.status == "ok") {
    printer.finish(result.text);
  } else {
    printer.end_line();
    if (result.signal == 0) {
      std::string message = result.error;
      if (message.empty()) {
        message = result.status == "aborted" ? "the run was aborted" : "the run failed";
      }
      fmt::print(stderr, "error: {}\n", message);
    }
  }
  if (result.signal != 0) {
    ctx.exit_code = 128 + result.signal;
  } else {
    ctx.exit_code = result.status == "ok" ? 0 : 1;
  }
}

// The session the turn goes to: --session as given (an agent-relative key such as "work" is
// scoped to the agent: --agent, else the default one), else the agent's main session.
Result<std::string> session_key_for(const AgentFlags& flags, const core::Config& config) {
  std::string agent_id = flags.agent.empty() ? core::default_agent_id(config.agents)
                                             : core::normalize_agent_id(flags.agent);
  std::string session(core::trim(flags.session));
  if (session.empty() || session == "main") {
    return sessions::main_session_key(agent_id, config.session);
  }
  std::string key = sessions::to_agent_store_key(agent_id, session);
  if (auto parsed = sessions::parse_session_key(key);
      parsed && !flags.agent.empty() && parsed->agent_id != agent_id) {
    return fail(Errc::invalid_argument,
                fmt::format("--session {} belongs to agent \"{}\", not \"{}\"", key,
                            parsed->agent_id, agent_id),
                "drop --agent, or pass a session of that agent");
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Through the gateway.

// Set by the signal handler; the gateway loop polls it between short waits.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void record_signal(int signo) {
  g_signal = signo;
}

// Routes SIGINT/SIGTERM to g_signal while alive; restores the previous handlers after.
class SignalFlag {
 public:
  SignalFlag() {
    g_signal = 0;
    struct sigaction action {};
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  SignalFlag(const SignalFlag&) = delete;
  SignalFlag& operator=(const SignalFlag&) = delete;
  ~SignalFlag() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  int raised() const { return g_signal; }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

std::string string_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

const json::object* object_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

// The text parts of a chat message ({role, content: [{type: "text", text}, ...]}), joined.
std::string message_text(const json::object& payload) {
  const json::object* message = object_at(payload, "message");
  if (message == nullptr) {
    return {};
  }
  const auto* content = message->if_contains("content");
  if (content == nullptr) {
    return {};
  }
  if (content->is_string()) {
    return std::string(content->get_string());
  }
  std::string text;
  if (const auto* parts = content->if_array()) {
    for (const auto& part : *parts) {
      if (const auto* object = part.if_object(); object != nullptr) {
        if (string_at(*object, "type") == "text") {
          text += string_at(*object, "text");
        }
      }
    }
  }
  return text;
}

// The gateway's usage object in this command's shape.
json::object usage_from(const json::object& usage) {
  json::object out;
  for (std::string_view key : {"input", "output", "cacheRead", "cacheWrite", "totalTokens"}) {
    const auto* value = usage.if_contains(key);
    out[key] = value != nullptr && value->is_number() ? *value : json::value(0);
  }
  if (const auto* cost = usage.if_contains("costUsd"); cost != nullptr && cost->is_number()) {
    out["costUsd"] = *cost;
  }
  return out;
}

// One turn as seen from the client: fed by the event handler and the response handlers, which
// run inside client.wait() on this thread.
class GatewayTurn {
 public:
  GatewayTurn(ReplyPrinter& printer, TurnResult& result) : printer_(printer), result_(result) {}

  void on_event(std::string_view event, const json::value& payload) {
    const json::object* object = payload.if_object();
    if (object == nullptr || string_at(*object, "runId") != result_.run_id) {
      return;  // another run's event (every operator sees every run)
    }
    if (event == "agent") {
      const json::object* data = object_at(*object, "data");
      if (string_at(*object, "stream") == "tool" && data != nullptr &&
          string_at(*data, "phase") == "start") {
        printer_.on_tool(string_at(*data, "name"));
      }
      return;
    }
    if (event != "chat" || finished_event_) {
      return;
    }
    if (std::string key = string_at(*object, "sessionKey"); !key.empty()) {
      result_.session_key = std::move(key);
    }
    std::string state = string_at(*object, "state");
    if (state == "delta") {
      printer_.on_text(message_text(*object), string_at(*object, "deltaText"));
    } else if (state == "final") {
      finished_event_ = true;
      result_.status = "ok";
      result_.text = message_text(*object);
      if (const json::object* usage = object_at(*object, "usage")) {
        result_.usage = usage_from(*usage);
      }
    } else if (state == "error") {
      finished_event_ = true;
      result_.status = string_at(*object, "errorKind") == "timeout" ? "timeout" : "error";
      result_.error = string_at(*object, "errorMessage");
      if (const json::object* detail = object_at(*object, "errorDetail")) {
        result_.provider = string_at(*detail, "provider");
        result_.model = string_at(*detail, "model");
      }
    } else if (state == "aborted") {
      finished_event_ = true;
      result_.status = "aborted";
      result_.text = message_text(*object);
      result_.error = "the run was aborted";
    }
    if (finished_event_) {
      finished_at_ = Clock::now();
    }
  }

  // agent.wait's answer. A wait that expired before the run ended ("timeout" without endedAt,
  // or "pending") is asked again by the loop.
  void on_wait(Result<json::value> response) {
    wait_pending_ = false;
    if (!response) {
      transport_error_ = response.error();
      return;
    }
    const json::object* object = response->if_object();
    if (object == nullptr) {
      return;
    }
    std::string status = string_at(*object, "status");
    bool ended = object->contains("endedAt");
    if (status != "ok" && status != "error" && !(status == "timeout" && ended)) {
      return;  // still queued or running
    }
    wait_done_ = true;
    if (!finished_event_) {
      // The terminal event went missing (it is sent before this answer): take the summary.
      result_.status = status;
      if (string_at(*object, "stopReason") == "aborted") {
        result_.status = "aborted";
      }
      if (const json::object* reply = object_at(*object, "terminalReply")) {
        result_.text = string_at(*reply, "text");
      } else {
        result_.text = string_at(*object, "text");
      }
      result_.error = string_at(*object, "error");
    } else if (status == "timeout") {
      result_.status = "timeout";  // the run hit its limit (the event says only "error")
    }
    if (std::string provider = string_at(*object, "provider"); !provider.empty()) {
      result_.provider = std::move(provider);
      result_.model = string_at(*object, "model");
    }
    if (const json::object* usage = object_at(*object, "usage")) {
      result_.usage = usage_from(*usage);
    }
    if (std::string key = string_at(*object, "sessionKey"); !key.empty()) {
      result_.session_key = std::move(key);
    }
  }

  bool done() const {
    return wait_done_ || (finished_event_ && Clock::now() - finished_at_ > kSummaryWait);
  }
  bool wait_pending() const { return wait_pending_; }
  void wait_sent() { wait_pending_ = true; }
  const std::optional<Error>& transport_error() const { return transport_error_; }

 private:
  ReplyPrinter& printer_;
  TurnResult& result_;
  bool finished_event_ = false;
  Clock::time_point finished_at_{};
  bool wait_pending_ = false;
  bool wait_done_ = false;
  std::optional<Error> transport_error_;
};

Error connect_error(Error error) {
  if (error.code == Errc::io) {
    error.hint =
        "start the gateway with `pincer gateway`, or run the turn in this process with --local";
  } else if (error.hint.empty() && error.message.find("unauthorized") != std::string::npos) {
    error.hint = "pass --token (or --password), or set PINCER_GATEWAY_TOKEN";
  }
  return error;
}

void run_through_gateway(CliContext& ctx, const AgentFlags& flags, const std::string& message) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto env = core::process_env();
  core::ConfigLoad load = core::load_config(paths->config_file, env);
  core::Config config;  // defaults when the file is invalid: the gateway has its own anyway
  if (load.config) {
    config = *load.config;
  }
  auto session_key = session_key_for(flags, config);
  if (!session_key) {
    ctx.report(session_key.error(), 2);
    return;
  }

  // Everything the handlers touch is declared before the client: close() answers pending calls.
  TurnResult result;
  result.run_id = core::random_uuid();
  result.session_key = *session_key;
  ReplyPrinter printer(flags.json, flags.verbose || ::isatty(STDERR_FILENO) == 1);
  GatewayTurn turn(printer, result);
  bool accepted = false;
  std::optional<Error> send_error;

  auto client = gateway::GatewayClient::connect(resolve_gateway_target(flags.target, load, env));
  if (!client) {
    report_failure(ctx, connect_error(client.error()), flags.json);
    return;
  }
  client->on_event([&turn](std::string_view event, const json::value& payload) {
    turn.on_event(event, payload);
  });

  // chat.send has no per-run model; the `agent` method does (and takes seconds, not ms).
  std::string method = flags.model.empty() ? "chat.send" : "agent";
  json::object params{
      {"sessionKey", *session_key}, {"message", message}, {"idempotencyKey", result.run_id}};
  if (!flags.thinking.empty()) {
    params["thinking"] = flags.thinking;
  }
  if (!flags.model.empty()) {
    params["model"] = flags.model;
  }
  if (flags.timeout_s >= 0) {
    params[flags.model.empty() ? "timeoutMs" : "timeout"] =
        flags.model.empty() ? flags.timeout_s * 1000 : flags.timeout_s;
  }

  // The CLI's own deadline: the run's limit plus a grace period for the gateway to report it.
  int64_t limit_s = flags.timeout_s >= 0 ? flags.timeout_s : config.agents.defaults.timeout_seconds;
  std::optional<Clock::time_point> deadline;
  if (limit_s > 0) {
    deadline = Clock::now() + std::chrono::seconds(limit_s) + kDeadlineGrace;
  }

  SignalFlag signals;
  client->call_async(method, params, [&](Result<json::value> response) {
    if (response) {
      accepted = true;
    } else {
      send_error = connect_error(response.error());
    }
  });

  auto stop_run = [&] {
    // Best effort: the run may already be over, or the gateway gone.
    auto aborted = client->call(
        "chat.abort", json::object{{"sessionKey", result.session_key}, {"runId", result.run_id}},
        kAbortTimeout);
    if (!aborted) {
      fmt::print(stderr, "warning: could not ask the gateway to stop run {}: {}\n", result.run_id,
                 aborted.error().describe());
    }
  };

  for (;;) {
    if (int signo = signals.raised(); signo != 0) {
      stop_run();
      result.signal = signo;
      result.status = "aborted";
      result.error = "interrupted";
      break;
    }
    if (send_error) {
      printer.end_line();
      report_failure(ctx, *send_error, flags.json);
      client->close();
      return;
    }
    if (turn.done()) {
      break;
    }
    if (const auto& lost = turn.transport_error()) {
      printer.end_line();
      report_failure(
          ctx,
          Error{Errc::unavailable,
                fmt::format("waiting for run {} failed: {}", result.run_id, lost->message),
                fmt::format("the run may still finish there: check `pincer sessions "
                            "show {}` and `pincer status` before sending it again",
                            result.session_key)},
          flags.json);
      return;
    }
    auto now = Clock::now();
    if (deadline && now >= *deadline) {
      stop_run();
      result.status = "timeout";
      result.error = fmt::format(
          "the gateway did not finish run {} within {} s; it was asked to stop", result.run_id,
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::seconds(limit_s) +
                                                           kDeadlineGrace)
              .count());
      break;
    }
    if (accepted && !turn.wait_pending()) {
      auto chunk = kWaitChunk;
      if (deadline) {
        chunk = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - now),
                           std::chrono::milliseconds(1), kWaitChunk);
      }
      turn.wait_sent();
      client->call_async(
          "agent.wait", json::object{{"runId", result.run_id}, {"timeoutMs", chunk.count()}},
          [&turn](Result<json::value> response) { turn.on_wait(std::move(response)); });
    }
    client->wait(kPollSlice);
  }
  client->close();
  report_turn(ctx, flags, printer, result);
}

// ---------------------------------------------------------------------------------------------
// In this process (--local).

class LocalObserver final : public agent::RunObserver {
 public:
  explicit LocalObserver(ReplyPrinter& printer) : printer_(printer) {}

  void on_run_event(const agent::RunEvent& event) override {
    switch (event.kind) {
      case agent::RunEvent::Kind::text_delta:
        printer_.on_text(event.accumulated, event.text);
        break;
      case agent::RunEvent::Kind::tool_started:
        printer_.on_tool(event.tool != nullptr ? std::string_view(event.tool->name) : "");
        break;
      default:
        break;
    }
  }

 private:
  ReplyPrinter& printer_;
};

void run_local(CliContext& ctx, const AgentFlags& flags, const std::string& message) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  core::ConfigLoad load = core::load_config(paths->config_file, core::process_env());
  if (!load.config) {
    report_failure(ctx,
                   Error{Errc::config, load.describe_errors(),
                         "fix the file, or check it with `pincer config validate`"},
                   flags.json);
    return;
  }
  core::Config config = std::move(*load.config);
  core::apply_env_vars(config);  // before the pool's threads start
  // Log lines would mix with the reply; a failed turn is reported once, below.
  core::set_log_level(core::LogLevel::silent,
                      flags.verbose ? core::LogLevel::info : core::LogLevel::error);

  auto session_key = session_key_for(flags, config);
  if (!session_key) {
    ctx.report(session_key.error(), 2);
    return;
  }
  if (auto ok = core::ensure_private_dir(paths->state_dir); !ok) {
    report_failure(ctx, ok.error(), flags.json);
    return;
  }
  auto db = store::open_state_database(paths->database_file);
  if (!db) {
    report_failure(ctx, db.error(), flags.json);
    return;
  }

  agent::ChatRequest request;
  request.session_key = *session_key;
  request.text = message;
  request.run_id = core::random_uuid();
  request.thinking = flags.thinking;
  request.model = flags.model;
  if (flags.timeout_s >= 0) {
    request.timeout = std::chrono::seconds(flags.timeout_s);  // 0: no limit
  }
  request.channel = "cli";

  TurnResult result;
  result.run_id = request.run_id;
  result.session_key = request.session_key;
  ReplyPrinter printer(flags.json, flags.verbose || ::isatty(STDERR_FILENO) == 1);
  LocalObserver observer(printer);

  asio::io_context io(1);
  asio::thread_pool pool(2);
  store::DatabaseAccess access(pool, *db);
  sessions::LaneRegistry lanes(gateway::lane_caps(config));
  agent::AgentService service(io, access, lanes, *paths, config);

  // The first signal aborts the run (it then ends as "aborted"); a second one exits at once.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signo) {
        if (ec) {
          return;  // cancelled: the run is over
        }
        if (result.signal != 0) {
          std::_Exit(128 + signo);
        }
        result.signal = signo;
        service.abort(request.session_key, request.run_id);
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);

  std::optional<agent::RunOutcome> outcome;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        outcome = co_await service.run(request, &observer);
        signals.cancel();
      },
      [&](std::exception_ptr error) {
        if (error) {
          failure = error;
          signals.cancel();
        }
      });
  io.run();

  if (!outcome) {
    std::string what = "the run ended without an outcome";
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        what = std::string("internal error: ") + e.what();
      } catch (...) {
        what = "internal error";
      }
    }
    result.error = std::move(what);
  } else {
    result.status = std::string(agent::to_string(outcome->status));
    result.text = outcome->text;
    result.error = outcome->error;
    if (outcome->status == agent::RunStatus::aborted && result.error.empty()) {
      result.error = "the run was aborted";
    }
    result.provider = outcome->provider;
    result.model = outcome->model;
    result.session_key = outcome->session_key;
    if (outcome->status == agent::RunStatus::ok || outcome->usage.total() > 0) {
      result.usage = usage_json(outcome->usage, outcome->cost_usd);
    }
  }
  report_turn(ctx, flags, printer, result);
}

// ---------------------------------------------------------------------------------------------

// -m, else stdin when it is not a terminal (`echo hi | pincer agent`).
std::optional<std::string> read_message(const AgentFlags& flags) {
  std::string message = flags.message;
  if (message.empty() && ::isatty(STDIN_FILENO) != 1) {
    message.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) {
      message.pop_back();
    }
  }
  if (core::trim(message).empty()) {
    return std::nullopt;
  }
  return message;
}

void run_agent(CliContext& ctx, const AgentFlags& flags) {
  auto message = read_message(flags);
  if (!message) {
    ctx.report(Error{Errc::invalid_argument, "no message to send",
                     R"(pass one with -m "text", or pipe it in: echo "text" | pincer agent)"},
               2);
    return;
  }
  if (flags.local) {
    run_local(ctx, flags, *message);
  } else {
    run_through_gateway(ctx, flags, *message);
  }
}

}  // namespace

void register_agent_command(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<AgentFlags>();
  CLI::App* cmd = root.add_subcommand(
      "agent", "Send one message to the assistant and stream its reply (through the gateway)");
  cmd->add_option("-m,--message", flags->message,
                  "The message; without it, read from stdin when stdin is not a terminal")
      ->type_name("TEXT");
  cmd->add_option("--session", flags->session,
                  "Session key (default: the agent's main session, agent:<id>:main)")
      ->type_name("KEY");
  cmd->add_option("--agent", flags->agent, "Agent id (default: the default agent)")
      ->type_name("ID");
  cmd->add_option("--thinking", flags->thinking, "Thinking level for this turn")
      ->check(CLI::IsMember({"off", "minimal", "low", "medium", "high"}))
      ->type_name("LEVEL");
  cmd->add_option("--model", flags->model, "Model for this turn only")->type_name("PROVIDER/MODEL");
  cmd->add_option("--timeout", flags->timeout_s,
                  "Stop the turn after this long (default agents.defaults.timeoutSeconds; "
                  "0: no limit)")
      ->check(CLI::Range(int64_t{0}, int64_t{24 * 3600}))
      ->type_name("SECONDS");
  cmd->add_flag("--local", flags->local,
                "Run the turn in this process instead of through a running gateway");
  cmd->add_flag("--json", flags->json, "Print one JSON object with the outcome at the end");
  cmd->add_flag("--verbose", flags->verbose, "Note tool calls on stderr even when it is not a TTY");
  cmd->add_option("--url", flags->target.url,
                  "Gateway URL (default gateway.remote.url, else ws://127.0.0.1:<gateway.port>)")
      ->type_name("ws://HOST:PORT");
  cmd->add_option("--token", flags->target.token,
                  "Gateway token (default $PINCER_GATEWAY_TOKEN, else gateway.auth.token)");
  cmd->add_option(
      "--password", flags->target.password,
      "Gateway password (default $PINCER_GATEWAY_PASSWORD, else gateway.auth.password)");
  cmd->footer(
      "Examples:\n"
      "  pincer agent -m \"What is on my calendar today?\"\n"
      "  echo \"Summarize this\" | pincer agent --session work\n"
      "  pincer agent -m \"hello\" --local --json\n\n"
      "Exit codes: 0 the turn completed; 1 it failed or no gateway answered; 2 no message;\n"
      "130/143 interrupted by SIGINT/SIGTERM (the run is asked to stop first).");
  cmd->callback([&ctx, flags] { run_agent(ctx, *flags); });
}

}  // namespace pincer::app
