// pincer channels list|status|add|remove|login|logout: chat channel accounts from the terminal.
//
// status, login and logout are thin clients of the running gateway (channels.status,
// channels.start, channels.logout). status and list ask the gateway too and, when none runs,
// build the same answer from the config file instead (channels/channel_config_status.hpp). add and
// remove edit pincer.json through the config editor, so comments survive; the gateway hot-reloads
// the file, so neither needs the gateway or a restart.
//
// Config layout (core/config_channels.cpp): while channels.telegram has no `accounts`, the
// channel root is the one account, "default". Once `accounts` exists, every account lives under
// it and the root only holds settings the accounts share. Adding a second account therefore
// first moves the root's own bot token (and name) into accounts.default, so the default bot keeps
// working. An add is checked as a whole in memory before the first write: either every step
// validates or nothing is written. Tokens are never printed.

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/gateway_target.hpp"
#include "app/output.hpp"
#include "channels/channel_config_status.hpp"
#include "core/config_editor.hpp"
#include "core/config_loader.hpp"
#include "core/files.hpp"
#include "core/json5.hpp"
#include "core/json5_edit.hpp"
#include "core/json_path.hpp"
#include "core/text.hpp"
#include "gateway/gateway_client.hpp"

namespace pincer::app {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kTelegram = "telegram";
constexpr std::string_view kDefaultAccount = "default";
// Keys that belong to one bot rather than to every account of the channel.
constexpr std::string_view kAccountOwnKeys[] = {"botToken", "tokenFile", "name"};

struct ChannelsFlags {
  GatewayTargetFlags target;
  std::string channel;
  std::string account;
  bool account_given = false;
  std::string bot_token;
  std::string token_file;
  std::string dm_policy;
  std::vector<std::string> allow_from;
  bool probe = false;
  bool json = false;
};

// ---- small JSON readers ------------------------------------------------------------------------

const json::object* object_at(const json::value* value, std::string_view key) {
  const auto* object = value != nullptr ? value->if_object() : nullptr;
  const auto* found = object != nullptr ? object->if_contains(key) : nullptr;
  return found != nullptr ? found->if_object() : nullptr;
}

std::string text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return "-";
  }
  if (value->is_string()) {
    return value->get_string().empty() ? "-" : std::string(value->get_string());
  }
  if (value->is_bool()) {
    return value->get_bool() ? "yes" : "no";
  }
  return json::serialize(*value);
}

bool flag(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

std::optional<int64_t> int_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value != nullptr && value->is_int64()) {
    return value->get_int64();
  }
  if (value != nullptr && value->is_uint64()) {
    return static_cast<int64_t>(value->get_uint64());
  }
  return std::nullopt;
}

// "never", "12s ago", "5m ago" ... relative to `now_ms` (the gateway's clock, from its answer).
std::string ago(std::optional<int64_t> at_ms, int64_t now_ms) {
  if (!at_ms) {
    return "never";
  }
  int64_t s = std::max<int64_t>(0, (now_ms - *at_ms) / 1000);
  if (s < 60) {
    return fmt::format("{}s ago", s);
  }
  if (s < 3600) {
    return fmt::format("{}m ago", s / 60);
  }
  if (s < 86400) {
    return fmt::format("{}h ago", s / 3600);
  }
  return fmt::format("{}d ago", s / 86400);
}

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- argument checks ---------------------------------------------------------------------------

Result<std::string> channel_arg(const ChannelsFlags& flags) {
  std::string channel = core::lowercase_trimmed(flags.channel);
  if (channel != kTelegram) {
    return fail(Errc::invalid_argument,
                "channel \"" + flags.channel + "\" is not supported by this command",
                "Pincer's chat channels: telegram");
  }
  return channel;
}

// The account the user named, lowercased (as the config reader does), or "" when they named
// none. A blank --account is refused rather than meaning the default: an unset shell variable
// must not select an account nobody named.
Result<std::string> account_arg(const ChannelsFlags& flags) {
  if (!flags.account_given) {
    return std::string();
  }
  std::string account = core::lowercase_trimmed(flags.account);
  if (account.empty()) {
    return fail(Errc::invalid_argument, "--account must not be blank",
                "omit it for the default account");
  }
  return account;
}

json::object account_params(const std::string& channel, const std::string& account) {
  json::object params{{"channel", channel}};
  if (!account.empty()) {
    params["accountId"] = account;
  }
  return params;
}

// ---- status and list ---------------------------------------------------------------------------

const json::array& accounts_of(const json::value& status, std::string_view channel) {
  static const json::array kEmpty;
  const auto* accounts = object_at(&status, "channelAccounts");
  const auto* list = accounts != nullptr ? accounts->if_contains(channel) : nullptr;
  return list != nullptr && list->is_array() ? list->get_array() : kEmpty;
}

std::vector<std::string> channel_order(const json::value& status) {
  std::vector<std::string> order;
  const auto* object = status.if_object();
  const auto* value = object != nullptr ? object->if_contains("channelOrder") : nullptr;
  if (value != nullptr && value->is_array()) {
    for (const auto& item : value->get_array()) {
      if (item.is_string()) {
        order.emplace_back(item.get_string());
      }
    }
  }
  return order;
}

std::string not_configured_line(std::string_view channel) {
  return fmt::format(
      "{}: not configured (add a bot: pincer channels add --channel {} --token "
      "<BOT_TOKEN>)\n",
      channel, channel);
}

void print_status(const json::value& status) {
  const auto* object = status.if_object();
  int64_t now = object != nullptr ? int_at(*object, "ts").value_or(system_now_ms()) : 0;
  std::vector<std::string> errors;
  std::vector<std::string> probes;
  bool header = false;
  for (const auto& channel : channel_order(status)) {
    const auto& accounts = accounts_of(status, channel);
    if (accounts.empty()) {
      fmt::print("{}", not_configured_line(channel));
      continue;
    }
    if (!header) {
      fmt::print("{:<10} {:<12} {:<8} {:<11} {:<10} {:<8} {:<10} {:<8} {:<10} {:<10} {}\n",
                 "CHANNEL", "ACCOUNT", "ENABLED", "CONFIGURED", "TOKEN", "RUNNING", "CONNECTED",
                 "MODE", "DM POLICY", "LAST IN", "LAST OUT");
      header = true;
    }
    for (const auto& item : accounts) {
      if (!item.is_object()) {
        continue;
      }
      const auto& row = item.get_object();
      fmt::print("{:<10} {:<12} {:<8} {:<11} {:<10} {:<8} {:<10} {:<8} {:<10} {:<10} {}\n", channel,
                 text(row, "accountId"), text(row, "enabled"), text(row, "configured"),
                 text(row, "tokenSource"), text(row, "running"), text(row, "connected"),
                 text(row, "mode"), text(row, "dmPolicy"), ago(int_at(row, "lastInboundAt"), now),
                 ago(int_at(row, "lastOutboundAt"), now));
      if (std::string error = text(row, "lastError"); error != "-") {
        errors.push_back(fmt::format("{}/{}: {}", channel, text(row, "accountId"), error));
      }
      if (const auto* probe = row.if_contains("probe"); probe != nullptr && probe->is_object()) {
        const auto& result = probe->get_object();
        std::string name = text(row, "accountId");
        if (const auto* bot = object_at(probe, "bot")) {
          name += " (@" + text(*bot, "username") + ")";
        }
        bool ok = result.contains("ok") && result.at("ok").is_bool() && result.at("ok").get_bool();
        probes.push_back(fmt::format("{}/{}: {} in {} ms{}", channel, name, ok ? "works" : "FAILED",
                                     text(result, "elapsedMs"),
                                     ok ? "" : ": " + text(result, "error")));
      }
    }
  }
  if (channel_order(status).empty()) {
    fmt::print("No chat channels known to this gateway.\n");
  }
  if (!errors.empty()) {
    fmt::print("\nLast errors:\n");
    for (const auto& error : errors) {
      fmt::print("  {}\n", error);
    }
  }
  if (!probes.empty()) {
    fmt::print("\nProbe:\n");
    for (const auto& line : probes) {
      fmt::print("  {}\n", line);
    }
  }
}

// The config file as it is now, for status and list when no gateway runs; nullopt after
// reporting an invalid one.
std::optional<core::Config> config_without_gateway(CliContext& ctx, const fs::path& file,
                                                   bool as_json) {
  core::ConfigLoad load = core::load_config(file, core::process_env());
  if (!load.config) {
    report_failure(
        ctx,
        Error{Errc::config,
              "the gateway is not running and the config is invalid:\n" + load.describe_errors(),
              "fix it (pincer config validate), then start it with `pincer gateway`"},
        as_json);
    return std::nullopt;
  }
  return std::move(*load.config);
}

// channels.status from the running gateway; when none answers, the same answer built from the
// config file (every account stopped), marked gatewayReachable=false. Status is informational,
// so the fallback exits 0.
void run_status(CliContext& ctx, const ChannelsFlags& flags) {
  json::object params;
  std::optional<std::string> only_channel;
  if (!flags.channel.empty()) {
    only_channel = core::lowercase_trimmed(flags.channel);
    params["channel"] = *only_channel;
  }
  if (flags.probe) {
    params["probe"] = true;
  }
  auto status = call_gateway(ctx, flags.target, "channels.status", params);
  if (ctx.exit_code != 0) {
    return;  // the state paths could not be resolved; already reported
  }
  if (status) {
    if (auto* object = status->if_object(); object != nullptr) {
      (*object)["gatewayReachable"] = true;
    }
    if (flags.json) {
      print_json(*status);
    } else {
      print_status(*status);
    }
    return;
  }
  if (status.error().code != Errc::io) {
    report_failure(ctx, status.error(), flags.json);
    return;
  }
  const core::StatePaths* paths = ctx.paths();
  auto config = config_without_gateway(ctx, paths->config_file, flags.json);
  if (!config) {
    return;
  }
  json::object offline =
      channels::channels_status_from_config(config->channels, only_channel, system_now_ms());
  offline["gatewayReachable"] = false;
  offline["configPath"] = paths->config_file.string();
  if (flags.json) {
    print_json(offline);
    return;
  }
  fmt::print(
      "The gateway is not running, so no account is running (start it with `pincer gateway`).\n"
      "Accounts as {} configures them:\n",
      paths->config_file.string());
  print_status(offline);
}

json::object list_json(bool running, const json::array& accounts, std::string default_account) {
  json::object channel{{"channel", kTelegram},
                       {"label", "Telegram"},
                       {"defaultAccount", std::move(default_account)},
                       {"accounts", accounts}};
  return json::object{{"gatewayRunning", running},
                      {"source", running ? "gateway" : "config"},
                      {"channels", json::array{std::move(channel)}}};
}

void print_list(const json::object& list) {
  bool any = false;
  for (const auto& item : list.at("channels").as_array()) {
    const auto& channel = item.as_object();
    std::string name = text(channel, "channel");
    const auto& accounts = channel.at("accounts").as_array();
    if (accounts.empty()) {
      fmt::print("{}", not_configured_line(name));
      continue;
    }
    if (!any) {
      fmt::print("{:<10} {:<12} {:<16} {:<8} {:<11} {:<10} {}\n", "CHANNEL", "ACCOUNT", "NAME",
                 "ENABLED", "CONFIGURED", "DM POLICY", "STATE");
      any = true;
    }
    for (const auto& account_item : accounts) {
      const auto& row = account_item.as_object();
      fmt::print("{:<10} {:<12} {:<16} {:<8} {:<11} {:<10} {}\n", name, text(row, "accountId"),
                 text(row, "name"), text(row, "enabled"), text(row, "configured"),
                 text(row, "dmPolicy"), text(row, "healthState"));
    }
  }
}

void run_list(CliContext& ctx, const ChannelsFlags& flags) {
  auto status =
      call_gateway(ctx, flags.target, "channels.status", json::object{{"channel", kTelegram}});
  if (ctx.exit_code != 0) {
    return;  // the state paths could not be resolved; already reported
  }
  if (status) {
    std::string default_account(kDefaultAccount);
    if (const auto* defaults = object_at(&*status, "channelDefaultAccountId")) {
      if (const auto* id = defaults->if_contains(kTelegram); id != nullptr && id->is_string()) {
        default_account = std::string(id->get_string());
      }
    }
    json::object list = list_json(true, accounts_of(*status, kTelegram), default_account);
    if (flags.json) {
      print_json(list);
    } else {
      print_list(list);
    }
    return;
  }
  if (status.error().code != Errc::io) {
    report_failure(ctx, status.error(), flags.json);
    return;
  }
  // No gateway listens: what the config file says is still worth showing.
  const core::StatePaths* paths = ctx.paths();
  auto config = config_without_gateway(ctx, paths->config_file, flags.json);
  if (!config) {
    return;
  }
  json::value offline = channels::channels_status_from_config(
      config->channels, std::string(kTelegram), system_now_ms());
  json::object list =
      list_json(false, accounts_of(offline, kTelegram), config->channels.telegram.default_account);
  list["configPath"] = paths->config_file.string();
  if (flags.json) {
    print_json(list);
    return;
  }
  fmt::print("The gateway is not running (start it with `pincer gateway`); from {}:\n",
             paths->config_file.string());
  print_list(list);
}

// ---- add and remove: config edits --------------------------------------------------------------

struct ConfigEdit {
  core::JsonPath path;
  std::optional<json::value> value;  // nullopt: remove the key (absent is fine)
};

core::JsonPath path_of(std::initializer_list<std::string_view> keys) {
  core::JsonPath path;
  for (auto key : keys) {
    path.segments.emplace_back(std::string(key));
  }
  return path;
}

core::JsonPath child(core::JsonPath path, std::string_view key) {
  path.segments.emplace_back(std::string(key));
  return path;
}

struct EditOutcome {
  bool changed = false;
  std::vector<core::ConfigIssue> issues;
};

// The raw (unsubstituted) config document; {} when the file does not exist.
Result<json::value> read_document(const fs::path& file) {
  auto text = core::read_file(file);
  if (!text) {
    if (text.error().code == Errc::not_found) {
      return json::value(json::object());
    }
    return std::unexpected(text.error());
  }
  auto parsed = core::json5::parse(*text);
  if (!parsed) {
    return fail(Errc::parse, file.string() + ": " + parsed.error().message,
                "fix the file by hand first; pincer config validate shows where");
  }
  return std::move(*parsed);
}

// Applies `edits` in order. They are first applied to the text in memory and the result is
// validated, so a combination that would leave an invalid config writes nothing; then each edit
// goes through the config editor (each step is valid on its own given the order callers use).
Result<EditOutcome> apply_edits(const fs::path& file, const std::vector<ConfigEdit>& edits) {
  auto env = core::process_env();
  auto before = core::read_file(file);
  if (!before && before.error().code != Errc::not_found) {
    return std::unexpected(before.error());
  }
  std::string original = before ? *before : std::string();
  std::string text = original;
  for (const auto& edit : edits) {
    auto after = edit.value ? core::json5_set(text, edit.path, *edit.value)
                            : core::json5_unset(text, edit.path);
    if (!after && !edit.value && after.error().code == Errc::not_found) {
      continue;
    }
    if (!after) {
      Error error = after.error();
      if (error.code == Errc::parse) {
        error.message = file.string() + ": " + error.message;
        error.hint = "fix the file by hand first; pincer config validate shows where";
      }
      return std::unexpected(std::move(error));
    }
    text = std::move(*after);
  }
  core::ConfigLoad load = core::load_config_text(text, file, env);
  if (!load.config) {
    return fail(Errc::config,
                "the change would make the config invalid, so nothing was written:\n" +
                    load.describe_errors(),
                "adjust the flags (pincer channels add --help)");
  }
  EditOutcome outcome;
  if (text == original) {
    return outcome;
  }
  for (const auto& edit : edits) {
    std::string path = edit.path.to_string();
    auto step = edit.value ? core::set_config_value(file, path, *edit.value, env)
                           : core::unset_config_value(file, path, env);
    if (!step && !edit.value && step.error().code == Errc::not_found) {
      continue;
    }
    if (!step) {
      Error error = step.error();
      error.message = "while changing " + path + ": " + error.message;
      if (outcome.changed) {
        error.hint = "the file may be partly changed; check it with pincer channels list";
      }
      return std::unexpected(std::move(error));
    }
    outcome.changed = outcome.changed || step->changed;
    outcome.issues = std::move(step->issues);
  }
  return outcome;
}

void print_warnings(const std::vector<core::ConfigIssue>& issues) {
  for (const auto& issue : issues) {
    if (issue.severity == core::ConfigIssue::Severity::warning) {
      fmt::print(stderr, "warning: {}\n", issue.to_string());
    }
  }
}

bool has_accounts(const json::object* telegram) {
  if (telegram == nullptr) {
    return false;
  }
  const auto* value = telegram->if_contains("accounts");
  return value != nullptr && value->is_object() && !value->get_object().empty();
}

// A Telegram bot token is "<bot id>:<secret>".
bool looks_like_bot_token(std::string_view token) {
  auto colon = token.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == token.size()) {
    return false;
  }
  return std::all_of(token.begin(), token.begin() + static_cast<std::ptrdiff_t>(colon),
                     [](char c) { return c >= '0' && c <= '9'; }) &&
         std::none_of(token.begin(), token.end(),
                      [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

Result<std::vector<ConfigEdit>> add_edits(const ChannelsFlags& flags, const json::value& document,
                                          const std::string& account) {
  const core::JsonPath root = path_of({"channels", "telegram"});
  const json::value* found = core::find_at(document, root);
  const json::object* telegram = found != nullptr ? found->if_object() : nullptr;
  bool accounts = has_accounts(telegram);
  std::vector<ConfigEdit> edits;
  core::JsonPath scope = root;
  if (accounts || account != kDefaultAccount) {
    scope = child(child(root, "accounts"), account);
  }
  if (!accounts && account != kDefaultAccount && telegram != nullptr) {
    // The root is the default account until `accounts` appears: move its own keys first.
    core::JsonPath promoted = child(child(root, "accounts"), kDefaultAccount);
    bool root_has_token = telegram->contains("botToken") || telegram->contains("tokenFile");
    for (auto key : kAccountOwnKeys) {
      if (const auto* value = telegram->if_contains(key); value != nullptr && root_has_token) {
        edits.push_back({child(promoted, key), *value});
      }
    }
    for (auto key : kAccountOwnKeys) {
      if (root_has_token && telegram->contains(key)) {
        edits.push_back({child(root, key), std::nullopt});
      }
    }
  }
  bool scope_exists = core::find_at(document, scope) != nullptr;
  if (!flags.allow_from.empty()) {
    json::array ids;
    for (const auto& id : flags.allow_from) {
      if (!core::trim(id).empty()) {
        ids.emplace_back(std::string(core::trim(id)));
      }
    }
    edits.push_back({child(scope, "allowFrom"), json::value(std::move(ids))});
  } else if (flags.dm_policy == "open") {
    // "open" means anyone; the config insists that this is spelled out as "*".
    edits.push_back({child(scope, "allowFrom"), json::value(json::array{"*"})});
  }
  if (!flags.bot_token.empty()) {
    std::string token(core::trim(flags.bot_token));
    if (!looks_like_bot_token(token)) {
      return fail(Errc::invalid_argument,
                  "--token does not look like a Telegram bot token (<digits>:<secret>)",
                  "copy the token @BotFather gave you");
    }
    edits.push_back({child(scope, "botToken"), json::value(token)});
    edits.push_back({child(scope, "tokenFile"), std::nullopt});
  } else if (!flags.token_file.empty()) {
    std::error_code ec;
    fs::path file = fs::absolute(flags.token_file, ec);
    auto status = fs::symlink_status(file, ec);
    if (ec || !fs::is_regular_file(status)) {
      return fail(Errc::not_found,
                  "--token-file " + file.string() + " is not a regular file" +
                      (fs::is_symlink(status) ? " (symlinks are refused)" : ""),
                  "write the token into a file readable by the gateway and pass its path");
    }
    edits.push_back({child(scope, "tokenFile"), json::value(file.string())});
    edits.push_back({child(scope, "botToken"), std::nullopt});
  } else if (!scope_exists) {
    return fail(Errc::invalid_argument,
                "telegram account \"" + account + "\" is not configured yet, so it needs a token",
                "pass --token <BOT_TOKEN> or --token-file <FILE> (create a bot with @BotFather)");
  }
  if (!flags.dm_policy.empty()) {
    edits.push_back({child(scope, "dmPolicy"), json::value(flags.dm_policy)});
  }
  if (edits.empty()) {
    return fail(Errc::invalid_argument, "nothing to change",
                "pass --token, --token-file, --dm-policy or --allow-from");
  }
  return edits;
}

Result<std::vector<ConfigEdit>> remove_edits(const json::value& document,
                                             const std::string& account, bool& whole_channel) {
  const core::JsonPath root = path_of({"channels", "telegram"});
  const json::value* found = core::find_at(document, root);
  const json::object* telegram = found != nullptr ? found->if_object() : nullptr;
  if (telegram == nullptr) {
    return fail(Errc::not_found, "telegram is not configured; nothing to remove",
                "pincer channels list shows what is configured");
  }
  whole_channel = false;
  if (!has_accounts(telegram)) {
    if (account != kDefaultAccount) {
      return fail(Errc::not_found,
                  "no telegram account \"" + account + "\" (the only one is \"default\")",
                  "omit --account to remove the default bot");
    }
    whole_channel = true;
    return std::vector<ConfigEdit>{{root, std::nullopt}};
  }
  const auto& accounts = telegram->at("accounts").get_object();
  if (!accounts.contains(account)) {
    std::string names;
    for (const auto& entry : accounts) {
      names += (names.empty() ? "" : ", ") + std::string(entry.key());
    }
    return fail(Errc::not_found,
                "no telegram account \"" + account + "\" (configured: " + names + ")",
                "pass one of them with --account");
  }
  if (accounts.size() == 1) {
    // The last account: without it the channel root would become an account of its own.
    whole_channel = true;
    return std::vector<ConfigEdit>{{root, std::nullopt}};
  }
  return std::vector<ConfigEdit>{{child(child(root, "accounts"), account), std::nullopt}};
}

std::string describe_token(const ChannelsFlags& flags) {
  if (!flags.bot_token.empty()) {
    return "bot token stored in the config";
  }
  if (!flags.token_file.empty()) {
    return "bot token read from the token file";
  }
  return "token unchanged";
}

void run_add(CliContext& ctx, const ChannelsFlags& flags) {
  auto channel = channel_arg(flags);
  auto named = channel ? account_arg(flags) : Result<std::string>(std::unexpected(channel.error()));
  if (!named) {
    report_failure(ctx, named.error(), flags.json);
    return;
  }
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  std::string account = named->empty() ? std::string(kDefaultAccount) : *named;
  auto document = read_document(paths->config_file);
  auto edits = document ? add_edits(flags, *document, account)
                        : Result<std::vector<ConfigEdit>>(std::unexpected(document.error()));
  auto outcome = edits ? apply_edits(paths->config_file, *edits)
                       : Result<EditOutcome>(std::unexpected(edits.error()));
  if (!outcome) {
    report_failure(ctx, outcome.error(), flags.json);
    return;
  }
  if (flags.json) {
    print_json(json::object{{"ok", true},
                            {"channel", *channel},
                            {"accountId", account},
                            {"changed", outcome->changed},
                            {"configPath", paths->config_file.string()}});
    return;
  }
  print_warnings(outcome->issues);
  if (!outcome->changed) {
    fmt::print("telegram account \"{}\" already has these settings; nothing changed\n", account);
    return;
  }
  fmt::print("saved telegram account \"{}\" in {} ({}{})\n", account, paths->config_file.string(),
             describe_token(flags), flags.dm_policy.empty() ? "" : ", DMs: " + flags.dm_policy);
  fmt::print("A running gateway picks this up by itself; check it with: pincer channels status\n");
}

void run_remove(CliContext& ctx, const ChannelsFlags& flags) {
  auto channel = channel_arg(flags);
  auto named = channel ? account_arg(flags) : Result<std::string>(std::unexpected(channel.error()));
  if (!named) {
    report_failure(ctx, named.error(), flags.json);
    return;
  }
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  std::string account = named->empty() ? std::string(kDefaultAccount) : *named;
  bool whole_channel = false;
  auto document = read_document(paths->config_file);
  auto edits = document ? remove_edits(*document, account, whole_channel)
                        : Result<std::vector<ConfigEdit>>(std::unexpected(document.error()));
  auto outcome = edits ? apply_edits(paths->config_file, *edits)
                       : Result<EditOutcome>(std::unexpected(edits.error()));
  if (!outcome) {
    report_failure(ctx, outcome.error(), flags.json);
    return;
  }
  if (flags.json) {
    print_json(json::object{{"ok", true},
                            {"channel", *channel},
                            {"accountId", account},
                            {"removedChannel", whole_channel},
                            {"changed", outcome->changed},
                            {"configPath", paths->config_file.string()}});
    return;
  }
  print_warnings(outcome->issues);
  if (whole_channel) {
    fmt::print("removed telegram (account \"{}\" was its last) from {}\n", account,
               paths->config_file.string());
  } else {
    fmt::print("removed telegram account \"{}\" from {}\n", account, paths->config_file.string());
  }
  fmt::print("A running gateway stops the bot by itself when it reloads the config.\n");
}

// ---- login and logout --------------------------------------------------------------------------

const json::object* find_account(const json::value& status, std::string_view channel,
                                 std::string_view account) {
  for (const auto& item : accounts_of(status, channel)) {
    if (const auto* row = item.if_object(); row != nullptr && text(*row, "accountId") == account) {
      return row;
    }
  }
  return nullptr;
}

std::string default_account_of(const json::value& status, std::string_view channel) {
  if (const auto* defaults = object_at(&status, "channelDefaultAccountId")) {
    if (const auto* id = defaults->if_contains(channel); id != nullptr && id->is_string()) {
      return std::string(id->get_string());
    }
  }
  return std::string(kDefaultAccount);
}

Error with_auth_hint(Error error) {
  if (error.hint.empty() && error.message.find("unauthorized") != std::string::npos) {
    error.hint = "pass --token (or --password), or set PINCER_GATEWAY_TOKEN";
  }
  return error;
}

// Telegram has no interactive login: a bot token either works or it does not. `login` asks the
// gateway to start the account, then watches channels.status until the token is proven (the bot
// answered getMe, so its username is known, or it is connected), an error is reported, or
// --timeout passes. A polling bot counts as connected only once its first long poll returned,
// which can take the whole poll interval when nobody writes, so waiting for that would be slow.
void run_login(CliContext& ctx, const ChannelsFlags& flags) {
  auto channel = channel_arg(flags);
  auto named = channel ? account_arg(flags) : Result<std::string>(std::unexpected(channel.error()));
  if (!named) {
    report_failure(ctx, named.error(), flags.json);
    return;
  }
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto env = core::process_env();
  core::ConfigLoad load = core::load_config(paths->config_file, env);
  auto client = gateway::GatewayClient::connect(resolve_gateway_target(flags.target, load, env));
  if (!client) {
    report_failure(ctx, with_auth_hint(client.error()), flags.json);
    return;
  }
  auto timeout = std::chrono::milliseconds(flags.target.timeout_ms);
  auto started = client->call("channels.start", account_params(*channel, *named), timeout);
  if (!started) {
    Error error = started.error();
    if (error.hint.empty()) {
      error.hint = "check the account with pincer channels status";
    }
    report_failure(ctx, error, flags.json);
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  json::object row;
  std::string account = *named;
  while (true) {
    auto status = client->call("channels.status", json::object{{"channel", *channel}}, timeout);
    if (!status) {
      report_failure(ctx, status.error(), flags.json);
      return;
    }
    if (account.empty()) {
      account = default_account_of(*status, *channel);
    }
    if (const auto* found = find_account(*status, *channel, account)) {
      row = *found;
    }
    bool settled =
        flag(row, "connected") || text(row, "botUsername") != "-" || text(row, "lastError") != "-";
    if (settled || std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    // The CLI is a short-lived client with nothing else to do; a gentle poll is enough.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  client->close();
  bool connected = flag(row, "connected");
  std::string bot = text(row, "botUsername");
  bool verified = connected || bot != "-";
  std::string error = text(row, "lastError");
  if (!verified && error != "-") {
    report_failure(ctx,
                   Error{Errc::unavailable,
                         fmt::format("telegram account \"{}\" did not connect: {}", account, error),
                         "check the bot token (pincer channels add --channel telegram --token "
                         "<BOT_TOKEN>), then run pincer channels login again"},
                   flags.json);
    return;
  }
  if (flags.json) {
    print_json(json::object{{"ok", true},
                            {"channel", *channel},
                            {"accountId", account},
                            {"tokenVerified", verified},
                            {"connected", connected},
                            {"account", row}});
    return;
  }
  std::string as_bot = bot == "-" ? "" : " as @" + bot;
  if (connected) {
    fmt::print("telegram account \"{}\" is connected{} ({}); the token works\n", account, as_bot,
               text(row, "mode"));
  } else if (verified) {
    fmt::print(
        "telegram account \"{}\" is running{}; the token works (it shows as connected in "
        "pincer channels status once its first {} round completes)\n",
        account, as_bot, text(row, "mode") == "webhook" ? "webhook" : "long poll");
  } else {
    fmt::print(
        "telegram account \"{}\" started but has not connected after {} ms; watch it with: "
        "pincer channels status\n",
        account, flags.target.timeout_ms);
  }
}

void run_logout(CliContext& ctx, const ChannelsFlags& flags) {
  auto channel = channel_arg(flags);
  auto named = channel ? account_arg(flags) : Result<std::string>(std::unexpected(channel.error()));
  if (!named) {
    report_failure(ctx, named.error(), flags.json);
    return;
  }
  auto result = call_gateway_or_report(ctx, flags.target, "channels.logout",
                                       account_params(*channel, *named), flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
    return;
  }
  std::string account = named->empty() ? "default account" : "account \"" + *named + "\"";
  fmt::print(
      "telegram {} logged out: the bot stopped. Its token stays in the config: "
      "pincer channels login starts it again, pincer channels remove deletes it.\n",
      account);
}

// ---- registration ------------------------------------------------------------------------------

void add_account_option(CLI::App& cmd, ChannelsFlags& flags) {
  cmd.add_option("--account", flags.account, "Account id (default: the channel's default account)")
      ->type_name("ID");
}

CLI::App* add_command(CLI::App& parent, CliContext& ctx, const std::string& name,
                      const std::string& description, bool gateway,
                      void (*action)(CliContext&, const ChannelsFlags&),
                      std::shared_ptr<ChannelsFlags> flags) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  if (gateway) {
    add_gateway_target_options(*cmd, flags->target);
  }
  cmd->add_flag("--json", flags->json, "Print the outcome as JSON");
  cmd->callback([&ctx, cmd, flags, action] {
    const CLI::Option* account = cmd->get_option_no_throw("--account");
    flags->account_given = account != nullptr && account->count() > 0;
    action(ctx, *flags);
  });
  return cmd;
}

}  // namespace

void register_channels_command(CLI::App& root, CliContext& ctx) {
  CLI::App* channels =
      root.add_subcommand("channels", "Chat channel accounts (Telegram bots): add, check, remove");
  channels->require_subcommand(1);

  auto list_flags = std::make_shared<ChannelsFlags>();
  add_command(*channels, ctx, "list",
              "Configured channel accounts (from the config file when no gateway runs)", true,
              run_list, list_flags);

  auto status_flags = std::make_shared<ChannelsFlags>();
  CLI::App* status = add_command(*channels, ctx, "status",
                                 "Live state of every channel account on the running gateway", true,
                                 run_status, status_flags);
  status->add_option("--channel", status_flags->channel, "Only this channel, e.g. telegram");
  status->add_flag("--probe", status_flags->probe,
                   "Also ask each app now whether the credentials work (Telegram: getMe)");

  auto add_flags = std::make_shared<ChannelsFlags>();
  CLI::App* add =
      add_command(*channels, ctx, "add", "Add or update a bot in pincer.json (keeps comments)",
                  false, run_add, add_flags);
  add->add_option("--channel", add_flags->channel, "Channel: telegram")->required();
  add_account_option(*add, *add_flags);
  CLI::Option* token =
      add->add_option("--token", add_flags->bot_token, "Bot token from @BotFather (never printed)")
          ->type_name("TOKEN");
  CLI::Option* token_file =
      add->add_option("--token-file", add_flags->token_file,
                      "File holding the bot token (stored as an absolute path)")
          ->type_name("FILE");
  token->excludes(token_file);
  add->add_option("--dm-policy", add_flags->dm_policy, "Who may DM the bot")
      ->check(CLI::IsMember({"pairing", "allowlist", "open", "disabled"}));
  add->add_option("--allow-from", add_flags->allow_from,
                  "Telegram user ids allowed to DM the bot (repeat or comma-separate)")
      ->delimiter(',')
      ->type_name("ID");
  add->footer(
      "Example: pincer channels add --channel telegram --token 123456:ABC --dm-policy pairing\n"
      "A running gateway reloads pincer.json by itself; no restart is needed.");

  auto remove_flags = std::make_shared<ChannelsFlags>();
  CLI::App* remove =
      add_command(*channels, ctx, "remove", "Remove a bot's settings from pincer.json", false,
                  run_remove, remove_flags);
  remove->add_option("--channel", remove_flags->channel, "Channel: telegram")->required();
  add_account_option(*remove, *remove_flags);

  auto login_flags = std::make_shared<ChannelsFlags>();
  CLI::App* login = add_command(*channels, ctx, "login",
                                "Start a bot on the running gateway and check that its token works",
                                true, run_login, login_flags);
  login->add_option("--channel", login_flags->channel, "Channel: telegram")->required();
  add_account_option(*login, *login_flags);

  auto logout_flags = std::make_shared<ChannelsFlags>();
  CLI::App* logout =
      add_command(*channels, ctx, "logout", "Stop a bot on the running gateway (its config stays)",
                  true, run_logout, logout_flags);
  logout->add_option("--channel", logout_flags->channel, "Channel: telegram")->required();
  add_account_option(*logout, *logout_flags);
}

}  // namespace pincer::app
