#include "app/gateway_target.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>

#include "app/cli_context.hpp"
#include "app/output.hpp"
#include "core/json_path.hpp"

namespace pincer::app {

namespace {

std::string config_string(const core::Config& config, const char* section, const char* key) {
  core::JsonPath path{{std::string("gateway"), std::string(section), std::string(key)}};
  const boost::json::value* value = core::find_at(config.raw, path);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

std::string first_set(std::initializer_list<std::string> candidates) {
  for (const auto& candidate : candidates) {
    if (!candidate.empty()) {
      return candidate;
    }
  }
  return {};
}

}  // namespace

void add_gateway_target_options(CLI::App& cmd, GatewayTargetFlags& flags) {
  cmd.add_option("--url", flags.url,
                 "Gateway URL (default gateway.remote.url, else ws://127.0.0.1:<gateway.port>)")
      ->type_name("ws://HOST:PORT");
  cmd.add_option("--token", flags.token,
                 "Gateway token (default $PINCER_GATEWAY_TOKEN, else gateway.auth.token)");
  cmd.add_option("--password", flags.password,
                 "Gateway password (default $PINCER_GATEWAY_PASSWORD, else gateway.auth.password)");
  cmd.add_option("--timeout", flags.timeout_ms, "How long to wait for the gateway, in ms")
      ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}))
      ->type_name("MS");
}

gateway::ClientOptions resolve_gateway_target(const GatewayTargetFlags& flags,
                                              const core::ConfigLoad& load,
                                              const core::EnvLookup& env) {
  core::Config config;
  if (load.config) {
    config = std::move(*load.config);
  }
  gateway::ClientOptions options;
  std::string remote_url = config_string(config, "remote", "url");
  bool remote = flags.url.empty() && !remote_url.empty();
  options.url =
      first_set({flags.url, remote_url, fmt::format("ws://127.0.0.1:{}", config.gateway.port)});
  auto env_value = [&env](const std::string& name) { return env(name).value_or(std::string()); };
  options.token =
      first_set({flags.token, env_value("PINCER_GATEWAY_TOKEN"),
                 remote ? config_string(config, "remote", "token") : config.gateway.auth.token});
  options.password = first_set(
      {flags.password, env_value("PINCER_GATEWAY_PASSWORD"),
       remote ? config_string(config, "remote", "password") : config.gateway.auth.password});
  options.connect_timeout = std::chrono::milliseconds(flags.timeout_ms);
  return options;
}

namespace {

// Adds the step that usually fixes a refused connect.
Error with_auth_hint(Error error) {
  if (error.hint.empty() && error.message.find("unauthorized") != std::string::npos) {
    error.hint = "pass --token (or --password), or set PINCER_GATEWAY_TOKEN";
  }
  return error;
}

}  // namespace

Result<boost::json::value> call_gateway(CliContext& ctx, const GatewayTargetFlags& flags,
                                        std::string_view method, const boost::json::value& params) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return fail(Errc::config, "cannot resolve the state directory");
  }
  auto env = core::process_env();
  core::ConfigLoad load = core::load_config(paths->config_file, env);
  gateway::ClientOptions options = resolve_gateway_target(flags, load, env);
  auto client = gateway::GatewayClient::connect(options);
  if (!client) {
    return std::unexpected(with_auth_hint(client.error()));
  }
  auto result = client->call(method, params, std::chrono::milliseconds(flags.timeout_ms));
  client->close();
  return result;
}

std::optional<boost::json::value> call_gateway_or_report(CliContext& ctx,
                                                         const GatewayTargetFlags& flags,
                                                         std::string_view method,
                                                         const boost::json::value& params,
                                                         bool as_json) {
  auto result = call_gateway(ctx, flags, method, params);
  if (ctx.exit_code != 0) {
    return std::nullopt;  // the state paths could not be resolved; already reported
  }
  if (!result) {
    report_failure(ctx, result.error(), as_json);
    return std::nullopt;
  }
  return std::move(*result);
}

}  // namespace pincer::app
