#include "channels/channel_manager.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/array.hpp>

#include "channels/channel_config_status.hpp"
#include "channels/delivery/outbound_format.hpp"
#include "channels/delivery/outbound_queue.hpp"
#include "channels/inbound_pipeline.hpp"
#include "channels/reply_streamer.hpp"
#include "channels/telegram/command_menu.hpp"
#include "channels/telegram/telegram_channel.hpp"
#include "core/executor.hpp"
#include "core/log.hpp"
#include "core/paths.hpp"
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

// A file inside the state folder (config with tokens, state.db with credentials, device keys)
// must not leave through a channel; the workspace and the media folders there are fine.
bool reads_state_secrets(const std::filesystem::path& file, const std::filesystem::path& state) {
  std::error_code ec;
  std::filesystem::path real = std::filesystem::weakly_canonical(file, ec);
  std::filesystem::path root = std::filesystem::weakly_canonical(state, ec);
  if (ec || root.empty()) {
    return false;
  }
  auto inside = [&real](const std::filesystem::path& dir) {
    auto relative = real.lexically_relative(dir);
    return !relative.empty() && *relative.begin() != "..";
  };
  return inside(root) && !inside(root / "workspace") && !inside(root / "media");
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
                               agent::AgentService& agent, core::Config config,
                               std::filesystem::path media_dir)
    : io_(io),
      database_(database),
      agent_(agent),
      config_(std::move(config)),
      media_dir_(std::move(media_dir)) {
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
      view.connection = found->second->connection.get();
    }
    return view;
  };
  pipeline_ = std::make_unique<InboundPipeline>(io_, database_, agent_, *outbound_, *replies_,
                                                accounts, media_dir_ / "inbound");
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
    account.config_error = token.error.empty() ? std::string(kNoBotTokenError) : token.error;
    log::warn("channels", "telegram account {} not started: {}", account.account_id,
              account.config_error);
    return;
  }
  account.config_error.clear();
  account.connection = std::make_unique<telegram::TelegramChannel>(io_, *http_, account.telegram,
                                                                   std::move(token), *pipeline_);
  apply_command_menu(account);
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
      apply_command_menu(*found->second);
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
  return channels_status_json(
      config_.channels, only_channel, now_ms(),
      [this](std::string_view channel, std::string_view account_id) {
        AccountRuntimeState state;
        auto found = accounts_.find({std::string(channel), std::string(account_id)});
        if (found == accounts_.end()) {
          return state;
        }
        const Account& account = *found->second;
        if (account.connection) {
          state.live = account.connection->status();
        }
        state.token_source = account.token_source;
        state.config_error = account.config_error;
        state.stopped = account.stopped_by_operator;
        return state;
      });
}

asio::awaitable<json::object> ChannelManager::probed_status_json(
    std::optional<std::string> only_channel, std::chrono::milliseconds timeout) {
  std::map<std::pair<std::string, std::string>, json::object> probes;
  // A config reload may replace accounts_ while a probe waits: walk a copy of the keys and look
  // each account up again. A channel object may go away mid-probe; its probe keeps its own state.
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& [key, account] : accounts_) {
    if (account->connection && (!only_channel || *only_channel == key.first)) {
      keys.push_back(key);
    }
  }
  for (const auto& key : keys) {
    auto found = accounts_.find(key);
    if (found == accounts_.end() || !found->second->connection) {
      continue;
    }
    ProbeResult result = co_await found->second->connection->probe(timeout);
    json::object probe{{"ok", result.ok}, {"elapsedMs", result.elapsed_ms}};
    if (!result.error.empty()) {
      probe["error"] = result.error;
    }
    for (auto& [name, value] : result.detail) {
      probe[name] = value;
    }
    probes[key] = std::move(probe);
  }
  json::object status = status_json(std::move(only_channel));
  int64_t probed_at = now_ms();
  if (auto* accounts = status.if_contains("channelAccounts"); accounts && accounts->is_object()) {
    for (auto& [channel, list] : accounts->get_object()) {
      if (!list.is_array()) {
        continue;
      }
      for (auto& entry : list.get_array()) {
        auto* object = entry.if_object();
        const json::value* id = object ? object->if_contains("accountId") : nullptr;
        if (id == nullptr || !id->is_string()) {
          continue;
        }
        auto found = probes.find({std::string(channel), std::string(id->get_string())});
        if (found != probes.end()) {
          (*object)["probe"] = std::move(found->second);
          (*object)["lastProbeAt"] = probed_at;
        }
      }
    }
  }
  co_return status;
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
  co_return co_await disconnect(channel, account_id, false);
}

asio::awaitable<Result<void>> ChannelManager::logout_account(std::string_view channel,
                                                             std::string_view account_id) {
  co_return co_await disconnect(channel, account_id, true);
}

asio::awaitable<Result<void>> ChannelManager::disconnect(std::string_view channel,
                                                         std::string_view account_id, bool logout) {
  std::string id = account_id.empty() ? default_account(channel) : std::string(account_id);
  auto found = accounts_.find({std::string(channel), id});
  if (found == accounts_.end()) {
    co_return fail(Errc::not_found,
                   std::string(channel) + " account \"" + id + "\" is not configured",
                   "see `pincer channels status` for the configured accounts");
  }
  found->second->stopped_by_operator = true;
  if (found->second->connection) {
    // Held here: a reload may drop the account while the connection winds down.
    std::shared_ptr<telegram::TelegramChannel> holder(std::move(found->second->connection));
    if (logout) {
      co_await holder->logout();
    } else {
      co_await holder->stop();
    }
  }
  co_return Result<void>{};
}

void ChannelManager::apply_command_menu(Account& account) {
  if (!account.connection) {
    return;
  }
  std::vector<std::string> warnings;
  // Skills join the menu once the skills subsystem lists user-invocable ones.
  telegram::CommandMenu menu =
      telegram::build_command_menu(account.telegram, config_, {}, warnings);
  for (const auto& warning : warnings) {
    log::warn("telegram", "account {}: {}", account.account_id, warning);
  }
  account.connection->set_command_menu(std::move(menu));
}

Result<ChannelManager::Account*> ChannelManager::resolve_account(std::string_view channel,
                                                                 std::string_view account_id) {
  if (!is_known_channel(channel)) {
    return fail(Errc::not_found, "channel \"" + std::string(channel) + "\" is not available",
                "use webchat or a configured channel (telegram)");
  }
  std::string account = account_id.empty() ? default_account(channel) : std::string(account_id);
  auto found = accounts_.find({std::string(channel), account});
  if (found == accounts_.end()) {
    return fail(Errc::not_found,
                std::string(channel) + " account \"" + account + "\" is not configured",
                "configure channels." + std::string(channel) + " first");
  }
  return found->second.get();
}

asio::awaitable<Result<std::vector<SpooledFile>>> ChannelManager::spool_media(
    const std::vector<SendMedia>& media, std::size_t max_bytes, bool as_document) {
  std::vector<SpooledFile> spooled;
  auto undo = [&spooled]() { remove_spooled(spooled); };
  std::filesystem::path spool_dir = media_dir_ / "outbound";
  for (const SendMedia& item : media) {
    std::string source(core::trim(item.source));
    Result<SpooledFile> file;
    if (source.starts_with("http://") || source.starts_with("https://")) {
      core::HttpRequest request;
      request.url = source;
      request.timeout = std::chrono::seconds(60);
      request.max_response_bytes = max_bytes;
      auto response = co_await http_->request(std::move(request));
      if (!response || response->status < 200 || response->status > 299) {
        co_await core::run_blocking(database_.pool(), undo);
        co_return fail(
            Errc::unavailable,
            "could not download the media: " +
                (response ? "HTTP " + std::to_string(response->status) : response.error().message),
            "check the URL, or pass a local path or the bytes instead");
      }
      std::string name = item.file_name;
      if (name.empty()) {
        std::string_view path = std::string_view(source).substr(0, source.find_first_of("?#"));
        name = std::string(path.substr(path.find_last_of('/') + 1));
      }
      std::string type = item.content_type;
      for (const auto& [header, value] : response->headers) {
        if (type.empty() && header == "content-type") {
          type = std::string(core::trim(std::string_view(value).substr(0, value.find(';'))));
        }
      }
      if (type == "application/octet-stream") {
        type.clear();  // the name says more
      }
      auto write = [&]() { return spool_bytes(spool_dir, response->body, name, type); };
      file = co_await core::run_blocking(database_.pool(), write);
    } else if (!source.empty()) {
      if (source.starts_with("file://")) {
        source.erase(0, 7);
      }
      std::filesystem::path path = core::expand_home(source, core::process_env());
      if (reads_state_secrets(path, media_dir_.parent_path())) {
        co_await core::run_blocking(database_.pool(), undo);
        co_return fail(Errc::invalid_argument,
                       "refusing to send " + path.string() +
                           ": it is in Pincer's state folder, which holds tokens and keys",
                       "copy the file elsewhere (the workspace is fine) and send that");
      }
      auto copy = [&]() { return spool_copy(spool_dir, path, max_bytes, item.content_type); };
      file = co_await core::run_blocking(database_.pool(), copy);
      if (file && !item.file_name.empty()) {
        file->file_name = item.file_name;
      }
    } else {
      if (item.bytes.size() > max_bytes) {
        co_await core::run_blocking(database_.pool(), undo);
        co_return fail(
            Errc::invalid_argument,
            "the file is " + std::to_string(item.bytes.size() >> 20) + " MB, over the media limit",
            "raise mediaMaxMb or send a smaller file");
      }
      auto write = [&]() {
        return spool_bytes(spool_dir, item.bytes, item.file_name, item.content_type);
      };
      file = co_await core::run_blocking(database_.pool(), write);
    }
    if (!file) {
      co_await core::run_blocking(database_.pool(), undo);
      co_return std::unexpected(file.error());
    }
    file->as_document = as_document;
    spooled.push_back(std::move(*file));
  }
  co_return spooled;
}

asio::awaitable<Result<SendReceipt>> ChannelManager::send(SendRequest request,
                                                          std::chrono::milliseconds wait) {
  auto resolved = resolve_account(request.channel, request.account_id);
  if (!resolved) {
    co_return std::unexpected(resolved.error());
  }
  Account& target_account = **resolved;
  std::string account = target_account.account_id;
  std::string to = strip_channel_prefix(request.to, request.channel);
  if (auto topic = to.find(":topic:"); topic != std::string::npos) {
    if (request.thread_id.empty()) {
      request.thread_id = to.substr(topic + 7);
    }
    to.resize(topic);
  }
  if (to.empty()) {
    co_return fail(Errc::invalid_argument, "no recipient", "pass the chat id in `to`");
  }
  if (core::trim(request.text).empty() && request.media.empty()) {
    co_return fail(Errc::invalid_argument, "the message is empty",
                   "pass the text to send, or a file");
  }
  auto max_bytes = static_cast<std::size_t>(target_account.telegram.media_max_mb) << 20;
  auto spooled = co_await spool_media(request.media, max_bytes, request.as_document);
  if (!spooled) {
    co_return std::unexpected(spooled.error());
  }
  store::OutboundRow row;
  row.channel = request.channel;
  row.account_id = account;
  row.target = to;
  row.thread_id = request.thread_id;
  row.reply_to = request.reply_to;
  row.text = std::move(request.text);
  row.kind = "send";
  row.media_json = media_to_json(*spooled);
  row.silent = request.silent;
  auto queued = co_await outbound_->enqueue(row, std::nullopt);
  if (!queued) {
    auto undo = [&spooled]() { remove_spooled(*spooled); };
    co_await core::run_blocking(database_.pool(), undo);
    co_return std::unexpected(queued.error());
  }
  SendReceipt receipt{request.channel, account, to, *queued, std::nullopt};
  if (wait.count() > 0) {
    receipt.message_id = co_await outbound_->wait_delivered(*queued, wait);
  }
  co_return receipt;
}

namespace {

std::string param_string(const json::object& params, std::initializer_list<std::string_view> keys) {
  for (std::string_view key : keys) {
    if (const json::value* value = params.if_contains(key)) {
      if (value->is_string()) {
        return std::string(value->get_string());
      }
      if (value->is_int64()) {
        return std::to_string(value->get_int64());
      }
      if (value->is_uint64()) {
        return std::to_string(value->get_uint64());
      }
    }
  }
  return {};
}

bool param_bool(const json::object& params, std::string_view key) {
  const json::value* value = params.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

// The reference's action names and their aliases.
std::string canonical_action(std::string_view action) {
  std::string name = core::lowercase_trimmed(action);
  if (name == "sendmessage") {
    return "send";
  }
  if (name == "editmessage") {
    return "edit";
  }
  if (name == "deletemessage") {
    return "delete";
  }
  return name;
}

}  // namespace

asio::awaitable<Result<json::object>> ChannelManager::action(ActionRequest request) {
  auto resolved = resolve_account(request.channel, request.account_id);
  if (!resolved) {
    co_return std::unexpected(resolved.error());
  }
  Account& account = **resolved;
  const core::TelegramActionsConfig& allowed = account.telegram.actions;
  const json::object& params = request.params;
  std::string action = canonical_action(request.action);
  std::string to =
      strip_channel_prefix(param_string(params, {"to", "target", "chatId"}), request.channel);
  std::string thread_id = param_string(params, {"threadId", "messageThreadId"});
  if (auto topic = to.find(":topic:"); topic != std::string::npos) {
    if (thread_id.empty()) {
      thread_id = to.substr(topic + 7);
    }
    to.resize(topic);
  }
  std::string message_id = param_string(params, {"messageId"});
  std::string text = param_string(params, {"message", "content", "text", "caption"});
  auto disabled = [&](std::string_view key) {
    return fail(Errc::invalid_argument,
                "the " + action + " action is disabled for " + request.channel + " account " +
                    account.account_id,
                "set channels." + request.channel + ".actions." + std::string(key) +
                    " to true to allow it");
  };
  json::object answer{{"ok", true},
                      {"channel", request.channel},
                      {"accountId", account.account_id},
                      {"action", action}};

  if (action == "send") {
    if (!allowed.send_message) {
      co_return disabled("sendMessage");
    }
    SendRequest send_request;
    send_request.channel = request.channel;
    send_request.account_id = account.account_id;
    send_request.to = to;
    send_request.thread_id = thread_id;
    send_request.reply_to = param_string(params, {"replyTo", "replyToId", "replyToMessageId"});
    send_request.text = text;
    std::string media = param_string(params, {"media", "mediaUrl", "path", "filePath"});
    if (!media.empty()) {
      send_request.media.push_back(SendMedia{media, {}, param_string(params, {"filename"}), {}});
    }
    send_request.as_document = param_bool(params, "forceDocument");
    send_request.silent = param_bool(params, "silent");
    auto receipt = co_await send(std::move(send_request), std::chrono::milliseconds(15'000));
    if (!receipt) {
      co_return std::unexpected(receipt.error());
    }
    answer["to"] = receipt->to;
    answer["queued"] = !receipt->message_id.has_value();
    if (receipt->message_id) {
      answer["messageId"] = *receipt->message_id;
    }
    co_return answer;
  }
  if (action != "react" && action != "edit" && action != "delete") {
    co_return fail(Errc::invalid_argument,
                   "unknown " + request.channel + " action \"" + request.action + "\"",
                   "Pincer supports send, react, edit and delete");
  }
  if (to.empty() || message_id.empty()) {
    co_return fail(Errc::invalid_argument, action + " needs the chat and the message",
                   "pass `to` (the chat id) and `messageId`");
  }
  Channel* channel = account.connection.get();
  if (channel == nullptr) {
    co_return fail(Errc::unavailable,
                   request.channel + " account " + account.account_id + " is not running",
                   "start it with `pincer channels start` or check `pincer channels status`");
  }
  OutboundTarget target{to, thread_id, {}};
  SendResult<void> done;
  if (action == "react") {
    if (!allowed.reactions) {
      co_return disabled("reactions");
    }
    std::string emoji = param_string(params, {"emoji"});
    if (emoji.empty() && !param_bool(params, "remove") && !params.contains("emoji")) {
      co_return fail(Errc::invalid_argument, "react needs an emoji",
                     "pass `emoji`, or an empty emoji to remove the bot's reaction");
    }
    // Telegram keeps one reaction per bot: removing one emoji removes the bot's reaction.
    std::string reaction = param_bool(params, "remove") ? std::string() : emoji;
    done = co_await channel->react(target, message_id, reaction);
    answer["emoji"] = emoji;
    answer["removed"] = emoji.empty() || param_bool(params, "remove");
  } else if (action == "edit") {
    if (!allowed.edit_message) {
      co_return disabled("editMessage");
    }
    if (core::trim(text).empty()) {
      co_return fail(Errc::invalid_argument, "edit needs the new text", "pass `message`");
    }
    std::vector<OutboundPart> parts = render_parts(channel->capabilities(), text);
    if (parts.size() != 1) {
      co_return fail(Errc::invalid_argument, "the new text is longer than one message",
                     "shorten it to fit the channel's limit");
    }
    done = co_await channel->edit(target, message_id, parts.front(), false);
    if (!done && done.error().kind == SendError::Kind::bad_markup) {
      done = co_await channel->edit(target, message_id, parts.front(), true);
    }
    if (!done && done.error().kind == SendError::Kind::not_modified) {
      done = {};
    }
  } else {
    if (!allowed.delete_message) {
      co_return disabled("deleteMessage");
    }
    done = co_await channel->remove(target, message_id);
  }
  if (!done) {
    Errc code = done.error().kind == SendError::Kind::gone ? Errc::not_found
                : done.error().kind == SendError::Kind::permanent ||
                        done.error().kind == SendError::Kind::bad_markup
                    ? Errc::invalid_argument
                    : Errc::unavailable;
    co_return fail(code, request.channel + " refused the " + action + ": " + done.error().message);
  }
  answer["to"] = to;
  answer["messageId"] = message_id;
  co_return answer;
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
