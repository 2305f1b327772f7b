// pincer: one binary. `pincer gateway` is the daemon; every other command is a short-lived
// client of it or works on the state directory directly.

#include <fmt/core.h>

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "core/version.hpp"

int main(int argc, char** argv) {
  namespace app = pincer::app;
  app::CliContext ctx;

  CLI::App root{"Pincer: an always-on personal AI assistant", "pincer"};
  root.require_subcommand(0, 1);
  root.set_version_flag(
      "-V,--version",
      fmt::format("pincer {} ({})", pincer::core::version(), pincer::core::git_hash()),
      "Print the version and git commit, then exit");
  root.add_option("--profile", ctx.profile,
                  "Use the named profile: state in ~/.pincer-NAME instead of ~/.pincer")
      ->type_name("NAME");
  std::vector<std::string> help_topic;
  CLI::App* help = root.add_subcommand("help", "Show this help, or a command's help");
  help->add_option("command", help_topic, "Command to explain, e.g. config set");
  help->callback([&root, &help_topic, &ctx] {
    CLI::App* topic = &root;
    std::string prefix;
    for (const auto& name : help_topic) {
      prefix += (prefix.empty() ? "" : " ") + topic->get_name();
      try {
        topic = topic->get_subcommand(name);
      } catch (const CLI::OptionNotFound&) {
        fmt::print(stderr, "error: no command \"{}\" (pincer help lists them)\n", name);
        ctx.exit_code = 2;
        return;
      }
    }
    // App::help() would describe the selected subcommand, i.e. "help" itself.
    fmt::print("{}",
               root.get_formatter()->make_help(
                   topic, prefix.empty() ? topic->get_name() : prefix + " " + topic->get_name(),
                   CLI::AppFormatMode::Normal));
  });

  app::register_onboard_command(root, ctx);
  app::register_gateway_command(root, ctx);
  app::register_agent_command(root, ctx);
  app::register_channels_command(root, ctx);
  app::register_config_command(root, ctx);
  app::register_devices_command(root, ctx);
  app::register_doctor_command(root, ctx);
  app::register_logs_command(root, ctx);
  app::register_message_command(root, ctx);
  app::register_models_command(root, ctx);
  app::register_pairing_command(root, ctx);
  app::register_sessions_command(root, ctx);
  app::register_status_command(root, ctx);

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
