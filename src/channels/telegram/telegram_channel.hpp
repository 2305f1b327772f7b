#pragma once
// TelegramChannel: one Telegram bot over the Bot API (docs: channels/telegram, and the public
// Bot API reference).
//
// Receiving: long polling getUpdates (timeout kPollSeconds) by default, or webhook mode when
// webhookUrl is set: the gateway serves webhookPath on its own port and hands each POST to
// handle_webhook(), which checks the X-Telegram-Bot-Api-Secret-Token header in constant time.
// Each update is handed to the sink and acknowledged (the next getUpdates offset, or the webhook's
// 200) only after the sink stored it. Errors back off exponentially (1 s doubling to 30 s, with
// jitter); a 409 (another poller or a webhook) and a 401 (token rejected) are shown in the status
// and retried slowly; a 429 waits retry_after.
//
// Sending: sendMessage / editMessageText with parse_mode HTML (the plain-text twin when asked),
// sendChatAction "typing", setMessageReaction, deleteMessage; files through sendPhoto (JPEG, PNG
// and WebP images up to 10 MB) or sendDocument (everything else); forum topics through
// message_thread_id. Inbound files are fetched with getFile and the file download URL. Errors
// are classified into SendError kinds for the outbound queue.
//
// Command menu: once the bot is identified, setMyCommands registers the menu the manager built
// (native commands, customCommands); a failure is logged, never fatal.
//
// The bot token appears only in request URLs; it is never logged or put in an error message.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "channels/channel.hpp"
#include "core/config.hpp"
#include "core/http_client.hpp"

namespace pincer::channels::telegram {

// Where an account's token comes from: botToken, then tokenFile (a regular file, not a symlink),
// then TELEGRAM_BOT_TOKEN for the default account. Empty token: none configured; `error` says
// why when a source was set but unusable.
struct ResolvedToken {
  std::string token;
  std::string source;  // "config" | "tokenFile" | "env" | "none"
  std::string error;
};
ResolvedToken resolve_bot_token(const core::TelegramAccountConfig& account,
                                bool is_default_account);

class TelegramChannel final : public Channel {
 public:
  static constexpr int kPollSeconds = 30;
  // Caption limit of sendPhoto/sendDocument, in UTF-16 units as Telegram counts.
  static constexpr std::size_t kMaxCaption = 1024;
  // Upload limits of the cloud Bot API: photos up to 10 MB, other files up to 50 MB.
  static constexpr std::size_t kMaxPhotoBytes = std::size_t{10} * 1024 * 1024;
  static constexpr std::size_t kMaxUploadBytes = std::size_t{50} * 1024 * 1024;

  TelegramChannel(boost::asio::io_context& io, core::HttpClient& http,
                  core::TelegramAccountConfig config, ResolvedToken token, InboundSink& sink);
  ~TelegramChannel() override;

  std::string_view id() const override { return "telegram"; }
  const std::string& account_id() const override;
  ChannelCapabilities capabilities() const override;
  ChannelStatus status() const override;

  void start() override;
  boost::asio::awaitable<void> stop() override;

  boost::asio::awaitable<SendResult<SentMessage>> send(const OutboundTarget& target,
                                                       const OutboundPart& part,
                                                       bool use_fallback) override;
  boost::asio::awaitable<SendResult<void>> edit(const OutboundTarget& target,
                                                std::string_view message_id,
                                                const OutboundPart& part,
                                                bool use_fallback) override;
  boost::asio::awaitable<SendResult<void>> remove(const OutboundTarget& target,
                                                  std::string_view message_id) override;
  boost::asio::awaitable<SendResult<void>> typing(const OutboundTarget& target) override;
  boost::asio::awaitable<SendResult<void>> react(const OutboundTarget& target,
                                                 std::string_view message_id,
                                                 std::string_view emoji) override;

  boost::asio::awaitable<SendResult<SentMessage>> send_media(const OutboundTarget& target,
                                                             const OutboundMedia& media,
                                                             const OutboundPart* caption,
                                                             bool use_fallback) override;
  std::size_t max_caption_length() const override { return kMaxCaption; }
  boost::asio::awaitable<std::expected<FetchedMedia, std::string>> fetch_media(
      const InboundMedia& media, std::size_t max_bytes) override;
  // getMe, and getWebhookInfo in webhook mode.
  boost::asio::awaitable<ProbeResult> probe(std::chrono::milliseconds timeout) override;

  // The command menu (setMyCommands): names and descriptions, already validated.
  void set_command_menu(std::vector<std::pair<std::string, std::string>> commands);

  bool webhook_mode() const;
  const std::string& webhook_path() const;
  // One webhook POST: the HTTP status to answer (200 once stored, 401 for a wrong secret, 400
  // for a body that is not an update, 503 when it could not be stored so Telegram retries).
  boost::asio::awaitable<int> handle_webhook(std::string_view secret_header, std::string_view body);

  // channels.logout: removes the webhook (so another poller can take over) and stops.
  boost::asio::awaitable<void> logout();

  const std::string& bot_username() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pincer::channels::telegram
