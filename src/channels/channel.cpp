#include "channels/channel.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace pincer::channels {

namespace json = boost::json;

namespace {

std::string string_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

int64_t int_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_int64() ? value->get_int64() : 0;
}

bool bool_at(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

}  // namespace

json::object InboundMessage::to_json() const {
  json::array files;
  for (const auto& item : media) {
    files.push_back(json::object{{"kind", item.kind},
                                 {"fileId", item.file_id},
                                 {"mimeType", item.mime_type},
                                 {"fileName", item.file_name},
                                 {"size", item.size_bytes}});
  }
  return json::object{{"channel", channel},
                      {"accountId", account_id},
                      {"dedupeKey", dedupe_key},
                      {"messageId", message_id},
                      {"chatType", sessions::to_string(chat_type)},
                      {"chatId", chat_id},
                      {"threadId", thread_id},
                      {"threadIsTopic", thread_is_topic},
                      {"chatTitle", chat_title},
                      {"senderId", sender_id},
                      {"senderName", sender_name},
                      {"senderUsername", sender_username},
                      {"text", text},
                      {"media", std::move(files)},
                      {"replyToMessageId", reply_to_message_id},
                      {"replyToBot", reply_to_bot},
                      {"mentionsBot", mentions_bot},
                      {"isCommand", is_command},
                      {"sentAtMs", sent_at_ms}};
}

std::optional<InboundMessage> InboundMessage::from_json(const json::object& object) {
  InboundMessage message;
  message.channel = string_at(object, "channel");
  message.account_id = string_at(object, "accountId");
  message.dedupe_key = string_at(object, "dedupeKey");
  auto chat_type = sessions::parse_chat_type(string_at(object, "chatType"));
  if (message.channel.empty() || message.dedupe_key.empty() || !chat_type) {
    return std::nullopt;
  }
  message.chat_type = *chat_type;
  message.message_id = string_at(object, "messageId");
  message.chat_id = string_at(object, "chatId");
  message.thread_id = string_at(object, "threadId");
  message.thread_is_topic = bool_at(object, "threadIsTopic");
  message.chat_title = string_at(object, "chatTitle");
  message.sender_id = string_at(object, "senderId");
  message.sender_name = string_at(object, "senderName");
  message.sender_username = string_at(object, "senderUsername");
  message.text = string_at(object, "text");
  if (const json::value* files = object.if_contains("media");
      files != nullptr && files->is_array()) {
    for (const json::value& file : files->get_array()) {
      if (!file.is_object()) {
        continue;
      }
      const json::object& item = file.get_object();
      message.media.push_back(InboundMedia{string_at(item, "kind"), string_at(item, "fileId"),
                                           string_at(item, "mimeType"), string_at(item, "fileName"),
                                           int_at(item, "size")});
    }
  }
  message.reply_to_message_id = string_at(object, "replyToMessageId");
  message.reply_to_bot = bool_at(object, "replyToBot");
  message.mentions_bot = bool_at(object, "mentionsBot");
  message.is_command = bool_at(object, "isCommand");
  message.sent_at_ms = int_at(object, "sentAtMs");
  return message;
}

boost::asio::awaitable<SendResult<SentMessage>> Channel::send_media(const OutboundTarget&,
                                                                    const OutboundMedia&,
                                                                    const OutboundPart*, bool) {
  co_return std::unexpected(SendError{
      SendError::Kind::permanent, std::string(id()) + " cannot send files; send text instead", {}});
}

boost::asio::awaitable<std::expected<FetchedMedia, std::string>> Channel::fetch_media(
    const InboundMedia&, std::size_t) {
  co_return std::unexpected(std::string(id()) + " cannot download files");
}

boost::asio::awaitable<ProbeResult> Channel::probe(std::chrono::milliseconds) {
  ProbeResult result;
  result.error = std::string(id()) + " has no probe";
  co_return result;
}

}  // namespace pincer::channels
