// pincer onboard: first-run setup. Interactive on a terminal; fully scriptable with
// --non-interactive --accept-risk and flags. Writes pincer.json (keeping anything already in it),
// generates the gateway token once, and seeds the workspace.

#include <fmt/core.h>
#include <openssl/rand.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "agent/provider_keys.hpp"
#include "agent/workspace_bootstrap.hpp"
#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/output.hpp"
#include "core/config_editor.hpp"
#include "core/config_loader.hpp"
#include "core/files.hpp"
#include "core/json_path.hpp"

namespace pincer::app {

namespace json = boost::json;

namespace {

struct OnboardArgs {
  bool non_interactive = false;
  bool accept_risk = false;
  bool json = false;
  bool skip_bootstrap = false;
  bool rotate_token = false;
  std::optional<std::string> workspace;
  std::optional<int> gateway_port;
  std::optional<std::string> gateway_bind;
  std::optional<std::string> gateway_auth;
  std::optional<std::string> gateway_token;
  std::optional<std::string> gateway_password;
  std::optional<std::string> model;
  std::map<std::string, std::string> api_keys;  // env var name -> key
};

std::string generate_token() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("OpenSSL could not generate random bytes");  // startup failure
  }
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    hex += fmt::format("{:02x}", b);
  }
  return hex;
}

std::string prompt(const std::string& question, const std::string& fallback, bool secret = false) {
  fmt::print("{}{}: ", question, fallback.empty() || secret ? "" : " [" + fallback + "]");
  (void)std::fflush(stdout);
  termios saved{};
  bool hide = secret && ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hide) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (hide) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    fmt::print("\n");
  }
  return line.empty() ? fallback : line;
}

// Fills in what the flags left open by asking on the terminal.
void ask(OnboardArgs& args) {
  fmt::print("Pincer setup. Press Enter to accept the [default].\n\n");
  fmt::print("Model providers: anthropic, openai, google, openrouter, or none for later.\n");
  std::string provider = prompt("Provider", "anthropic");
  if (auto key = agent::find_provider_key(provider)) {
    std::string value =
        prompt(fmt::format("{} (input hidden; empty to skip)", key->env_var), "", true);
    if (!value.empty()) {
      args.api_keys[std::string(key->env_var)] = value;
    }
    if (!args.model) {
      args.model = prompt("Model", std::string(key->default_model));
    }
  }
  if (!args.gateway_port) {
    std::string port = prompt("Gateway port", "18789");
    try {
      args.gateway_port = std::stoi(port);
    } catch (const std::exception&) {
      fmt::print("not a number; keeping 18789\n");
    }
  }
}

void run_onboard(CliContext& ctx, OnboardArgs args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  bool tty = ::isatty(STDIN_FILENO) != 0;
  if (args.non_interactive && !args.accept_risk) {
    report_failure(ctx,
                   Error{Errc::invalid_argument,
                         "--non-interactive needs --accept-risk: an assistant with tools can act "
                         "on this machine in your name",
                         "add --accept-risk once you accept that"},
                   args.json);
    return;
  }
  if (!args.non_interactive) {
    if (!tty) {
      report_failure(ctx,
                     Error{Errc::invalid_argument, "onboard needs a terminal to ask questions",
                           "run it in a terminal, or add --non-interactive --accept-risk"},
                     args.json);
      return;
    }
    ask(args);
  }

  auto env = core::process_env();
  if (auto ok = core::ensure_private_dir(paths->state_dir); !ok) {
    report_failure(ctx, ok.error(), args.json);
    return;
  }
  // Refuse to build on a broken file: the edits below would be rejected one by one anyway.
  core::ConfigLoad existing = core::load_config(paths->config_file, env);
  if (!existing.config) {
    report_failure(
        ctx,
        Error{Errc::config, "the existing config is invalid:\n" + existing.describe_errors(),
              "fix it (pincer config validate) and run onboard again"},
        args.json);
    return;
  }

  std::vector<std::pair<std::string, json::value>> edits;
  bool token_generated = false;
  std::string auth_mode = args.gateway_auth.value_or(
      args.gateway_password ? "password"
                            : std::string(core::to_string(existing.config->gateway.auth.mode)));
  edits.emplace_back("gateway.auth.mode", json::string(auth_mode));
  if (args.gateway_token) {
    edits.emplace_back("gateway.auth.token", json::string(*args.gateway_token));
  } else if (auth_mode == "token") {
    // Keep the token clients already use, unless asked to rotate it.
    bool has_token = core::find_at(existing.config->raw,
                                   *core::parse_json_path("gateway.auth.token")) != nullptr;
    if (!has_token || args.rotate_token) {
      edits.emplace_back("gateway.auth.token", json::string(generate_token()));
      token_generated = true;
    }
  }
  if (args.gateway_password) {
    edits.emplace_back("gateway.auth.password", json::string(*args.gateway_password));
  }
  if (args.gateway_port) {
    edits.emplace_back("gateway.port", *args.gateway_port);
  }
  if (args.gateway_bind) {
    edits.emplace_back("gateway.bind", json::string(*args.gateway_bind));
  }
  std::string workspace = args.workspace.value_or(existing.config->agents.defaults.workspace.empty()
                                                      ? paths->workspace_dir.string()
                                                      : existing.config->agents.defaults.workspace);
  edits.emplace_back("agents.defaults.workspace", json::string(workspace));
  if (args.model) {
    edits.emplace_back("agents.defaults.model.primary", json::string(*args.model));
  }
  for (const auto& [name, value] : args.api_keys) {
    if (!value.empty()) {
      edits.emplace_back("env.vars." + name, json::string(value));
    }
  }
  if (args.skip_bootstrap) {
    edits.emplace_back("agents.defaults.skipBootstrap", true);
  }

  // agents.defaults.model may be a plain string in an existing file; setting .primary under a
  // string would fail, so turn it into the object form first.
  if (args.model) {
    const json::value* model =
        core::find_at(existing.config->raw, *core::parse_json_path("agents.defaults.model"));
    if (model != nullptr && model->is_string()) {
      edits.insert(edits.begin(), {"agents.defaults.model", json::object()});
    }
  }

  for (const auto& [path, value] : edits) {
    auto outcome = core::set_config_value(paths->config_file, path, value, env);
    if (!outcome) {
      report_failure(ctx, outcome.error(), args.json);
      return;
    }
  }

  auto seeded = agent::seed_workspace(core::expand_home(workspace, env), args.skip_bootstrap);
  if (!seeded) {
    report_failure(ctx, seeded.error(), args.json);
    return;
  }

  if (args.json) {
    json::array created(seeded->created.begin(), seeded->created.end());
    json::array kept(seeded->kept.begin(), seeded->kept.end());
    print_json(json::object{{"ok", true},
                            {"configFile", paths->config_file.string()},
                            {"stateDir", paths->state_dir.string()},
                            {"workspace", workspace},
                            {"tokenGenerated", token_generated},
                            {"workspaceFilesCreated", std::move(created)},
                            {"workspaceFilesKept", std::move(kept)}});
    return;
  }
  fmt::print("config      {}\n", paths->config_file.string());
  fmt::print("workspace   {} ({} file(s) created, {} kept)\n", workspace, seeded->created.size(),
             seeded->kept.size());
  if (token_generated) {
    fmt::print(
        "gateway     new token generated (pincer config get gateway.auth.token "
        "--show-secrets prints it)\n");
  }
  fmt::print("\nNext: pincer doctor, then pincer gateway\n");
}

}  // namespace

void register_onboard_command(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<OnboardArgs>();
  CLI::App* cmd =
      root.add_subcommand("onboard", "First-run setup: config, gateway token, workspace");
  cmd->add_flag("--non-interactive", args->non_interactive, "Ask nothing; use flags and defaults");
  cmd->add_flag("--accept-risk", args->accept_risk,
                "Acknowledge that the assistant's tools act on this machine (needed with "
                "--non-interactive)");
  cmd->add_flag("--json", args->json, "Print the outcome as JSON");
  cmd->add_option("--workspace", args->workspace,
                  "Workspace directory (default <state>/workspace)");
  cmd->add_option("--gateway-port", args->gateway_port, "Gateway port (default 18789)")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--gateway-bind", args->gateway_bind, "loopback (default), lan, auto, custom");
  cmd->add_option("--gateway-auth", args->gateway_auth, "token (default) or password");
  cmd->add_option("--gateway-token", args->gateway_token,
                  "Use this gateway token instead of a new one");
  cmd->add_option("--gateway-password", args->gateway_password,
                  "Use password auth with this password");
  cmd->add_flag("--rotate-token", args->rotate_token, "Replace an existing gateway token");
  cmd->add_option("--model", args->model, "Primary model, e.g. anthropic/claude-sonnet-4-5");
  // --anthropic-api-key, --openai-api-key, ... one per provider with a conventional variable.
  for (const auto& key : agent::provider_keys()) {
    std::string flag = "--" + std::string(key.provider) + "-api-key";
    std::string name(key.env_var);
    cmd->add_option_function<std::string>(
           flag, [args, name](const std::string& value) { args->api_keys[name] = value; },
           "Store " + name + " in env.vars")
        ->type_name("KEY");
  }
  cmd->add_option_function<std::string>(
         "--gemini-api-key",
         [args](const std::string& value) { args->api_keys["GEMINI_API_KEY"] = value; },
         "Same as --google-api-key")
      ->type_name("KEY");
  cmd->add_flag("--skip-bootstrap", args->skip_bootstrap,
                "Do not create AGENTS.md, SOUL.md, USER.md, IDENTITY.md, BOOTSTRAP.md");
  cmd->callback([&ctx, args] { run_onboard(ctx, *args); });
}

}  // namespace pincer::app
