#pragma once
// The Bot API objects the Telegram channel reads, parsed from the JSON Telegram sends (shapes
// from the public Bot API reference, https://core.telegram.org/bots/api).
//
// Parsing is tolerant of what it does not know: unknown fields are ignored (Telegram adds
// fields in every Bot API release), and an unknown chat type reads as ChatType::other. A
// required field that is missing or of the wrong type is an Errc::parse error naming its path
// ("message.chat.id is missing"). Optional fields are left empty when absent.
//
// Texts are UTF-8 here, but Telegram counts entity offsets and lengths in UTF-16 code units;
// utf16_substr() converts.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace pincer::channels::telegram {

struct User {
  int64_t id = 0;
  bool is_bot = false;
  std::string first_name;
  std::string last_name;
  std::string username;  // without "@"; may be empty
  std::string language_code;

  static Result<User> from_json(const boost::json::value& value);
};

enum class ChatType { private_chat, group, supergroup, channel, other };

// "private" | "group" | "supergroup" | "channel" | "other".
std::string_view to_string(ChatType type);

struct Chat {
  int64_t id = 0;
  ChatType type = ChatType::other;
  std::string title;  // groups, supergroups and channels
  std::string username;
  std::string first_name;  // private chats
  std::string last_name;
  bool is_forum = false;  // a supergroup with topics

  static Result<Chat> from_json(const boost::json::value& value);
};

struct MessageEntity {
  // "mention", "text_mention", "bot_command", "url", "text_link", "bold", "code", ...
  std::string type;
  int64_t offset = 0;        // UTF-16 code units
  int64_t length = 0;        // UTF-16 code units
  std::string url;           // text_link
  std::optional<User> user;  // text_mention
  std::string language;      // pre

  static Result<MessageEntity> from_json(const boost::json::value& value);
};

struct PhotoSize {
  std::string file_id;
  std::string file_unique_id;
  int64_t width = 0;
  int64_t height = 0;
  std::optional<int64_t> file_size;

  static Result<PhotoSize> from_json(const boost::json::value& value);
};

// Document, Audio, Voice and Video share one shape here; fields a kind lacks stay empty.
struct MediaFile {
  std::string file_id;
  std::string file_unique_id;
  std::string file_name;
  std::string mime_type;
  std::optional<int64_t> file_size;
  int64_t duration = 0;   // seconds (audio, voice, video)
  int64_t width = 0;      // video
  int64_t height = 0;     // video
  std::string title;      // audio
  std::string performer;  // audio

  static Result<MediaFile> from_json(const boost::json::value& value);
};

// The message a message answers, as far as the channel needs it.
struct ReplyToMessage {
  int64_t message_id = 0;
  std::optional<User> from;
  std::optional<Chat> sender_chat;
  int64_t date = 0;
  std::string text;       // text, or the caption of a media message
  bool from_bot = false;  // sent by a bot (compare from->id with getMe's id for "this bot")

  static Result<ReplyToMessage> from_json(const boost::json::value& value);
};

struct Message {
  int64_t message_id = 0;
  std::optional<User> from;         // empty in channels
  std::optional<Chat> sender_chat;  // sent on behalf of a chat (channel posts, anonymous admins)
  Chat chat;
  int64_t date = 0;  // Unix seconds
  std::optional<int64_t> edit_date;
  std::optional<int64_t> message_thread_id;  // forum topic (or reply thread)
  bool is_topic_message = false;
  std::string text;
  std::vector<MessageEntity> entities;
  std::string caption;
  std::vector<MessageEntity> caption_entities;
  std::optional<ReplyToMessage> reply_to_message;
  std::vector<PhotoSize> photo;  // sizes, smallest first as Telegram sends them
  std::optional<MediaFile> document;
  std::optional<MediaFile> voice;
  std::optional<MediaFile> audio;
  std::optional<MediaFile> video;
  std::string media_group_id;  // albums: the messages of one album share it

  // The text of a text message, else the caption.
  const std::string& body() const { return text.empty() ? caption : text; }
  // The entities that index body().
  const std::vector<MessageEntity>& body_entities() const {
    return text.empty() ? caption_entities : entities;
  }

  static Result<Message> from_json(const boost::json::value& value);
};

struct CallbackQuery {
  std::string id;
  User from;
  std::optional<Message> message;  // absent for inline-mode buttons
  std::string chat_instance;
  std::string data;

  static Result<CallbackQuery> from_json(const boost::json::value& value);
};

struct Update {
  int64_t update_id = 0;
  std::optional<Message> message;
  std::optional<Message> edited_message;
  std::optional<Message> channel_post;
  std::optional<Message> edited_channel_post;
  std::optional<CallbackQuery> callback_query;
  boost::json::object raw;  // the whole update as received
  // Not empty when update_id was read but a part of the update was not (that part is left
  // unset): the update can still be confirmed and skipped.
  std::string parse_error;

  // Fails only when the value is not an object or has no integer update_id.
  static Result<Update> from_json(const boost::json::value& value);
};

struct File {
  std::string file_id;
  std::string file_unique_id;
  std::optional<int64_t> file_size;
  std::string file_path;  // for <api_root>/file/bot<token>/<file_path>; empty when unavailable

  static Result<File> from_json(const boost::json::value& value);
};

struct BotCommand {
  std::string command;  // 1-32 characters: lower-case letters, digits and underscores
  std::string description;

  boost::json::object to_json() const;
  static Result<BotCommand> from_json(const boost::json::value& value);
};

struct WebhookInfo {
  std::string url;  // empty: no webhook (long polling)
  bool has_custom_certificate = false;
  int64_t pending_update_count = 0;
  std::optional<int64_t> last_error_date;
  std::string last_error_message;
  std::optional<int64_t> max_connections;
  std::vector<std::string> allowed_updates;

  static Result<WebhookInfo> from_json(const boost::json::value& value);
};

// UTF-16 code units in UTF-8 `text` (characters beyond U+FFFF count two). Bytes that are not
// valid UTF-8 count one unit each.
int64_t utf16_length(std::string_view text);

// The part of UTF-8 `text` that starts `offset` UTF-16 code units in and is `length` units
// long, as a view into `text`. Clamped to the text; a bound inside a surrogate pair (the middle
// of an emoji) widens to take the whole character.
std::string_view utf16_substr(std::string_view text, int64_t offset, int64_t length);

// The text an entity covers in `text` (the message's body()).
std::string_view entity_text(std::string_view text, const MessageEntity& entity);

}  // namespace pincer::channels::telegram
