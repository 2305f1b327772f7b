#include "agent/agent_service.hpp"

#include <deque>
#include <map>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/model_caller.hpp"
#include "agent/turn_runner.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "sessions/queue_settings.hpp"
#include "sessions/session_key.hpp"

namespace pincer::agent {
namespace {

namespace asio = boost::asio;
constexpr std::size_t kFinishedRunsKept = 1000;

}  // namespace

std::string_view to_string(RunStatus status) {
  switch (status) {
    case RunStatus::queued:
      return "queued";
    case RunStatus::running:
      return "running";
    case RunStatus::ok:
      return "ok";
    case RunStatus::error:
      return "error";
    case RunStatus::aborted:
      return "aborted";
    case RunStatus::timeout:
      return "timeout";
  }
  return "error";
}

struct AgentService::Impl {
  struct Run {
    ChatRequest request;
    RunOutcome outcome;
    std::vector<std::shared_ptr<asio::steady_timer>> waiters;
    std::vector<std::string> followers;  // runs steered or collected into this one
    sessions::RunControl* control = nullptr;
    bool abort_requested = false;
    RunObserver* observer = nullptr;  // run()'s caller
  };

  Impl(asio::io_context& io_context, store::DatabaseAccess& db,
       sessions::LaneRegistry& lane_registry, core::StatePaths state_paths, core::Config initial,
       AgentServiceOptions run_options)
      : io(io_context),
        database(db),
        lanes(lane_registry),
        paths(std::move(state_paths)),
        config(std::move(initial)),
        options(run_options),
        catalog(std::make_unique<ModelCatalog>(config)),
        env(process_env_reader()),
        queue(io.get_executor(), lanes,
              [this](sessions::TurnInput& input, sessions::RunControl& control) {
                return run_turn_for(input, control);
              }) {}

  asio::awaitable<void> run_turn_for(sessions::TurnInput& input, sessions::RunControl& control) {
    std::vector<std::string> ids;
    std::vector<std::string> texts;
    for (const auto& message : input.messages) {
      auto it = runs.find(message.id);
      if (it != runs.end() && it->second.abort_requested) {
        finish_aborted(message.id);
        continue;
      }
      ids.push_back(message.id);
      texts.push_back(message.text);
    }
    if (ids.empty()) {
      co_return;
    }
    const std::string run_id = ids.front();
    Run& run = runs[run_id];
    for (std::size_t i = 1; i < ids.size(); ++i) {
      run.followers.push_back(ids[i]);
    }
    run.control = &control;
    run.outcome.status = RunStatus::running;
    run.outcome.started_at_ms = now_ms();
    active[input.session_key] = run_id;
    // The turn owns the request from here (its images can be megabytes); the run keeps only
    // its outcome.
    ChatRequest request = std::move(run.request);
    run.request = ChatRequest{};
    emit(RunEvent{
        .kind = RunEvent::Kind::started, .run_id = run_id, .session_key = input.session_key});

    // The run's deadline aborts it like a user would, then reports a timeout.
    auto deadline_hit = std::make_shared<bool>(false);
    auto alive = std::make_shared<bool>(true);
    std::chrono::milliseconds limit =
        request.timeout.value_or(std::chrono::seconds(config.agents.defaults.timeout_seconds));
    auto deadline = std::make_shared<asio::steady_timer>(io);
    if (limit.count() > 0) {
      deadline->expires_after(limit);
      deadline->async_wait([deadline_hit, alive, &control, deadline](boost::system::error_code ec) {
        if (!ec && *alive) {
          *deadline_hit = true;
          control.abort();
        }
      });
    }
    TurnEnvironment environment{
        config, paths,       *catalog,
        tools,  tool_filter, database,
        env,    options,     [this](const RunEvent& event) { emit(event); }};
    RunOutcome outcome;
    try {
      outcome = co_await run_turn(environment, request, texts, run_id, control);
    } catch (const std::exception& error) {
      log::error("agent", "turn {} failed: {}", run_id, error.what());
      outcome.status = RunStatus::error;
      outcome.error = std::string("internal error: ") + error.what();
      outcome.error_reason = "internal";
    }
    *alive = false;
    deadline->cancel();
    if (*deadline_hit && outcome.status == RunStatus::aborted) {
      outcome.status = RunStatus::timeout;
      outcome.error = "The run took longer than its limit (" +
                      std::to_string(limit.count() / 1000) +
                      " s, agents.defaults.timeoutSeconds) and was stopped.";
      outcome.error_reason = "timeout";
    }
    outcome.run_id = run_id;
    outcome.session_key = input.session_key;
    if (outcome.started_at_ms == 0) {
      outcome.started_at_ms = now_ms();
    }
    if (outcome.ended_at_ms == 0) {
      outcome.ended_at_ms = now_ms();
    }
    if (auto it = active.find(input.session_key); it != active.end() && it->second == run_id) {
      active.erase(it);
    }
    finish(run_id, std::move(outcome));
  }

  void emit(const RunEvent& event) {
    for (RunObserver* observer : observers) {
      observer->on_run_event(event);
    }
    if (auto it = runs.find(std::string(event.run_id));
        it != runs.end() && it->second.observer != nullptr) {
      it->second.observer->on_run_event(event);
    }
  }

  void finish(const std::string& run_id, RunOutcome outcome) {
    auto it = runs.find(run_id);
    if (it == runs.end()) {
      return;
    }
    Run& run = it->second;
    run.control = nullptr;
    run.outcome = std::move(outcome);
    run.request = ChatRequest{};  // a run that never started (merged, refused) still held it
    RunEvent event{.kind = RunEvent::Kind::finished,
                   .run_id = run_id,
                   .session_key = run.outcome.session_key,
                   .outcome = &run.outcome};
    emit(event);
    run.observer = nullptr;
    for (auto& waiter : run.waiters) {
      waiter->cancel();
    }
    run.waiters.clear();
    std::vector<std::string> followers = std::move(run.followers);
    for (const auto& follower : followers) {
      RunOutcome copy = runs[run_id].outcome;
      copy.run_id = follower;
      copy.merged_into = run_id;
      finish(follower, std::move(copy));
    }
    finished_order.push_back(run_id);
    while (finished_order.size() > kFinishedRunsKept) {
      auto old = runs.find(finished_order.front());
      if (old != runs.end() && old->second.outcome.finished() && old->second.waiters.empty()) {
        runs.erase(old);
      }
      finished_order.pop_front();
    }
  }

  void finish_aborted(const std::string& run_id) {
    auto it = runs.find(run_id);
    if (it == runs.end() || it->second.outcome.finished()) {
      return;
    }
    RunOutcome outcome = it->second.outcome;
    outcome.status = RunStatus::aborted;
    outcome.stop_reason = "aborted";
    outcome.ended_at_ms = now_ms();
    finish(run_id, std::move(outcome));
  }

  asio::io_context& io;
  store::DatabaseAccess& database;
  sessions::LaneRegistry& lanes;
  core::StatePaths paths;
  core::Config config;
  AgentServiceOptions options;
  std::unique_ptr<ModelCatalog> catalog;
  ToolRegistry tools;
  ToolFilter tool_filter;
  EnvReader env;
  std::vector<RunObserver*> observers;
  std::unordered_map<std::string, Run> runs;
  std::deque<std::string> finished_order;
  std::map<std::string, std::string, std::less<>> active;  // session key -> run id
  sessions::SessionQueue queue;  // last: its drains call back into the members above
};

AgentService::AgentService(asio::io_context& io, store::DatabaseAccess& database,
                           sessions::LaneRegistry& lanes, core::StatePaths paths,
                           core::Config config, AgentServiceOptions options)
    : impl_(std::make_unique<Impl>(io, database, lanes, std::move(paths), std::move(config),
                                   options)) {}

AgentService::~AgentService() = default;

void AgentService::update_config(core::Config config) {
  impl_->config = std::move(config);
  impl_->catalog = std::make_unique<ModelCatalog>(impl_->config);
}

const core::Config& AgentService::config() const {
  return impl_->config;
}

const ModelCatalog& AgentService::catalog() const {
  return *impl_->catalog;
}

ToolRegistry& AgentService::tools() {
  return impl_->tools;
}

void AgentService::set_tool_filter(ToolFilter filter) {
  impl_->tool_filter = std::move(filter);
}

void AgentService::add_observer(RunObserver* observer) {
  impl_->observers.push_back(observer);
}

void AgentService::remove_observer(RunObserver* observer) {
  std::erase(impl_->observers, observer);
}

AgentService::Submitted AgentService::submit(ChatRequest request) {
  return submit_observed(std::move(request), nullptr);
}

AgentService::Submitted AgentService::submit_observed(ChatRequest request, RunObserver* observer) {
  Submitted submitted;
  if (request.run_id.empty()) {
    request.run_id = core::random_uuid();
  }
  if (request.session_key.empty()) {
    request.session_key = sessions::main_session_key(core::default_agent_id(impl_->config.agents),
                                                     impl_->config.session);
  }
  submitted.run_id = request.run_id;
  submitted.session_key = request.session_key;
  if (impl_->runs.contains(request.run_id)) {
    submitted.duplicate = true;
    return submitted;
  }
  std::string trimmed(core::trim(request.text));
  if (trimmed == "/stop" || trimmed == "/abort") {
    abort(request.session_key);
    Impl::Run& run = impl_->runs[request.run_id];
    run.request = request;
    run.outcome.run_id = request.run_id;
    run.outcome.session_key = request.session_key;
    run.outcome.status = RunStatus::ok;
    run.outcome.text = "Stopped.";
    run.outcome.started_at_ms = run.outcome.ended_at_ms = now_ms();
    impl_->finished_order.push_back(request.run_id);
    return submitted;
  }
  Impl::Run& run = impl_->runs[request.run_id];
  run.request = request;
  run.observer = observer;
  run.outcome.run_id = request.run_id;
  run.outcome.session_key = request.session_key;
  run.outcome.status = RunStatus::queued;
  sessions::QueueSettings settings =
      sessions::queue_settings_for(impl_->config.messages.queue, request.channel);
  if (request.queue_mode) {
    settings.mode = *request.queue_mode;
  }
  auto result = impl_->queue.enqueue(
      request.session_key, sessions::InboundMessage{request.run_id, request.text, request.channel},
      settings);
  submitted.outcome = result.outcome;
  if (result.outcome == sessions::EnqueueOutcome::rejected) {
    RunOutcome outcome = run.outcome;
    outcome.status = RunStatus::error;
    outcome.error =
        "Too many messages are waiting for this session; try again when it has "
        "answered.";
    outcome.error_reason = "queue_full";
    impl_->finish(request.run_id, std::move(outcome));
  } else if (result.outcome == sessions::EnqueueOutcome::steered) {
    // The active run reads it; this run ends when that one does.
    if (auto active = impl_->active.find(request.session_key); active != impl_->active.end()) {
      impl_->runs[active->second].followers.push_back(request.run_id);
      impl_->runs[request.run_id].outcome.status = RunStatus::running;
    }
  }
  return submitted;
}

std::vector<std::string> AgentService::abort(std::string_view session_key,
                                             std::string_view run_id) {
  std::vector<std::string> aborted;
  if (!run_id.empty()) {
    auto it = impl_->runs.find(std::string(run_id));
    if (it == impl_->runs.end() || it->second.outcome.finished()) {
      return aborted;
    }
    it->second.abort_requested = true;
    if (it->second.control != nullptr) {
      it->second.control->abort();
    }
    aborted.emplace_back(run_id);
    return aborted;
  }
  for (auto& [id, run] : impl_->runs) {
    if (run.outcome.session_key == session_key && !run.outcome.finished()) {
      run.abort_requested = true;
      aborted.push_back(id);
    }
  }
  impl_->queue.abort_session(session_key);
  for (const auto& id : aborted) {
    auto it = impl_->runs.find(id);
    if (it != impl_->runs.end() && it->second.control == nullptr &&
        it->second.outcome.status == RunStatus::queued) {
      impl_->finish_aborted(id);  // dropped from the queue: it will never run
    }
  }
  return aborted;
}

void AgentService::abort_all() {
  impl_->queue.abort_all();
}

asio::awaitable<std::optional<RunOutcome>> AgentService::wait(std::string run_id,
                                                              std::chrono::milliseconds timeout) {
  auto it = impl_->runs.find(run_id);
  if (it == impl_->runs.end()) {
    co_return std::nullopt;
  }
  if (it->second.outcome.finished()) {
    co_return it->second.outcome;
  }
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, timeout);
  it->second.waiters.push_back(timer);
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  it = impl_->runs.find(run_id);
  if (it == impl_->runs.end()) {
    co_return std::nullopt;
  }
  std::erase(it->second.waiters, timer);
  if (!it->second.outcome.finished()) {
    co_return std::nullopt;
  }
  co_return it->second.outcome;
}

std::optional<RunOutcome> AgentService::find(std::string_view run_id) const {
  auto it = impl_->runs.find(std::string(run_id));
  if (it == impl_->runs.end()) {
    return std::nullopt;
  }
  return it->second.outcome;
}

std::optional<std::string> AgentService::active_run(std::string_view session_key) const {
  auto it = impl_->active.find(session_key);
  if (it == impl_->active.end()) {
    return std::nullopt;
  }
  return it->second;
}

asio::awaitable<RunOutcome> AgentService::run(ChatRequest request, RunObserver* observer) {
  if (request.run_id.empty()) {
    request.run_id = core::random_uuid();
  }
  std::string run_id = request.run_id;
  submit_observed(std::move(request), observer);
  for (;;) {
    auto outcome = co_await wait(run_id, std::chrono::hours(24));
    if (outcome) {
      co_return *outcome;
    }
    if (!impl_->runs.contains(run_id)) {
      RunOutcome lost;
      lost.run_id = run_id;
      lost.status = RunStatus::error;
      lost.error = "the run was lost";
      co_return lost;
    }
  }
}

}  // namespace pincer::agent
