#pragma once
// Each CLI command lives in its own file and registers itself on the root CLI11 app. Commands
// only parse arguments and print; the work happens in the modules they call.

namespace CLI {
class App;
}

namespace pincer::app {

class CliContext;

void register_config_command(CLI::App& root, CliContext& ctx);
void register_doctor_command(CLI::App& root, CliContext& ctx);
void register_gateway_command(CLI::App& root, CliContext& ctx);
void register_logs_command(CLI::App& root, CliContext& ctx);
void register_onboard_command(CLI::App& root, CliContext& ctx);

}  // namespace pincer::app
