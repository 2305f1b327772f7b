#pragma once
// Each CLI command lives in its own file and registers itself on the root CLI11 app. Commands
// only parse arguments and print; the work happens in the modules they call.

#include <vector>

namespace CLI {
class App;
}

namespace pincer::app {

class CliContext;

void register_agent_command(CLI::App& root, CliContext& ctx);
void register_channels_command(CLI::App& root, CliContext& ctx);
void register_config_command(CLI::App& root, CliContext& ctx);
void register_devices_command(CLI::App& root, CliContext& ctx);  // also `nodes`
void register_doctor_command(CLI::App& root, CliContext& ctx);
void register_gateway_command(CLI::App& root, CliContext& ctx);
void register_logs_command(CLI::App& root, CliContext& ctx);
void register_message_command(CLI::App& root, CliContext& ctx);
void register_models_command(CLI::App& root, CliContext& ctx);
void register_pairing_command(CLI::App& root, CliContext& ctx);
void register_sessions_command(CLI::App& root, CliContext& ctx);
void register_status_command(CLI::App& root, CliContext& ctx);
// `gateway call` and `gateway health` under the `gateway` command; returns them so the daemon
// does not start when one of them ran.
std::vector<CLI::App*> register_gateway_rpc_commands(CLI::App& gateway_cmd, CliContext& ctx);
void register_onboard_command(CLI::App& root, CliContext& ctx);

}  // namespace pincer::app
