#include "channels/telegram/telegram_channel.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "channels/telegram/bot_api.hpp"
#include "channels/telegram/telegram_inbound.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

namespace pincer::channels::telegram {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kFirstBackoff{1000};
constexpr std::chrono::milliseconds kMaxBackoff{30'000};
// A rejected token or a second poller will not fix itself quickly; check again at this pace.
constexpr std::chrono::milliseconds kSlowRetry{60'000};
constexpr std::chrono::milliseconds kSendTimeout{30'000};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Constant time in the length of `expected`, so the secret cannot be guessed byte by byte.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

SendError to_send_error(const BotApiError& error) {
  SendError out;
  out.message = error.describe();
  if (error.kind == BotApiError::Kind::rate_limited) {
    out.kind = SendError::Kind::rate_limited;
    out.retry_after = std::chrono::seconds(std::max<int64_t>(error.retry_after.value_or(1), 1));
  } else if (error.is_parse_entities()) {
    out.kind = SendError::Kind::bad_markup;
  } else if (error.is_not_modified()) {
    out.kind = SendError::Kind::not_modified;
  } else if (error.retryable()) {
    out.kind = SendError::Kind::retry;
  } else if (error.kind == BotApiError::Kind::bad_request &&
             (error.description.find("not found") != std::string::npos ||
              error.description.find("can't be edited") != std::string::npos ||
              error.description.find("can't be deleted") != std::string::npos)) {
    out.kind = SendError::Kind::gone;
  } else if (error.kind == BotApiError::Kind::unauthorized) {
    // The token may be fixed by a config reload; the message waits rather than being lost.
    out.kind = SendError::Kind::retry;
  } else {
    out.kind = SendError::Kind::permanent;
  }
  return out;
}

std::optional<int64_t> to_int(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// chat_id as Telegram wants it: a number, or an @channelusername string.
json::value chat_id_value(std::string_view chat_id) {
  if (auto number = to_int(chat_id)) {
    return *number;
  }
  return json::string(chat_id);
}

}  // namespace

ResolvedToken resolve_bot_token(const core::TelegramAccountConfig& account,
                                bool is_default_account) {
  if (!core::trim(account.bot_token).empty()) {
    return {std::string(core::trim(account.bot_token)), "config", {}};
  }
  if (!account.token_file.empty()) {
    struct stat info {};
    if (::lstat(account.token_file.c_str(), &info) != 0) {
      return {{}, "tokenFile", "tokenFile " + account.token_file + " does not exist"};
    }
    if (!S_ISREG(info.st_mode)) {
      return {{},
              "tokenFile",
              "tokenFile " + account.token_file + " is not a regular file (symlinks are refused)"};
    }
    std::ifstream in(account.token_file);
    std::stringstream text;
    text << in.rdbuf();
    std::string token(core::trim(text.str()));
    if (token.empty()) {
      return {{}, "tokenFile", "tokenFile " + account.token_file + " is empty"};
    }
    return {token, "tokenFile", {}};
  }
  if (is_default_account) {
    if (const char* env = std::getenv("TELEGRAM_BOT_TOKEN"); env != nullptr && *env != '\0') {
      return {std::string(core::trim(env)), "env", {}};
    }
  }
  return {{}, "none", {}};
}

struct TelegramChannel::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_context, core::HttpClient& http_client,
       core::TelegramAccountConfig settings, ResolvedToken resolved, InboundSink& inbound)
      : io(io_context),
        config(std::move(settings)),
        token(std::move(resolved)),
        api(http_client, config.api_root, token.token),
        sink(inbound),
        wait_timer(io_context) {
    status.configured = true;
    status.enabled = config.enabled;
    status.mode = config.webhook_url.empty() ? "polling" : "webhook";
    status.token_source = token.source;
  }

  asio::io_context& io;
  core::TelegramAccountConfig config;
  ResolvedToken token;
  BotApi api;
  InboundSink& sink;
  ChannelStatus status;
  BotIdentity bot;
  asio::steady_timer wait_timer;
  asio::cancellation_signal cancel_poll;
  bool stopping = false;
  bool loop_running = false;
  std::optional<asio::steady_timer> loop_done;
  int64_t offset = 0;
  std::mt19937 jitter{std::random_device{}()};
  std::vector<std::pair<std::string, std::string>> command_menu;
  bool menu_dirty = false;  // the menu changed (or failed) since it was last registered

  asio::awaitable<void> sleep(std::chrono::milliseconds delay) {
    wait_timer.expires_after(delay);
    co_await wait_timer.async_wait(kTuple);
  }

  std::chrono::milliseconds with_jitter(std::chrono::milliseconds delay) {
    std::uniform_int_distribution<int64_t> spread(0, delay.count() / 4);
    return delay + std::chrono::milliseconds(spread(jitter));
  }

  void record_error(const BotApiError& error) {
    status.last_error = error.describe();
    status.connected = false;
  }

  // Learns the bot's id and username (mention detection needs them). False: retry later.
  asio::awaitable<bool> identify() {
    json::object none;
    auto me = co_await api.call("getMe", none, kSendTimeout);
    if (!me) {
      record_error(me.error());
      log::warn("telegram", "account {}: getMe failed: {}", config.account_id,
                me.error().describe());
      co_return false;
    }
    auto user = User::from_json(*me);
    if (!user) {
      status.last_error = "getMe returned an unexpected answer: " + user.error().describe();
      co_return false;
    }
    bot.id = user->id;
    bot.username = user->username;
    status.bot_username = user->username;
    // The token works and the API answers: connected, even before the first long poll returns.
    status.connected = true;
    status.last_connected_at_ms = now_ms();
    status.last_error.clear();
    co_return true;
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    loop_running = true;
    status.running = true;
    status.last_start_at_ms = now_ms();
    std::chrono::milliseconds backoff = kFirstBackoff;
    while (!stopping) {
      if (bot.id == 0 && !co_await identify()) {
        ++status.reconnect_attempts;
        co_await sleep(status.last_error.find("rejected") != std::string::npos
                           ? kSlowRetry
                           : with_jitter(backoff));
        backoff = std::min(backoff * 2, kMaxBackoff);
        continue;
      }
      if (menu_dirty) {
        co_await register_menu();
      }
      if (!config.webhook_url.empty()) {
        co_await run_webhook_mode();
        break;
      }
      co_await poll_once(backoff);
    }
    status.running = false;
    status.connected = false;
    status.last_stop_at_ms = now_ms();
    loop_running = false;
    if (loop_done) {
      loop_done->cancel();
    }
  }

  asio::awaitable<void> run_webhook_mode() {
    json::object params{{"url", config.webhook_url},
                        {"allowed_updates", json::array{"message", "channel_post"}}};
    if (!config.webhook_secret.empty()) {
      params["secret_token"] = config.webhook_secret;
    }
    std::chrono::milliseconds backoff = kFirstBackoff;
    while (!stopping) {
      auto set = co_await api.call("setWebhook", params, kSendTimeout);
      if (set) {
        status.connected = true;
        status.last_connected_at_ms = now_ms();
        status.last_error.clear();
        log::info("telegram", "account {}: webhook registered at {}", config.account_id,
                  config.webhook_path);
        break;
      }
      record_error(set.error());
      ++status.reconnect_attempts;
      co_await sleep(with_jitter(backoff));
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
    // Updates now arrive through handle_webhook(); this loop only waits for stop().
    while (!stopping) {
      co_await sleep(std::chrono::hours(1));
    }
  }

  // One getUpdates round: waits up to kPollSeconds for updates, hands them to the sink in order
  // and moves the offset past each one the sink stored.
  asio::awaitable<void> poll_once(std::chrono::milliseconds& backoff) {
    json::object params{{"offset", offset},
                        {"timeout", kPollSeconds},
                        {"allowed_updates", json::array{"message", "channel_post"}}};
    // The long poll runs as its own coroutine so stop() can cancel it mid-wait.
    std::expected<json::value, BotApiError> answer;
    try {
      answer = co_await asio::co_spawn(
          io, api.call("getUpdates", params, std::chrono::seconds(kPollSeconds + 15)),
          asio::bind_cancellation_slot(cancel_poll.slot(), asio::use_awaitable));
    } catch (const boost::system::system_error&) {
      co_return;  // cancelled by stop()
    }
    if (stopping) {
      co_return;
    }
    if (!answer) {
      const BotApiError& error = answer.error();
      record_error(error);
      ++status.reconnect_attempts;
      std::chrono::milliseconds delay = with_jitter(backoff);
      if (error.kind == BotApiError::Kind::rate_limited) {
        delay = std::chrono::seconds(std::max<int64_t>(error.retry_after.value_or(1), 1));
      } else if (error.kind == BotApiError::Kind::conflict ||
                 error.kind == BotApiError::Kind::unauthorized) {
        delay = std::max(delay, with_jitter(kMaxBackoff));
      }
      backoff = std::min(backoff * 2, kMaxBackoff);
      log::warn("telegram", "account {}: getUpdates failed ({}); retrying in {} ms",
                config.account_id, error.describe(), delay.count());
      co_await sleep(delay);
      co_return;
    }
    backoff = kFirstBackoff;
    if (!status.connected) {
      status.connected = true;
      status.last_connected_at_ms = now_ms();
      status.last_error.clear();
    }
    if (!answer->is_array()) {
      co_return;
    }
    for (const json::value& item : answer->get_array()) {
      bool stored = co_await take(item);
      if (!stored) {
        // Not acknowledged: the next poll asks from this update again.
        co_await sleep(kFirstBackoff);
        co_return;
      }
    }
  }

  // Hands one update to the sink; true once it is stored (or is not for us) and may be
  // acknowledged.
  asio::awaitable<bool> take(const json::value& item) {
    auto update = Update::from_json(item);
    if (!update) {
      log::warn("telegram", "account {}: skipping an update that is not one: {}", config.account_id,
                update.error().describe());
      co_return true;
    }
    if (!update->parse_error.empty()) {
      log::warn("telegram", "account {}: update {} partly unreadable: {}", config.account_id,
                update->update_id, update->parse_error);
    }
    if (auto message = to_inbound(*update, config.account_id, bot)) {
      status.last_inbound_at_ms = now_ms();
      if (!co_await sink.accept(std::move(*message))) {
        co_return false;
      }
    }
    offset = std::max(offset, update->update_id + 1);
    co_return true;
  }

  // Registers the command menu; an empty menu removes the bot's commands.
  asio::awaitable<void> register_menu() {
    auto self = shared_from_this();
    menu_dirty = false;
    json::array commands;
    for (const auto& [name, description] : command_menu) {
      commands.push_back(json::object{{"command", name}, {"description", description}});
    }
    json::object params{{"commands", std::move(commands)}};
    std::string_view method = command_menu.empty() ? "deleteMyCommands" : "setMyCommands";
    if (command_menu.empty()) {
      params = json::object();
    }
    auto answer = co_await api.call(method, params, kSendTimeout);
    if (!answer) {
      // A network failure is tried again after the next poll; a refusal (too many commands, a
      // bad name) would only repeat.
      menu_dirty = answer.error().retryable();
      log::warn("telegram", "account {}: {} failed: {}", config.account_id, method,
                answer.error().describe());
      co_return;
    }
    log::debug("telegram", "account {}: command menu set ({} commands)", config.account_id,
               command_menu.size());
  }

  // A reply that still goes out when the original message is gone.
  static void add_reply(json::object& params, const OutboundTarget& target) {
    if (auto reply = to_int(target.reply_to_message_id)) {
      params["reply_parameters"] =
          json::object{{"message_id", *reply}, {"allow_sending_without_reply", true}};
    }
  }

  // The answer of a send* call as the outbound queue wants it.
  SendResult<SentMessage> sent(const BotApiResult<json::value>& answer) {
    if (!answer) {
      return std::unexpected(to_send_error(answer.error()));
    }
    status.last_outbound_at_ms = now_ms();
    auto message = Message::from_json(*answer);
    if (!message) {
      return SentMessage{};
    }
    return SentMessage{std::to_string(message->message_id)};
  }

  json::object target_params(const OutboundTarget& target) const {
    json::object params{{"chat_id", chat_id_value(target.chat_id)}};
    if (auto thread = to_int(target.thread_id)) {
      params["message_thread_id"] = *thread;
    }
    return params;
  }
};

TelegramChannel::TelegramChannel(asio::io_context& io, core::HttpClient& http,
                                 core::TelegramAccountConfig config, ResolvedToken token,
                                 InboundSink& sink)
    : impl_(std::make_shared<Impl>(io, http, std::move(config), std::move(token), sink)) {}

TelegramChannel::~TelegramChannel() {
  impl_->stopping = true;
  impl_->wait_timer.cancel();
  impl_->cancel_poll.emit(asio::cancellation_type::terminal);
}

const std::string& TelegramChannel::account_id() const {
  return impl_->config.account_id;
}

ChannelCapabilities TelegramChannel::capabilities() const {
  ChannelCapabilities caps;
  caps.max_text_length = static_cast<std::size_t>(impl_->config.text_chunk_limit);
  caps.markup = Markup::telegram_html;
  caps.edit = true;
  caps.threads = true;
  caps.reactions = true;
  caps.typing = true;
  caps.media = true;
  caps.markdown_tables = impl_->config.markdown_tables;
  caps.response_prefix = impl_->config.response_prefix;
  return caps;
}

ChannelStatus TelegramChannel::status() const {
  return impl_->status;
}

void TelegramChannel::start() {
  if (impl_->loop_running) {
    return;
  }
  impl_->stopping = false;
  asio::co_spawn(impl_->io, impl_->run(), asio::detached);
}

asio::awaitable<void> TelegramChannel::stop() {
  auto impl = impl_;
  impl->stopping = true;
  impl->wait_timer.cancel();
  impl->cancel_poll.emit(asio::cancellation_type::terminal);
  if (impl->loop_running) {
    impl->loop_done.emplace(impl->io, asio::steady_timer::time_point::max());
    co_await impl->loop_done->async_wait(kTuple);
    impl->loop_done.reset();
  }
}

asio::awaitable<void> TelegramChannel::logout() {
  auto impl = impl_;
  co_await stop();
  if (!impl->config.webhook_url.empty()) {
    json::object none;
    auto removed = co_await impl->api.call("deleteWebhook", none, kSendTimeout);
    if (!removed) {
      log::warn("telegram", "account {}: deleteWebhook failed: {}", impl->config.account_id,
                removed.error().describe());
    }
  }
}

asio::awaitable<SendResult<SentMessage>> TelegramChannel::send(const OutboundTarget& target,
                                                               const OutboundPart& part,
                                                               bool use_fallback) {
  auto impl = impl_;
  json::object params = impl->target_params(target);
  params["text"] = use_fallback ? part.fallback : part.text;
  if (!use_fallback) {
    params["parse_mode"] = "HTML";
  }
  if (!impl->config.link_preview) {
    params["link_preview_options"] = json::object{{"is_disabled", true}};
  }
  Impl::add_reply(params, target);
  auto answer = co_await impl->api.call("sendMessage", params, kSendTimeout);
  co_return impl->sent(answer);
}

asio::awaitable<SendResult<void>> TelegramChannel::edit(const OutboundTarget& target,
                                                        std::string_view message_id,
                                                        const OutboundPart& part,
                                                        bool use_fallback) {
  auto impl = impl_;
  auto id = to_int(message_id);
  if (!id) {
    co_return std::unexpected(SendError{SendError::Kind::gone, "not a Telegram message id", {}});
  }
  json::object params{{"chat_id", chat_id_value(target.chat_id)}, {"message_id", *id}};
  params["text"] = use_fallback ? part.fallback : part.text;
  if (!use_fallback) {
    params["parse_mode"] = "HTML";
  }
  if (!impl->config.link_preview) {
    params["link_preview_options"] = json::object{{"is_disabled", true}};
  }
  auto answer = co_await impl->api.call("editMessageText", params, kSendTimeout);
  if (!answer) {
    co_return std::unexpected(to_send_error(answer.error()));
  }
  impl->status.last_outbound_at_ms = now_ms();
  co_return SendResult<void>{};
}

asio::awaitable<SendResult<void>> TelegramChannel::remove(const OutboundTarget& target,
                                                          std::string_view message_id) {
  auto impl = impl_;
  auto id = to_int(message_id);
  if (!id) {
    co_return std::unexpected(SendError{SendError::Kind::gone, "not a Telegram message id", {}});
  }
  json::object params{{"chat_id", chat_id_value(target.chat_id)}, {"message_id", *id}};
  auto answer = co_await impl->api.call("deleteMessage", params, kSendTimeout);
  if (!answer) {
    co_return std::unexpected(to_send_error(answer.error()));
  }
  co_return SendResult<void>{};
}

asio::awaitable<SendResult<void>> TelegramChannel::typing(const OutboundTarget& target) {
  auto impl = impl_;
  json::object params = impl->target_params(target);
  params["action"] = "typing";
  auto answer = co_await impl->api.call("sendChatAction", params, kSendTimeout);
  if (!answer) {
    co_return std::unexpected(to_send_error(answer.error()));
  }
  co_return SendResult<void>{};
}

asio::awaitable<SendResult<void>> TelegramChannel::react(const OutboundTarget& target,
                                                         std::string_view message_id,
                                                         std::string_view emoji) {
  auto impl = impl_;
  auto id = to_int(message_id);
  if (!id) {
    co_return std::unexpected(SendError{SendError::Kind::gone, "not a Telegram message id", {}});
  }
  json::array reaction;
  if (!emoji.empty()) {
    reaction.push_back(json::object{{"type", "emoji"}, {"emoji", emoji}});
  }
  json::object params{{"chat_id", chat_id_value(target.chat_id)},
                      {"message_id", *id},
                      {"reaction", std::move(reaction)}};
  auto answer = co_await impl->api.call("setMessageReaction", params, kSendTimeout);
  if (!answer) {
    co_return std::unexpected(to_send_error(answer.error()));
  }
  co_return SendResult<void>{};
}

bool TelegramChannel::webhook_mode() const {
  return !impl_->config.webhook_url.empty();
}

const std::string& TelegramChannel::webhook_path() const {
  return impl_->config.webhook_path;
}

const std::string& TelegramChannel::bot_username() const {
  return impl_->bot.username;
}

asio::awaitable<int> TelegramChannel::handle_webhook(std::string_view secret_header,
                                                     std::string_view body) {
  auto impl = impl_;
  if (!impl->config.webhook_secret.empty() &&
      !same_secret(secret_header, impl->config.webhook_secret)) {
    log::warn("telegram", "account {}: webhook call with a wrong secret token refused",
              impl->config.account_id);
    co_return 401;
  }
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    co_return 400;
  }
  if (impl->bot.id == 0 && !co_await impl->identify()) {
    co_return 503;  // Telegram retries; mention detection needs the bot's identity
  }
  bool stored = co_await impl->take(value);
  co_return stored ? 200 : 503;
}

asio::awaitable<SendResult<SentMessage>> TelegramChannel::send_media(const OutboundTarget& target,
                                                                     const OutboundMedia& media,
                                                                     const OutboundPart* caption,
                                                                     bool use_fallback) {
  auto impl = impl_;
  bool photo = !media.as_document && media.bytes.size() <= kMaxPhotoBytes &&
               (media.content_type == "image/jpeg" || media.content_type == "image/png" ||
                media.content_type == "image/webp");
  if (!photo && media.bytes.size() > kMaxUploadBytes) {
    co_return std::unexpected(SendError{
        SendError::Kind::permanent,
        "the file " + media.file_name + " is " + std::to_string(media.bytes.size() >> 20) +
            " MB; the Telegram Bot API takes files up to 50 MB: send a link instead",
        {}});
  }
  json::object params = impl->target_params(target);
  if (caption != nullptr) {
    params["caption"] = use_fallback ? caption->fallback : caption->text;
    if (!use_fallback) {
      params["parse_mode"] = "HTML";
    }
  }
  Impl::add_reply(params, target);
  if (media.silent) {
    params["disable_notification"] = true;
  }
  std::vector<BotApiUpload> files;
  files.push_back({photo ? "photo" : "document", media.file_name.empty() ? "file" : media.file_name,
                   media.content_type, media.bytes});
  std::string_view method = photo ? "sendPhoto" : "sendDocument";
  auto answer = co_await impl->api.call_multipart(method, std::move(params), std::move(files),
                                                  std::chrono::seconds(120));
  co_return impl->sent(answer);
}

asio::awaitable<std::expected<FetchedMedia, std::string>> TelegramChannel::fetch_media(
    const InboundMedia& media, std::size_t max_bytes) {
  auto impl = impl_;
  if (media.size_bytes > 0 && static_cast<std::size_t>(media.size_bytes) > max_bytes) {
    co_return std::unexpected("the file is " + std::to_string(media.size_bytes >> 20) +
                              " MB, over the mediaMaxMb limit of " +
                              std::to_string(max_bytes >> 20) + " MB");
  }
  auto file = co_await impl->api.get_file(media.file_id);
  if (!file) {
    co_return std::unexpected("getFile failed: " + file.error().describe());
  }
  if (file->file_path.empty()) {
    co_return std::unexpected(std::string(
        "Telegram offers no download for this file (bots may fetch files up to 20 MB)"));
  }
  auto bytes = co_await impl->api.download_file(file->file_path, max_bytes);
  if (!bytes) {
    co_return std::unexpected(bytes.error().describe());
  }
  FetchedMedia fetched;
  fetched.bytes = std::move(*bytes);
  fetched.file_name = media.file_name;
  if (fetched.file_name.empty()) {
    auto slash = file->file_path.find_last_of('/');
    fetched.file_name =
        slash == std::string::npos ? file->file_path : file->file_path.substr(slash + 1);
  }
  fetched.content_type = media.mime_type;
  if (fetched.content_type.empty() && media.kind == "photo") {
    fetched.content_type = "image/jpeg";  // Telegram re-encodes every photo as JPEG
  }
  co_return fetched;
}

asio::awaitable<ProbeResult> TelegramChannel::probe(std::chrono::milliseconds timeout) {
  auto impl = impl_;
  ProbeResult result;
  auto started = std::chrono::steady_clock::now();
  json::object none;
  auto me = co_await impl->api.call("getMe", none, timeout);
  auto elapsed = [&started] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started)
        .count();
  };
  if (!me) {
    result.elapsed_ms = elapsed();
    result.error = me.error().describe();
    co_return result;
  }
  if (auto user = User::from_json(*me)) {
    result.detail["bot"] = json::object{{"id", user->id}, {"username", user->username}};
  }
  if (!impl->config.webhook_url.empty()) {
    auto info = co_await impl->api.call("getWebhookInfo", none, timeout);
    if (info && info->is_object()) {
      json::object webhook;
      const json::object& fields = info->get_object();
      for (std::string_view key : {"url", "pending_update_count", "last_error_message",
                                   "last_error_date", "has_custom_certificate"}) {
        if (const json::value* value = fields.if_contains(key)) {
          webhook[key] = *value;
        }
      }
      result.detail["webhook"] = std::move(webhook);
    } else if (!info) {
      result.elapsed_ms = elapsed();
      result.error = info.error().describe();
      co_return result;
    }
  }
  result.ok = true;
  result.elapsed_ms = elapsed();
  co_return result;
}

void TelegramChannel::set_command_menu(std::vector<std::pair<std::string, std::string>> commands) {
  if (commands == impl_->command_menu && !impl_->menu_dirty) {
    return;
  }
  impl_->command_menu = std::move(commands);
  impl_->menu_dirty = true;
  if (impl_->bot.id != 0 && impl_->loop_running) {
    asio::co_spawn(impl_->io, impl_->register_menu(), asio::detached);
  }
}

}  // namespace pincer::channels::telegram
