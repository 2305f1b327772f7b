#pragma once
// What a tool family needs from the daemon, handed to its register_*_tools() function. Handlers
// capture what they use; per-call facts (agent, session, workspace, cancellation) come in the
// agent::ToolContext of each call.

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.hpp"
#include "core/paths.hpp"
#include "store/database_access.hpp"

namespace pincer::tools {

struct ToolDeps {
  boost::asio::io_context& io;
  boost::asio::thread_pool& pool;  // blocking work: files, processes, SQLite via `database`
  store::DatabaseAccess& database;
  core::StatePaths paths;
  // The config as it is now (hot reload replaces it); read it per call, do not keep a copy.
  std::function<const core::Config&()> config;
};

}  // namespace pincer::tools
