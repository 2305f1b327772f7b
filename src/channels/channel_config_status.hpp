#pragma once
// The channels.status answer (the reference's ChannelsStatusResult) as one builder for both
// places that produce it: the running gateway (ChannelManager, which knows each account's live
// connection) and `pincer channels status` / `list` when no gateway runs, which know only the
// config file. Both therefore answer with the same fields; without a gateway every account
// shows running=false, connected=false.
//
// What it does not do: start anything or talk to an app. Judging an account's token from the
// config alone reads its tokenFile and TELEGRAM_BOT_TOKEN, as starting the account would.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "channels/channel.hpp"
#include "core/config.hpp"

namespace pincer::channels {

// Why a Telegram account whose token resolved to nothing (and no file error) cannot start.
inline constexpr std::string_view kNoBotTokenError =
    "no bot token: set channels.telegram.botToken (or tokenFile, or TELEGRAM_BOT_TOKEN)";

// What only a running gateway knows about one account. The defaults describe an account that
// has not been started.
struct AccountRuntimeState {
  ChannelStatus live;                 // the connection's status; default: not running
  std::string token_source = "none";  // "config" | "tokenFile" | "env" | "none"
  std::string config_error;           // why it cannot start (no token ...); "" when it can
  bool stopped = false;  // not running on purpose: stopped by an operator, or no gateway runs
};

// One channelAccounts.telegram row. `telegram` is the channel (its `enabled` gates every
// account), `account` one of its accounts.
boost::json::object telegram_account_status_json(const core::TelegramConfig& telegram,
                                                 const core::TelegramAccountConfig& account,
                                                 const AccountRuntimeState& state);

// Returns the runtime state of (channel, account id); called once per configured account.
using AccountStateLookup =
    std::function<AccountRuntimeState(std::string_view channel, std::string_view account_id)>;

// The whole answer for the configured accounts, only `only_channel` when set. `ts_ms` is the
// answer's time (Unix ms).
boost::json::object channels_status_json(const core::ChannelsConfig& channels,
                                         const std::optional<std::string>& only_channel,
                                         int64_t ts_ms, const AccountStateLookup& state_of);

// The state an account would have right after a start attempt that went no further than its
// token: the token's source, and the reason it cannot start when it has none.
AccountRuntimeState config_only_state(const core::TelegramConfig& telegram,
                                      const core::TelegramAccountConfig& account);

// The answer from the config alone, for when no gateway runs: every account stopped, its token
// judged by config_only_state().
boost::json::object channels_status_from_config(const core::ChannelsConfig& channels,
                                                const std::optional<std::string>& only_channel,
                                                int64_t ts_ms);

}  // namespace pincer::channels
