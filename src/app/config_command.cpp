#include <CLI/CLI.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"

namespace pincer::app {

void register_config_command(CLI::App& root, CliContext& ctx) {
  (void)root;
  (void)ctx;
}

}  // namespace pincer::app
