#pragma once
// BotApi: the Telegram Bot API over core::HttpClient (https://core.telegram.org/bots/api).
//
// Every method is a POST to <api_root>/bot<token>/<method> with a JSON body (multipart for
// uploads); Telegram answers {"ok":true,"result":...} or {"ok":false,"error_code":N,
// "description":"...","parameters":{"retry_after":N,"migrate_to_chat_id":N}}. call() returns the
// result, or a BotApiError sorted by cause so callers can decide: retry (retryable(), waiting
// retry_after on a 429), fall back to plain text (is_parse_entities()), ignore
// (is_not_modified()), or stop and tell the user (describe()).
//
// Retries are the caller's business; the one exception is HttpClient's replay of a request on a
// stale keep-alive connection, which BotApi allows for every method except the ones that post
// something new (send*, except sendChatAction; forwardMessage(s); copyMessage(s)): those could
// appear twice.
//
// The token is a secret: it appears only in request URLs, which HttpClient never puts in an
// error, and BotApi additionally scrubs it from every error text it builds. It does not log.
//
// Not here: rate limiting (Telegram's limits are per chat; the outbound queue paces sends),
// webhook serving, and formatting (HTML conversion lives with the channel).

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "channels/telegram/telegram_types.hpp"
#include "core/http_client.hpp"

namespace pincer::channels::telegram {

enum class BotApiErrorKind {
  network,           // no answer: connect, TLS, timeout, dropped connection
  aborted,           // the awaiting coroutine was cancelled
  unauthorized,      // 401: the token was rejected
  forbidden,         // 403: blocked by the user, kicked from the chat, no rights
  not_found,         // 404: unknown method, malformed token, or a missing file
  conflict,          // 409: another getUpdates poller, or a webhook is set
  rate_limited,      // 429: flood control; retry_after says how long to wait
  bad_request,       // 400 and other 4xx: the request itself is wrong
  server,            // 5xx: Telegram's side failed
  invalid_response,  // the answer is not the Bot API's JSON
  too_large,         // a download exceeded its size cap
};

std::string_view to_string(BotApiErrorKind kind);

struct BotApiError {
  using Kind = BotApiErrorKind;

  Kind kind = BotApiErrorKind::network;
  std::string method;                  // the Bot API method ("sendMessage"); "file" for downloads
  int http_status = 0;                 // 0 when no response arrived
  int64_t error_code = 0;              // Telegram's error_code (usually the HTTP status)
  std::string description;             // Telegram's description, e.g. "Bad Request: chat not found"
  std::optional<int64_t> retry_after;  // seconds (parameters.retry_after)
  std::optional<int64_t> migrate_to_chat_id;  // the supergroup a group became
  std::string message;  // what happened, one line, for logs (never holds the token)

  // Worth trying again later: network failures, 429 (after retry_after) and 5xx.
  bool retryable() const;
  // A 400 because the parse_mode markup was rejected: send the plain-text version instead.
  bool is_parse_entities() const;
  // A 400 because an edit would not change the message: nothing to do.
  bool is_not_modified() const;
  // What happened and what to do, for the user (status output, logs).
  std::string describe() const;
};

template <class T>
using BotApiResult = std::expected<T, BotApiError>;

// A file part of a multipart call.
struct BotApiUpload {
  std::string field;  // the parameter name: "document", "photo"
  std::string filename;
  std::string content_type;  // application/octet-stream when empty
  std::string bytes;
};

struct SendMessageRequest {
  int64_t chat_id = 0;
  std::string text;
  std::string parse_mode;  // "HTML", "MarkdownV2" or empty for plain text
  std::optional<int64_t> message_thread_id;
  std::optional<int64_t> reply_to_message_id;  // sent as reply_parameters
  bool disable_notification = false;
  bool disable_link_preview = false;  // link_preview_options.is_disabled
};

struct EditMessageTextRequest {
  int64_t chat_id = 0;
  int64_t message_id = 0;
  std::string text;
  std::string parse_mode;
  bool disable_link_preview = false;
};

// sendDocument / sendPhoto: the file is uploaded from memory.
struct SendFileRequest {
  int64_t chat_id = 0;
  std::string bytes;
  std::string filename;
  std::string content_type;
  std::string caption;
  std::string parse_mode;
  std::optional<int64_t> message_thread_id;
  std::optional<int64_t> reply_to_message_id;
  bool disable_notification = false;
};

struct WebhookSettings {
  std::string url;           // https://...
  std::string secret_token;  // echoed in X-Telegram-Bot-Api-Secret-Token; empty for none
  std::vector<std::string> allowed_updates;  // empty: Telegram's default set
  bool drop_pending_updates = false;
};

class BotApi {
 public:
  static constexpr std::chrono::milliseconds kDefaultTimeout{std::chrono::seconds(30)};
  // Added to the long-poll time of getUpdates, so the HTTP deadline never ends a poll early.
  static constexpr std::chrono::milliseconds kPollGrace{std::chrono::seconds(15)};

  // `api_root`: "https://api.telegram.org" or a local Bot API server, without "/bot" (a
  // trailing "/" is dropped). `http` must outlive the BotApi.
  BotApi(core::HttpClient& http, std::string api_root, std::string token);

  // One method call with JSON parameters; the "result" member of a successful answer.
  boost::asio::awaitable<BotApiResult<boost::json::value>> call(
      std::string_view method, boost::json::object params = {},
      std::chrono::milliseconds timeout = kDefaultTimeout);
  // The same as multipart/form-data: string parameters go as they are, other JSON values
  // serialized (as the Bot API expects for objects in forms), then the files.
  boost::asio::awaitable<BotApiResult<boost::json::value>> call_multipart(
      std::string_view method, boost::json::object params, std::vector<BotApiUpload> files,
      std::chrono::milliseconds timeout = kDefaultTimeout);

  boost::asio::awaitable<BotApiResult<User>> get_me();
  // Long polling: waits up to `timeout_s` seconds for updates after `offset` (which confirms
  // everything before it). `allowed_updates` empty: Telegram keeps the previous setting.
  boost::asio::awaitable<BotApiResult<std::vector<Update>>> get_updates(
      int64_t offset, int timeout_s, int limit = 100,
      const std::vector<std::string>& allowed_updates = {});

  boost::asio::awaitable<BotApiResult<Message>> send_message(const SendMessageRequest& request);
  boost::asio::awaitable<BotApiResult<void>> edit_message_text(
      const EditMessageTextRequest& request);
  boost::asio::awaitable<BotApiResult<void>> delete_message(int64_t chat_id, int64_t message_id);
  // action: "typing", "upload_photo", "upload_document", ...
  boost::asio::awaitable<BotApiResult<void>> send_chat_action(
      int64_t chat_id, std::string_view action,
      std::optional<int64_t> message_thread_id = std::nullopt);
  // Sets the bot's reaction to one emoji; an empty emoji removes it.
  boost::asio::awaitable<BotApiResult<void>> set_message_reaction(int64_t chat_id,
                                                                  int64_t message_id,
                                                                  std::string_view emoji,
                                                                  bool is_big = false);

  // `scope`: a BotCommandScope object, empty for the default scope.
  boost::asio::awaitable<BotApiResult<void>> set_my_commands(
      const std::vector<BotCommand>& commands, boost::json::object scope = {},
      std::string_view language_code = {});
  boost::asio::awaitable<BotApiResult<void>> delete_my_commands(
      boost::json::object scope = {}, std::string_view language_code = {});

  boost::asio::awaitable<BotApiResult<void>> set_webhook(const WebhookSettings& settings);
  boost::asio::awaitable<BotApiResult<void>> delete_webhook(bool drop_pending_updates = false);
  boost::asio::awaitable<BotApiResult<WebhookInfo>> get_webhook_info();

  boost::asio::awaitable<BotApiResult<File>> get_file(std::string_view file_id);
  // GET <api_root>/file/bot<token>/<file_path>: the bytes, at most `max_bytes` (too_large
  // beyond).
  boost::asio::awaitable<BotApiResult<std::string>> download_file(
      std::string_view file_path, std::size_t max_bytes,
      std::chrono::milliseconds timeout = std::chrono::seconds(120));

  boost::asio::awaitable<BotApiResult<Message>> send_document(const SendFileRequest& request);
  boost::asio::awaitable<BotApiResult<Message>> send_photo(const SendFileRequest& request);

  const std::string& api_root() const { return api_root_; }

 private:
  boost::asio::awaitable<BotApiResult<boost::json::value>> send(std::string_view method,
                                                                core::HttpRequest request);
  boost::asio::awaitable<BotApiResult<Message>> send_file(std::string_view method,
                                                          std::string_view field,
                                                          const SendFileRequest& request);
  std::string method_url(std::string_view method) const;
  // `text` with every occurrence of the token replaced.
  std::string scrub(std::string text) const;

  core::HttpClient& http_;
  std::string api_root_;
  std::string token_;
};

}  // namespace pincer::channels::telegram
