#include "channels/channel_manager.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/array.hpp>

#include "channels/delivery/outbound_queue.hpp"
#include "channels/inbound_pipeline.hpp"
#include "channels/reply_streamer.hpp"
#include "channels/telegram/telegram_channel.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "store/channel_queue_store.hpp"

namespace pincer::channels {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kTelegram = "telegram";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::value optional_ms(const std::optional<int64_t>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

// The settings whose change needs the account's connection rebuilt; policy keys apply to the
// next message without one.
bool needs_restart(const core::TelegramAccountConfig& a, const core::TelegramAccountConfig& b) {
  return a.enabled != b.enabled || a.bot_token != b.bot_token || a.token_file != b.token_file ||
         a.api_root != b.api_root || a.proxy != b.proxy || a.webhook_url != b.webhook_url ||
         a.webhook_secret != b.webhook_secret || a.webhook_path != b.webhook_path;
}

std::string strip_channel_prefix(std::string_view to, std::string_view channel) {
  std::string text(core::trim(to));
  for (std::string prefix : {std::string(channel) + ":", std::string("tg:")}) {
    if (core::lowercase_trimmed(text).starts_with(prefix)) {
      return std::string(core::trim(std::string_view(text).substr(prefix.size())));
    }
  }
  return text;
}

}  // namespace

struct ChannelManager::Account {
  std::string channel;
  std::string account_id;
  core::TelegramAccountConfig telegram;
  std::unique_ptr<telegram::TelegramChannel> connection;
  bool channel_enabled = true;
  bool stopped_by_operator = false;
  std::string config_error;  // why it cannot start (no token ...)
  std::string token_source = "none";
};

ChannelManager::ChannelManager(asio::io_context& io, store::DatabaseAccess& database,
                               agent::AgentService& agent, core::Config config)
    : io_(io), database_(database), agent_(agent), config_(std::move(config)) {
  http_ = std::make_unique<core::HttpClient>(io_.get_executor());
  auto lookup = [this](std::string_view channel, std::string_view account) {
    return find(channel, account);
  };
  outbound_ = std::make_unique<OutboundQueue>(io_, database_, lookup);
  replies_ = std::make_unique<ReplyStreamer>(io_, database_, *outbound_, lookup);
  auto accounts = [this](std::string_view channel,
                         std::string_view account) -> std::optional<InboundPipeline::AccountView> {
    auto found = accounts_.find({std::string(channel), std::string(account)});
    if (found == accounts_.end()) {
      return std::nullopt;
    }
    InboundPipeline::AccountView view;
    view.telegram = &found->second->telegram;
    if (found->second->connection) {
      view.bot_username = found->second->connection->bot_username();
    }
    return view;
  };
  pipeline_ =
      std::make_unique<InboundPipeline>(io_, database_, agent_, *outbound_, *replies_, accounts);
  agent_.add_observer(replies_.get());
  build_accounts();
}

ChannelManager::~ChannelManager() {
  agent_.remove_observer(replies_.get());
}

void ChannelManager::build_accounts() {
  const core::TelegramConfig& telegram = config_.channels.telegram;
  if (!telegram.configured) {
    return;
  }
  for (const auto& [id, settings] : telegram.accounts) {
    auto account = std::make_unique<Account>();
    account->channel = kTelegram;
    account->account_id = id;
    account->telegram = settings;
    account->channel_enabled = telegram.enabled;
    accounts_[{std::string(kTelegram), id}] = std::move(account);
  }
}

void ChannelManager::start_account_now(Account& account) {
  if (account.connection || !account.channel_enabled || !account.telegram.enabled ||
      account.stopped_by_operator) {
    return;
  }
  bool is_default = account.account_id == config_.channels.telegram.default_account;
  telegram::ResolvedToken token = telegram::resolve_bot_token(account.telegram, is_default);
  account.token_source = token.source;
  if (token.token.empty()) {
    account.config_error =
        token.error.empty()
            ? "no bot token: set channels.telegram.botToken (or tokenFile, or TELEGRAM_BOT_TOKEN)"
            : token.error;
    log::warn("channels", "telegram account {} not started: {}", account.account_id,
              account.config_error);
    return;
  }
  account.config_error.clear();
  account.connection = std::make_unique<telegram::TelegramChannel>(io_, *http_, account.telegram,
                                                                   std::move(token), *pipeline_);
  account.connection->start();
  outbound_->wake();
}

void ChannelManager::start() {
  if (started_) {
    return;
  }
  started_ = true;
  for (auto& [key, account] : accounts_) {
    start_account_now(*account);
  }
  outbound_->start();
  asio::co_spawn(io_, pipeline_->recover(), asio::detached);
}

void ChannelManager::prepare_stop() {
  replies_->set_shutting_down();
}

asio::awaitable<void> ChannelManager::stop() {
  for (auto& [key, account] : accounts_) {
    if (account->connection) {
      co_await account->connection->stop();
    }
  }
  co_await outbound_->stop();
  http_->close_idle();
  started_ = false;
}

void ChannelManager::update_config(core::Config config) {
  config_ = std::move(config);
  pipeline_->update_config(config_);
  const core::TelegramConfig& telegram = config_.channels.telegram;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Account>> next;
  for (const auto& [id, settings] : telegram.configured
                                        ? telegram.accounts
                                        : std::map<std::string, core::TelegramAccountConfig>{}) {
    auto key = std::make_pair(std::string(kTelegram), id);
    auto found = accounts_.find(key);
    if (found != accounts_.end() && !needs_restart(found->second->telegram, settings) &&
        found->second->channel_enabled == telegram.enabled) {
      found->second->telegram = settings;
      next[key] = std::move(found->second);
      accounts_.erase(found);
      continue;
    }
    auto account = std::make_unique<Account>();
    account->channel = kTelegram;
    account->account_id = id;
    account->telegram = settings;
    account->channel_enabled = telegram.enabled;
    if (found != accounts_.end()) {
      account->stopped_by_operator = found->second->stopped_by_operator;
    }
    next[key] = std::move(account);
  }
  // Accounts that changed or went away stop; their objects live until their loops ended.
  for (auto& [key, old] : accounts_) {
    if (old->connection) {
      log::info("channels", "{} account {} settings changed; reconnecting", old->channel,
                old->account_id);
      std::shared_ptr<Account> holder(std::move(old));
      asio::co_spawn(
          io_, [holder]() -> asio::awaitable<void> { co_await holder->connection->stop(); },
          asio::detached);
    }
  }
  accounts_ = std::move(next);
  if (started_) {
    for (auto& [key, account] : accounts_) {
      start_account_now(*account);
    }
  }
}

Channel* ChannelManager::find(std::string_view channel, std::string_view account_id) {
  auto found = accounts_.find({std::string(channel), std::string(account_id)});
  if (found == accounts_.end() || !found->second->connection) {
    return nullptr;
  }
  return found->second->connection.get();
}

bool ChannelManager::is_known_channel(std::string_view channel) const {
  return channel == kTelegram;
}

std::string ChannelManager::default_account(std::string_view channel) const {
  if (channel == kTelegram) {
    return config_.channels.telegram.default_account;
  }
  return "default";
}

json::object ChannelManager::status_json(std::optional<std::string> only_channel) const {
  json::array order;
  json::object labels;
  json::object detail_labels;
  json::object channels;
  json::object channel_accounts;
  json::object default_accounts;
  json::array meta;
  auto include = [&](std::string_view channel) {
    return !only_channel || *only_channel == channel;
  };
  if (include(kTelegram)) {
    order.emplace_back(kTelegram);
    labels[kTelegram] = "Telegram";
    detail_labels[kTelegram] = "Telegram Bot";
    meta.push_back(
        json::object{{"id", kTelegram}, {"label", "Telegram"}, {"detailLabel", "Telegram Bot"}});
    default_accounts[kTelegram] = config_.channels.telegram.default_account;
    json::array accounts;
    bool any_running = false;
    bool any_connected = false;
    for (const auto& [key, account] : accounts_) {
      if (key.first != kTelegram) {
        continue;
      }
      ChannelStatus status;
      if (account->connection) {
        status = account->connection->status();
      }
      bool configured = account->connection != nullptr || account->config_error.empty();
      json::array allow(account->telegram.allow_from.begin(), account->telegram.allow_from.end());
      json::object row{
          {"accountId", account->account_id},
          {"enabled", account->channel_enabled && account->telegram.enabled},
          {"configured", configured},
          {"running", status.running},
          {"connected", status.connected},
          {"reconnectAttempts", status.reconnect_attempts},
          {"lastConnectedAt", optional_ms(status.last_connected_at_ms)},
          {"lastError", !account->config_error.empty()
                            ? json::value(account->config_error)
                            : (status.last_error.empty() ? json::value(nullptr)
                                                         : json::value(status.last_error))},
          {"lastStartAt", optional_ms(status.last_start_at_ms)},
          {"lastStopAt", optional_ms(status.last_stop_at_ms)},
          {"lastInboundAt", optional_ms(status.last_inbound_at_ms)},
          {"lastOutboundAt", optional_ms(status.last_outbound_at_ms)},
          {"mode", account->telegram.webhook_url.empty() ? "polling" : "webhook"},
          {"dmPolicy", core::to_string(account->telegram.dm_policy)},
          {"allowFrom", std::move(allow)},
          {"tokenSource",
           status.token_source.empty() ? account->token_source : status.token_source},
          {"baseUrl", account->telegram.api_root},
          {"webhookUrl", account->telegram.webhook_url.empty()
                             ? json::value(nullptr)
                             : json::value(account->telegram.webhook_url)},
          {"webhookPath", account->telegram.webhook_url.empty()
                              ? json::value(nullptr)
                              : json::value(account->telegram.webhook_path)},
          {"healthState", !configured                    ? "unconfigured"
                          : status.connected             ? "healthy"
                          : status.running               ? "connecting"
                          : account->stopped_by_operator ? "stopped"
                                                         : "idle"}};
      if (!account->telegram.name.empty()) {
        row["name"] = account->telegram.name;
      }
      if (!status.bot_username.empty()) {
        row["botUsername"] = status.bot_username;
      }
      any_running = any_running || status.running;
      any_connected = any_connected || status.connected;
      accounts.push_back(std::move(row));
    }
    channels[kTelegram] = json::object{{"configured", config_.channels.telegram.configured},
                                       {"running", any_running},
                                       {"connected", any_connected}};
    channel_accounts[kTelegram] = std::move(accounts);
  }
  return json::object{{"ts", now_ms()},
                      {"channelOrder", std::move(order)},
                      {"channelLabels", std::move(labels)},
                      {"channelDetailLabels", std::move(detail_labels)},
                      {"channelMeta", std::move(meta)},
                      {"channels", std::move(channels)},
                      {"channelAccounts", std::move(channel_accounts)},
                      {"channelDefaultAccountId", std::move(default_accounts)}};
}

Result<void> ChannelManager::start_account(std::string_view channel, std::string_view account_id) {
  if (!is_known_channel(channel)) {
    return fail(Errc::not_found, "unknown channel \"" + std::string(channel) + "\"",
                "use one of: telegram");
  }
  std::string id = account_id.empty() ? default_account(channel) : std::string(account_id);
  auto found = accounts_.find({std::string(channel), id});
  if (found == accounts_.end()) {
    return fail(Errc::not_found, std::string(channel) + " account \"" + id + "\" is not configured",
                "add it under channels." + std::string(channel) + " first");
  }
  found->second->stopped_by_operator = false;
  start_account_now(*found->second);
  if (!found->second->connection) {
    return fail(Errc::invalid_argument,
                found->second->config_error.empty() ? "the account is disabled in the config"
                                                    : found->second->config_error,
                "fix the account's config and try again");
  }
  return {};
}

asio::awaitable<Result<void>> ChannelManager::stop_account(std::string_view channel,
                                                           std::string_view account_id) {
  std::string id = account_id.empty() ? default_account(channel) : std::string(account_id);
  auto found = accounts_.find({std::string(channel), id});
  if (found == accounts_.end()) {
    co_return fail(Errc::not_found,
                   std::string(channel) + " account \"" + id + "\" is not configured",
                   "see `pincer channels status` for the configured accounts");
  }
  found->second->stopped_by_operator = true;
  if (found->second->connection) {
    std::shared_ptr<telegram::TelegramChannel> holder(std::move(found->second->connection));
    co_await holder->stop();
  }
  co_return Result<void>{};
}

asio::awaitable<Result<void>> ChannelManager::logout_account(std::string_view channel,
                                                             std::string_view account_id) {
  std::string id = account_id.empty() ? default_account(channel) : std::string(account_id);
  auto found = accounts_.find({std::string(channel), id});
  if (found == accounts_.end()) {
    co_return fail(Errc::not_found,
                   std::string(channel) + " account \"" + id + "\" is not configured",
                   "see `pincer channels status` for the configured accounts");
  }
  found->second->stopped_by_operator = true;
  if (found->second->connection) {
    std::shared_ptr<telegram::TelegramChannel> holder(std::move(found->second->connection));
    co_await holder->logout();
  }
  co_return Result<void>{};
}

asio::awaitable<Result<SendReceipt>> ChannelManager::send(SendRequest request,
                                                          std::chrono::milliseconds wait) {
  if (!is_known_channel(request.channel)) {
    co_return fail(Errc::not_found, "channel \"" + request.channel + "\" is not available",
                   "use webchat or a configured channel (telegram)");
  }
  std::string account =
      request.account_id.empty() ? default_account(request.channel) : request.account_id;
  if (!accounts_.contains({request.channel, account})) {
    co_return fail(Errc::not_found,
                   request.channel + " account \"" + account + "\" is not configured",
                   "configure channels." + request.channel + " first");
  }
  std::string to = strip_channel_prefix(request.to, request.channel);
  if (to.empty()) {
    co_return fail(Errc::invalid_argument, "no recipient", "pass the chat id in `to`");
  }
  if (core::trim(request.text).empty()) {
    co_return fail(Errc::invalid_argument, "the message is empty", "pass the text to send");
  }
  store::OutboundRow row;
  row.channel = request.channel;
  row.account_id = account;
  row.target = to;
  row.thread_id = request.thread_id;
  row.reply_to = request.reply_to;
  row.text = std::move(request.text);
  row.kind = "send";
  auto queued = co_await outbound_->enqueue(row, std::nullopt);
  if (!queued) {
    co_return std::unexpected(queued.error());
  }
  SendReceipt receipt{request.channel, account, to, *queued, std::nullopt};
  if (wait.count() > 0) {
    receipt.message_id = co_await outbound_->wait_delivered(*queued, wait);
  }
  co_return receipt;
}

asio::awaitable<Result<void>> ChannelManager::notify(std::string_view channel,
                                                     std::string_view account_id,
                                                     std::string_view to, std::string text) {
  store::OutboundRow row;
  row.channel = std::string(channel);
  row.account_id = account_id.empty() ? default_account(channel) : std::string(account_id);
  row.target = std::string(to);
  row.text = std::move(text);
  row.kind = "notice";
  auto queued = co_await outbound_->enqueue(row, std::nullopt);
  if (!queued) {
    co_return std::unexpected(queued.error());
  }
  co_return Result<void>{};
}

std::optional<asio::awaitable<WebhookReply>> ChannelManager::webhook(std::string_view path,
                                                                     std::string_view secret_header,
                                                                     std::string body) {
  for (auto& [key, account] : accounts_) {
    telegram::TelegramChannel* connection = account->connection.get();
    if (connection == nullptr || !connection->webhook_mode() ||
        connection->webhook_path() != path) {
      continue;
    }
    return [](telegram::TelegramChannel* channel, std::string secret,
              std::string payload) -> asio::awaitable<WebhookReply> {
      int status = co_await channel->handle_webhook(secret, payload);
      co_return WebhookReply{status, status == 200 ? "{\"ok\":true}" : "{\"ok\":false}"};
    }(connection, std::string(secret_header), std::move(body));
  }
  return std::nullopt;
}

}  // namespace pincer::channels
