#pragma once
// Pincer's configuration: typed structs with defaults, read from pincer.json (JSON5).
//
// Key names follow the reference system's config wherever the feature is the same, so an
// existing config mostly carries over. Sections Pincer implements are typed and validated here;
// keys the reference knows but Pincer does not use yet are accepted (and listed as notes by
// `pincer config validate --verbose`); keys nobody knows produce a warning, never a failure.
// Later subsystems add their own section structs to Config.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/config_issue.hpp"
#include "core/log.hpp"
#include "core/paths.hpp"
#include "core/redact.hpp"

namespace pincer::core {

enum class BindMode { loopback, lan, auto_, custom, tailnet };
enum class AuthMode { token, password, none, trusted_proxy };
enum class ReloadMode { hybrid, off };
enum class ConsoleStyle { pretty, json };

struct GatewayAuthRateLimit {
  int64_t max_attempts = 10;
  int64_t window_ms = 60'000;
  int64_t lockout_ms = 300'000;
  bool exempt_loopback = true;
};

// gateway.auth.trustedProxy: how an identity-aware reverse proxy names the user it
// authenticated. Read only from connections whose peer is in gateway.trustedProxies.
struct TrustedProxyAuthConfig {
  std::string user_header;                    // e.g. "x-forwarded-user"; required in that mode
  std::vector<std::string> required_headers;  // must be present and non-blank
  std::vector<std::string> allow_users;       // empty: any user the proxy authenticated
  bool allow_loopback = false;                // trust a proxy on this host (127.0.0.1, ::1)
};

struct GatewayAuthConfig {
  AuthMode mode = AuthMode::token;
  std::string token;  // may come from ${PINCER_GATEWAY_TOKEN}
  std::string password;
  GatewayAuthRateLimit rate_limit;
  TrustedProxyAuthConfig trusted_proxy;
  // Accepted for the reference's configs; Pincer does not grant tokenless Tailscale identity
  // (that needs `tailscale whois` verification, which it does not do).
  bool allow_tailscale = false;
};

struct GatewayConfig {
  static constexpr int64_t kDefaultPort = 18789;
  int64_t port = kDefaultPort;
  BindMode bind = BindMode::loopback;
  std::string custom_bind_host;  // used when bind == custom
  GatewayAuthConfig auth;
  ReloadMode reload = ReloadMode::hybrid;
  bool control_ui_enabled = true;
  std::string control_ui_base_path = "/";
  // Browser origins allowed to open the WebSocket besides private same-origin loads
  // ("https://control.example.com", or "*" for any).
  std::vector<std::string> control_ui_allowed_origins;
  // Accept any same-origin load (Origin matches Host) even for public host names.
  bool control_ui_allow_host_header_origin_fallback = false;
  // Reverse proxies (IPs or CIDRs) whose X-Forwarded-For and identity headers are believed.
  std::vector<std::string> trusted_proxies;
  bool allow_real_ip_fallback = false;  // X-Real-IP when a trusted proxy sends no X-Forwarded-For
};

struct LoggingConfig {
  LogLevel level = LogLevel::info;
  std::optional<LogLevel> console_level;  // defaults to level
  ConsoleStyle console_style = ConsoleStyle::pretty;
  std::string file;  // empty: <state>/logs/pincer.log
  int64_t max_file_bytes = int64_t{10} * 1024 * 1024;
  RedactMode redact_sensitive = RedactMode::tools;
  std::vector<std::string> redact_patterns;
};

struct EnvConfig {
  std::map<std::string, std::string> vars;  // applied to the process unless already set
};

struct ModelSelection {
  std::string primary;  // "provider/model"
  std::vector<std::string> fallbacks;
};

struct AgentDefaults {
  std::string workspace;  // empty: <state>/workspace
  ModelSelection model;
  int64_t max_concurrent = 4;
  int64_t timeout_seconds = 600;
  std::string user_timezone;  // IANA name; empty: the host's zone
};

struct AgentsConfig {
  AgentDefaults defaults;
};

struct Config {
  GatewayConfig gateway;
  LoggingConfig logging;
  EnvConfig env;
  AgentsConfig agents;
  // The whole document after ${VAR} substitution, for sections other subsystems read
  // themselves (channels, models, ...) until they get typed structs here.
  boost::json::value raw = boost::json::object();
};

// Fills `out` from a parsed, env-substituted document (defaults where keys are absent) and
// returns every problem found: errors (the config must not be used), warnings (unknown keys,
// missing env vars) and notes (reference keys Pincer does not use yet).
std::vector<ConfigIssue> read_config(const boost::json::value& document, Config& out);

// The typed settings of `config` as a config document (secrets left out), e.g. to show the
// default that applies to a key the file does not set.
boost::json::value typed_settings_json(const Config& config);

// The gateway's active log file: logging.file (with ~ expanded) or <state>/logs/pincer.log.
std::filesystem::path log_file_path(const LoggingConfig& logging, const StatePaths& paths,
                                    const EnvLookup& env);

std::string_view to_string(BindMode mode);
std::string_view to_string(AuthMode mode);

}  // namespace pincer::core
