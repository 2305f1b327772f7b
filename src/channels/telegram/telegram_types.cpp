// Bot API object parsers. Each public from_json() walks its object with a Reader that knows the
// path so far ("message.reply_to_message.from"); a missing or mistyped required field throws a
// ParseFailure, caught at the public entry and returned as an Errc::parse error. Exceptions
// never leave this file.

#include "channels/telegram/telegram_types.hpp"

#include <cmath>
#include <limits>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include "core/json_kind.hpp"

namespace pincer::channels::telegram {
namespace {

namespace json = boost::json;

struct ParseFailure {
  std::string message;
};

[[noreturn]] void fail_at(const std::string& path, std::string_view what) {
  throw ParseFailure{path + " " + std::string(what)};
}

class Reader {
 public:
  Reader(const json::value& value, std::string path) : path_(std::move(path)) {
    object_ = value.if_object();
    if (object_ == nullptr) {
      fail_at(path_, "is " + std::string(core::json_kind_name(value)) + ", not an object");
    }
  }

  const json::object& object() const { return *object_; }
  std::string path(std::string_view key) const { return path_ + "." + std::string(key); }

  const json::value* find(std::string_view key) const {
    const json::value* value = object_->if_contains(key);
    return value == nullptr || value->is_null() ? nullptr : value;
  }
  const json::value& require(std::string_view key) const {
    const json::value* value = find(key);
    if (value == nullptr) {
      fail_at(path(key), "is missing");
    }
    return *value;
  }

  int64_t integer(std::string_view key) const { return to_int(require(key), path(key)); }
  std::optional<int64_t> optional_integer(std::string_view key) const {
    const json::value* value = find(key);
    return value == nullptr ? std::nullopt : std::optional(to_int(*value, path(key)));
  }
  std::string string(std::string_view key) const { return to_string(require(key), path(key)); }
  std::string optional_string(std::string_view key) const {
    const json::value* value = find(key);
    return value == nullptr ? std::string() : to_string(*value, path(key));
  }
  bool boolean(std::string_view key) const {
    const json::value* value = find(key);
    if (value == nullptr) {
      return false;
    }
    if (!value->is_bool()) {
      fail_at(path(key), "is " + std::string(core::json_kind_name(*value)) + ", not a boolean");
    }
    return value->get_bool();
  }

  template <class T>
  std::optional<T> optional_object(std::string_view key,
                                   T (*parse)(const json::value&, std::string)) const {
    const json::value* value = find(key);
    return value == nullptr ? std::nullopt : std::optional<T>(parse(*value, path(key)));
  }

  template <class T>
  std::vector<T> list(std::string_view key, T (*parse)(const json::value&, std::string)) const {
    std::vector<T> out;
    const json::value* value = find(key);
    if (value == nullptr) {
      return out;
    }
    const json::array* array = value->if_array();
    if (array == nullptr) {
      fail_at(path(key), "is " + std::string(core::json_kind_name(*value)) + ", not an array");
    }
    out.reserve(array->size());
    for (std::size_t i = 0; i < array->size(); ++i) {
      out.push_back(parse((*array)[i], path(key) + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  static int64_t to_int(const json::value& value, const std::string& where) {
    if (value.is_int64()) {
      return value.get_int64();
    }
    if (value.is_uint64() &&
        value.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(value.get_uint64());
    }
    if (value.is_double()) {
      double number = value.get_double();
      if (std::trunc(number) == number && std::fabs(number) < 9.0e15) {
        return static_cast<int64_t>(number);
      }
    }
    fail_at(where, "is " + std::string(core::json_kind_name(value)) + ", not an integer");
  }

  static std::string to_string(const json::value& value, const std::string& where) {
    if (!value.is_string()) {
      fail_at(where, "is " + std::string(core::json_kind_name(value)) + ", not a string");
    }
    return std::string(value.get_string());
  }

 private:
  const json::object* object_ = nullptr;
  std::string path_;
};

User read_user(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  User user;
  user.id = r.integer("id");
  user.is_bot = r.boolean("is_bot");
  user.first_name = r.optional_string("first_name");  // required by the docs; tolerated
  user.last_name = r.optional_string("last_name");
  user.username = r.optional_string("username");
  user.language_code = r.optional_string("language_code");
  return user;
}

ChatType chat_type(std::string_view name) {
  if (name == "private") {
    return ChatType::private_chat;
  }
  if (name == "group") {
    return ChatType::group;
  }
  if (name == "supergroup") {
    return ChatType::supergroup;
  }
  if (name == "channel") {
    return ChatType::channel;
  }
  return ChatType::other;
}

Chat read_chat(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  Chat chat;
  chat.id = r.integer("id");
  chat.type = chat_type(r.string("type"));
  chat.title = r.optional_string("title");
  chat.username = r.optional_string("username");
  chat.first_name = r.optional_string("first_name");
  chat.last_name = r.optional_string("last_name");
  chat.is_forum = r.boolean("is_forum");
  return chat;
}

MessageEntity read_entity(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  MessageEntity entity;
  entity.type = r.string("type");
  entity.offset = r.integer("offset");
  entity.length = r.integer("length");
  entity.url = r.optional_string("url");
  entity.user = r.optional_object<User>("user", read_user);
  entity.language = r.optional_string("language");
  return entity;
}

PhotoSize read_photo_size(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  PhotoSize size;
  size.file_id = r.string("file_id");
  size.file_unique_id = r.optional_string("file_unique_id");
  size.width = r.optional_integer("width").value_or(0);
  size.height = r.optional_integer("height").value_or(0);
  size.file_size = r.optional_integer("file_size");
  return size;
}

MediaFile read_media(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  MediaFile media;
  media.file_id = r.string("file_id");
  media.file_unique_id = r.optional_string("file_unique_id");
  media.file_name = r.optional_string("file_name");
  media.mime_type = r.optional_string("mime_type");
  media.file_size = r.optional_integer("file_size");
  media.duration = r.optional_integer("duration").value_or(0);
  media.width = r.optional_integer("width").value_or(0);
  media.height = r.optional_integer("height").value_or(0);
  media.title = r.optional_string("title");
  media.performer = r.optional_string("performer");
  return media;
}

ReplyToMessage read_reply(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  ReplyToMessage reply;
  reply.message_id = r.integer("message_id");
  reply.from = r.optional_object<User>("from", read_user);
  reply.sender_chat = r.optional_object<Chat>("sender_chat", read_chat);
  reply.date = r.optional_integer("date").value_or(0);
  reply.text = r.optional_string("text");
  if (reply.text.empty()) {
    reply.text = r.optional_string("caption");
  }
  reply.from_bot = reply.from && reply.from->is_bot;
  return reply;
}

Message read_message(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  Message message;
  message.message_id = r.integer("message_id");
  message.from = r.optional_object<User>("from", read_user);
  message.sender_chat = r.optional_object<Chat>("sender_chat", read_chat);
  message.chat = read_chat(r.require("chat"), r.path("chat"));
  message.date = r.integer("date");
  message.edit_date = r.optional_integer("edit_date");
  message.message_thread_id = r.optional_integer("message_thread_id");
  message.is_topic_message = r.boolean("is_topic_message");
  message.text = r.optional_string("text");
  message.entities = r.list<MessageEntity>("entities", read_entity);
  message.caption = r.optional_string("caption");
  message.caption_entities = r.list<MessageEntity>("caption_entities", read_entity);
  message.reply_to_message = r.optional_object<ReplyToMessage>("reply_to_message", read_reply);
  message.photo = r.list<PhotoSize>("photo", read_photo_size);
  message.document = r.optional_object<MediaFile>("document", read_media);
  message.voice = r.optional_object<MediaFile>("voice", read_media);
  message.audio = r.optional_object<MediaFile>("audio", read_media);
  message.video = r.optional_object<MediaFile>("video", read_media);
  message.media_group_id = r.optional_string("media_group_id");
  return message;
}

CallbackQuery read_callback_query(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  CallbackQuery query;
  query.id = r.string("id");
  query.from = read_user(r.require("from"), r.path("from"));
  query.message = r.optional_object<Message>("message", read_message);
  query.chat_instance = r.optional_string("chat_instance");
  query.data = r.optional_string("data");
  return query;
}

File read_file(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  File file;
  file.file_id = r.string("file_id");
  file.file_unique_id = r.optional_string("file_unique_id");
  file.file_size = r.optional_integer("file_size");
  file.file_path = r.optional_string("file_path");
  return file;
}

BotCommand read_bot_command(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  return BotCommand{r.string("command"), r.optional_string("description")};
}

std::string read_string_item(const json::value& value, std::string path) {
  return Reader::to_string(value, path);
}

WebhookInfo read_webhook_info(const json::value& value, std::string path) {
  Reader r(value, std::move(path));
  WebhookInfo info;
  info.url = r.optional_string("url");
  info.has_custom_certificate = r.boolean("has_custom_certificate");
  info.pending_update_count = r.optional_integer("pending_update_count").value_or(0);
  info.last_error_date = r.optional_integer("last_error_date");
  info.last_error_message = r.optional_string("last_error_message");
  info.max_connections = r.optional_integer("max_connections");
  info.allowed_updates = r.list<std::string>("allowed_updates", read_string_item);
  return info;
}

// Runs a reader and turns a ParseFailure into the Result error.
template <class T>
Result<T> parse(T (*read)(const json::value&, std::string), const json::value& value,
                std::string_view root) {
  try {
    return read(value, std::string(root));
  } catch (const ParseFailure& failure) {
    return fail(Errc::parse,
                "Telegram sent an unreadable " + std::string(root) + ": " + failure.message,
                "if the Bot API server is a proxy or a local server, check that it speaks the "
                "official Bot API");
  }
}

// Bytes in the UTF-8 sequence that starts with `lead`; 1 for a byte that cannot start one.
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) {
    return 1;
  }
  if ((lead & 0xE0) == 0xC0) {
    return 2;
  }
  if ((lead & 0xF0) == 0xE0) {
    return 3;
  }
  if ((lead & 0xF8) == 0xF0) {
    return 4;
  }
  return 1;
}

// The byte length of the character at `at`, checked against the text's end and its
// continuation bytes; invalid sequences count as one byte.
std::size_t char_bytes(std::string_view text, std::size_t at) {
  std::size_t n = sequence_length(static_cast<unsigned char>(text[at]));
  if (at + n > text.size()) {
    return 1;
  }
  for (std::size_t i = 1; i < n; ++i) {
    if ((static_cast<unsigned char>(text[at + i]) & 0xC0) != 0x80) {
      return 1;
    }
  }
  return n;
}

// A character beyond U+FFFF (four UTF-8 bytes) is a surrogate pair: two UTF-16 units.
int64_t units_of(std::size_t bytes) {
  return bytes == 4 ? 2 : 1;
}

}  // namespace

std::string_view to_string(ChatType type) {
  switch (type) {
    case ChatType::private_chat:
      return "private";
    case ChatType::group:
      return "group";
    case ChatType::supergroup:
      return "supergroup";
    case ChatType::channel:
      return "channel";
    case ChatType::other:
      return "other";
  }
  return "other";
}

Result<User> User::from_json(const json::value& value) {
  return parse(read_user, value, "user");
}

Result<Chat> Chat::from_json(const json::value& value) {
  return parse(read_chat, value, "chat");
}

Result<MessageEntity> MessageEntity::from_json(const json::value& value) {
  return parse(read_entity, value, "entity");
}

Result<PhotoSize> PhotoSize::from_json(const json::value& value) {
  return parse(read_photo_size, value, "photo");
}

Result<MediaFile> MediaFile::from_json(const json::value& value) {
  return parse(read_media, value, "file");
}

Result<ReplyToMessage> ReplyToMessage::from_json(const json::value& value) {
  return parse(read_reply, value, "reply_to_message");
}

Result<Message> Message::from_json(const json::value& value) {
  return parse(read_message, value, "message");
}

Result<CallbackQuery> CallbackQuery::from_json(const json::value& value) {
  return parse(read_callback_query, value, "callback_query");
}

Result<File> File::from_json(const json::value& value) {
  return parse(read_file, value, "file");
}

Result<BotCommand> BotCommand::from_json(const json::value& value) {
  return parse(read_bot_command, value, "bot_command");
}

json::object BotCommand::to_json() const {
  return json::object{{"command", command}, {"description", description}};
}

Result<WebhookInfo> WebhookInfo::from_json(const json::value& value) {
  return parse(read_webhook_info, value, "webhook_info");
}

Result<Update> Update::from_json(const json::value& value) {
  const json::object* object = value.if_object();
  if (object == nullptr) {
    return fail(Errc::parse, "Telegram sent an update that is not a JSON object");
  }
  Update update;
  const json::value* id = object->if_contains("update_id");
  if (id == nullptr) {
    return fail(Errc::parse, "Telegram sent an update without update_id");
  }
  try {
    update.update_id = Reader::to_int(*id, "update.update_id");
  } catch (const ParseFailure& failure) {
    return fail(Errc::parse, "Telegram sent an unreadable update: " + failure.message);
  }
  update.raw = *object;
  // Each part separately: one unreadable part leaves the rest (and the id) usable.
  auto part = [&](std::string_view key, auto read, auto& out) {
    const json::value* field = object->if_contains(key);
    if (field == nullptr || field->is_null()) {
      return;
    }
    try {
      out = read(*field, "update." + std::string(key));
    } catch (const ParseFailure& failure) {
      if (!update.parse_error.empty()) {
        update.parse_error += "; ";
      }
      update.parse_error += failure.message;
    }
  };
  part("message", read_message, update.message);
  part("edited_message", read_message, update.edited_message);
  part("channel_post", read_message, update.channel_post);
  part("edited_channel_post", read_message, update.edited_channel_post);
  part("callback_query", read_callback_query, update.callback_query);
  return update;
}

int64_t utf16_length(std::string_view text) {
  int64_t units = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t n = char_bytes(text, at);
    units += units_of(n);
    at += n;
  }
  return units;
}

std::string_view utf16_substr(std::string_view text, int64_t offset, int64_t length) {
  if (offset < 0) {
    length += offset;
    offset = 0;
  }
  if (length <= 0) {
    return {};
  }
  const int64_t end_unit = offset + length;
  std::size_t begin = text.size();
  std::size_t end = text.size();
  int64_t unit = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t n = char_bytes(text, at);
    int64_t next = unit + units_of(n);
    if (begin == text.size() && next > offset) {
      begin = at;  // the character holding unit `offset`, whole
    }
    if (next >= end_unit) {
      end = at + n;  // the character holding the last unit, whole
      break;
    }
    unit = next;
    at += n;
  }
  if (begin >= end) {
    return {};
  }
  return text.substr(begin, end - begin);
}

std::string_view entity_text(std::string_view text, const MessageEntity& entity) {
  return utf16_substr(text, entity.offset, entity.length);
}

}  // namespace pincer::channels::telegram
