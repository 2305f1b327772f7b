#pragma once
// The agent runtime as the rest of Pincer sees it: accepts chat messages for sessions, queues
// them through the session queue and command lanes, runs turns (agent_runner.hpp), and reports
// runs to observers and waiters. Owned by the gateway; `pincer agent --local` builds its own.
//
// Threading: every member is called on the I/O thread; database work goes through
// DatabaseAccess on the blocking pool.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "agent/model_catalog.hpp"
#include "agent/run_types.hpp"
#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "core/paths.hpp"
#include "sessions/lane_registry.hpp"
#include "sessions/session_queue.hpp"
#include "store/database_access.hpp"

namespace pincer::agent {

struct AgentServiceOptions {
  // Waits between same-model retries of transient failures (doubling); tests shorten them.
  std::chrono::milliseconds retry_base_delay{1000};
  int max_steps = 24;  // model calls per turn before the run stops with a message
};

class AgentService {
 public:
  AgentService(boost::asio::io_context& io, store::DatabaseAccess& database,
               sessions::LaneRegistry& lanes, core::StatePaths paths, core::Config config,
               AgentServiceOptions options = {});
  AgentService(const AgentService&) = delete;
  AgentService& operator=(const AgentService&) = delete;
  ~AgentService();

  void update_config(core::Config config);
  const core::Config& config() const;
  const ModelCatalog& catalog() const;
  ToolRegistry& tools();
  // The tool policy applied to every run from now on (see ToolFilter).
  void set_tool_filter(ToolFilter filter);

  // Observers see every run's events; they must outlive the service or remove themselves.
  void add_observer(RunObserver* observer);
  void remove_observer(RunObserver* observer);

  struct Submitted {
    std::string run_id;
    std::string session_key;
    sessions::EnqueueOutcome outcome = sessions::EnqueueOutcome::queued;
    bool duplicate = false;  // a run with this id exists already; nothing new was queued
  };
  // Queues a message; never suspends. The run's events and outcome follow.
  Submitted submit(ChatRequest request);

  // chat.abort: the run `run_id` (or, when empty, the session's active run and its queue).
  // Returns the ids of runs that were aborted.
  std::vector<std::string> abort(std::string_view session_key, std::string_view run_id = {});
  void abort_all();  // shutdown

  // agent.wait: the outcome once the run finishes, or nullopt after `timeout` (or for a run
  // this process never saw).
  boost::asio::awaitable<std::optional<RunOutcome>> wait(std::string run_id,
                                                         std::chrono::milliseconds timeout);
  // The outcome so far (queued/running included); nullopt when unknown.
  std::optional<RunOutcome> find(std::string_view run_id) const;
  // The run in flight for a session, if any.
  std::optional<std::string> active_run(std::string_view session_key) const;

  // Submits and waits for the end, passing only this run's events to `observer` (may be null):
  // the OpenAI-compatible endpoint and `pincer agent --local`.
  boost::asio::awaitable<RunOutcome> run(ChatRequest request, RunObserver* observer);

 private:
  Submitted submit_observed(ChatRequest request, RunObserver* observer);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pincer::agent
