#include "core/config.hpp"

#include <filesystem>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "core/config_reader.hpp"
#include "core/detail/config_sections.hpp"
#include "core/text.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

// "10.0.0.1", "::1", "10.0.0.0/8" or "fd00::/8".
bool is_ip_or_cidr(const std::string& text) {
  boost::system::error_code ec;
  if (text.find('/') == std::string::npos) {
    boost::asio::ip::make_address(text, ec);
    return !ec;
  }
  boost::asio::ip::make_network_v4(text, ec);
  if (!ec) {
    return true;
  }
  ec.clear();
  boost::asio::ip::make_network_v6(text, ec);
  return !ec;
}

// "*" or scheme://host[:port] with nothing after it (browsers send exactly that).
bool is_origin(const std::string& text) {
  if (text == "*") {
    return true;
  }
  auto scheme_end = text.find("://");
  if (scheme_end == std::string::npos || scheme_end == 0) {
    return false;
  }
  std::string_view rest = std::string_view(text).substr(scheme_end + 3);
  return !rest.empty() && rest.find_first_of("/?#@ ") == std::string_view::npos;
}

void read_gateway(ConfigReader& root, GatewayConfig& gateway) {
  ConfigReader r = root.object("gateway");
  r.integer("port", gateway.port, 1, 65535);
  r.one_of("bind", gateway.bind,
           {{"loopback", BindMode::loopback},
            {"lan", BindMode::lan},
            {"auto", BindMode::auto_},
            {"custom", BindMode::custom},
            {"tailnet", BindMode::tailnet}});
  r.string("customBindHost", gateway.custom_bind_host);

  ConfigReader auth = r.object("auth");
  auth.one_of("mode", gateway.auth.mode,
              {{"token", AuthMode::token},
               {"password", AuthMode::password},
               {"none", AuthMode::none},
               {"trusted-proxy", AuthMode::trusted_proxy}});
  auth.string("token", gateway.auth.token);
  auth.string("password", gateway.auth.password);
  ConfigReader limit = auth.object("rateLimit");
  limit.integer("maxAttempts", gateway.auth.rate_limit.max_attempts, 1, 1'000'000);
  limit.integer("windowMs", gateway.auth.rate_limit.window_ms, 1, kMaxSafeInteger);
  limit.integer("lockoutMs", gateway.auth.rate_limit.lockout_ms, 0, kMaxSafeInteger);
  limit.boolean("exemptLoopback", gateway.auth.rate_limit.exempt_loopback);
  limit.finish();
  auth.boolean("allowTailscale", gateway.auth.allow_tailscale);
  ConfigReader proxy = auth.object("trustedProxy");
  auto& trusted = gateway.auth.trusted_proxy;
  proxy.string("userHeader", trusted.user_header);
  proxy.string_list("requiredHeaders", trusted.required_headers);
  proxy.string_list("allowUsers", trusted.allow_users);
  proxy.boolean("allowLoopback", trusted.allow_loopback);
  proxy.finish();
  auth.finish();

  r.string_list("trustedProxies", gateway.trusted_proxies);
  for (size_t i = 0; i < gateway.trusted_proxies.size(); ++i) {
    if (!is_ip_or_cidr(gateway.trusted_proxies[i])) {
      r.error_at(r.key_path("trustedProxies") + "[" + std::to_string(i) + "]",
                 "expected an IP address or CIDR range such as \"10.0.0.1\" or \"10.0.0.0/8\", "
                 "got \"" +
                     gateway.trusted_proxies[i] + "\"");
    }
  }
  r.boolean("allowRealIpFallback", gateway.allow_real_ip_fallback);

  ConfigReader reload = r.object("reload");
  reload.one_of("mode", gateway.reload, {{"hybrid", ReloadMode::hybrid}, {"off", ReloadMode::off}});
  reload.finish();

  ConfigReader ui = r.object("controlUi");
  ui.boolean("enabled", gateway.control_ui_enabled);
  ui.string("basePath", gateway.control_ui_base_path);
  ui.string_list("allowedOrigins", gateway.control_ui_allowed_origins);
  for (size_t i = 0; i < gateway.control_ui_allowed_origins.size(); ++i) {
    if (!is_origin(gateway.control_ui_allowed_origins[i])) {
      ui.error_at(ui.key_path("allowedOrigins") + "[" + std::to_string(i) + "]",
                  "expected an origin such as \"https://control.example.com\" (scheme, host and "
                  "optional port, no path) or \"*\", got \"" +
                      gateway.control_ui_allowed_origins[i] + "\"");
    }
  }
  ui.boolean("dangerouslyAllowHostHeaderOriginFallback",
             gateway.control_ui_allow_host_header_origin_fallback);
  ui.finish();

  ConfigReader http = r.object("http");
  ConfigReader endpoints = http.object("endpoints");
  ConfigReader chat_completions = endpoints.object("chatCompletions");
  chat_completions.boolean("enabled", gateway.chat_completions_enabled);
  chat_completions.finish();  // images.* (URL fetching policy) is not used yet: notes
  endpoints.finish();
  http.finish();
  r.finish();

  if (gateway.bind == BindMode::custom && gateway.custom_bind_host.empty()) {
    r.error("customBindHost", "required when gateway.bind is \"custom\": set the address to bind");
  }
  if (gateway.auth.mode == AuthMode::none && gateway.bind != BindMode::loopback) {
    r.error_at(r.key_path("auth") + ".mode",
               "\"none\" is allowed only with gateway.bind \"loopback\": set a token or password "
               "before exposing the gateway");
  }
  if (gateway.auth.mode == AuthMode::trusted_proxy) {
    if (gateway.auth.trusted_proxy.user_header.empty()) {
      r.error_at(r.key_path("auth") + ".trustedProxy.userHeader",
                 "required when gateway.auth.mode is \"trusted-proxy\": name the header your "
                 "proxy puts the authenticated user in (e.g. \"x-forwarded-user\")");
    }
    if (gateway.trusted_proxies.empty()) {
      r.error("trustedProxies",
              "required when gateway.auth.mode is \"trusted-proxy\": list your proxy's IP "
              "addresses");
    }
  }
  if (!gateway.control_ui_base_path.starts_with("/")) {
    r.error_at(r.key_path("controlUi") + ".basePath",
               R"(expected a path starting with "/", got ")" + gateway.control_ui_base_path + "\"");
  }
}

void read_logging(ConfigReader& root, LoggingConfig& logging) {
  const std::initializer_list<std::pair<std::string_view, LogLevel>> levels = {
      {"silent", LogLevel::silent}, {"fatal", LogLevel::fatal}, {"error", LogLevel::error},
      {"warn", LogLevel::warn},     {"info", LogLevel::info},   {"debug", LogLevel::debug},
      {"trace", LogLevel::trace}};
  ConfigReader r = root.object("logging");
  r.one_of("level", logging.level, levels);
  if (r.has("consoleLevel")) {
    LogLevel console = logging.level;
    r.one_of("consoleLevel", console, levels);
    logging.console_level = console;
  }
  r.one_of("consoleStyle", logging.console_style,
           {{"pretty", ConsoleStyle::pretty}, {"json", ConsoleStyle::json}});
  r.string("file", logging.file);
  r.integer("maxFileBytes", logging.max_file_bytes, 4096, kMaxSafeInteger);
  r.one_of("redactSensitive", logging.redact_sensitive,
           {{"tools", RedactMode::tools}, {"off", RedactMode::off}});
  r.string_list("redactPatterns", logging.redact_patterns);
  if (!logging.redact_patterns.empty()) {
    // The redactor is the judge of a pattern: it compiles and stress-tests each one.
    Redactor check;
    if (auto ok = check.configure({logging.redact_sensitive, logging.redact_patterns}); !ok) {
      std::string message = ok.error().message;
      std::string path = r.key_path("redactPatterns");
      if (message.starts_with("logging.redactPatterns")) {
        auto colon = message.find(": ");
        path = message.substr(0, colon);
        message = colon == std::string::npos ? message : message.substr(colon + 2);
      }
      r.error_at(path, message);
    }
  }
  r.finish();
}

void read_env(ConfigReader& root, EnvConfig& env) {
  ConfigReader r = root.object("env");
  r.string_map("vars", env.vars);
  for (const auto& [name, value] : env.vars) {
    bool valid =
        !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_');
    for (char c : name) {
      valid = valid && (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_');
    }
    if (!valid) {
      r.error("vars", "\"" + name + "\" is not a valid environment variable name");
    }
  }
  r.finish();
}

void read_agents(ConfigReader& root, AgentsConfig& agents) {
  ConfigReader r = root.object("agents");
  ConfigReader d = r.object("defaults");
  d.string("workspace", agents.defaults.workspace);
  if (const json::value* model = d.take("model")) {
    if (model->is_string()) {
      agents.defaults.model.primary = std::string(model->get_string());
    } else if (model->is_object()) {
      ConfigReader m = d.object("model");
      m.string("primary", agents.defaults.model.primary);
      m.string_list("fallbacks", agents.defaults.model.fallbacks);
      m.finish();
    } else {
      d.error("model",
              "expected \"provider/model\" or {primary, fallbacks}, got " + describe_value(*model));
    }
  }
  d.integer("maxConcurrent", agents.defaults.max_concurrent, 1, 1024);
  d.integer("timeoutSeconds", agents.defaults.timeout_seconds, 0, kMaxSafeInteger);
  d.string("userTimezone", agents.defaults.user_timezone);
  detail::read_agent_runtime_defaults(d, agents.defaults);
  const std::string& zone = agents.defaults.user_timezone;
  if (!zone.empty()) {
    // The OS tz database is what the scheduler will use, so it is the judge here too.
    std::error_code ec;
    bool known = zone.find("..") == std::string::npos && !zone.starts_with("/") &&
                 std::filesystem::is_regular_file("/usr/share/zoneinfo/" + zone, ec);
    if (!known) {
      d.error("userTimezone", "unknown time zone \"" + zone +
                                  R"(": expected an IANA name such as "Europe/Berlin")");
    }
  }
  d.finish();
  detail::read_agent_roster(r, agents);
  r.finish();
}

// commands.*: only ownerAllowFrom is typed; the other keys (text, native, allowFrom ...) are
// reference keys Pincer does not use yet and stay notes.
void read_commands(ConfigReader& root, CommandsConfig& commands) {
  ConfigReader r = root.object("commands");
  std::vector<std::string> owners;
  r.string_list("ownerAllowFrom", owners);
  commands.owner_allow_from.clear();
  for (size_t i = 0; i < owners.size(); ++i) {
    std::string owner(trim(owners[i]));
    auto colon = owner.find(':');
    bool blank_part = colon != std::string::npos && (colon == 0 || colon + 1 == owner.size());
    if (owner.empty() || blank_part) {
      r.error_at(r.key_path("ownerAllowFrom") + "[" + std::to_string(i) + "]",
                 R"(expected an owner such as "telegram:123456789" (channel:id), got ")" +
                     owners[i] + "\"");
      continue;
    }
    commands.owner_allow_from.push_back(std::move(owner));
  }
  commands.native.reset();
  if (const json::value* native = r.take("native"); native != nullptr) {
    if (native->is_bool()) {
      commands.native = native->get_bool();
    } else if (!native->is_string() || native->get_string() != "auto") {
      r.error("native", "expected true, false or \"auto\", got " + describe_value(*native));
    }
  }
  r.finish();
}

}  // namespace

std::vector<ConfigIssue> read_config(const json::value& document, Config& out) {
  std::vector<ConfigIssue> issues;
  ConfigReader root(&document, {}, issues);
  read_gateway(root, out.gateway);
  read_logging(root, out.logging);
  read_env(root, out.env);
  read_agents(root, out.agents);
  detail::read_session(root, out.session);
  detail::read_bindings(root, out.agents, out.bindings);
  detail::read_messages(root, out.messages);
  detail::read_models(root, out.models);
  detail::read_auth(root, out.auth);
  detail::read_channels(root, out.channels);
  read_commands(root, out.commands);
  root.take("$schema");
  root.finish();
  out.raw = document;
  return issues;
}

boost::json::value typed_settings_json(const Config& config) {
  const auto& g = config.gateway;
  const auto& l = config.logging;
  const auto& d = config.agents.defaults;
  json::object rate_limit{{"maxAttempts", g.auth.rate_limit.max_attempts},
                          {"windowMs", g.auth.rate_limit.window_ms},
                          {"lockoutMs", g.auth.rate_limit.lockout_ms},
                          {"exemptLoopback", g.auth.rate_limit.exempt_loopback}};
  json::object gateway{
      {"port", g.port},
      {"bind", to_string(g.bind)},
      {"auth", json::object{{"mode", to_string(g.auth.mode)}, {"rateLimit", rate_limit}}},
      {"reload", json::object{{"mode", g.reload == ReloadMode::hybrid ? "hybrid" : "off"}}},
      {"controlUi",
       json::object{{"enabled", g.control_ui_enabled},
                    {"basePath", g.control_ui_base_path},
                    {"allowedOrigins", json::array(g.control_ui_allowed_origins.begin(),
                                                   g.control_ui_allowed_origins.end())}}},
      {"trustedProxies", json::array(g.trusted_proxies.begin(), g.trusted_proxies.end())},
      {"http",
       json::object{
           {"endpoints", json::object{{"chatCompletions",
                                       json::object{{"enabled", g.chat_completions_enabled}}}}}}}};
  json::object logging{
      {"level", to_string(l.level)},
      {"consoleLevel", to_string(l.console_level.value_or(l.level))},
      {"consoleStyle", l.console_style == ConsoleStyle::pretty ? "pretty" : "json"},
      {"maxFileBytes", l.max_file_bytes},
      {"redactSensitive", to_string(l.redact_sensitive)},
      {"redactPatterns", json::array(l.redact_patterns.begin(), l.redact_patterns.end())}};
  json::object defaults{
      {"maxConcurrent", d.max_concurrent},
      {"timeoutSeconds", d.timeout_seconds},
      {"model", json::object{{"primary", d.model.primary},
                             {"fallbacks",
                              json::array(d.model.fallbacks.begin(), d.model.fallbacks.end())}}}};
  const auto& s = config.session;
  json::object session{
      {"scope", s.scope == SessionScope::global ? "global" : "per-sender"},
      {"dmScope", to_string(s.dm_scope)},
      {"groupScope", to_string(s.group_scope)},
      {"reset", json::object{{"mode", to_string(s.reset.mode)}, {"atHour", s.reset.at_hour}}},
      {"resetTriggers", json::array(s.reset_triggers.begin(), s.reset_triggers.end())},
      {"maintenance",
       json::object{{"mode", s.maintenance.mode == MaintenanceMode::enforce ? "enforce" : "warn"},
                    {"maxEntries", s.maintenance.max_entries}}}};
  const auto& q = config.messages.queue;
  json::object queue{{"mode", to_string(q.mode)},
                     {"cap", q.cap},
                     {"drop", to_string(q.drop)},
                     {"debounceMs", q.debounce_ms}};
  return json::object{{"gateway", std::move(gateway)},
                      {"logging", std::move(logging)},
                      {"agents", json::object{{"defaults", std::move(defaults)}}},
                      {"session", std::move(session)},
                      {"messages", json::object{{"queue", std::move(queue)}}}};
}

std::filesystem::path log_file_path(const LoggingConfig& logging, const StatePaths& paths,
                                    const EnvLookup& env) {
  if (logging.file.empty()) {
    return paths.logs_dir / LogOptions{}.file_name;
  }
  return expand_home(logging.file, env);
}

std::string_view to_string(BindMode mode) {
  switch (mode) {
    case BindMode::loopback:
      return "loopback";
    case BindMode::lan:
      return "lan";
    case BindMode::auto_:
      return "auto";
    case BindMode::custom:
      return "custom";
    case BindMode::tailnet:
      return "tailnet";
  }
  return "loopback";
}

std::string_view to_string(AuthMode mode) {
  switch (mode) {
    case AuthMode::token:
      return "token";
    case AuthMode::password:
      return "password";
    case AuthMode::none:
      return "none";
    case AuthMode::trusted_proxy:
      return "trusted-proxy";
  }
  return "token";
}

}  // namespace pincer::core
