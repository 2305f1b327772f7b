#include "channels/telegram/bot_api.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/multipart_body.hpp"
#include "core/text.hpp"

namespace pincer::channels::telegram {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace http = boost::beast::http;

constexpr std::chrono::milliseconds kUploadTimeout{std::chrono::seconds(120)};

// Methods that post something new: a second copy would show twice in the chat.
bool posts_something_new(std::string_view method) {
  std::string name = core::to_lower_ascii(method);
  if (name == "sendchataction") {
    return false;
  }
  return name.starts_with("send") || name.starts_with("forwardmessage") ||
         name.starts_with("copymessage");
}

BotApiErrorKind kind_for_status(int64_t code) {
  switch (code) {
    case 401:
      return BotApiErrorKind::unauthorized;
    case 403:
      return BotApiErrorKind::forbidden;
    case 404:
      return BotApiErrorKind::not_found;
    case 409:
      return BotApiErrorKind::conflict;
    case 429:
      return BotApiErrorKind::rate_limited;
    default:
      break;
  }
  if (code >= 500 && code <= 599) {
    return BotApiErrorKind::server;
  }
  if (code >= 400 && code <= 499) {
    return BotApiErrorKind::bad_request;
  }
  return BotApiErrorKind::invalid_response;
}

std::optional<int64_t> json_integer(const json::value* value) {
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_int64()) {
    return value->get_int64();
  }
  if (value->is_uint64()) {
    return static_cast<int64_t>(value->get_uint64());
  }
  if (value->is_double()) {
    return static_cast<int64_t>(value->get_double());
  }
  return std::nullopt;
}

// Retry-After in seconds (the delta form; the date form is not used by Telegram).
std::optional<int64_t> retry_after_header(std::string_view text) {
  text = core::trim(text);
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return seconds;
}

bool contains_ci(std::string_view text, std::string_view needle) {
  return core::to_lower_ascii(text).find(core::to_lower_ascii(needle)) != std::string::npos;
}

json::object reply_parameters(int64_t message_id) {
  // allow_sending_without_reply: a reply to a message deleted meanwhile still goes out.
  return json::object{{"message_id", message_id}, {"allow_sending_without_reply", true}};
}

}  // namespace

std::string_view to_string(BotApiErrorKind kind) {
  switch (kind) {
    case BotApiErrorKind::network:
      return "network";
    case BotApiErrorKind::aborted:
      return "aborted";
    case BotApiErrorKind::unauthorized:
      return "unauthorized";
    case BotApiErrorKind::forbidden:
      return "forbidden";
    case BotApiErrorKind::not_found:
      return "not_found";
    case BotApiErrorKind::conflict:
      return "conflict";
    case BotApiErrorKind::rate_limited:
      return "rate_limited";
    case BotApiErrorKind::bad_request:
      return "bad_request";
    case BotApiErrorKind::server:
      return "server";
    case BotApiErrorKind::invalid_response:
      return "invalid_response";
    case BotApiErrorKind::too_large:
      return "too_large";
  }
  return "unknown";
}

bool BotApiError::retryable() const {
  return kind == BotApiErrorKind::network || kind == BotApiErrorKind::rate_limited ||
         kind == BotApiErrorKind::server;
}

bool BotApiError::is_parse_entities() const {
  return kind == BotApiErrorKind::bad_request && contains_ci(description, "can't parse entities");
}

bool BotApiError::is_not_modified() const {
  return kind == BotApiErrorKind::bad_request &&
         contains_ci(description, "message is not modified");
}

std::string BotApiError::describe() const {
  const std::string what = description.empty() ? message : description;
  switch (kind) {
    case BotApiErrorKind::network:
      return "could not reach the Telegram Bot API (" + message +
             ") — check the network, the proxy (channels.telegram.proxy, HTTPS_PROXY) and "
             "channels.telegram.apiRoot; retrying";
    case BotApiErrorKind::aborted:
      return "the Telegram " + method + " call was cancelled";
    case BotApiErrorKind::unauthorized:
      return "the bot token was rejected (401 Unauthorized) — check channels.telegram.botToken "
             "(or tokenFile / TELEGRAM_BOT_TOKEN); @BotFather can show or renew the token";
    case BotApiErrorKind::forbidden:
      return "Telegram refused " + method + ": " + what +
             " — the user blocked the bot, or the bot was removed from the chat or lacks the "
             "rights it needs there";
    case BotApiErrorKind::not_found:
      return "the Bot API answered 404 to " + method + " (" + what +
             ") — the bot token may be malformed (check channels.telegram.botToken) or "
             "channels.telegram.apiRoot does not point to a Bot API server";
    case BotApiErrorKind::conflict:
      return "another client is receiving this bot's updates (" + what +
             ") — stop the other program or gateway polling with this token, or remove its "
             "webhook; only one may run per bot";
    case BotApiErrorKind::rate_limited:
      return "Telegram is rate-limiting the bot" +
             (retry_after ? "; retry after " + std::to_string(*retry_after) + " s"
                          : std::string("; retrying later")) +
             " — sending fewer or shorter messages avoids this";
    case BotApiErrorKind::bad_request:
      if (migrate_to_chat_id) {
        return "the group was upgraded to a supergroup with the chat id " +
               std::to_string(*migrate_to_chat_id) +
               " — use that id in channels.telegram.groups and allowlists";
      }
      return "Telegram rejected " + method + ": " + what;
    case BotApiErrorKind::server:
      return "the Telegram Bot API failed on " + method + " (HTTP " + std::to_string(http_status) +
             ") — this is on Telegram's side and usually passes; "
             "retrying";
    case BotApiErrorKind::invalid_response:
      return "the answer to " + method + " is not a Bot API answer (" + message +
             ") — check that channels.telegram.apiRoot points to a Bot API server";
    case BotApiErrorKind::too_large:
      return message + " — raise channels.telegram.mediaMaxMb if such files should be accepted";
  }
  return message;
}

BotApi::BotApi(core::HttpClient& http, std::string api_root, std::string token)
    : http_(http), api_root_(std::move(api_root)), token_(std::move(token)) {
  while (api_root_.ends_with('/')) {
    api_root_.pop_back();
  }
}

std::string BotApi::method_url(std::string_view method) const {
  return api_root_ + "/bot" + token_ + "/" + std::string(method);
}

std::string BotApi::scrub(std::string text) const {
  if (token_.empty()) {
    return text;
  }
  for (auto at = text.find(token_); at != std::string::npos; at = text.find(token_, at)) {
    text.replace(at, token_.size(), "<bot token>");
  }
  return text;
}

asio::awaitable<BotApiResult<json::value>> BotApi::send(std::string_view method_name,
                                                        core::HttpRequest request) {
  const std::string method(method_name);
  request.replay_safe = !posts_something_new(method);
  auto response = co_await http_.request(std::move(request));

  BotApiError error;
  error.method = method;
  if (!response) {
    switch (response.error().kind) {
      case core::HttpErrorKind::aborted:
        error.kind = BotApiErrorKind::aborted;
        break;
      case core::HttpErrorKind::too_large:
        error.kind = BotApiErrorKind::too_large;
        break;
      default:
        error.kind = BotApiErrorKind::network;
    }
    error.message = scrub(method + ": " + response.error().message);
    co_return std::unexpected(std::move(error));
  }

  error.http_status = response->status;
  boost::system::error_code parse_ec;
  json::value body = json::parse(response->body, parse_ec);
  const json::object* answer = parse_ec ? nullptr : body.if_object();
  const json::value* ok = answer != nullptr ? answer->if_contains("ok") : nullptr;
  const bool success_status = response->status >= 200 && response->status <= 299;

  if (ok != nullptr && ok->is_bool() && ok->get_bool() && success_status) {
    const json::value* result = answer->if_contains("result");
    if (result == nullptr) {
      error.kind = BotApiErrorKind::invalid_response;
      error.message = method + ": the answer has ok=true but no result";
      co_return std::unexpected(std::move(error));
    }
    co_return *result;
  }

  if (ok != nullptr && ok->is_bool() && !ok->get_bool()) {
    error.error_code = json_integer(answer->if_contains("error_code")).value_or(response->status);
    if (const json::value* description = answer->if_contains("description");
        description != nullptr && description->is_string()) {
      error.description = scrub(std::string(description->get_string()));
    }
    if (const json::value* parameters = answer->if_contains("parameters");
        parameters != nullptr && parameters->is_object()) {
      error.retry_after = json_integer(parameters->get_object().if_contains("retry_after"));
      error.migrate_to_chat_id =
          json_integer(parameters->get_object().if_contains("migrate_to_chat_id"));
    }
    error.kind = kind_for_status(error.error_code != 0 ? error.error_code : response->status);
    if (error.kind == BotApiErrorKind::invalid_response) {
      error.kind = kind_for_status(response->status);
    }
    if (error.kind == BotApiErrorKind::invalid_response) {  // ok=false with a 2xx and no code
      error.kind = BotApiErrorKind::bad_request;
    }
  } else if (success_status) {
    error.kind = BotApiErrorKind::invalid_response;
  } else {  // a proxy's or load balancer's page, not the Bot API's JSON
    error.error_code = response->status;
    error.kind = kind_for_status(response->status);
  }
  if (error.kind == BotApiErrorKind::rate_limited && !error.retry_after) {
    error.retry_after = retry_after_header(response->header("retry-after"));
  }
  error.message = method + ": HTTP " + std::to_string(response->status);
  if (!error.description.empty()) {
    error.message += ": " + error.description;
  } else if (answer == nullptr) {
    error.message += ", and the body is not JSON";
  } else if (ok == nullptr || !ok->is_bool()) {
    error.message += ", and the JSON has no \"ok\" field";
  }
  error.message = scrub(std::move(error.message));
  co_return std::unexpected(std::move(error));
}

asio::awaitable<BotApiResult<json::value>> BotApi::call(std::string_view method,
                                                        json::object params,
                                                        std::chrono::milliseconds timeout) {
  core::HttpRequest request;
  request.verb = http::verb::post;
  request.url = method_url(method);
  request.content_type = "application/json";
  request.body = json::serialize(params);
  request.timeout = timeout;
  co_return co_await send(method, std::move(request));
}

asio::awaitable<BotApiResult<json::value>> BotApi::call_multipart(
    std::string_view method, json::object params, std::vector<BotApiUpload> files,
    std::chrono::milliseconds timeout) {
  core::MultipartBody multipart;
  for (const auto& [key, value] : params) {
    if (value.is_null()) {
      continue;
    }
    multipart.add_field(
        key, value.is_string() ? std::string(value.get_string()) : json::serialize(value));
  }
  for (const auto& file : files) {
    multipart.add_file(file.field, file.filename, file.content_type, file.bytes);
  }
  core::HttpRequest request;
  request.verb = http::verb::post;
  request.url = method_url(method);
  request.content_type = multipart.content_type();
  request.body = multipart.body();
  request.timeout = timeout;
  co_return co_await send(method, std::move(request));
}

namespace {

// A typed result, or invalid_response naming what did not parse.
template <class T>
BotApiResult<T> typed(std::string_view method, Result<T> parsed) {
  if (parsed) {
    return std::move(*parsed);
  }
  BotApiError error;
  error.kind = BotApiErrorKind::invalid_response;
  error.method = std::string(method);
  error.http_status = 200;
  error.message = std::string(method) + ": " + parsed.error().message;
  return std::unexpected(std::move(error));
}

BotApiResult<void> done(BotApiResult<json::value> answer) {
  if (!answer) {
    return std::unexpected(std::move(answer.error()));
  }
  return {};
}

}  // namespace

asio::awaitable<BotApiResult<User>> BotApi::get_me() {
  auto answer = co_await call("getMe");
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  co_return typed("getMe", User::from_json(*answer));
}

asio::awaitable<BotApiResult<std::vector<Update>>> BotApi::get_updates(
    int64_t offset, int timeout_s, int limit, const std::vector<std::string>& allowed_updates) {
  json::object params{{"offset", offset}, {"timeout", timeout_s}, {"limit", limit}};
  if (!allowed_updates.empty()) {
    json::array allowed;
    for (const auto& name : allowed_updates) {
      allowed.emplace_back(name);
    }
    params["allowed_updates"] = std::move(allowed);
  }
  auto timeout =
      std::chrono::milliseconds(std::chrono::seconds(std::max(timeout_s, 0))) + kPollGrace;
  auto answer = co_await call("getUpdates", std::move(params), timeout);
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  const json::array* items = answer->if_array();
  if (items == nullptr) {
    BotApiError error;
    error.kind = BotApiErrorKind::invalid_response;
    error.method = "getUpdates";
    error.http_status = 200;
    error.message = "getUpdates: the result is not an array";
    co_return std::unexpected(std::move(error));
  }
  std::vector<Update> updates;
  updates.reserve(items->size());
  for (const auto& item : *items) {
    // An update without a readable update_id cannot be confirmed on its own; confirming a later
    // one drops it too.
    if (auto update = Update::from_json(item)) {
      updates.push_back(std::move(*update));
    }
  }
  co_return updates;
}

asio::awaitable<BotApiResult<Message>> BotApi::send_message(const SendMessageRequest& request) {
  json::object params{{"chat_id", request.chat_id}, {"text", request.text}};
  if (!request.parse_mode.empty()) {
    params["parse_mode"] = request.parse_mode;
  }
  if (request.message_thread_id) {
    params["message_thread_id"] = *request.message_thread_id;
  }
  if (request.reply_to_message_id) {
    params["reply_parameters"] = reply_parameters(*request.reply_to_message_id);
  }
  if (request.disable_notification) {
    params["disable_notification"] = true;
  }
  if (request.disable_link_preview) {
    params["link_preview_options"] = json::object{{"is_disabled", true}};
  }
  auto answer = co_await call("sendMessage", std::move(params));
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  co_return typed("sendMessage", Message::from_json(*answer));
}

asio::awaitable<BotApiResult<void>> BotApi::edit_message_text(
    const EditMessageTextRequest& request) {
  json::object params{
      {"chat_id", request.chat_id}, {"message_id", request.message_id}, {"text", request.text}};
  if (!request.parse_mode.empty()) {
    params["parse_mode"] = request.parse_mode;
  }
  if (request.disable_link_preview) {
    params["link_preview_options"] = json::object{{"is_disabled", true}};
  }
  co_return done(co_await call("editMessageText", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::delete_message(int64_t chat_id, int64_t message_id) {
  // The parameters are built before the co_await: GCC 12 miscompiles (rejects) a braced
  // initializer list inside a co_await expression.
  json::object params{{"chat_id", chat_id}, {"message_id", message_id}};
  co_return done(co_await call("deleteMessage", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::send_chat_action(
    int64_t chat_id, std::string_view action, std::optional<int64_t> message_thread_id) {
  json::object params{{"chat_id", chat_id}, {"action", action}};
  if (message_thread_id) {
    params["message_thread_id"] = *message_thread_id;
  }
  co_return done(co_await call("sendChatAction", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::set_message_reaction(int64_t chat_id,
                                                                 int64_t message_id,
                                                                 std::string_view emoji,
                                                                 bool is_big) {
  json::array reaction;
  if (!emoji.empty()) {
    reaction.push_back(json::object{{"type", "emoji"}, {"emoji", emoji}});
  }
  json::object params{
      {"chat_id", chat_id}, {"message_id", message_id}, {"reaction", std::move(reaction)}};
  if (is_big) {
    params["is_big"] = true;
  }
  co_return done(co_await call("setMessageReaction", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::set_my_commands(const std::vector<BotCommand>& commands,
                                                            json::object scope,
                                                            std::string_view language_code) {
  json::array list;
  for (const auto& command : commands) {
    list.push_back(command.to_json());
  }
  json::object params{{"commands", std::move(list)}};
  if (!scope.empty()) {
    params["scope"] = std::move(scope);
  }
  if (!language_code.empty()) {
    params["language_code"] = language_code;
  }
  co_return done(co_await call("setMyCommands", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::delete_my_commands(json::object scope,
                                                               std::string_view language_code) {
  json::object params;
  if (!scope.empty()) {
    params["scope"] = std::move(scope);
  }
  if (!language_code.empty()) {
    params["language_code"] = language_code;
  }
  co_return done(co_await call("deleteMyCommands", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::set_webhook(const WebhookSettings& settings) {
  json::object params{{"url", settings.url}};
  if (!settings.secret_token.empty()) {
    params["secret_token"] = settings.secret_token;
  }
  if (!settings.allowed_updates.empty()) {
    json::array allowed;
    for (const auto& name : settings.allowed_updates) {
      allowed.emplace_back(name);
    }
    params["allowed_updates"] = std::move(allowed);
  }
  if (settings.drop_pending_updates) {
    params["drop_pending_updates"] = true;
  }
  co_return done(co_await call("setWebhook", std::move(params)));
}

asio::awaitable<BotApiResult<void>> BotApi::delete_webhook(bool drop_pending_updates) {
  json::object params;
  if (drop_pending_updates) {
    params["drop_pending_updates"] = true;
  }
  co_return done(co_await call("deleteWebhook", std::move(params)));
}

asio::awaitable<BotApiResult<WebhookInfo>> BotApi::get_webhook_info() {
  auto answer = co_await call("getWebhookInfo");
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  co_return typed("getWebhookInfo", WebhookInfo::from_json(*answer));
}

asio::awaitable<BotApiResult<File>> BotApi::get_file(std::string_view file_id) {
  json::object params{{"file_id", file_id}};
  auto answer = co_await call("getFile", std::move(params));
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  co_return typed("getFile", File::from_json(*answer));
}

asio::awaitable<BotApiResult<std::string>> BotApi::download_file(
    std::string_view file_path, std::size_t max_bytes, std::chrono::milliseconds timeout) {
  while (file_path.starts_with('/')) {
    file_path.remove_prefix(1);
  }
  core::HttpRequest request;
  request.verb = http::verb::get;
  request.url = api_root_ + "/file/bot" + token_ + "/" + std::string(file_path);
  request.timeout = timeout;
  request.max_response_bytes = max_bytes;
  auto response = co_await http_.request(std::move(request));
  if (response && response->status >= 200 && response->status <= 299) {
    co_return std::move(response->body);
  }
  BotApiError error;
  error.method = "file";
  if (!response) {
    error.kind = response.error().kind == core::HttpErrorKind::aborted ? BotApiErrorKind::aborted
                 : response.error().kind == core::HttpErrorKind::too_large
                     ? BotApiErrorKind::too_large
                     : BotApiErrorKind::network;
    error.message =
        error.kind == BotApiErrorKind::too_large
            ? "the file is larger than the " + std::to_string(max_bytes) + " byte download limit"
            : "file download: " + response.error().message;
    error.message = scrub(std::move(error.message));
    co_return std::unexpected(std::move(error));
  }
  error.http_status = response->status;
  error.error_code = response->status;
  error.kind = kind_for_status(response->status);
  boost::system::error_code parse_ec;
  json::value body = json::parse(response->body, parse_ec);
  if (!parse_ec && body.is_object()) {
    if (const json::value* description = body.get_object().if_contains("description");
        description != nullptr && description->is_string()) {
      error.description = scrub(std::string(description->get_string()));
    }
  }
  error.message = scrub("file download: HTTP " + std::to_string(response->status) +
                        (error.description.empty() ? "" : ": " + error.description));
  co_return std::unexpected(std::move(error));
}

asio::awaitable<BotApiResult<Message>> BotApi::send_file(std::string_view method,
                                                         std::string_view field,
                                                         const SendFileRequest& request) {
  json::object params{{"chat_id", request.chat_id}};
  if (!request.caption.empty()) {
    params["caption"] = request.caption;
  }
  if (!request.parse_mode.empty()) {
    params["parse_mode"] = request.parse_mode;
  }
  if (request.message_thread_id) {
    params["message_thread_id"] = *request.message_thread_id;
  }
  if (request.reply_to_message_id) {
    params["reply_parameters"] = reply_parameters(*request.reply_to_message_id);
  }
  if (request.disable_notification) {
    params["disable_notification"] = true;
  }
  std::vector<BotApiUpload> files;
  files.push_back({std::string(field), request.filename, request.content_type, request.bytes});
  auto answer =
      co_await call_multipart(method, std::move(params), std::move(files), kUploadTimeout);
  if (!answer) {
    co_return std::unexpected(std::move(answer.error()));
  }
  co_return typed(method, Message::from_json(*answer));
}

asio::awaitable<BotApiResult<Message>> BotApi::send_document(const SendFileRequest& request) {
  co_return co_await send_file("sendDocument", "document", request);
}

asio::awaitable<BotApiResult<Message>> BotApi::send_photo(const SendFileRequest& request) {
  co_return co_await send_file("sendPhoto", "photo", request);
}

}  // namespace pincer::channels::telegram
