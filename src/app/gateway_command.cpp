#include <memory>

#include <CLI/CLI.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "gateway/daemon.hpp"

namespace pincer::app {

namespace {

void add_run_options(CLI::App& cmd, gateway::DaemonOptions& options) {
  cmd.add_option("--port", options.port,
                 "Port for HTTP and WebSocket (default gateway.port, 18789)")
      ->check(CLI::Range(0, 65535));
  cmd.add_option("--bind", options.bind, "Bind mode: loopback (default), lan, auto, custom")
      ->type_name("MODE");
  cmd.add_option("--auth", options.auth, "Auth mode: token (default), password, none")
      ->type_name("MODE");
  cmd.add_option("--token", options.token, "Shared gateway token (default gateway.auth.token)");
  cmd.add_option("--password", options.password, "Password for --auth password");
  cmd.add_flag("--verbose", options.verbose, "Log at debug level");
  // Accepted for command-line compatibility with the reference; Pincer never needs it.
  cmd.add_flag("--allow-unconfigured", options.allow_unconfigured,
               "Start without a config file (always allowed)");
}

}  // namespace

void register_gateway_command(CLI::App& root, CliContext& ctx) {
  auto options = std::make_shared<gateway::DaemonOptions>();
  CLI::App* cmd = root.add_subcommand("gateway", "Run the gateway: the always-on assistant daemon");
  add_run_options(*cmd, *options);
  CLI::App* run =
      cmd->add_subcommand("run", "Run the gateway in the foreground (same as no subcommand)");
  add_run_options(*run, *options);
  std::vector<CLI::App*> client_commands = register_gateway_rpc_commands(*cmd, ctx);
  cmd->require_subcommand(0, 1);

  cmd->callback([&ctx, options, client_commands] {
    for (const CLI::App* client : client_commands) {
      if (client->parsed()) {
        return;  // a client command, not the daemon
      }
    }
    const core::StatePaths* paths = ctx.paths();
    if (paths == nullptr) {
      return;
    }
    options->paths = *paths;
    ctx.exit_code = gateway::run_daemon(*options);
  });
}

}  // namespace pincer::app
