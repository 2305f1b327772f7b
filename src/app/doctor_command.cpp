// pincer doctor: checks what a working assistant needs and says how to fix what is wrong.
// Read-only: it changes nothing (no --fix yet).

#include <fmt/core.h>
#include <sys/stat.h>

#include <memory>

#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "agent/provider_keys.hpp"
#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/output.hpp"
#include "core/config_loader.hpp"
#include "core/json_path.hpp"
#include "store/database.hpp"

namespace pincer::app {

namespace json = boost::json;
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

enum class CheckStatus { ok, warn, fail };

struct Check {
  std::string id;
  CheckStatus status;
  std::string message;
  std::string fix;
};

std::string_view status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok:
      return "ok";
    case CheckStatus::warn:
      return "warn";
    case CheckStatus::fail:
      return "fail";
  }
  return "fail";
}

// Mode bits of `path`, or -1 if it does not exist.
int mode_of(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return -1;
  }
  return static_cast<int>(st.st_mode & 0777);
}

Check check_config(const core::ConfigLoad& load) {
  if (!load.file_exists) {
    return {"config", CheckStatus::warn, load.file.string() + " does not exist (defaults apply)",
            "pincer onboard"};
  }
  if (!load.config) {
    return {"config", CheckStatus::fail, "invalid:\n" + load.describe_errors(),
            "fix the keys above; pincer config validate lists them"};
  }
  size_t warnings = 0;
  for (const auto& issue : load.issues) {
    warnings += issue.severity == core::ConfigIssue::Severity::warning ? 1 : 0;
  }
  if (warnings > 0) {
    return {"config", CheckStatus::warn, fmt::format("valid, with {} warning(s)", warnings),
            "pincer config validate"};
  }
  return {"config", CheckStatus::ok, "valid: " + load.file.string(), ""};
}

std::vector<Check> check_permissions(const core::StatePaths& paths) {
  std::vector<Check> checks;
  int dir = mode_of(paths.state_dir);
  if (dir < 0) {
    checks.push_back({"state_dir", CheckStatus::warn, paths.state_dir.string() + " does not exist",
                      "pincer onboard"});
  } else if ((dir & 077) != 0) {
    checks.push_back({"state_dir", CheckStatus::fail,
                      fmt::format("{} is {:03o}: other users can read your chats",
                                  paths.state_dir.string(), dir),
                      "chmod 700 " + paths.state_dir.string()});
  } else {
    checks.push_back(
        {"state_dir", CheckStatus::ok, paths.state_dir.string() + " is private (700)", ""});
  }
  for (const fs::path& file : {paths.config_file, paths.database_file}) {
    int mode = mode_of(file);
    if (mode >= 0 && (mode & 077) != 0) {
      checks.push_back({"permissions", CheckStatus::fail,
                        fmt::format("{} is {:03o}: it holds secrets", file.string(), mode),
                        "chmod 600 " + file.string()});
    }
  }
  return checks;
}

Check check_database(const core::StatePaths& paths) {
  if (mode_of(paths.database_file) < 0) {
    return {"database", CheckStatus::ok, "state.db not created yet (the gateway creates it)", ""};
  }
  auto db = store::Database::open(paths.database_file);
  if (!db) {
    return {"database", CheckStatus::fail, db.error().describe(),
            "stop the gateway and check the file; restore it from a backup if it is damaged"};
  }
  auto integrity = db->integrity_check();
  if (!integrity) {
    return {"database", CheckStatus::fail, integrity.error().describe(),
            "restore state.db from a backup"};
  }
  if (*integrity != "ok") {
    return {"database", CheckStatus::fail, "integrity check failed: " + *integrity,
            "stop the gateway, back up state.db, and recover it with sqlite3 .recover"};
  }
  auto version = db->user_version();
  return {"database", CheckStatus::ok,
          fmt::format("integrity ok (schema {})", version ? *version : 0), ""};
}

// A running gateway answers GET /health; a free port means none is running.
Check check_gateway(const core::Config& config) {
  auto port = static_cast<uint16_t>(config.gateway.port);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) {
    asio::ip::tcp::acceptor probe(io);
    probe.open(asio::ip::tcp::v4(), ec);
    probe.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) {
      return {"gateway", CheckStatus::fail,
              fmt::format("port {} is taken by another program", port),
              "free it, or choose another: pincer config set gateway.port 18790"};
    }
    return {"gateway", CheckStatus::ok, fmt::format("not running; port {} is free", port), ""};
  }
  std::string request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request), ec);
  std::string response;
  if (!ec) {
    std::array<char, 512> buffer{};
    for (;;) {
      size_t n = socket.read_some(asio::buffer(buffer), ec);
      response.append(buffer.data(), n);
      if (ec || response.size() > 4096) {
        break;
      }
    }
  }
  if (response.starts_with("HTTP/1.1 200") && response.find("\"ok\":true") != std::string::npos) {
    return {"gateway", CheckStatus::ok, fmt::format("running and healthy on 127.0.0.1:{}", port),
            ""};
  }
  return {"gateway", CheckStatus::warn,
          fmt::format("something listens on port {} but it is not a healthy Pincer gateway", port),
          "check what owns the port (ss -ltnp) or choose another gateway.port"};
}

Check check_token(const core::Config& config) {
  const auto& auth = config.gateway.auth;
  if (auth.mode == core::AuthMode::token && auth.token.empty()) {
    return {"gateway_auth", CheckStatus::warn,
            "gateway.auth.token is not set: clients cannot connect",
            "pincer onboard (generates one) or set PINCER_GATEWAY_TOKEN"};
  }
  if (auth.mode == core::AuthMode::password && auth.password.empty()) {
    return {"gateway_auth", CheckStatus::fail,
            "gateway.auth.mode is password but no password is set",
            "pincer config set gateway.auth.password ..."};
  }
  return {"gateway_auth", CheckStatus::ok,
          fmt::format("{} auth configured", core::to_string(auth.mode)), ""};
}

Check check_model(const core::Config& config, const core::EnvLookup& env) {
  const std::string& model = config.agents.defaults.model.primary;
  if (model.empty()) {
    return {"model", CheckStatus::warn, "no model configured (agents.defaults.model)",
            "pincer config set agents.defaults.model anthropic/claude-sonnet-4-5"};
  }
  std::string provider = model.substr(0, model.find('/'));
  // A key in models.providers.<id>.apiKey counts as well as an environment variable.
  core::JsonPath api_key{
      {std::string("models"), std::string("providers"), provider, std::string("apiKey")}};
  if (core::find_at(config.raw, api_key) != nullptr) {
    return {"model", CheckStatus::ok, model + " (key in models.providers." + provider + ")", ""};
  }
  auto key = agent::find_provider_key(provider);
  if (!key) {
    return {"model", CheckStatus::ok, model + " (no key needed or not checked for this provider)",
            ""};
  }
  auto is_set = [&](std::string_view variable) {
    if (variable.empty()) {
      return false;
    }
    std::string variable_name(variable);
    auto value = env(variable_name);
    return (value && !value->empty()) || config.env.vars.contains(variable_name);
  };
  std::string name(key->env_var);
  bool present = is_set(key->env_var) || is_set(key->alt_env_var);
  if (!present) {
    return {"model", CheckStatus::fail, model + ": " + name + " is not set",
            "export " + name + "=... or pincer config set env.vars." + name + " <key>"};
  }
  return {"model", CheckStatus::ok, model + " (" + name + " present)", ""};
}

Check check_workspace(const core::Config& config, const core::StatePaths& paths,
                      const core::EnvLookup& env) {
  fs::path dir = config.agents.defaults.workspace.empty()
                     ? paths.workspace_dir
                     : core::expand_home(config.agents.defaults.workspace, env);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return {"workspace", CheckStatus::warn, dir.string() + " does not exist", "pincer onboard"};
  }
  return {"workspace", CheckStatus::ok, dir.string(), ""};
}

void run_doctor(CliContext& ctx, bool as_json) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto env = core::process_env();
  std::vector<Check> checks;
  core::ConfigLoad load = core::load_config(paths->config_file, env);
  checks.push_back(check_config(load));
  for (auto& check : check_permissions(*paths)) {
    checks.push_back(std::move(check));
  }
  checks.push_back(check_database(*paths));
  // The remaining checks need a config; with an invalid one, judge the defaults.
  core::Config config;
  if (load.config) {
    config = std::move(*load.config);
  }
  checks.push_back(check_gateway(config));
  checks.push_back(check_token(config));
  checks.push_back(check_model(config, env));
  checks.push_back(check_workspace(config, *paths, env));

  bool failed =
      std::ranges::any_of(checks, [](const Check& c) { return c.status == CheckStatus::fail; });
  ctx.exit_code = failed ? 1 : 0;
  if (as_json) {
    json::array items;
    for (const auto& c : checks) {
      items.push_back(json::object{
          {"id", c.id}, {"status", status_name(c.status)}, {"message", c.message}, {"fix", c.fix}});
    }
    print_json(json::object{{"ok", !failed}, {"checks", std::move(items)}});
    return;
  }
  for (const auto& c : checks) {
    fmt::print("{:<5} {:<13} {}\n", status_name(c.status), c.id, c.message);
    if (!c.fix.empty() && c.status != CheckStatus::ok) {
      fmt::print("{:<19} fix: {}\n", "", c.fix);
    }
  }
}

}  // namespace

void register_doctor_command(CLI::App& root, CliContext& ctx) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = root.add_subcommand("doctor", "Check config, state, gateway and model access");
  cmd->add_flag("--json", *as_json, "Print the checks as JSON");
  cmd->callback([&ctx, as_json] { run_doctor(ctx, *as_json); });
}

}  // namespace pincer::app
