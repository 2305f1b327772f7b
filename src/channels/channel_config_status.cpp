#include "channels/channel_config_status.hpp"

#include <boost/json/array.hpp>

#include "channels/telegram/telegram_channel.hpp"

namespace pincer::channels {

namespace json = boost::json;

namespace {

constexpr std::string_view kTelegram = "telegram";

json::value optional_ms(const std::optional<int64_t>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

json::value optional_text(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}

}  // namespace

json::object telegram_account_status_json(const core::TelegramConfig& telegram,
                                          const core::TelegramAccountConfig& account,
                                          const AccountRuntimeState& state) {
  const ChannelStatus& live = state.live;
  // A connection exists only once its token resolved, so an error means it never started.
  bool configured = state.config_error.empty();
  bool webhook = !account.webhook_url.empty();
  json::object row{
      {"accountId", account.account_id},
      {"enabled", telegram.enabled && account.enabled},
      {"configured", configured},
      {"running", live.running},
      {"connected", live.connected},
      {"reconnectAttempts", live.reconnect_attempts},
      {"lastConnectedAt", optional_ms(live.last_connected_at_ms)},
      {"lastError",
       optional_text(state.config_error.empty() ? live.last_error : state.config_error)},
      {"lastStartAt", optional_ms(live.last_start_at_ms)},
      {"lastStopAt", optional_ms(live.last_stop_at_ms)},
      {"lastInboundAt", optional_ms(live.last_inbound_at_ms)},
      {"lastOutboundAt", optional_ms(live.last_outbound_at_ms)},
      {"mode", webhook ? "webhook" : "polling"},
      {"dmPolicy", core::to_string(account.dm_policy)},
      {"allowFrom", json::array(account.allow_from.begin(), account.allow_from.end())},
      {"tokenSource", live.token_source.empty() ? state.token_source : live.token_source},
      {"baseUrl", account.api_root},
      {"webhookUrl", webhook ? json::value(account.webhook_url) : json::value(nullptr)},
      {"webhookPath", webhook ? json::value(account.webhook_path) : json::value(nullptr)},
      {"healthState", !configured      ? "unconfigured"
                      : live.connected ? "healthy"
                      : live.running   ? "connecting"
                      : state.stopped  ? "stopped"
                                       : "idle"}};
  if (!account.name.empty()) {
    row["name"] = account.name;
  }
  if (!live.bot_username.empty()) {
    row["botUsername"] = live.bot_username;
  }
  return row;
}

json::object channels_status_json(const core::ChannelsConfig& channels,
                                  const std::optional<std::string>& only_channel, int64_t ts_ms,
                                  const AccountStateLookup& state_of) {
  json::array order;
  json::object labels;
  json::object detail_labels;
  json::object summaries;
  json::object channel_accounts;
  json::object default_accounts;
  json::array meta;
  if (!only_channel || *only_channel == kTelegram) {
    const core::TelegramConfig& telegram = channels.telegram;
    order.emplace_back(kTelegram);
    labels[kTelegram] = "Telegram";
    detail_labels[kTelegram] = "Telegram Bot";
    meta.push_back(
        json::object{{"id", kTelegram}, {"label", "Telegram"}, {"detailLabel", "Telegram Bot"}});
    default_accounts[kTelegram] = telegram.default_account;
    json::array accounts;
    bool any_running = false;
    bool any_connected = false;
    if (telegram.configured) {
      for (const auto& [id, account] : telegram.accounts) {
        AccountRuntimeState state = state_of(kTelegram, id);
        any_running = any_running || state.live.running;
        any_connected = any_connected || state.live.connected;
        accounts.push_back(telegram_account_status_json(telegram, account, state));
      }
    }
    summaries[kTelegram] = json::object{{"configured", telegram.configured},
                                        {"running", any_running},
                                        {"connected", any_connected}};
    channel_accounts[kTelegram] = std::move(accounts);
  }
  return json::object{{"ts", ts_ms},
                      {"channelOrder", std::move(order)},
                      {"channelLabels", std::move(labels)},
                      {"channelDetailLabels", std::move(detail_labels)},
                      {"channelMeta", std::move(meta)},
                      {"channels", std::move(summaries)},
                      {"channelAccounts", std::move(channel_accounts)},
                      {"channelDefaultAccountId", std::move(default_accounts)}};
}

AccountRuntimeState config_only_state(const core::TelegramConfig& telegram,
                                      const core::TelegramAccountConfig& account) {
  AccountRuntimeState state;
  bool is_default = account.account_id == telegram.default_account;
  telegram::ResolvedToken token = telegram::resolve_bot_token(account, is_default);
  state.token_source = token.source;
  if (token.token.empty()) {
    state.config_error = token.error.empty() ? std::string(kNoBotTokenError) : token.error;
  }
  return state;
}

json::object channels_status_from_config(const core::ChannelsConfig& channels,
                                         const std::optional<std::string>& only_channel,
                                         int64_t ts_ms) {
  return channels_status_json(channels, only_channel, ts_ms,
                              [&channels](std::string_view, std::string_view account_id) {
                                const auto& telegram = channels.telegram;
                                auto found = telegram.accounts.find(std::string(account_id));
                                AccountRuntimeState state;
                                if (found != telegram.accounts.end()) {
                                  state = config_only_state(telegram, found->second);
                                }
                                state.stopped = true;
                                return state;
                              });
}

}  // namespace pincer::channels
