#pragma once
// A ToolRegistry with the exec tools on a real io_context, pool and state folder, and a way to
// call a tool and drive the I/O thread until it answers.

#include <chrono>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "sessions/run_control.hpp"
#include "store/database.hpp"
#include "store/database_access.hpp"
#include "support/temp_dir.hpp"
#include "tools/exec/exec_tools.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools::testing {

class ExecHarness {
 public:
  explicit ExecHarness(const std::string& config_json = "{}", ExecGate gate = nullptr,
                       ExecToolOptions options = fast_options())
      : database_(*store::Database::open(dir_ / "state.db")), access_(pool_, database_) {
    std::filesystem::create_directories(workspace());
    config_.raw = boost::json::parse(config_json);
    core::StatePaths paths{state_dir(), state_dir() / "pincer.json", workspace(),
                           state_dir() / "logs", dir_ / "state.db"};
    std::ofstream(paths.config_file) << R"({"gateway":{"auth":{"token":"secret-token-42"}}})";
    ToolDeps deps{io_, pool_, access_, paths, [this]() -> const core::Config& { return config_; }};
    register_exec_tools(registry_, deps, std::move(gate), std::move(options));
  }

  static ExecToolOptions fast_options() {
    ExecToolOptions options;
    options.kill_grace = std::chrono::milliseconds(300);
    options.drain = std::chrono::milliseconds(300);
    return options;
  }

  std::filesystem::path state_dir() const { return dir_ / "state"; }
  std::filesystem::path workspace() const { return dir_ / "state" / "workspace"; }
  boost::asio::io_context& io() { return io_; }
  agent::ToolRegistry& registry() { return registry_; }

  agent::ToolContext context(std::string session_key = "agent:main:main") {
    return agent::ToolContext{"main", std::move(session_key), "run1", "call1", workspace(),
                              nullptr};
  }

  // Calls `tool` and runs the I/O thread until it returns (at most `limit`).
  agent::ToolOutput call(const std::string& tool, const std::string& arguments_json,
                         std::optional<agent::ToolContext> ctx = std::nullopt,
                         std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    // Kept in members: a call that overruns `limit` still refers to them.
    contexts_.push_back(std::make_unique<agent::ToolContext>(ctx ? *ctx : context()));
    arguments_.push_back(
        std::make_unique<boost::json::object>(boost::json::parse(arguments_json).as_object()));
    const agent::ToolSpec* spec = registry_.find(tool);
    auto future = boost::asio::co_spawn(io_, spec->handler(*arguments_.back(), *contexts_.back()),
                                        boost::asio::use_future);
    if (!run_until(
            [&] { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; },
            limit)) {
      return agent::ToolOutput{"(harness: the call did not return in time)", true};
    }
    return future.get();
  }

  // Runs the I/O thread until `done()` or `limit` passed; returns done().
  template <class Done>
  bool run_until(Done done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(20));
      if (io_.stopped()) {
        io_.restart();
      }
    }
    return done();
  }

 private:
  pincer::testing::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::thread_pool pool_{2};
  store::Database database_;
  store::DatabaseAccess access_;
  core::Config config_;
  agent::ToolRegistry registry_;
  std::vector<std::unique_ptr<agent::ToolContext>> contexts_;
  std::vector<std::unique_ptr<boost::json::object>> arguments_;
};

// "... sessionId: abcd1234, ..." -> "abcd1234".
inline std::string session_id_of(const std::string& text) {
  auto at = text.find("sessionId: ");
  if (at == std::string::npos) {
    return "";
  }
  return text.substr(at + 11, 8);
}

}  // namespace pincer::tools::testing
