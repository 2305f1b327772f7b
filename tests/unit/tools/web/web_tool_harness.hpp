#pragma once
// Runs web tool calls on a private io_context for the tests: a registry with web_fetch and
// web_search registered against a config document the test sets.

#include <chrono>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "core/http_client.hpp"
#include "tools/web/web_tools.hpp"

namespace pincer::testing {

class WebToolHarness {
 public:
  explicit WebToolHarness(tools::web::WebToolOptions options, std::string config_json = "{}")
      : http_(io_.get_executor()) {
    config_.raw = boost::json::parse(config_json);
    tools::web::register_web_tools(
        registry_, [this]() -> const core::Config& { return config_; }, http_, std::move(options));
  }

  void set_config(std::string_view config_json) { config_.raw = boost::json::parse(config_json); }

  agent::ToolOutput call(std::string_view tool, std::string_view arguments_json) {
    const agent::ToolSpec* spec = registry_.find(tool);
    if (spec == nullptr) {
      return agent::ToolOutput{"no such tool", true, {}};
    }
    boost::json::object arguments = boost::json::parse(arguments_json).as_object();
    agent::ToolContext context;
    std::optional<agent::ToolOutput> output;
    auto run = [&]() -> boost::asio::awaitable<void> {
      output = co_await spec->handler(arguments, context);
    };
    boost::asio::co_spawn(io_, run, boost::asio::detached);
    // Run until the call is done: pooled keep-alive connections keep the context busy after.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    io_.restart();
    while (!output && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(100));
    }
    return output.value_or(agent::ToolOutput{"the call did not finish", true, {}});
  }

  // The tool text parsed as JSON (for successful calls).
  static boost::json::object result(const agent::ToolOutput& output) {
    return boost::json::parse(output.text).as_object();
  }

  agent::ToolRegistry& registry() { return registry_; }

 private:
  boost::asio::io_context io_;
  core::HttpClient http_;
  core::Config config_;
  agent::ToolRegistry registry_;
};

}  // namespace pincer::testing
