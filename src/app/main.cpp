// pincer: one binary. `pincer gateway` is the daemon; every other command is a short-lived
// client of it or works on the state directory directly.

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "core/version.hpp"

int main(int argc, char** argv) {
  namespace app = pincer::app;
  app::CliContext ctx;

  CLI::App root{"Pincer: an always-on personal AI assistant", "pincer"};
  root.require_subcommand(0, 1);
  root.set_version_flag("-V,--version",
                        fmt::format("pincer {} ({})", pincer::core::version(),
                                    pincer::core::git_hash()),
                        "Print the version and git commit, then exit");
  root.add_option("--profile", ctx.profile,
                  "Use the named profile: state in ~/.pincer-NAME instead of ~/.pincer")
      ->type_name("NAME");
  root.add_subcommand("help", "Show this help, or a command's help")
      ->prefix_command()
      ->callback([&root]() { throw CLI::CallForHelp(); });

  app::register_onboard_command(root, ctx);
  app::register_gateway_command(root, ctx);
  app::register_config_command(root, ctx);
  app::register_doctor_command(root, ctx);
  app::register_logs_command(root, ctx);

  try {
    root.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return root.exit(e);
  }
  if (argc == 1) {
    fmt::print("{}", root.help());
  }
  return ctx.exit_code;
}
