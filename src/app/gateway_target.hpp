#pragma once
// Which gateway a client command talks to, and with which secret. Shared by `pincer gateway
// call`, `pincer gateway health` and `pincer status`.
//
// URL: --url, else gateway.remote.url, else ws://127.0.0.1:<gateway.port>.
// Token: --token, else $PINCER_GATEWAY_TOKEN, else gateway.auth.token (gateway.remote.token when
// the URL came from gateway.remote.url). Password likewise: --password, $PINCER_GATEWAY_PASSWORD,
// gateway.auth.password (gateway.remote.password).

#include <cstdint>
#include <optional>
#include <string>

#include "core/config_loader.hpp"
#include "core/paths.hpp"
#include "gateway/gateway_client.hpp"

namespace CLI {
class App;
}

namespace pincer::app {

struct GatewayTargetFlags {
  std::string url;
  std::string token;
  std::string password;
  int64_t timeout_ms = 10'000;
};

// Adds --url, --token, --password and --timeout to `cmd`.
void add_gateway_target_options(CLI::App& cmd, GatewayTargetFlags& flags);

// `load` is the config as loaded (an invalid one counts as defaults).
gateway::ClientOptions resolve_gateway_target(const GatewayTargetFlags& flags,
                                              const core::ConfigLoad& load,
                                              const core::EnvLookup& env);

class CliContext;

// Connects to the target gateway, calls one method, closes. A refused connect gets a hint about
// --token. Fails with Errc::config when the state paths cannot be resolved.
Result<boost::json::value> call_gateway(CliContext& ctx, const GatewayTargetFlags& flags,
                                        std::string_view method, const boost::json::value& params);

// call_gateway, reporting a failure the usual way (text, or the JSON envelope with --json, and
// exit code 1). Returns the payload on success, nothing after a reported failure.
std::optional<boost::json::value> call_gateway_or_report(CliContext& ctx,
                                                         const GatewayTargetFlags& flags,
                                                         std::string_view method,
                                                         const boost::json::value& params,
                                                         bool as_json);

}  // namespace pincer::app
