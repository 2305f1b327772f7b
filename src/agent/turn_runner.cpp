#include "agent/turn_runner.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/agent_service.hpp"
#include "agent/auth_profile_store.hpp"
#include "agent/context_guard.hpp"
#include "agent/model_caller.hpp"
#include "agent/provider_keys.hpp"
#include "agent/system_prompt.hpp"
#include "agent/token_estimate.hpp"
#include "agent/transcript_codec.hpp"
#include "agent/usage_ledger.hpp"
#include "agent/workspace_files.hpp"
#include "core/executor.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "sessions/session_intake.hpp"
#include "sessions/session_key.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::agent {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using providers::Message;
using providers::Role;

constexpr std::string_view kContextExhausted =
    "This conversation no longer fits the model's context window, even after summarising older "
    "turns. Start a fresh session with /new, or choose a model with a larger window (/model).";

providers::ThinkingLevel parse_thinking(std::string_view text) {
  std::string level = core::lowercase_trimmed(text);
  if (level == "minimal") {
    return providers::ThinkingLevel::minimal;
  }
  if (level == "low") {
    return providers::ThinkingLevel::low;
  }
  if (level == "medium") {
    return providers::ThinkingLevel::medium;
  }
  if (level == "high" || level == "max" || level == "xhigh") {
    return providers::ThinkingLevel::high;
  }
  return providers::ThinkingLevel::off;
}

std::string settings_string(const json::object& settings, std::string_view key) {
  if (const auto* value = settings.if_contains(key); value != nullptr && value->is_string()) {
    return std::string(value->get_string());
  }
  return {};
}

std::string_view stop_name(providers::StopReason reason) {
  switch (reason) {
    case providers::StopReason::end_turn:
      return "end_turn";
    case providers::StopReason::tool_use:
      return "tool_use";
    case providers::StopReason::max_tokens:
      return "max_tokens";
    case providers::StopReason::refusal:
      return "refusal";
    case providers::StopReason::other:
      return "other";
  }
  return "other";
}

std::string local_time_text(const std::string& zone_name, std::string& zone_out) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  zone_out = zone_name.empty() ? "UTC" : zone_name;
  // The zone is applied by formatting through TZ-free arithmetic would need the tz database; the
  // date library is linked through pincer_sessions, but a UTC stamp plus the zone name is what
  // the model needs to reason about "now".
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %a %H:%M UTC", &tm);
  return buffer;
}

// Passes deltas to the run's events and keeps the step's text for `accumulated`.
class StepSink final : public providers::StreamSink {
 public:
  StepSink(const TurnEnvironment& env, const std::string& run_id, const std::string& session_key)
      : env_(env), run_id_(run_id), session_key_(session_key) {}

  void on_text_delta(std::string_view text) override {
    text_ += text;
    RunEvent event{.kind = RunEvent::Kind::text_delta,
                   .run_id = run_id_,
                   .session_key = session_key_,
                   .text = text,
                   .accumulated = text_};
    env_.emit(event);
  }
  void on_thinking_delta(std::string_view text) override {
    RunEvent event{.kind = RunEvent::Kind::thinking_delta,
                   .run_id = run_id_,
                   .session_key = session_key_,
                   .text = text};
    env_.emit(event);
  }
  void reset() { text_.clear(); }
  const std::string& text() const { return text_; }

 private:
  const TurnEnvironment& env_;
  const std::string& run_id_;
  const std::string& session_key_;
  std::string text_;
};

// How far a resumed run got before a restart.
struct ResumePoint {
  sessions::SessionRecord session;
  std::string user_text;
  std::optional<std::string> final_text;  // the run's last entry was its reply
};

std::string text_of_content(std::string_view content) {
  boost::system::error_code ec;
  json::value value = json::parse(content, ec);
  std::string text;
  if (ec || !value.is_array()) {
    return text;
  }
  for (const auto& part : value.get_array()) {
    const json::object* object = part.if_object();
    const json::value* t = object != nullptr ? object->if_contains("text") : nullptr;
    if (t != nullptr && t->is_string()) {
      text += t->get_string();
    }
  }
  return text;
}

Result<std::optional<ResumePoint>> find_resume_point(store::Database& db,
                                                     std::string_view session_key,
                                                     std::string_view run_id) {
  auto session = sessions::SessionStore(db).find_active(session_key);
  if (!session || !*session) {
    return session ? Result<std::optional<ResumePoint>>(std::nullopt)
                   : std::unexpected(session.error());
  }
  auto entries = sessions::TranscriptStore(db).of_run((*session)->session_id, run_id);
  if (!entries) {
    return std::unexpected(entries.error());
  }
  if (entries->empty() || entries->front().kind != sessions::EntryKind::user) {
    return std::optional<ResumePoint>();
  }
  ResumePoint point{**session, text_of_content(entries->front().content), std::nullopt};
  if (entries->size() > 1 && entries->back().kind == sessions::EntryKind::assistant) {
    point.final_text = text_of_content(entries->back().content);
  }
  return point;
}

struct TurnState {
  std::string session_id;
  std::string session_key;
  std::string agent_id;
  std::vector<Message> messages;
  std::vector<int64_t> seqs;  // first transcript seq of each message
};

}  // namespace

std::string default_model_ref(const core::Config& config, const EnvReader& env) {
  if (!config.agents.defaults.model.primary.empty()) {
    return config.agents.defaults.model.primary;
  }
  for (const auto& key : provider_keys()) {
    if (env(key.env_var) || (!key.alt_env_var.empty() && env(key.alt_env_var))) {
      return std::string(key.default_model);
    }
  }
  return {};
}

asio::awaitable<RunOutcome> run_turn(TurnEnvironment& env, const ChatRequest& request,
                                     const std::vector<std::string>& texts,
                                     const std::string& run_id, sessions::RunControl& control) {
  // An abort cancels the stream in flight; the turn still records what happened afterwards, so
  // later awaits must not throw because the coroutine was cancelled once.
  co_await asio::this_coro::throw_if_cancelled(false);
  RunOutcome outcome;
  outcome.run_id = run_id;
  outcome.session_key = request.session_key;
  outcome.started_at_ms = now_ms();
  outcome.status = RunStatus::running;
  auto fail_with = [&](std::string message, std::string reason) {
    outcome.status = RunStatus::error;
    outcome.error = std::move(message);
    outcome.error_reason = std::move(reason);
    outcome.ended_at_ms = now_ms();
    return outcome;
  };

  // 1. The messages enter the session: resets, then one user entry each.
  TurnState turn;
  turn.session_key = request.session_key;
  auto parsed = sessions::parse_session_key(request.session_key);
  turn.agent_id = parsed ? parsed->agent_id : core::default_agent_id(env.config.agents);
  std::string user_text;
  bool command_only = false;
  bool was_reset = false;
  json::object settings;
  // A channel message resumed after a restart may have been taken in (or even answered) before
  // the crash: the transcript's entries for this run say how far it got.
  bool taken_in = false;
  if (request.resume) {
    auto prior =
        co_await env.database.with([&](store::Database& db) -> Result<std::optional<ResumePoint>> {
          return find_resume_point(db, request.session_key, run_id);
        });
    if (prior && *prior) {
      turn.session_id = (*prior)->session.session_id;
      settings = (*prior)->session.settings;
      taken_in = true;
      user_text = (*prior)->user_text;
      if ((*prior)->final_text) {
        outcome.status = RunStatus::ok;
        outcome.text = *(*prior)->final_text;
        outcome.ended_at_ms = now_ms();
        co_return outcome;
      }
    }
  }
  for (const std::string& text : taken_in ? std::vector<std::string>{} : texts) {
    sessions::IntakeMessage message;
    message.session_key = turn.session_key;
    message.agent_id = turn.agent_id;
    message.channel = request.channel;
    message.account_id = request.account_id;
    message.to = request.reply_to;
    message.thread_id = request.thread_id;
    message.chat_type = request.chat_type.value_or(sessions::ChatType::direct);
    message.display_name = request.display_name;
    message.text = text;
    message.received_at_ms = now_ms();
    message.run_id = run_id;
    auto intake = [&env, message](store::Database& db) {
      return sessions::take_in_message(db, env.config.session, message);
    };
    auto taken = co_await env.database.with(intake);
    if (!taken) {
      co_return fail_with("could not record the message: " + taken.error().describe(), "internal");
    }
    turn.session_id = taken->session.session_id;
    settings = taken->session.settings;
    command_only = taken->command_only;
    was_reset = was_reset || taken->reset.has_value();
    if (!taken->text.empty()) {
      user_text += user_text.empty() ? taken->text : "\n\n" + taken->text;
    }
  }
  if (command_only) {
    outcome.status = RunStatus::ok;
    outcome.text = "New session started.";
    outcome.ended_at_ms = now_ms();
    co_return outcome;
  }

  // 2. Chat commands that change the session instead of talking to the model.
  std::string trimmed(core::trim(user_text));
  // "/compact [focus]": summarise the older history now (below, once it is loaded).
  std::optional<std::string> compact_focus;
  if (trimmed == "/compact" || trimmed.starts_with("/compact ")) {
    compact_focus = std::string(core::trim(std::string_view(trimmed).substr(8)));
  }
  if (!trimmed.starts_with("/compact") && is_session_command(trimmed)) {  // /think, /model
    bool think = trimmed.starts_with("/think");
    std::string argument(core::trim(std::string_view(trimmed).substr(6)));
    json::object mutation;
    if (think) {
      static constexpr std::array<std::string_view, 5> kLevels = {"off", "minimal", "low", "medium",
                                                                  "high"};
      std::string level = core::lowercase_trimmed(argument);
      if (std::find(kLevels.begin(), kLevels.end(), level) == kLevels.end()) {
        outcome.status = RunStatus::ok;
        std::string current = settings_string(settings, "thinkingLevel");
        outcome.text = "Thinking level: " + (current.empty() ? std::string("off") : current) +
                       ". Use /think off|minimal|low|medium|high.";
        outcome.ended_at_ms = now_ms();
        co_return outcome;
      }
      mutation["thinkingLevel"] = level;
      outcome.text = "Thinking level set to " + level + ".";
    } else if (argument.empty()) {
      std::string current = settings_string(settings, "model");
      outcome.status = RunStatus::ok;
      outcome.text =
          "Model: " + (current.empty() ? default_model_ref(env.config, env.env) : current) +
          ". Use /model provider/model to switch, /model default to go back.";
      outcome.ended_at_ms = now_ms();
      co_return outcome;
    } else if (argument == "default") {
      mutation["model"] = nullptr;
      outcome.text = "Model reset to the configured default.";
    } else {
      auto resolved = env.catalog.resolve(argument);
      if (!resolved) {
        co_return fail_with(resolved.error().describe(), "config");
      }
      mutation["model"] = resolved->ref;
      outcome.text = "Model set to " + resolved->ref + " for this session.";
    }
    auto patch = [key = turn.session_key, mutation](store::Database& db) {
      return sessions::SessionStore(db).patch(key, mutation, now_ms());
    };
    if (auto patched = co_await env.database.with(patch); !patched) {
      co_return fail_with(patched.error().describe(), "internal");
    }
    outcome.status = RunStatus::ok;
    outcome.ended_at_ms = now_ms();
    co_return outcome;
  }

  // 3. Model and thinking level: this run's choice, then the session's, then the config's.
  bool strict = false;
  std::string selected = request.model;
  if (!selected.empty()) {
    strict = true;
  } else if (std::string chosen = settings_string(settings, "model"); !chosen.empty()) {
    std::string provider = settings_string(settings, "modelProvider");
    selected = chosen.find('/') == std::string::npos && !provider.empty() ? provider + "/" + chosen
                                                                          : chosen;
    strict = true;
  }
  std::vector<std::string> fallbacks = env.config.agents.defaults.model.fallbacks;
  for (const auto& entry : env.config.agents.list) {
    if (entry.id == turn.agent_id && entry.model) {
      if (selected.empty() && !entry.model->primary.empty()) {
        selected = entry.model->primary;
      }
      fallbacks = entry.model->fallbacks;
    }
  }
  if (selected.empty()) {
    selected = default_model_ref(env.config, env.env);
  }
  if (selected.empty()) {
    co_return fail_with(
        "No model is configured and no API key was found. Set ANTHROPIC_API_KEY, "
        "OPENAI_API_KEY or GEMINI_API_KEY in the gateway's environment (or run `pincer "
        "onboard`), or use a local Ollama: set agents.defaults.model to \"ollama/llama3.2\".",
        "auth");
  }
  auto selected_model = env.catalog.resolve(selected);
  if (!selected_model) {
    co_return fail_with(selected_model.error().describe(), "config");
  }
  ModelChoice choice = model_choice(selected_model->ref, fallbacks, strict);
  std::string thinking = request.thinking;
  if (thinking.empty()) {
    thinking = settings_string(settings, "thinkingLevel");
  }
  if (thinking.empty()) {
    thinking = env.config.agents.defaults.thinking_default;
  }

  // 4. History and system prompt.
  // Only what the model will see is read: from the newest compaction summary (and the entries
  // it kept verbatim) on, so a long-lived session costs the same per turn as a young one.
  std::filesystem::path workspace = env.paths.workspace_dir;
  if (!env.config.agents.defaults.workspace.empty()) {
    workspace = env.config.agents.defaults.workspace;
  }
  for (const auto& entry : env.config.agents.list) {
    if (entry.id == turn.agent_id && !entry.workspace.empty()) {
      workspace = entry.workspace;
    }
  }
  WorkspaceFileCaps caps;
  caps.per_file = static_cast<std::size_t>(env.config.agents.defaults.bootstrap_max_chars);
  caps.total = static_cast<std::size_t>(env.config.agents.defaults.bootstrap_total_max_chars);
  struct Loaded {
    std::vector<sessions::TranscriptEntry> entries;
    Status status;
    std::vector<WorkspaceFile> files;
  };
  // One trip to the pool for the transcript and the workspace files (small, capped reads).
  auto load_history = [session_id = turn.session_id, workspace, caps](store::Database& db) {
    Loaded loaded;
    sessions::TranscriptStore transcripts(db);
    auto compaction = transcripts.last_of_kind(session_id, sessions::EntryKind::compaction);
    if (!compaction) {
      loaded.status = std::unexpected(compaction.error());
    } else if (*compaction) {
      auto since = transcripts.after(session_id, history_start_seq(**compaction) - 1,
                                     std::numeric_limits<int64_t>::max());
      if (since) {
        loaded.entries = std::move(*since);
      } else {
        loaded.status = std::unexpected(since.error());
      }
    } else {
      auto collect = [&loaded](const sessions::TranscriptEntry& entry) -> Status {
        loaded.entries.push_back(entry);
        return {};
      };
      loaded.status = transcripts.for_each(session_id, collect);
    }
    loaded.files = load_workspace_files(workspace, caps);
    return loaded;
  };
  Loaded loaded = co_await env.database.with(load_history);
  if (!loaded.status) {
    co_return fail_with("could not read the transcript: " + loaded.status.error().describe(),
                        "internal");
  }
  turn.messages = history_from_entries(loaded.entries, &turn.seqs);
  loaded.entries.clear();
  if (!request.images.empty() && !turn.messages.empty() &&
      turn.messages.back().role == Role::user) {
    for (const auto& image : request.images) {
      turn.messages.back().parts.emplace_back(image);
    }
  }

  SystemPromptInputs prompt_inputs;
  prompt_inputs.files = std::move(loaded.files);
  prompt_inputs.agent_id = turn.agent_id;
  prompt_inputs.workspace_dir = workspace;
  prompt_inputs.host = "pincer";
  prompt_inputs.os = "linux";
  prompt_inputs.model = selected_model->ref;
  prompt_inputs.local_time =
      local_time_text(env.config.agents.defaults.user_timezone, prompt_inputs.timezone);
  prompt_inputs.channel = request.channel;
  prompt_inputs.session_key = turn.session_key;
  // The tools this run may use, decided once: the prompt, the schemas and the calls agree.
  ToolFilterInput filter_input{turn.agent_id, turn.session_key, selected_model->ref,
                               request.channel, request.sender_id};
  std::vector<const ToolSpec*> visible_tools;
  for (const ToolSpec* tool : env.tools.list()) {
    if (!env.tool_filter || env.tool_filter(tool->schema.name, filter_input)) {
      visible_tools.push_back(tool);
    }
  }
  auto find_tool = [&visible_tools](std::string_view name) -> const ToolSpec* {
    for (const ToolSpec* tool : visible_tools) {
      if (tool->schema.name == name) {
        return tool;
      }
    }
    return nullptr;
  };
  for (const ToolSpec* tool : visible_tools) {
    prompt_inputs.tools.push_back({tool->schema.name, tool->guidance});
  }
  SystemPrompt prompt = build_system_prompt(prompt_inputs);

  providers::ModelRequest base;
  base.system = std::move(prompt.stable);
  base.system_suffix = std::move(prompt.suffix);
  if (!request.extra_system_prompt.empty()) {
    base.system_suffix += "\n\n" + request.extra_system_prompt;
  }
  for (const ToolSpec* tool : visible_tools) {
    base.tools.push_back(tool->schema);
  }
  base.thinking = parse_thinking(thinking);
  base.max_tokens = selected_model->max_tokens;
  if (const auto* temperature = selected_model->params.if_contains("temperature");
      temperature != nullptr && temperature->is_number()) {
    base.temperature = temperature->to_number<double>();
  }
  if (const auto* extra = selected_model->params.if_contains("extraBody");
      extra != nullptr && extra->is_object()) {
    base.extra_body = extra->get_object();
  }
  const int64_t window = selected_model->context_window;
  CompactionSettings compaction_settings;
  compaction_settings.keep_recent_tokens = env.config.agents.defaults.compaction.keep_recent_tokens;

  StepSink sink(env, run_id, turn.session_key);
  CallHooks hooks;
  hooks.on_attempt = [&sink]() { sink.reset(); };
  hooks.on_retry = [&](std::string_view note) {
    RunEvent event{.kind = RunEvent::Kind::retrying,
                   .run_id = run_id,
                   .session_key = turn.session_key,
                   .text = note};
    env.emit(event);
  };
  CallerOptions caller;
  caller.retry_base_delay = env.options.retry_base_delay;

  // Summarises messages[0, count) into one compaction entry; false when it could not.
  auto compact = [&](std::size_t count, std::string_view focus) -> asio::awaitable<bool> {
    if (count == 0 || count > turn.messages.size()) {
      co_return false;
    }
    providers::ModelRequest summary_request = compaction_request(
        selected_model->id, std::span(turn.messages.data(), count), window, focus);
    providers::NullStreamSink quiet;
    ModelChoice summary_choice = choice;
    if (!env.config.agents.defaults.compaction.model.empty()) {
      summary_choice = model_choice(env.config.agents.defaults.compaction.model, {}, false);
    }
    auto summarised = co_await call_model(env.catalog, env.config.auth, env.database, env.env,
                                          summary_choice, summary_request, quiet, {}, caller);
    if (!summarised) {
      log::warn("agent", "compaction of {} failed: {}", turn.session_key,
                summarised.error().error.message);
      co_return false;
    }
    std::string summary = message_text(summarised->response.message);
    if (summary.empty()) {
      co_return false;
    }
    int64_t first_kept = count < turn.seqs.size() ? turn.seqs[count] : 0;
    int64_t tokens_before = estimate_tokens(turn.messages);
    sessions::NewTranscriptEntry entry;
    entry.kind = sessions::EntryKind::compaction;
    entry.role = "compactionSummary";
    entry.content = json::serialize(compaction_entry_json(summary, first_kept, tokens_before));
    entry.created_at_ms = now_ms();
    entry.run_id = run_id;
    auto store_summary = [session_id = turn.session_id, entry,
                          profile_state =
                              summarised->profile_state](store::Database& db) -> Result<int64_t> {
      auto also = [&](store::Database& tx_db) -> Status {
        if (auto counted = sessions::SessionStore(tx_db).increment_compaction(session_id, now_ms());
            !counted) {
          return std::unexpected(counted.error());
        }
        return AuthProfileStore(tx_db).save_state(profile_state);
      };
      auto appended =
          sessions::TranscriptStore(db).append(session_id, std::span(&entry, 1), now_ms(), also);
      if (!appended) {
        return std::unexpected(appended.error());
      }
      return appended->front().seq;
    };
    auto stored = co_await env.database.with(store_summary);
    if (!stored) {
      log::warn("agent", "compaction summary not saved: {}", stored.error().describe());
      co_return false;
    }
    CompactionPlan plan;
    plan.summarize_count = count;
    turn.messages = apply_compaction(turn.messages, plan, summary);
    std::vector<int64_t> seqs{*stored};
    seqs.insert(seqs.end(), turn.seqs.begin() + static_cast<std::ptrdiff_t>(count),
                turn.seqs.end());
    turn.seqs = std::move(seqs);
    std::string note = "Summarised " + std::to_string(count) + " older messages.";
    RunEvent event{.kind = RunEvent::Kind::compacted,
                   .run_id = run_id,
                   .session_key = turn.session_key,
                   .text = note};
    env.emit(event);
    co_return true;
  };

  if (compact_focus) {
    // The command's own entry is not in the history (is_session_command), so it is not
    // summarised either.
    providers::ModelRequest request_now = base;
    request_now.messages = turn.messages;
    CompactionPlan plan = plan_compaction(request_now, window, compaction_settings);
    int64_t before = estimate_tokens(turn.messages);
    outcome.ended_at_ms = now_ms();
    if (plan.summarize_count == 0 || before <= keep_recent_tokens(window, compaction_settings)) {
      outcome.status = RunStatus::ok;
      outcome.text = "Nothing to compact yet: the recent conversation (~" + std::to_string(before) +
                     " tokens) is kept as it is.";
      co_return outcome;
    }
    if (!co_await compact(plan.summarize_count, *compact_focus)) {
      co_return fail_with(
          "Compaction failed: the model could not summarise the conversation (see `pincer "
          "logs`). The transcript is unchanged; try again, or start fresh with /new.",
          "other");
    }
    outcome.status = RunStatus::ok;
    outcome.provider = selected_model->provider;
    outcome.model = selected_model->id;
    outcome.text = "Compacted: " + std::to_string(plan.summarize_count) +
                   " earlier messages are now a summary (~" + std::to_string(before) + " → ~" +
                   std::to_string(estimate_tokens(turn.messages)) + " tokens).";
    outcome.ended_at_ms = now_ms();
    co_return outcome;
  }

  std::string final_text;
  std::string last_step_text;
  for (int step = 0;; ++step) {
    if (control.aborted()) {
      outcome.status = RunStatus::aborted;
      outcome.stop_reason = "aborted";
      break;
    }
    if (step >= env.options.max_steps) {
      final_text += (final_text.empty() ? "" : "\n\n") + std::string("(Stopped after ") +
                    std::to_string(step) +
                    " model calls in one turn. Say \"continue\" to let me go on.)";
      outcome.status = RunStatus::ok;
      outcome.stop_reason = "max_steps";
      break;
    }
    providers::ModelRequest request_now = base;
    request_now.messages = turn.messages;
    CompactionPlan plan = plan_compaction(request_now, window, compaction_settings);
    if (plan.overflow && env.config.agents.defaults.compaction.enabled) {
      if (co_await compact(plan.summarize_count, {})) {
        request_now.messages = turn.messages;
      }
    }
    bool compacted_after_overflow = false;
    std::expected<CallSuccess, CallFailure> called;
    for (;;) {
      sink.reset();
      called = co_await call_model(env.catalog, env.config.auth, env.database, env.env, choice,
                                   request_now, sink, hooks, caller);
      if (called || called.error().error.reason != providers::FailoverReason::context_overflow) {
        break;
      }
      // The provider says it does not fit: compact once, then cut harder until it does or
      // nothing is left to cut.
      if (!compacted_after_overflow && env.config.agents.defaults.compaction.enabled) {
        compacted_after_overflow = true;
        CompactionPlan forced = plan_compaction(request_now, window / 2, compaction_settings);
        if (co_await compact(forced.summarize_count, {})) {
          request_now.messages = turn.messages;
          continue;
        }
      }
      TruncateOutcome cut = truncate_harder(request_now.messages);
      if (!cut.changed) {
        break;
      }
    }
    if (!called) {
      const CallFailure& failure = called.error();
      if (failure.error.reason == providers::FailoverReason::aborted || control.aborted()) {
        last_step_text = sink.text();
        outcome.status = RunStatus::aborted;
        outcome.stop_reason = "aborted";
        break;
      }
      outcome.status = RunStatus::error;
      outcome.error_reason = std::string(providers::to_string(failure.error.reason));
      if (outcome.provider.empty()) {  // no step answered: name the model the turn chose
        outcome.provider = selected_model->provider;
        outcome.model = selected_model->id;
      }
      if (failure.error.reason == providers::FailoverReason::context_overflow) {
        outcome.error = std::string(kContextExhausted);
      } else if (failure.no_credentials || failure.error.message.starts_with("No API key")) {
        outcome.error = failure.error.message;
      } else {
        outcome.error =
            "The model call failed (" + outcome.error_reason + "): " + failure.error.message;
        if (choice.candidates.size() > 1) {
          outcome.error += " — every configured model was tried.";
        }
      }
      log::warn("agent", "turn {} failed: {}", run_id, failure.summary);
      break;
    }

    // The step is complete: record it before anything else happens.
    CallSuccess& success = *called;
    providers::ModelResponse& response = success.response;
    outcome.provider = success.model.provider;
    outcome.model = success.model.id;
    outcome.stop_reason = std::string(stop_name(response.stop));
    const providers::Usage& usage = response.usage;
    outcome.usage.input += usage.input;
    outcome.usage.output += usage.output;
    outcome.usage.cache_read += usage.cache_read;
    outcome.usage.cache_write += usage.cache_write;
    const core::ModelCost& price = success.model.cost;
    double cost = token_cost(usage.input, price.input) + token_cost(usage.output, price.output) +
                  token_cost(usage.cache_read, price.cache_read) +
                  token_cost(usage.cache_write, price.cache_write);
    outcome.cost_usd += cost;

    sessions::NewTranscriptEntry assistant;
    assistant.kind = sessions::EntryKind::assistant;
    assistant.role = "assistant";
    assistant.content = json::serialize(assistant_entry_json(
        response.message, outcome.stop_reason, success.model.provider, success.model.id, usage));
    assistant.created_at_ms = now_ms();
    assistant.run_id = run_id;
    assistant.model = success.model.ref;
    assistant.input_tokens = usage.input + usage.cache_read + usage.cache_write;
    assistant.output_tokens = usage.output;
    UsageRecord record{.at_ms = now_ms(),
                       .session_key = turn.session_key,
                       .agent_id = turn.agent_id,
                       .run_id = run_id,
                       .provider = success.model.provider,
                       .model = success.model.id,
                       .profile_id = success.profile_id,
                       .input_tokens = usage.input,
                       .output_tokens = usage.output,
                       .cache_read_tokens = usage.cache_read,
                       .cache_write_tokens = usage.cache_write,
                       .cost_usd = cost};
    int64_t context_tokens = usage.input + usage.cache_read + usage.cache_write + usage.output;
    // The reply, its usage and the credential's health: one transaction, one fsync.
    auto record_step = [session_id = turn.session_id, assistant, record, context_tokens,
                        profile_state =
                            success.profile_state](store::Database& db) -> Result<int64_t> {
      auto also = [&](store::Database& tx_db) -> Status {
        if (auto recorded = UsageLedger(tx_db).record(record); !recorded) {
          return recorded;
        }
        sessions::SessionUsage session_usage{
            record.input_tokens + record.cache_read_tokens + record.cache_write_tokens,
            record.output_tokens, 0, context_tokens};
        if (auto added =
                sessions::SessionStore(tx_db).add_usage(session_id, session_usage, now_ms());
            !added) {
          return std::unexpected(added.error());
        }
        return AuthProfileStore(tx_db).save_state(profile_state);
      };
      auto appended = sessions::TranscriptStore(db).append(session_id, std::span(&assistant, 1),
                                                           now_ms(), also);
      if (!appended) {
        return std::unexpected(appended.error());
      }
      return appended->front().seq;
    };
    auto step_seq = co_await env.database.with(record_step);
    if (!step_seq) {
      co_return fail_with("could not record the reply: " + step_seq.error().describe(), "internal");
    }
    turn.messages.push_back(response.message);
    turn.seqs.push_back(*step_seq);
    last_step_text = message_text(response.message);

    std::vector<providers::ToolCallPart> calls;
    for (const auto& part : response.message.parts) {
      if (const auto* call = std::get_if<providers::ToolCallPart>(&part)) {
        calls.push_back(*call);
      }
    }
    if (calls.empty()) {
      final_text = last_step_text;
      outcome.status = RunStatus::ok;
      break;
    }
    if (!last_step_text.empty()) {
      final_text = last_step_text;  // said before the tools ran; kept if nothing follows
    }

    // Tool calls: parallel when every one of them allows it, in order otherwise.
    std::vector<providers::ToolResultPart> results(calls.size());
    bool parallel = calls.size() > 1;
    for (const auto& call : calls) {
      const ToolSpec* spec = find_tool(call.name);
      parallel = parallel && spec != nullptr && spec->parallel_safe;
    }
    auto run_one = [&](std::size_t index) -> asio::awaitable<void> {
      const auto& call = calls[index];
      RunEvent started{.kind = RunEvent::Kind::tool_started,
                       .run_id = run_id,
                       .session_key = turn.session_key,
                       .tool = &call};
      env.emit(started);
      providers::ToolResultPart result{call.id, call.name, {}, false};
      const ToolSpec* spec = find_tool(call.name);
      if (spec == nullptr || !spec->handler) {
        result.text = "Unknown tool \"" + call.name +
                      "\". Available tools are listed in the "
                      "request; call one of those.";
        result.is_error = true;
      } else {
        ToolContext context{turn.agent_id, turn.session_key, run_id, call.id, workspace, &control};
        try {
          ToolOutput output = co_await spec->handler(call.arguments, context);
          result.text = std::move(output.text);
          result.is_error = output.is_error;
          result.images = std::move(output.images);
        } catch (const std::exception& error) {
          result.text = std::string("The tool failed: ") + error.what();
          result.is_error = true;
        }
      }
      result.text = cap_tool_result(result.text, window);  // text only: images pass whole
      RunEvent finished{.kind = RunEvent::Kind::tool_finished,
                        .run_id = run_id,
                        .session_key = turn.session_key,
                        .tool = &call,
                        .tool_result = result.text,
                        .tool_error = result.is_error};
      env.emit(finished);
      results[index] = std::move(result);
    };
    if (parallel) {
      auto executor = co_await asio::this_coro::executor;
      auto pending = std::make_shared<std::size_t>(calls.size());
      auto done =
          std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      for (std::size_t i = 0; i < calls.size(); ++i) {
        auto finish = [pending, done](std::exception_ptr) {
          if (--*pending == 0) {
            done->cancel();
          }
        };
        asio::co_spawn(executor, run_one(i), finish);
      }
      while (*pending > 0) {
        co_await done->async_wait(asio::as_tuple(asio::use_awaitable));
      }
    } else {
      for (std::size_t i = 0; i < calls.size(); ++i) {
        co_await run_one(i);
      }
    }
    std::vector<sessions::NewTranscriptEntry> result_entries;
    for (const auto& result : results) {
      sessions::NewTranscriptEntry entry;
      entry.kind = sessions::EntryKind::tool_result;
      entry.role = "toolResult";
      entry.content = json::serialize(tool_result_entry_json(result));
      entry.created_at_ms = now_ms();
      entry.run_id = run_id;
      result_entries.push_back(std::move(entry));
    }
    // Messages steered into the running turn join the conversation after the tool results.
    std::vector<sessions::InboundMessage> steered = control.take_steering();
    for (const auto& message : steered) {
      sessions::NewTranscriptEntry entry;
      entry.kind = sessions::EntryKind::user;
      entry.role = "user";
      entry.content =
          json::serialize(json::array{json::object{{"type", "text"}, {"text", message.text}}});
      entry.created_at_ms = now_ms();
      result_entries.push_back(std::move(entry));
    }
    auto store_results = [session_id = turn.session_id, result_entries](store::Database& db) {
      return sessions::TranscriptStore(db).append(session_id, result_entries, now_ms());
    };
    auto appended = co_await env.database.with(store_results);
    if (!appended) {
      co_return fail_with("could not record tool results: " + appended.error().describe(),
                          "internal");
    }
    Message tool_message{Role::user, {}};
    for (auto& result : results) {
      tool_message.parts.emplace_back(std::move(result));
    }
    turn.messages.push_back(std::move(tool_message));
    turn.seqs.push_back(appended->front().seq);
    for (std::size_t i = 0; i < steered.size(); ++i) {
      turn.messages.push_back(Message{Role::user, {providers::TextPart{steered[i].text}}});
      turn.seqs.push_back((*appended)[results.size() + i].seq);
    }
  }

  if (outcome.status == RunStatus::aborted && !last_step_text.empty() && !turn.session_id.empty()) {
    // What had streamed when the run was stopped stays visible in the history.
    sessions::NewTranscriptEntry partial;
    partial.kind = sessions::EntryKind::assistant;
    partial.role = "assistant";
    providers::Message message{Role::assistant, {providers::TextPart{last_step_text}}};
    partial.content = json::serialize(
        assistant_entry_json(message, "aborted", outcome.provider, outcome.model, {}));
    partial.created_at_ms = now_ms();
    partial.run_id = run_id;
    auto store_partial = [session_id = turn.session_id, partial](store::Database& db) {
      return sessions::TranscriptStore(db).append(session_id, std::span(&partial, 1), now_ms());
    };
    co_await env.database.with(store_partial);
    final_text = last_step_text;
  }
  outcome.text = std::move(final_text);
  outcome.ended_at_ms = now_ms();
  (void)was_reset;
  co_return outcome;
}

}  // namespace pincer::agent
