#pragma once
// One agent turn, start to finish: the inbound message enters its session (resets, slash
// commands), the history and system prompt are assembled, and the model is called in a loop —
// stream, tool calls, tool results, again — until it answers without tools, runs out of steps,
// fails, or is aborted. Every completed step is in the transcript before the next begins, so a
// crash loses at most the step in flight.
//
// Context guard: each tool result is capped at 30 % of the window; before each call an estimate
// that overflows the window compacts older turns into a summary (kept as a transcript entry);
// a provider that still reports overflow gets a harder truncation, and when nothing more can be
// cut the turn fails with a message saying what to do. Nothing here loops without bound.

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "agent/auth_rotation.hpp"
#include "agent/model_catalog.hpp"
#include "agent/run_types.hpp"
#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "core/paths.hpp"
#include "sessions/run_control.hpp"
#include "store/database_access.hpp"

namespace pincer::agent {

struct AgentServiceOptions;

struct TurnEnvironment {
  const core::Config& config;
  const core::StatePaths& paths;
  const ModelCatalog& catalog;
  ToolRegistry& tools;
  const ToolFilter& tool_filter;  // empty: every registered tool
  store::DatabaseAccess& database;
  const EnvReader& env;
  const AgentServiceOptions& options;
  std::function<void(const RunEvent&)> emit;
};

// `texts` are the turn's messages in order (collect mode may bring several); `request` carries
// the first message's options (model, thinking, images ...).
boost::asio::awaitable<RunOutcome> run_turn(TurnEnvironment& env, const ChatRequest& request,
                                            const std::vector<std::string>& texts,
                                            const std::string& run_id,
                                            sessions::RunControl& control);

// The model a turn uses when nothing chose one: agents.defaults.model.primary, else the first
// hosted provider whose key is in the environment, else empty.
std::string default_model_ref(const core::Config& config, const EnvReader& env);

}  // namespace pincer::agent
