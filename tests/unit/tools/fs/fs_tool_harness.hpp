#pragma once
// Runs file tool calls on a private io_context and pool: a registry with the fs tools, a
// workspace in a fresh temporary directory, and a config document the test sets.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>

#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "store/database.hpp"
#include "store/database_access.hpp"
#include "support/temp_dir.hpp"
#include "tools/fs/fs_tools.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::testing {

class FsToolHarness {
 public:
  FsToolHarness() {
    std::filesystem::create_directories(workspace());
    auto opened = store::Database::open(dir_ / "state.db");
    EXPECT_TRUE(opened.has_value());
    database_ = std::make_unique<store::Database>(std::move(*opened));
    access_ = std::make_unique<store::DatabaseAccess>(pool_, *database_);
    tools::ToolDeps deps{.io = io_,
                         .pool = pool_,
                         .database = *access_,
                         .paths = {},
                         .config = [this]() -> const core::Config& { return config_; }};
    tools::register_fs_tools(registry_, deps);
  }

  std::filesystem::path workspace() const { return dir_ / "workspace"; }
  std::filesystem::path outside() const { return dir_.path(); }
  void set_config(std::string_view json) { config_.raw = boost::json::parse(json); }

  agent::ToolOutput call(std::string_view tool, const boost::json::object& arguments) {
    const agent::ToolSpec* spec = registry_.find(tool);
    if (spec == nullptr) {
      return agent::ToolOutput{"no such tool", true, {}};
    }
    agent::ToolContext context;
    context.agent_id = "main";
    context.workspace = workspace();
    std::optional<agent::ToolOutput> output;
    auto run = [&]() -> boost::asio::awaitable<void> {
      output = co_await spec->handler(arguments, context);
    };
    boost::asio::co_spawn(io_, run, boost::asio::detached);
    io_.restart();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!output && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    return output.value_or(agent::ToolOutput{"the call did not finish", true, {}});
  }

  agent::ToolOutput call(std::string_view tool, std::string_view arguments_json) {
    return call(tool, boost::json::parse(arguments_json).as_object());
  }

  void put(const std::filesystem::path& relative, std::string_view content) {
    auto path = workspace() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }

  std::string get(const std::filesystem::path& relative) const {
    std::ifstream in(workspace() / relative, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }

  bool exists(const std::filesystem::path& relative) const {
    return std::filesystem::exists(workspace() / relative);
  }

  agent::ToolRegistry& registry() { return registry_; }

 private:
  TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<store::DatabaseAccess> access_;
  core::Config config_;
  agent::ToolRegistry registry_;
};

}  // namespace pincer::testing
