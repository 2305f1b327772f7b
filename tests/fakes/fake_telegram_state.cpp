// The Bot API methods of the fake Telegram server. Error descriptions are the ones Telegram
// answers with ("Bad Request: message text is empty", ...); a few the documentation does not
// pin down are worded in the same style.

#include "fakes/fake_telegram_state.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/text.hpp"
#include "fakes/fake_telegram_html.hpp"
#include "fakes/fake_telegram_request.hpp"

namespace pincer::fakes {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxTextLength = 4096;     // UTF-16 units, after entity parsing
constexpr std::size_t kMaxCaptionLength = 1024;  // UTF-16 units
constexpr std::size_t kMaxDownloadBytes = 20 * 1024 * 1024;

int64_t now_unix() {
  return static_cast<int64_t>(std::time(nullptr));
}

bool has_param(const json::object& p, std::string_view key) {
  const json::value* v = p.if_contains(key);
  return v != nullptr && !v->is_null();
}

// Telegram reads integers from JSON numbers and from decimal strings (forms, queries).
std::optional<int64_t> int_param(const json::object& p, std::string_view key) {
  const json::value* v = p.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64()) {
    return static_cast<int64_t>(v->get_uint64());
  }
  if (v->is_double()) {
    return static_cast<int64_t>(v->get_double());
  }
  if (v->is_string()) {
    std::string_view text = core::trim(std::string_view(v->get_string()));
    if (text.empty()) {
      return std::nullopt;
    }
    std::size_t i = text.front() == '-' ? 1 : 0;
    if (i == text.size() ||
        !std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i), text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return std::nullopt;
    }
    try {
      return std::stoll(std::string(text));
    } catch (const std::out_of_range&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string string_param(const json::object& p, std::string_view key) {
  const json::value* v = p.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return {};
  }
  if (v->is_string()) {
    return std::string(v->get_string());
  }
  return json::serialize(*v);
}

bool bool_param(const json::object& p, std::string_view key) {
  const json::value* v = p.if_contains(key);
  if (v == nullptr) {
    return false;
  }
  if (v->is_bool()) {
    return v->get_bool();
  }
  if (v->is_string()) {
    std::string text = core::lowercase_trimmed(v->get_string());
    return text == "true" || text == "1";
  }
  return v->is_number() && v->to_number<double>() != 0;
}

// Objects and arrays arrive as JSON in JSON bodies and as JSON-serialized strings in forms.
json::value json_param(const json::object& p, std::string_view key) {
  const json::value* v = p.if_contains(key);
  if (v == nullptr) {
    return nullptr;
  }
  if (v->is_string()) {
    boost::system::error_code ec;
    json::value parsed = json::parse(v->get_string(), ec);
    return ec ? json::value(nullptr) : parsed;
  }
  return *v;
}

// The text Telegram stores for `raw` under parse_mode / explicit entities.
std::expected<TelegramText, ApiAnswer> format_text(const std::string& raw, const json::object& p,
                                                   std::string_view entities_key, bool strict) {
  if (!is_valid_utf8(raw)) {
    return std::unexpected(api_error(400, "Bad Request: strings must be encoded in UTF-8"));
  }
  std::string mode = core::lowercase_trimmed(string_param(p, "parse_mode"));
  TelegramText text;
  if (mode.empty()) {
    text.text = raw;
    if (json::value entities = json_param(p, entities_key); entities.is_array()) {
      text.entities = entities.get_array();
    }
  } else if (mode == "html") {
    auto parsed = parse_telegram_html(raw, strict);
    if (!parsed) {
      return std::unexpected(
          api_error(400, "Bad Request: can't parse entities: " + parsed.error()));
    }
    text = std::move(*parsed);
  } else {
    return std::unexpected(api_error(400, "Bad Request: unsupported parse_mode"));
  }
  normalize_telegram_text(text);
  return text;
}

// Width and height from a PNG, GIF or JPEG header; a placeholder for anything else.
std::pair<int, int> image_size(std::string_view bytes) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() >= 24 && bytes.starts_with("\x89PNG")) {
    auto be32 = [&](std::size_t i) {
      return static_cast<int>((byte(i) << 24) | (byte(i + 1) << 16) | (byte(i + 2) << 8) |
                              byte(i + 3));
    };
    return {be32(16), be32(20)};
  }
  if (bytes.size() >= 10 && bytes.starts_with("GIF8")) {
    return {byte(6) | (byte(7) << 8), byte(8) | (byte(9) << 8)};
  }
  if (bytes.size() >= 4 && byte(0) == 0xFF && byte(1) == 0xD8) {
    std::size_t i = 2;
    while (i + 9 < bytes.size()) {
      if (byte(i) != 0xFF) {
        ++i;
        continue;
      }
      unsigned char marker = byte(i + 1);
      bool sof =
          marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        return {(byte(i + 7) << 8) | byte(i + 8), (byte(i + 5) << 8) | byte(i + 6)};
      }
      i += 2 + static_cast<std::size_t>((byte(i + 2) << 8) | byte(i + 3));
    }
  }
  return {800, 600};
}

std::string extension_of(std::string_view name, std::string_view fallback) {
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size() || name.size() - dot > 8) {
    return std::string(fallback);
  }
  return core::to_lower_ascii(name.substr(dot));
}

std::string mime_for(std::string_view extension) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".txt", "text/plain"},      {".md", "text/markdown"}, {".json", "application/json"},
      {".pdf", "application/pdf"}, {".png", "image/png"},    {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},     {".gif", "image/gif"},    {".zip", "application/zip"},
      {".csv", "text/csv"},        {".html", "text/html"},   {".ogg", "audio/ogg"},
      {".mp3", "audio/mpeg"},      {".mp4", "video/mp4"}};
  for (auto [ext, type] : kTypes) {
    if (ext == extension) {
      return std::string(type);
    }
  }
  return "application/octet-stream";
}

bool valid_command(std::string_view command) {
  return !command.empty() && command.size() <= 32 &&
         std::all_of(command.begin(), command.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

std::string commands_key(const json::object& p) {
  std::string scope = "default";
  if (json::value s = json_param(p, "scope"); s.is_object()) {
    scope = string_param(s.get_object(), "type");
    if (auto chat = int_param(s.get_object(), "chat_id")) {
      scope += ":" + std::to_string(*chat);
    }
    if (auto user = int_param(s.get_object(), "user_id")) {
      scope += ":" + std::to_string(*user);
    }
  }
  return scope + "|" + string_param(p, "language_code");
}

std::string update_type(const json::object& update) {
  for (const auto& [key, value] : update) {
    if (key != "update_id") {
      return std::string(key);
    }
  }
  return {};
}

json::object with_first(std::string_view key, json::value value, const json::object& rest) {
  json::object out;
  out[key] = std::move(value);
  for (const auto& [k, v] : rest) {
    if (k != key) {
      out[k] = v;
    }
  }
  return out;
}

}  // namespace

ApiAnswer api_result(json::value result, std::string_view description) {
  json::object body{{"ok", true}, {"result", std::move(result)}};
  if (!description.empty()) {
    body["description"] = description;
  }
  return {200, std::move(body)};
}

ApiAnswer api_error(int code, std::string description, json::object parameters) {
  json::object body{{"ok", false}, {"error_code", code}, {"description", std::move(description)}};
  if (!parameters.empty()) {
    body["parameters"] = std::move(parameters);
  }
  return {code, std::move(body)};
}

TelegramState::TelegramState() = default;

ApiAnswer TelegramState::call(std::string_view method, const json::object& params,
                              const std::vector<TelegramUpload>& uploads) {
  if (method == "getme") {
    return get_me();
  }
  if (method == "sendmessage") {
    return send_message(params);
  }
  if (method == "editmessagetext") {
    return edit_message_text(params);
  }
  if (method == "deletemessage") {
    return delete_message(params);
  }
  if (method == "sendchataction") {
    return send_chat_action(params);
  }
  if (method == "setmessagereaction") {
    return set_message_reaction(params);
  }
  if (method == "setmycommands") {
    return set_my_commands(params);
  }
  if (method == "getmycommands") {
    return get_my_commands(params);
  }
  if (method == "deletemycommands") {
    return delete_my_commands(params);
  }
  if (method == "sendphoto") {
    return send_media("photo", params, uploads);
  }
  if (method == "senddocument") {
    return send_media("document", params, uploads);
  }
  if (method == "getfile") {
    return get_file(params);
  }
  if (method == "setwebhook") {
    return set_webhook(params);
  }
  if (method == "deletewebhook") {
    return delete_webhook(params);
  }
  if (method == "getwebhookinfo") {
    return get_webhook_info();
  }
  if (method == "answercallbackquery") {
    return api_result(true);
  }
  return api_error(404, "Not Found");
}

json::object TelegramState::bot_user() const {
  return {{"id", bot_id_},
          {"is_bot", true},
          {"first_name", bot_first_name_},
          {"username", bot_username_}};
}

ApiAnswer TelegramState::get_me() const {
  json::object me = bot_user();
  me["can_join_groups"] = true;
  me["can_read_all_group_messages"] = false;
  me["supports_inline_queries"] = false;
  me["can_connect_to_business"] = false;
  me["has_main_web_app"] = false;
  return api_result(std::move(me));
}

TelegramState::ChatRecord& TelegramState::chat(int64_t chat_id) {
  auto [it, inserted] = chats_.try_emplace(chat_id);
  if (inserted) {
    if (chat_id > 0) {
      it->second.chat = {
          {"id", chat_id}, {"first_name", "User " + std::to_string(chat_id)}, {"type", "private"}};
    } else {
      bool supergroup = chat_id < -1000000000000;
      it->second.chat = {{"id", chat_id},
                         {"title", "Chat " + std::to_string(chat_id)},
                         {"type", supergroup ? "supergroup" : "group"}};
    }
  }
  return it->second;
}

std::expected<TelegramState::ChatRecord*, ApiAnswer> TelegramState::target_chat(
    const json::object& p) {
  if (!has_param(p, "chat_id") || string_param(p, "chat_id").empty()) {
    return std::unexpected(api_error(400, "Bad Request: chat_id is empty"));
  }
  auto id = int_param(p, "chat_id");
  if (!id || *id == 0) {
    return std::unexpected(api_error(400, "Bad Request: chat not found"));
  }
  ChatRecord& record = chat(*id);
  if (record.migrated_to) {
    return std::unexpected(api_error(400,
                                     "Bad Request: group chat was upgraded to a supergroup chat",
                                     {{"migrate_to_chat_id", *record.migrated_to}}));
  }
  return &record;
}

std::expected<std::optional<int64_t>, ApiAnswer> TelegramState::reply_target(
    const ChatRecord& chat, const json::object& p) const {
  std::optional<int64_t> id;
  bool allow_missing = bool_param(p, "allow_sending_without_reply");
  if (json::value parameters = json_param(p, "reply_parameters"); parameters.is_object()) {
    id = int_param(parameters.get_object(), "message_id");
    allow_missing = bool_param(parameters.get_object(), "allow_sending_without_reply");
  } else {
    id = int_param(p, "reply_to_message_id");
  }
  if (!id || *id == 0) {
    return std::nullopt;
  }
  if (chat.messages.contains(*id)) {
    return id;
  }
  if (allow_missing) {
    return std::nullopt;
  }
  return std::unexpected(api_error(400, "Bad Request: message to be replied not found"));
}

json::object TelegramState::new_bot_message(ChatRecord& chat, const json::object& p,
                                            std::optional<int64_t> reply_to) {
  int64_t id = chat.next_message_id++;
  json::object message{{"message_id", id}, {"from", bot_user()}};
  if (auto thread = int_param(p, "message_thread_id"); thread && *thread != 0) {
    message["message_thread_id"] = *thread;
    if (string_param(chat.chat, "type") == "supergroup") {
      message["is_topic_message"] = true;
    }
  }
  message["chat"] = chat.chat;
  message["date"] = now_unix();
  if (reply_to) {
    json::object replied = chat.messages.at(*reply_to).message;
    replied.erase("reply_to_message");
    message["reply_to_message"] = std::move(replied);
  }
  return message;
}

ApiAnswer TelegramState::send_message(const json::object& p) {
  auto target = target_chat(p);
  if (!target) {
    return target.error();
  }
  ChatRecord& record = **target;
  std::string raw = string_param(p, "text");
  if (raw.empty()) {
    return api_error(400, "Bad Request: message text is empty");
  }
  auto text = format_text(raw, p, "entities", strict_html_entities_);
  if (!text) {
    return text.error();
  }
  if (text->text.empty()) {
    return api_error(400, "Bad Request: message text is empty");
  }
  if (utf16_length(text->text) > kMaxTextLength) {
    return api_error(400, "Bad Request: message is too long");
  }
  auto reply = reply_target(record, p);
  if (!reply) {
    return reply.error();
  }
  json::object message = new_bot_message(record, p, *reply);
  message["text"] = text->text;
  if (!text->entities.empty()) {
    message["entities"] = text->entities;
  }
  if (json::value preview = json_param(p, "link_preview_options"); preview.is_object()) {
    message["link_preview_options"] = preview;
  }
  if (json::value markup = json_param(p, "reply_markup");
      markup.is_object() && markup.get_object().contains("inline_keyboard")) {
    message["reply_markup"] = markup;
  }

  FakeChatMessage view;
  view.message_id = message.at("message_id").as_int64();
  view.chat_id = record.chat.at("id").to_number<int64_t>();
  if (auto* thread = message.if_contains("message_thread_id")) {
    view.thread_id = thread->as_int64();
  }
  view.text = raw;
  view.parse_mode = string_param(p, "parse_mode");
  view.reply_to = *reply;
  view.plain_text = text->text;
  view.entities = text->entities;
  record.messages[view.message_id] = StoredMessage{true, message, std::move(view)};
  return api_result(std::move(message));
}

ApiAnswer TelegramState::edit_message_text(const json::object& p) {
  if (has_param(p, "inline_message_id")) {
    return api_error(400, "Bad Request: message to edit not found");
  }
  auto target = target_chat(p);
  if (!target) {
    return target.error();
  }
  ChatRecord& record = **target;
  auto id = int_param(p, "message_id");
  auto found = id ? record.messages.find(*id) : record.messages.end();
  if (found == record.messages.end()) {
    return api_error(400, "Bad Request: message to edit not found");
  }
  StoredMessage& stored = found->second;
  if (!stored.from_bot) {
    return api_error(400, "Bad Request: message can't be edited");
  }
  if (!stored.view.media.empty()) {
    return api_error(400, "Bad Request: there is no text in the message to edit");
  }
  std::string raw = string_param(p, "text");
  if (raw.empty()) {
    return api_error(400, "Bad Request: message text is empty");
  }
  auto text = format_text(raw, p, "entities", strict_html_entities_);
  if (!text) {
    return text.error();
  }
  if (text->text.empty()) {
    return api_error(400, "Bad Request: message text is empty");
  }
  if (utf16_length(text->text) > kMaxTextLength) {
    return api_error(400, "Bad Request: message is too long");
  }
  json::value markup = json_param(p, "reply_markup");
  if (!markup.is_object() || !markup.get_object().contains("inline_keyboard")) {
    markup = nullptr;
  }
  json::object& message = stored.message;
  const json::value* old_entities = message.if_contains("entities");
  const json::value* old_markup = message.if_contains("reply_markup");
  bool same_text = string_param(message, "text") == text->text;
  bool same_entities =
      old_entities ? *old_entities == json::value(text->entities) : text->entities.empty();
  bool same_markup = old_markup ? *old_markup == markup : markup.is_null();
  if (same_text && same_entities && same_markup) {
    return api_error(400,
                     "Bad Request: message is not modified: specified new message content and "
                     "reply markup are exactly the same as a current content and reply markup "
                     "of the message");
  }
  message["text"] = text->text;
  if (text->entities.empty()) {
    message.erase("entities");
  } else {
    message["entities"] = text->entities;
  }
  if (markup.is_null()) {
    message.erase("reply_markup");
  } else {
    message["reply_markup"] = markup;
  }
  message["edit_date"] = now_unix();
  stored.view.text = raw;
  stored.view.parse_mode = string_param(p, "parse_mode");
  stored.view.plain_text = text->text;
  stored.view.entities = text->entities;
  stored.view.edited = true;
  ++stored.view.edits;
  return api_result(message);
}

ApiAnswer TelegramState::delete_message(const json::object& p) {
  auto target = target_chat(p);
  if (!target) {
    return target.error();
  }
  auto id = int_param(p, "message_id");
  if (!id || (*target)->messages.erase(*id) == 0) {
    return api_error(400, "Bad Request: message to delete not found");
  }
  return api_result(true);
}

ApiAnswer TelegramState::send_chat_action(const json::object& p) {
  auto target = target_chat(p);
  if (!target) {
    return target.error();
  }
  static constexpr std::string_view kActions[] = {
      "typing",        "upload_photo",      "record_video",     "upload_video",
      "record_voice",  "upload_voice",      "upload_document",  "choose_sticker",
      "find_location", "record_video_note", "upload_video_note"};
  std::string action = string_param(p, "action");
  if (std::find(std::begin(kActions), std::end(kActions), action) == std::end(kActions)) {
    return api_error(400, "Bad Request: wrong parameter action in request");
  }
  return api_result(true);
}

ApiAnswer TelegramState::set_message_reaction(const json::object& p) {
  auto target = target_chat(p);
  if (!target) {
    return target.error();
  }
  auto id = int_param(p, "message_id");
  auto found = id ? (*target)->messages.find(*id) : (*target)->messages.end();
  if (found == (*target)->messages.end()) {
    return api_error(400, "Bad Request: MESSAGE_ID_INVALID");
  }
  std::vector<std::string> reactions;
  json::value list = json_param(p, "reaction");
  if (has_param(p, "reaction") && !list.is_array()) {
    return api_error(400, "Bad Request: REACTION_INVALID");
  }
  if (list.is_array()) {
    for (const auto& item : list.get_array()) {
      if (!item.is_object()) {
        return api_error(400, "Bad Request: REACTION_INVALID");
      }
      const json::object& reaction = item.get_object();
      std::string type = string_param(reaction, "type");
      if (type == "emoji" && !string_param(reaction, "emoji").empty()) {
        reactions.push_back(string_param(reaction, "emoji"));
      } else if (type == "custom_emoji" && !string_param(reaction, "custom_emoji_id").empty()) {
        reactions.push_back(string_param(reaction, "custom_emoji_id"));
      } else if (type != "paid") {
        return api_error(400, "Bad Request: REACTION_INVALID");
      }
    }
  }
  found->second.view.reactions = std::move(reactions);
  return api_result(true);
}

ApiAnswer TelegramState::set_my_commands(const json::object& p) {
  json::value list = json_param(p, "commands");
  json::array commands;
  if (has_param(p, "commands") && !list.is_array()) {
    return api_error(400, "Bad Request: can't parse commands JSON object");
  }
  if (list.is_array()) {
    if (list.get_array().size() > 100) {
      return api_error(400, "Bad Request: BOT_COMMANDS_TOO_MUCH");
    }
    for (const auto& item : list.get_array()) {
      if (!item.is_object()) {
        return api_error(400, "Bad Request: can't parse BotCommand: expected an Object");
      }
      const json::object& entry = item.get_object();
      if (!entry.contains("command")) {
        return api_error(400, "Bad Request: can't parse BotCommand: Can't find field \"command\"");
      }
      if (!entry.contains("description")) {
        return api_error(400,
                         "Bad Request: can't parse BotCommand: Can't find field \"description\"");
      }
      std::string command = string_param(entry, "command");
      std::string description = string_param(entry, "description");
      if (!valid_command(command)) {
        return api_error(400, "Bad Request: BOT_COMMAND_INVALID");
      }
      if (core::trim(description).empty()) {
        return api_error(400, "Bad Request: command description must be non-empty");
      }
      if (utf16_length(description) > 256) {
        return api_error(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
      }
      commands.push_back(json::object{{"command", command}, {"description", description}});
    }
  }
  if (commands.empty()) {
    commands_.erase(commands_key(p));
  } else {
    commands_[commands_key(p)] = std::move(commands);
  }
  return api_result(true);
}

ApiAnswer TelegramState::get_my_commands(const json::object& p) const {
  auto found = commands_.find(commands_key(p));
  return api_result(found == commands_.end() ? json::array{} : found->second);
}

ApiAnswer TelegramState::delete_my_commands(const json::object& p) {
  commands_.erase(commands_key(p));
  return api_result(true);
}

TelegramState::FileRecord& TelegramState::new_file(std::string_view kind, std::string bytes,
                                                   std::string file_name, std::string mime_type) {
  int64_t number = next_file_number_++;
  std::string directory = kind == "photo" ? "photos" : "documents";
  std::string extension = extension_of(file_name, kind == "photo" ? ".jpg" : "");
  FileRecord record;
  record.file_id = "fake_" + std::string(kind) + "_" + std::to_string(number);
  record.unique_id = "fakeu" + std::to_string(number);
  record.path = directory + "/file_" + std::to_string(number) + extension;
  record.bytes = std::move(bytes);
  record.file_name = std::move(file_name);
  record.mime_type = mime_type.empty() ? mime_for(extension) : std::move(mime_type);
  file_paths_[record.path] = record.file_id;
  auto [it, inserted] = files_.insert_or_assign(record.file_id, std::move(record));
  return it->second;
}

std::expected<TelegramState::FileRecord*, ApiAnswer> TelegramState::input_file(
    std::string_view field, const json::object& p, const std::vector<TelegramUpload>& uploads) {
  std::string reference = string_param(p, field);
  std::string upload_field = std::string(field);
  if (reference.starts_with("attach://")) {
    upload_field = reference.substr(9);
  }
  if (reference.empty() || reference.starts_with("attach://")) {
    auto upload = std::find_if(uploads.begin(), uploads.end(),
                               [&](const TelegramUpload& u) { return u.field == upload_field; });
    if (upload != uploads.end()) {
      if (upload->bytes.empty()) {
        return std::unexpected(api_error(400, "Bad Request: file must be non-empty"));
      }
      return &new_file(field, upload->bytes, upload->filename, upload->content_type);
    }
    if (reference.empty()) {
      return std::unexpected(
          api_error(400, "Bad Request: there is no " + std::string(field) + " in the request"));
    }
    return std::unexpected(api_error(400, "Bad Request: wrong HTTP URL specified"));
  }
  if (reference.starts_with("http://") || reference.starts_with("https://")) {
    std::string name = reference.substr(reference.find_last_of('/') + 1);
    name = name.substr(0, name.find('?'));
    return &new_file(field, {}, name, {});
  }
  auto found = files_.find(reference);
  if (found == files_.end()) {
    return std::unexpected(api_error(400, "Bad Request: wrong file identifier/HTTP URL specified"));
  }
  return &found->second;
}

ApiAnswer TelegramState::send_media(std::string_view kind, const json::object& p,
                                    const std::vector<TelegramUpload>& uploads) {
  auto target = target_chat(p);
  if (!target) {
    return target.error();
  }
  ChatRecord& record = **target;
  std::string raw = string_param(p, "caption");
  auto caption = format_text(raw, p, "caption_entities", strict_html_entities_);
  if (!caption) {
    return caption.error();
  }
  if (utf16_length(caption->text) > kMaxCaptionLength) {
    return api_error(400, "Bad Request: message caption is too long");
  }
  auto reply = reply_target(record, p);
  if (!reply) {
    return reply.error();
  }
  auto file = input_file(kind, p, uploads);
  if (!file) {
    return file.error();
  }
  const FileRecord& source = **file;

  json::object message = new_bot_message(record, p, *reply);
  std::string shown_file_id = source.file_id;
  if (kind == "photo") {
    auto [width, height] = image_size(source.bytes);
    json::array sizes;
    auto add_size = [&](int limit, const FileRecord& size_file) {
      int longest = std::max(width, height);
      double scale = longest > limit ? static_cast<double>(limit) / longest : 1.0;
      sizes.push_back(json::object{{"file_id", size_file.file_id},
                                   {"file_unique_id", size_file.unique_id},
                                   {"file_size", size_file.bytes.size()},
                                   {"width", std::max(1, static_cast<int>(width * scale))},
                                   {"height", std::max(1, static_cast<int>(height * scale))}});
    };
    // Telegram keeps a thumbnail and the picture itself (at most 1280 px), each with its own id;
    // the fake stores the same bytes under both.
    if (std::max(width, height) > 90) {
      std::string bytes = source.bytes;
      std::string name = source.file_name;
      std::string mime = source.mime_type;
      add_size(90, new_file("photo", std::move(bytes), std::move(name), std::move(mime)));
    }
    add_size(1280, source);
    message["photo"] = std::move(sizes);
  } else {
    json::object document{{"file_id", source.file_id},
                          {"file_unique_id", source.unique_id},
                          {"file_size", source.bytes.size()}};
    if (!source.file_name.empty()) {
      document["file_name"] = source.file_name;
    }
    document["mime_type"] = source.mime_type;
    message["document"] = std::move(document);
  }
  if (!caption->text.empty()) {
    message["caption"] = caption->text;
    if (!caption->entities.empty()) {
      message["caption_entities"] = caption->entities;
    }
  }
  if (json::value markup = json_param(p, "reply_markup");
      markup.is_object() && markup.get_object().contains("inline_keyboard")) {
    message["reply_markup"] = markup;
  }

  FakeChatMessage view;
  view.message_id = message.at("message_id").as_int64();
  view.chat_id = record.chat.at("id").to_number<int64_t>();
  if (auto* thread = message.if_contains("message_thread_id")) {
    view.thread_id = thread->as_int64();
  }
  view.text = raw;
  view.parse_mode = string_param(p, "parse_mode");
  view.reply_to = *reply;
  view.plain_text = caption->text;
  view.entities = caption->entities;
  view.media = std::string(kind);
  view.file_id = shown_file_id;
  record.messages[view.message_id] = StoredMessage{true, message, std::move(view)};
  return api_result(std::move(message));
}

ApiAnswer TelegramState::get_file(const json::object& p) const {
  std::string file_id = string_param(p, "file_id");
  if (file_id.empty()) {
    return api_error(400, "Bad Request: file_id is empty");
  }
  auto found = files_.find(file_id);
  if (found == files_.end()) {
    return api_error(400, "Bad Request: invalid file_id");
  }
  const FileRecord& file = found->second;
  if (file.bytes.size() > kMaxDownloadBytes) {
    return api_error(400, "Bad Request: file is too big");
  }
  return api_result(json::object{{"file_id", file.file_id},
                                 {"file_unique_id", file.unique_id},
                                 {"file_size", file.bytes.size()},
                                 {"file_path", file.path}});
}

ApiAnswer TelegramState::set_webhook(const json::object& p) {
  std::string url = string_param(p, "url");
  if (url.empty()) {
    bool had = webhook_.has_value();
    if (bool_param(p, "drop_pending_updates")) {
      updates_.clear();
    }
    webhook_.reset();
    ++webhook_generation_;
    return api_result(true, had ? "Webhook was deleted" : "Webhook is already deleted");
  }
  auto parsed = parse_http_url(url);
  if (!parsed) {
    return api_error(400,
                     "Bad Request: bad webhook: the fake Telegram server delivers to plain "
                     "http:// URLs only");
  }
  if (parsed->host != "127.0.0.1" && parsed->host != "localhost") {
    return api_error(400,
                     "Bad Request: bad webhook: the fake Telegram server delivers to "
                     "127.0.0.1 only");
  }
  std::string secret = string_param(p, "secret_token");
  if (has_param(p, "secret_token") && (secret.empty() || secret.size() > 256 ||
                                       !std::all_of(secret.begin(), secret.end(), [](char c) {
                                         return std::isalnum(static_cast<unsigned char>(c)) ||
                                                c == '_' || c == '-';
                                       }))) {
    return api_error(400, "Bad Request: secret token contains unallowed characters");
  }
  int max_connections = static_cast<int>(int_param(p, "max_connections").value_or(40));
  if (max_connections < 1 || max_connections > 100) {
    max_connections = std::clamp(max_connections, 1, 100);
  }
  if (json::value allowed = json_param(p, "allowed_updates"); allowed.is_array()) {
    allowed_updates_.clear();
    for (const auto& type : allowed.get_array()) {
      if (type.is_string()) {
        allowed_updates_.emplace_back(type.get_string());
      }
    }
  }
  if (bool_param(p, "drop_pending_updates")) {
    updates_.clear();
  }
  bool same = webhook_ && webhook_->url == url && webhook_->secret == secret &&
              webhook_->max_connections == max_connections;
  if (!same) {
    webhook_ = Webhook{url, secret, max_connections, 0, {}};
    ++webhook_generation_;
  }
  return api_result(true, same ? "Webhook is already set" : "Webhook was set");
}

ApiAnswer TelegramState::delete_webhook(const json::object& p) {
  bool had = webhook_.has_value();
  if (bool_param(p, "drop_pending_updates")) {
    updates_.clear();
  }
  webhook_.reset();
  ++webhook_generation_;
  return api_result(true, had ? "Webhook was deleted" : "Webhook is already deleted");
}

ApiAnswer TelegramState::get_webhook_info() const {
  json::object info{{"url", webhook_ ? webhook_->url : std::string()},
                    {"has_custom_certificate", false},
                    {"pending_update_count", updates_.size()}};
  if (webhook_) {
    info["ip_address"] = "127.0.0.1";
    if (webhook_->last_error_date != 0) {
      info["last_error_date"] = webhook_->last_error_date;
      info["last_error_message"] = webhook_->last_error_message;
    }
    info["max_connections"] = webhook_->max_connections;
    if (!allowed_updates_.empty()) {
      json::array allowed;
      for (const auto& type : allowed_updates_) {
        allowed.push_back(json::string(type));
      }
      info["allowed_updates"] = std::move(allowed);
    }
  }
  return api_result(std::move(info));
}

std::expected<PollPlan, ApiAnswer> TelegramState::start_get_updates(const json::object& p) {
  if (webhook_) {
    return std::unexpected(api_error(409,
                                     "Conflict: can't use getUpdates method while webhook is "
                                     "active; use deleteWebhook to delete the webhook first"));
  }
  int64_t offset = int_param(p, "offset").value_or(0);
  if (offset > 0) {
    while (!updates_.empty() && updates_.front().at("update_id").to_number<int64_t>() < offset) {
      updates_.pop_front();
    }
    confirmed_offset_ = std::max(confirmed_offset_, offset);
  } else if (offset < 0) {
    // -N: only the last N updates stay; all before them are forgotten.
    auto keep = static_cast<std::size_t>(-offset);
    while (updates_.size() > keep) {
      confirmed_offset_ =
          std::max(confirmed_offset_, updates_.front().at("update_id").to_number<int64_t>() + 1);
      updates_.pop_front();
    }
  }
  if (json::value allowed = json_param(p, "allowed_updates"); allowed.is_array()) {
    allowed_updates_.clear();
    for (const auto& type : allowed.get_array()) {
      if (type.is_string()) {
        allowed_updates_.emplace_back(type.get_string());
      }
    }
  }
  PollPlan plan;
  plan.limit =
      static_cast<std::size_t>(std::clamp<int64_t>(int_param(p, "limit").value_or(100), 1, 100));
  plan.timeout = std::chrono::seconds(std::max<int64_t>(int_param(p, "timeout").value_or(0), 0));
  return plan;
}

json::array TelegramState::peek_updates(std::size_t limit) const {
  json::array out;
  for (std::size_t i = 0; i < updates_.size() && i < limit; ++i) {
    out.push_back(updates_[i]);
  }
  return out;
}

bool TelegramState::allowed(const json::object& update) const {
  std::string type = update_type(update);
  if (allowed_updates_.empty()) {
    return type != "chat_member" && type != "message_reaction" && type != "message_reaction_count";
  }
  return std::find(allowed_updates_.begin(), allowed_updates_.end(), type) !=
         allowed_updates_.end();
}

int64_t TelegramState::push_update(json::object update) {
  int64_t id = 0;
  if (auto given = int_param(update, "update_id")) {
    id = *given;
    next_update_id_ = std::max(next_update_id_, id + 1);
  } else {
    id = next_update_id_++;
    update = with_first("update_id", id, update);
  }
  // Keep the chats in step: the chat is known, message ids go on from the pushed ones, and a
  // message pushed without message_id or date gets them.
  for (std::string_view key :
       {"message", "edited_message", "channel_post", "edited_channel_post", "business_message"}) {
    json::value* slot = update.if_contains(key);
    if (slot == nullptr || !slot->is_object()) {
      continue;
    }
    json::object& message = slot->get_object();
    const json::value* chat_value = message.if_contains("chat");
    if (chat_value == nullptr || !chat_value->is_object()) {
      continue;
    }
    auto chat_id = int_param(chat_value->get_object(), "id");
    if (!chat_id) {
      continue;
    }
    ChatRecord& record = chat(*chat_id);
    for (const auto& [name, value] : chat_value->get_object()) {
      record.chat[name] = value;
    }
    bool edit = key.starts_with("edited_");
    auto message_id = int_param(message, "message_id");
    if (!message_id && !edit) {
      message_id = record.next_message_id;
      message = with_first("message_id", *message_id, message);
    }
    if (!message.contains("date")) {
      message["date"] = now_unix();
    }
    if (!message_id) {
      continue;
    }
    record.next_message_id = std::max(record.next_message_id, *message_id + 1);
    auto [stored, inserted] = record.messages.try_emplace(*message_id);
    if (inserted || !stored->second.from_bot) {
      stored->second.message = message;
    }
  }
  if (allowed(update)) {
    updates_.push_back(std::move(update));
  }
  return id;
}

json::object TelegramState::private_text_update(int64_t user_id, const std::string& first_name,
                                                const std::string& text) const {
  json::object user{
      {"id", user_id}, {"is_bot", false}, {"first_name", first_name}, {"language_code", "en"}};
  json::object chat{{"id", user_id}, {"first_name", first_name}, {"type", "private"}};
  json::object message{
      {"from", std::move(user)}, {"chat", std::move(chat)}, {"date", now_unix()}, {"text", text}};
  if (text.starts_with('/')) {
    std::size_t end = text.find_first_of(" \n\t");
    message["entities"] = json::array{json::object{
        {"offset", 0}, {"length", utf16_length(text.substr(0, end))}, {"type", "bot_command"}}};
  }
  return {{"message", std::move(message)}};
}

json::object TelegramState::group_text_update(int64_t chat_id, int64_t user_id,
                                              const std::string& text,
                                              std::optional<int64_t> topic_id,
                                              bool mention_bot) const {
  json::object user{{"id", user_id},
                    {"is_bot", false},
                    {"first_name", "User " + std::to_string(user_id)},
                    {"language_code", "en"}};
  json::object chat{{"id", chat_id}, {"title", "Pincer Test Group"}, {"type", "supergroup"}};
  if (topic_id) {
    chat["is_forum"] = true;
  }
  std::string full = text;
  json::array entities;
  if (mention_bot) {
    std::string mention = "@" + bot_username_;
    full = mention + " " + text;
    entities.push_back(
        json::object{{"offset", 0}, {"length", utf16_length(mention)}, {"type", "mention"}});
  }
  if (full.starts_with('/')) {
    std::size_t end = full.find_first_of(" \n\t");
    entities.push_back(json::object{
        {"offset", 0}, {"length", utf16_length(full.substr(0, end))}, {"type", "bot_command"}});
  }
  json::object message{{"from", std::move(user)}};
  if (topic_id) {
    message["message_thread_id"] = *topic_id;
  }
  message["chat"] = std::move(chat);
  message["date"] = now_unix();
  if (topic_id) {
    message["is_topic_message"] = true;
  }
  message["text"] = std::move(full);
  if (!entities.empty()) {
    message["entities"] = std::move(entities);
  }
  return {{"message", std::move(message)}};
}

std::optional<WebhookJob> TelegramState::next_webhook_job() const {
  if (!webhook_ || updates_.empty()) {
    return std::nullopt;
  }
  return WebhookJob{webhook_generation_, updates_.front().at("update_id").to_number<int64_t>(),
                    webhook_->url, webhook_->secret, json::serialize(updates_.front())};
}

void TelegramState::finish_webhook_job(const WebhookJob& job, const std::string& error) {
  if (!webhook_ || job.generation != webhook_generation_) {
    return;
  }
  if (error.empty()) {
    if (!updates_.empty() &&
        updates_.front().at("update_id").to_number<int64_t>() == job.update_id) {
      updates_.pop_front();
    }
    return;
  }
  webhook_->last_error_date = now_unix();
  webhook_->last_error_message = error;
}

void TelegramState::set_bot(int64_t id, std::string username, std::string first_name) {
  bot_id_ = id;
  bot_username_ = std::move(username);
  bot_first_name_ = std::move(first_name);
}

void TelegramState::add_file(std::string file_id, std::string file_path, std::string bytes) {
  if (auto old = files_.find(file_id); old != files_.end()) {
    file_paths_.erase(old->second.path);
  }
  FileRecord record;
  record.file_id = file_id;
  record.unique_id = "fakeu" + std::to_string(next_file_number_++);
  record.path = file_path;
  record.bytes = std::move(bytes);
  record.file_name = file_path.substr(file_path.find_last_of('/') + 1);
  record.mime_type = mime_for(extension_of(record.file_name, ""));
  file_paths_[file_path] = file_id;
  files_.insert_or_assign(std::move(file_id), std::move(record));
}

const std::string* TelegramState::file_bytes(std::string_view file_path) const {
  auto path = file_paths_.find(file_path);
  if (path == file_paths_.end()) {
    return nullptr;
  }
  auto file = files_.find(path->second);
  return file == files_.end() ? nullptr : &file->second.bytes;
}

std::vector<FakeChatMessage> TelegramState::chat_messages(int64_t chat_id) const {
  std::vector<FakeChatMessage> out;
  auto found = chats_.find(chat_id);
  if (found == chats_.end()) {
    return out;
  }
  for (const auto& [id, stored] : found->second.messages) {
    if (stored.from_bot) {
      out.push_back(stored.view);
    }
  }
  return out;
}

void TelegramState::migrate_chat(int64_t chat_id, int64_t new_chat_id) {
  chat(chat_id).migrated_to = new_chat_id;
  ChatRecord& target = chat(new_chat_id);
  target.chat["type"] = "supergroup";
}

void TelegramState::reset() {
  updates_.clear();
  confirmed_offset_ = 0;
  allowed_updates_.clear();
  chats_.clear();
  files_.clear();
  file_paths_.clear();
  webhook_.reset();
  ++webhook_generation_;
  commands_.clear();
}

}  // namespace pincer::fakes
