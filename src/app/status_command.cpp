// pincer status: is the gateway running, and how is it? Asks a running gateway over WebSocket
// (`status`); when none answers, says so and shows what can be known locally.

#include <fmt/core.h>

#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/gateway_target.hpp"
#include "app/output.hpp"
#include "gateway/gateway_client.hpp"

namespace pincer::app {

namespace json = boost::json;

namespace {

// The LSB init-script convention for "program is not running", so scripts can tell it apart
// from a failure (1).
constexpr int kExitNotRunning = 3;

struct StatusFlags {
  GatewayTargetFlags target;
  bool json = false;
};

int64_t int_at(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key); value != nullptr) {
    if (value->is_int64()) {
      return value->get_int64();
    }
    if (value->is_uint64()) {
      return static_cast<int64_t>(value->get_uint64());
    }
  }
  return 0;
}

std::string string_at(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
    return std::string(value->get_string());
  }
  return {};
}

std::string format_uptime(int64_t ms) {
  int64_t s = ms / 1000;
  if (s < 60) {
    return fmt::format("{}s", s);
  }
  if (s < 3600) {
    return fmt::format("{}m {}s", s / 60, s % 60);
  }
  if (s < 86400) {
    return fmt::format("{}h {}m", s / 3600, (s % 3600) / 60);
  }
  return fmt::format("{}d {}h", s / 86400, (s % 86400) / 3600);
}

json::object local_facts(const core::StatePaths& paths, const core::ConfigLoad& load) {
  return json::object{{"stateDir", paths.state_dir.string()},
                      {"configPath", paths.config_file.string()},
                      {"configExists", load.file_exists},
                      {"configValid", load.config.has_value()}};
}

void print_local(const json::object& local, const core::ConfigLoad& load) {
  fmt::print("{:<10}{}\n", "state", string_at(local, "stateDir"));
  std::string config_state = !load.file_exists ? "missing (defaults apply; pincer onboard)"
                             : load.config     ? "valid"
                                               : "INVALID (pincer config validate)";
  fmt::print("{:<10}{} ({})\n", "config", string_at(local, "configPath"), config_state);
}

void run_status(CliContext& ctx, const StatusFlags& flags) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto env = core::process_env();
  core::ConfigLoad load = core::load_config(paths->config_file, env);
  gateway::ClientOptions options = resolve_gateway_target(flags.target, load, env);
  json::object local = local_facts(*paths, load);

  auto client = gateway::GatewayClient::connect(options);
  if (!client && client.error().code == Errc::io) {
    ctx.exit_code = kExitNotRunning;
    if (flags.json) {
      print_json(json::object{{"ok", true},
                              {"running", false},
                              {"url", options.url},
                              {"reason", client.error().message},
                              {"local", std::move(local)}});
      return;
    }
    fmt::print("{:<10}not running ({})\n", "gateway", client.error().message);
    print_local(local, load);
    fmt::print("start it with: pincer gateway\n");
    return;
  }
  Result<json::value> status =
      client ? client->call("status", nullptr, std::chrono::milliseconds(flags.target.timeout_ms))
             : std::unexpected(client.error());
  if (!status || !status->is_object()) {
    Error error = status ? Error{Errc::internal, "the gateway's status answer is not an object"}
                         : status.error();
    if (error.hint.empty() && error.message.find("unauthorized") != std::string::npos) {
      error.hint = "pass --token (or --password), or set PINCER_GATEWAY_TOKEN";
    }
    report_failure(ctx, error, flags.json);
    return;
  }
  int64_t protocol =
      client->hello().is_object() ? int_at(client->hello().get_object(), "protocol") : 0;
  client->close();
  const json::object& info = status->get_object();
  if (flags.json) {
    print_json(json::object{{"ok", true},
                            {"running", true},
                            {"url", options.url},
                            {"protocol", protocol},
                            {"status", info},
                            {"local", std::move(local)}});
    return;
  }
  int64_t rss = 0;
  if (const auto* memory = info.if_contains("processMemory");
      memory != nullptr && memory->is_object()) {
    rss = int_at(memory->get_object(), "rssBytes");
  }
  fmt::print("{:<10}running at {} (pid {}, protocol {})\n", "gateway", options.url,
             int_at(info, "pid"), protocol);
  fmt::print("{:<10}{} ({})\n", "version", string_at(info, "runtimeVersion"),
             string_at(info, "commit"));
  fmt::print("{:<10}{}\n", "uptime", format_uptime(int_at(info, "uptimeMs")));
  fmt::print("{:<10}{:.1f} MiB RSS\n", "memory", static_cast<double>(rss) / (1024.0 * 1024.0));
  fmt::print("{:<10}{} connected\n", "clients", int_at(info, "connections"));
  print_local(local, load);
}

}  // namespace

void register_status_command(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<StatusFlags>();
  CLI::App* cmd =
      root.add_subcommand("status", "Show whether the gateway runs, its version, uptime, memory");
  add_gateway_target_options(*cmd, flags->target);
  cmd->add_flag("--json", flags->json, "Print the status as JSON");
  cmd->footer(
      "Exit codes: 0 the gateway is running and answered; 3 no gateway is running (local facts "
      "are still shown); 1 a gateway answered but refused or failed (e.g. wrong token).");
  cmd->callback([&ctx, flags] { run_status(ctx, *flags); });
}

}  // namespace pincer::app
