#include "channels/telegram/telegram_inbound.hpp"

#include "core/text.hpp"

namespace pincer::channels::telegram {

namespace {

std::string display_name(const User& user) {
  std::string name = user.first_name;
  if (!user.last_name.empty()) {
    name += (name.empty() ? "" : " ") + user.last_name;
  }
  return name.empty() ? user.username : name;
}

bool addresses_bot(const Message& message, const BotIdentity& bot, bool& is_command) {
  std::string_view body = message.body();
  std::string handle = "@" + core::lowercase_trimmed(bot.username);
  bool mentioned = false;
  for (const MessageEntity& entity : message.body_entities()) {
    std::string_view covered = entity_text(body, entity);
    if (entity.type == "mention" && !bot.username.empty() &&
        core::lowercase_trimmed(covered) == handle) {
      mentioned = true;
    } else if (entity.type == "text_mention" && entity.user && entity.user->id == bot.id) {
      mentioned = true;
    } else if (entity.type == "bot_command" && entity.offset == 0) {
      // "/cmd" goes to every bot in a group; "/cmd@name" only to the bot named.
      auto at = covered.find('@');
      if (at == std::string_view::npos) {
        is_command = true;
      } else if (!bot.username.empty() && core::lowercase_trimmed(covered.substr(at)) == handle) {
        is_command = true;
        mentioned = true;
      }
    }
  }
  return mentioned;
}

}  // namespace

std::optional<InboundMessage> to_inbound(const Update& update, std::string_view account_id,
                                         const BotIdentity& bot) {
  const Message* message = nullptr;
  if (update.message) {
    message = &*update.message;
  } else if (update.channel_post) {
    message = &*update.channel_post;
  }
  if (message == nullptr) {
    return std::nullopt;
  }
  if (message->from && message->from->id == bot.id && bot.id != 0) {
    return std::nullopt;  // the bot's own message echoed back
  }
  InboundMessage in;
  in.channel = "telegram";
  in.account_id = std::string(account_id);
  in.dedupe_key = "u:" + std::to_string(update.update_id);
  in.message_id = std::to_string(message->message_id);
  in.chat_id = std::to_string(message->chat.id);
  switch (message->chat.type) {
    case ChatType::private_chat:
      in.chat_type = sessions::ChatType::direct;
      break;
    case ChatType::channel:
      in.chat_type = sessions::ChatType::channel;
      break;
    default:
      in.chat_type = sessions::ChatType::group;
      break;
  }
  in.chat_title = message->chat.title;
  // Forum topics get their own session; a plain reply thread in a group does not.
  if (message->is_topic_message && message->message_thread_id) {
    in.thread_id = std::to_string(*message->message_thread_id);
    in.thread_is_topic = true;
  }
  if (message->from) {
    in.sender_id = std::to_string(message->from->id);
    in.sender_name = display_name(*message->from);
    in.sender_username = message->from->username;
  } else if (message->sender_chat) {
    in.sender_id = std::to_string(message->sender_chat->id);
    in.sender_name = message->sender_chat->title;
    in.sender_username = message->sender_chat->username;
  }
  in.text = message->body();
  if (!message->photo.empty()) {
    const PhotoSize& largest = message->photo.back();
    in.media.push_back(
        InboundMedia{"photo", largest.file_id, "image/jpeg", "", largest.file_size.value_or(0)});
  }
  auto add_file = [&in](std::string_view kind, const std::optional<MediaFile>& file) {
    if (file) {
      in.media.push_back(InboundMedia{std::string(kind), file->file_id, file->mime_type,
                                      file->file_name, file->file_size.value_or(0)});
    }
  };
  add_file("document", message->document);
  add_file("voice", message->voice);
  add_file("audio", message->audio);
  add_file("video", message->video);
  if (in.text.empty() && in.media.empty()) {
    return std::nullopt;  // service messages (joins, pins, topic edits ...)
  }
  if (message->reply_to_message) {
    const ReplyToMessage& reply = *message->reply_to_message;
    in.reply_to_message_id = std::to_string(reply.message_id);
    // In a forum the topic's first message is the implicit reply target of every message;
    // that is not a reply to the bot.
    bool topic_root = message->is_topic_message && message->message_thread_id &&
                      *message->message_thread_id == reply.message_id;
    in.reply_to_bot = !topic_root && reply.from && bot.id != 0 && reply.from->id == bot.id;
  }
  in.mentions_bot = addresses_bot(*message, bot, in.is_command);
  in.sent_at_ms = message->date * 1000;
  return in;
}

}  // namespace pincer::channels::telegram
