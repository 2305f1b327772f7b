// Channel methods: channels.status / start / stop / logout, and DM pairing
// (channels.pairing.list / approve / dismiss). Shapes follow the reference's protocol schema
// (ChannelsStatusResult, ChannelsPairing*). Approval takes a request id as the schema says; the
// CLI looks the id up from the code the sender was shown.
//
// First-owner bootstrap: an approval with bootstrapCommandOwner (the CLI always asks; the Control
// UI offers it as a choice) makes the approved sender the command owner, "<channel>:<senderId>"
// in commands.ownerAllowFrom, when no owner is configured yet. It is written to pincer.json
// through the config editor (comments kept, atomic replace), so it survives restarts; the
// watcher's reload changes no channel setting, so no bot reconnects. Later approvals never add
// owners. It needs operator.admin: without it the answer is "unavailable".

#include <date/date.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <mutex>

#include <boost/json.hpp>

#include "channels/channel_manager.hpp"
#include "core/config_editor.hpp"
#include "core/config_loader.hpp"
#include "core/executor.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/rpc_error.hpp"
#include "gateway/scopes.hpp"
#include "store/channel_pairing_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Guards the read-check-write of commands.ownerAllowFrom: two approvals on two pool threads must
// not both find the list empty and both become the first owner.
std::mutex g_owner_bootstrap_mutex;

// Request ids are the pairing codes people type: accept any case and stray spaces.
std::string normalize_request_id(std::string_view id) {
  std::string out(core::trim(id));
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string iso_time(int64_t ms) {
  auto point = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms));
  return date::format("%FT%TZ", point);
}

std::string_view channel_label(std::string_view channel) {
  return channel == "telegram" ? "Telegram" : channel;
}

json::object request_json(const store::ChannelPairingRequest& request) {
  json::object metadata;
  for (const auto& [key, value] : request.metadata) {
    metadata[key] = value;
  }
  return json::object{
      {"requestId", request.request_id},
      {"channel", request.channel},
      {"channelLabel", channel_label(request.channel)},
      {"accountId", request.account_id},
      {"senderId", request.sender_id},
      {"senderLabel", request.sender_label.empty() ? request.sender_id : request.sender_label},
      {"metadata", std::move(metadata)},
      {"createdAt", iso_time(request.created_at_ms)},
      {"lastSeenAt", iso_time(request.last_seen_at_ms)},
      {"expiresAt", iso_time(request.expires_at_ms)},
      {"notifySupported", true}};
}

// Makes `owner` the command owner when commands.ownerAllowFrom is empty; returns the
// commandOwnerBootstrap answer ("configured" or "already-configured"). The file decides, not the
// gateway's loaded config, which the watcher updates only a moment later: a second approval right
// after the first must see the owner the first wrote. Blocking (file I/O): run it on the pool.
Result<std::string> bootstrap_command_owner(const fs::path& file, const std::string& owner) {
  std::lock_guard lock(g_owner_bootstrap_mutex);
  auto env = core::process_env();
  core::ConfigLoad load = core::load_config(file, env);
  if (!load.config) {
    return fail(Errc::config, "the config is invalid:\n" + load.describe_errors(),
                "fix it (pincer config validate)");
  }
  if (!load.config->commands.owner_allow_from.empty()) {
    return std::string("already-configured");
  }
  auto written = core::set_config_value(file, "commands.ownerAllowFrom",
                                        json::array{json::string(owner)}, env);
  if (!written) {
    return std::unexpected(written.error());
  }
  return std::string("configured");
}

asio::awaitable<RpcResult> channels_status(RpcContext& context) {
  ParamReader params(context, {"probe", "timeoutMs", "channel"});
  bool probe = params.boolean("probe").value_or(false);
  // Each account's probe gets this long (getMe, and getWebhookInfo in webhook mode).
  int64_t timeout_ms = params.integer("timeoutMs", 0, 600'000).value_or(10'000);
  auto channel = params.string("channel");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  if (probe) {
    co_return co_await context.gateway().channels().probed_status_json(
        channel, std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 1)));
  }
  co_return context.gateway().channels().status_json(channel);
}

struct AccountParams {
  std::string channel;
  std::string account_id;
};

std::expected<AccountParams, RpcError> account_params(RpcContext& context) {
  ParamReader params(context, {"channel", "accountId"});
  AccountParams out;
  out.channel = params.required_string("channel");
  out.account_id = params.string("accountId").value_or("");
  if (auto error = params.error()) {
    return std::unexpected(*error);
  }
  if (!context.gateway().channels().is_known_channel(out.channel)) {
    return std::unexpected(
        not_found("unknown channel \"" + out.channel + "\" (available: telegram)"));
  }
  return out;
}

asio::awaitable<RpcResult> channels_start(RpcContext& context) {
  auto params = account_params(context);
  if (!params) {
    co_return std::unexpected(params.error());
  }
  auto started = context.gateway().channels().start_account(params->channel, params->account_id);
  if (!started) {
    co_return std::unexpected(from_error(started.error()));
  }
  co_return json::object{{"ok", true}, {"channel", params->channel}};
}

asio::awaitable<RpcResult> channels_stop(RpcContext& context) {
  auto params = account_params(context);
  if (!params) {
    co_return std::unexpected(params.error());
  }
  auto stopped =
      co_await context.gateway().channels().stop_account(params->channel, params->account_id);
  if (!stopped) {
    co_return std::unexpected(from_error(stopped.error()));
  }
  co_return json::object{{"ok", true}, {"channel", params->channel}};
}

asio::awaitable<RpcResult> channels_logout(RpcContext& context) {
  auto params = account_params(context);
  if (!params) {
    co_return std::unexpected(params.error());
  }
  auto done =
      co_await context.gateway().channels().logout_account(params->channel, params->account_id);
  if (!done) {
    co_return std::unexpected(from_error(done.error()));
  }
  co_return json::object{{"ok", true}, {"channel", params->channel}, {"cleared", true}};
}

asio::awaitable<RpcResult> pairing_list(RpcContext& context) {
  ParamReader params(context, {"channel", "accountId"});
  auto channel = params.string("channel");
  auto account = params.string("accountId");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto pending = co_await gateway.with_database([&](store::Database& db) {
    return store::ChannelPairingStore(db).list_pending(channel, account, unix_ms());
  });
  if (!pending) {
    co_return std::unexpected(from_error(pending.error()));
  }
  json::array accounts;
  const auto& telegram = gateway.config().channels.telegram;
  if (telegram.configured && (!channel || *channel == "telegram")) {
    for (const auto& [id, settings] : telegram.accounts) {
      if (settings.dm_policy != core::DmPolicy::pairing || (account && *account != id)) {
        continue;
      }
      json::object row{{"channel", "telegram"},
                       {"channelLabel", "Telegram"},
                       {"accountId", id},
                       {"notifySupported", true}};
      if (!settings.name.empty()) {
        row["accountLabel"] = settings.name;
      }
      accounts.push_back(std::move(row));
    }
  }
  json::array requests;
  for (const auto& request : *pending) {
    requests.push_back(request_json(request));
  }
  co_return json::object{
      {"accounts", std::move(accounts)},
      {"requests", std::move(requests)},
      {"commandOwnerConfigured", !gateway.config().commands.owner_allow_from.empty()},
      {"limits",
       json::object{{"pendingPerAccount", store::ChannelPairingStore::kMaxPendingPerAccount},
                    {"ttlMs", store::ChannelPairingStore::kTtlMs}}}};
}

asio::awaitable<RpcResult> pairing_approve(RpcContext& context) {
  ParamReader params(context,
                     {"channel", "accountId", "requestId", "notify", "bootstrapCommandOwner"});
  std::string channel = params.required_string("channel");
  std::string account = params.required_string("accountId");
  std::string request_id = normalize_request_id(params.required_string("requestId"));
  bool notify = params.boolean("notify").value_or(false);
  bool bootstrap = params.boolean("bootstrapCommandOwner").value_or(false);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  auto found = co_await gateway.with_database(
      [&](store::Database& db) { return store::ChannelPairingStore(db).find_by_id(request_id); });
  if (!found) {
    co_return std::unexpected(from_error(found.error()));
  }
  if (!*found || (*found)->channel != channel || (*found)->account_id != account) {
    co_return std::unexpected(not_found("no pending pairing request " + request_id + " for " +
                                        channel + " account " + account +
                                        " (it may have expired: ask the sender to write again)"));
  }
  auto approved = co_await gateway.with_database([&](store::Database& db) {
    return store::ChannelPairingStore(db).approve(request_id, unix_ms());
  });
  if (!approved) {
    co_return std::unexpected(from_error(approved.error()));
  }
  if (!*approved) {
    co_return std::unexpected(
        not_found("pairing request " + request_id + " expired: ask the sender to write again"));
  }
  log::info("channels", "{} {}: approved sender {}", channel, account, (*approved)->sender_id);
  std::string owner_bootstrap = "not-requested";
  if (bootstrap && !scope_satisfied(context.principal().scopes, scope::kAdmin)) {
    owner_bootstrap = "unavailable";
  } else if (bootstrap) {
    // Channel-scoped, as the reference writes it: "telegram:123456789".
    std::string owner = channel + ":" + (*approved)->sender_id;
    auto write_owner = [file = gateway.paths().config_file, owner] {
      return bootstrap_command_owner(file, owner);
    };
    auto written = co_await core::run_blocking(gateway.pool(), write_owner);
    if (written) {
      owner_bootstrap = *written;
      if (owner_bootstrap == "configured") {
        log::info("channels", "{} is now the command owner (commands.ownerAllowFrom)", owner);
      }
    } else {
      // The approval stands; only the owner could not be recorded. The CLI says how to set it.
      owner_bootstrap = "unavailable";
      log::warn("channels", "could not make {} the command owner: {}", owner,
                written.error().describe());
    }
  }
  std::string notification = "not-requested";
  if (notify) {
    // A DM's chat id is the sender's user id on Telegram.
    auto sent =
        co_await gateway.channels().notify(channel, account, (*approved)->sender_id,
                                           "You're approved. Send me a message and I'll answer.");
    notification = sent ? "sent" : "failed";
  }
  co_return json::object{{"requestId", request_id},
                         {"senderId", (*approved)->sender_id},
                         {"notification", notification},
                         {"commandOwnerBootstrap", owner_bootstrap}};
}

asio::awaitable<RpcResult> pairing_dismiss(RpcContext& context) {
  ParamReader params(context, {"channel", "accountId", "requestId"});
  std::string channel = params.required_string("channel");
  std::string account = params.required_string("accountId");
  std::string request_id = normalize_request_id(params.required_string("requestId"));
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto dismissed = co_await context.gateway().with_database(
      [&](store::Database& db) { return store::ChannelPairingStore(db).dismiss(request_id); });
  if (!dismissed) {
    co_return std::unexpected(from_error(dismissed.error()));
  }
  if (!*dismissed || (*dismissed)->channel != channel || (*dismissed)->account_id != account) {
    co_return std::unexpected(not_found("no pending pairing request " + request_id));
  }
  co_return json::object{{"requestId", request_id}, {"senderId", (*dismissed)->sender_id}};
}

}  // namespace

void register_channel_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  methods.add({"channels.status", Access::operator_scope, std::string(scope::kRead), false,
               channels_status});
  methods.add({"channels.start", Access::operator_scope, std::string(scope::kAdmin), false,
               channels_start});
  methods.add(
      {"channels.stop", Access::operator_scope, std::string(scope::kAdmin), false, channels_stop});
  methods.add({"channels.logout", Access::operator_scope, std::string(scope::kAdmin), false,
               channels_logout});
  methods.add({"channels.pairing.list", Access::operator_scope, std::string(scope::kPairing), false,
               pairing_list});
  methods.add({"channels.pairing.approve", Access::operator_scope, std::string(scope::kPairing),
               false, pairing_approve});
  methods.add({"channels.pairing.dismiss", Access::operator_scope, std::string(scope::kPairing),
               false, pairing_dismiss});
}

}  // namespace pincer::gateway
