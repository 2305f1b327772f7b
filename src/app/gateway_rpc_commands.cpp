// pincer gateway call / pincer gateway health: one RPC against a running gateway.
// Both connect, send one request, print the answer and exit; a failure exits 1 with the
// gateway's error code and message (in the JSON failure envelope with --json).

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

struct CallFlags {
  GatewayTargetFlags target;
  std::string method;
  std::string params;
  bool json = false;
};

void run_call(CliContext& ctx, const CallFlags& flags) {
  json::value params;
  if (!flags.params.empty()) {
    boost::system::error_code ec;
    params = json::parse(flags.params, ec);
    if (ec) {
      report_failure(ctx,
                     Error{Errc::invalid_argument, "--params is not valid JSON: " + ec.message(),
                           R"(pass an object, e.g. --params '{"key":"value"}')"},
                     flags.json);
      return;
    }
  }
  if (auto result = call_gateway_or_report(ctx, flags.target, flags.method, params, flags.json)) {
    print_json(*result);
  }
}

std::string health_summary(const json::value& payload, std::string_view url) {
  const auto* object = payload.if_object();
  bool ok = false;
  std::string reload = "unknown";
  std::size_t channels = 0;
  if (object != nullptr) {
    if (const auto* value = object->if_contains("ok"); value != nullptr && value->is_bool()) {
      ok = value->get_bool();
    }
    if (const auto* value = object->if_contains("configReload");
        value != nullptr && value->is_object()) {
      if (const auto* status = value->get_object().if_contains("hotReloadStatus");
          status != nullptr && status->is_string()) {
        reload = std::string(status->get_string());
      }
    }
    if (const auto* value = object->if_contains("channels");
        value != nullptr && value->is_object()) {
      channels = value->get_object().size();
    }
  }
  return fmt::format("gateway {}: {} (config hot reload {}, {} channel{})", url,
                     ok ? "healthy" : "UNHEALTHY", reload, channels, channels == 1 ? "" : "s");
}

void run_health(CliContext& ctx, const CallFlags& flags) {
  auto result = call_gateway_or_report(ctx, flags.target, "health", nullptr, flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
  } else {
    auto env = core::process_env();
    core::ConfigLoad load = core::load_config(ctx.paths()->config_file, env);
    fmt::print("{}\n",
               health_summary(*result, resolve_gateway_target(flags.target, load, env).url));
  }
  const auto* ok = result->is_object() ? result->get_object().if_contains("ok") : nullptr;
  if (ok == nullptr || !ok->is_bool() || !ok->get_bool()) {
    ctx.exit_code = 1;
  }
}

}  // namespace

std::vector<CLI::App*> register_gateway_rpc_commands(CLI::App& gateway_cmd, CliContext& ctx) {
  auto call_flags = std::make_shared<CallFlags>();
  CLI::App* call = gateway_cmd.add_subcommand(
      "call", "Call one gateway method over WebSocket and print its result as JSON");
  call->add_option("method", call_flags->method, "Method name, e.g. health or status")->required();
  call->add_option("--params", call_flags->params, "Method parameters as a JSON object")
      ->type_name("JSON");
  add_gateway_target_options(*call, call_flags->target);
  call->add_flag("--json", call_flags->json, "Report failures as JSON on stdout");
  call->footer(
      "Exit codes: 0 the method succeeded; 1 it failed or the gateway could not be reached.");
  call->callback([&ctx, call_flags] { run_call(ctx, *call_flags); });

  auto health_flags = std::make_shared<CallFlags>();
  CLI::App* health = gateway_cmd.add_subcommand("health", "Ask the running gateway how it is");
  add_gateway_target_options(*health, health_flags->target);
  health->add_flag("--json", health_flags->json, "Print the health snapshot as JSON");
  health->footer("Exit codes: 0 healthy; 1 unhealthy or unreachable.");
  health->callback([&ctx, health_flags] { run_health(ctx, *health_flags); });
  return {call, health};
}

}  // namespace pincer::app
