#include "channels/telegram/telegram_types.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pincer::channels::telegram {
namespace {

namespace json = boost::json;

// A full message with unknown fields parses; every field the channel uses is read.
TEST(TelegramTypes, ParsesMessageAndIgnoresUnknownFields) {
  auto value = json::parse(R"({
    "message_id": 77, "date": 1700000001, "edit_date": 1700000009,
    "from": {"id": 5, "is_bot": false, "first_name": "Ann", "username": "ann", "future": 1},
    "chat": {"id": -1001, "type": "supergroup", "title": "Ops", "is_forum": true,
             "brand_new_field": {"x": [1, 2]}},
    "message_thread_id": 3, "is_topic_message": true,
    "caption": "see file", "caption_entities": [{"type": "bold", "offset": 0, "length": 3}],
    "document": {"file_id": "D1", "file_unique_id": "U1", "file_name": "a.pdf",
                 "mime_type": "application/pdf", "file_size": 1234},
    "photo": [{"file_id": "P1", "file_unique_id": "p", "width": 90, "height": 60},
              {"file_id": "P2", "file_unique_id": "q", "width": 900, "height": 600,
               "file_size": 50000}],
    "voice": {"file_id": "V1", "file_unique_id": "v", "duration": 4, "mime_type": "audio/ogg"},
    "media_group_id": "album-1",
    "reply_to_message": {"message_id": 70, "date": 1699999999,
                         "from": {"id": 777, "is_bot": true, "first_name": "Bot"},
                         "chat": {"id": -1001, "type": "supergroup"}, "text": "earlier"},
    "some_future_object": {"nested": true}
  })");
  auto message = Message::from_json(value);
  ASSERT_TRUE(message) << message.error().describe();
  EXPECT_EQ(message->message_id, 77);
  EXPECT_EQ(message->edit_date, 1700000009);
  EXPECT_EQ(message->chat.type, ChatType::supergroup);
  EXPECT_TRUE(message->chat.is_forum);
  EXPECT_EQ(message->message_thread_id, 3);
  EXPECT_TRUE(message->is_topic_message);
  EXPECT_EQ(message->from->username, "ann");
  EXPECT_EQ(message->body(), "see file");
  ASSERT_EQ(message->body_entities().size(), 1u);
  EXPECT_EQ(entity_text(message->body(), message->body_entities()[0]), "see");
  EXPECT_EQ(message->document->file_size, 1234);
  ASSERT_EQ(message->photo.size(), 2u);
  EXPECT_EQ(message->photo[1].file_id, "P2");
  EXPECT_EQ(message->voice->duration, 4);
  EXPECT_EQ(message->media_group_id, "album-1");
  ASSERT_TRUE(message->reply_to_message);
  EXPECT_EQ(message->reply_to_message->message_id, 70);
  EXPECT_TRUE(message->reply_to_message->from_bot);
  EXPECT_EQ(message->reply_to_message->from->id, 777);
  EXPECT_EQ(message->reply_to_message->text, "earlier");
}

// A missing required field is an error naming its path.
TEST(TelegramTypes, MissingRequiredFieldNamesThePath) {
  auto no_chat_id = Message::from_json(
      json::parse(R"({"message_id": 1, "date": 2, "chat": {"type": "private"}})"));
  ASSERT_FALSE(no_chat_id);
  EXPECT_EQ(no_chat_id.error().code, Errc::parse);
  EXPECT_NE(no_chat_id.error().message.find("message.chat.id is missing"), std::string::npos)
      << no_chat_id.error().message;

  auto bad_entity = Message::from_json(json::parse(
      R"({"message_id": 1, "date": 2, "chat": {"id": 1, "type": "private"},
          "entities": [{"type": "bold", "offset": "zero", "length": 1}]})"));
  ASSERT_FALSE(bad_entity);
  EXPECT_NE(bad_entity.error().message.find("message.entities[0].offset is a string"),
            std::string::npos)
      << bad_entity.error().message;

  EXPECT_FALSE(User::from_json(json::parse(R"({"first_name": "x"})")));
  EXPECT_FALSE(File::from_json(json::parse(R"([1])")));
}

// Unknown chat types read as `other`, not an error.
TEST(TelegramTypes, UnknownChatTypeIsOther) {
  auto chat = Chat::from_json(json::parse(R"({"id": 1, "type": "sender"})"));
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->type, ChatType::other);
  EXPECT_EQ(to_string(ChatType::private_chat), "private");
}

// An update whose message is unreadable keeps its id and raw JSON so it can be confirmed.
TEST(TelegramTypes, UpdateKeepsIdWhenAPartFails) {
  auto update = Update::from_json(
      json::parse(R"({"update_id": 900, "message": {"message_id": 1}, "poll": {"id": "x"}})"));
  ASSERT_TRUE(update) << update.error().describe();
  EXPECT_EQ(update->update_id, 900);
  EXPECT_FALSE(update->message);
  EXPECT_NE(update->parse_error.find("update.message.chat is missing"), std::string::npos)
      << update->parse_error;
  EXPECT_TRUE(update->raw.contains("poll"));

  EXPECT_FALSE(Update::from_json(json::parse(R"({"message": {}})")));

  auto callback = Update::from_json(json::parse(
      R"({"update_id": 901, "callback_query": {"id": "cb", "from": {"id": 2, "is_bot": false,
          "first_name": "Z"}, "chat_instance": "ci", "data": "yes"}})"));
  ASSERT_TRUE(callback);
  ASSERT_TRUE(callback->callback_query);
  EXPECT_EQ(callback->callback_query->data, "yes");
  EXPECT_TRUE(callback->parse_error.empty());
}

// Entity offsets count UTF-16 units: emoji outside the BMP are two, others one.
TEST(TelegramTypes, Utf16SubstringWithEmoji) {
  std::string text = "😀 é @bot ok";  // 😀 = 2 units, é = 1
  EXPECT_EQ(utf16_length(text), 12);
  EXPECT_EQ(utf16_substr(text, 5, 4), "@bot");
  EXPECT_EQ(utf16_substr(text, 0, 2), "😀");
  EXPECT_EQ(utf16_substr(text, 3, 1), "é");
  // A bound inside the surrogate pair widens to the whole emoji.
  EXPECT_EQ(utf16_substr(text, 1, 1), "😀");
  EXPECT_EQ(utf16_substr(text, 0, 1), "😀");
  // Clamped at the end; empty past it.
  EXPECT_EQ(utf16_substr(text, 10, 100), "ok");
  EXPECT_EQ(utf16_substr(text, 50, 2), "");
  EXPECT_EQ(utf16_substr(text, 3, 0), "");
  // Invalid UTF-8 bytes count one unit each.
  std::string broken =
      "a\xff"
      "b";
  EXPECT_EQ(utf16_length(broken), 3);
  EXPECT_EQ(utf16_substr(broken, 2, 1), "b");

  MessageEntity entity;
  entity.offset = 5;
  entity.length = 4;
  EXPECT_EQ(entity_text(text, entity), "@bot");
}

// BotCommand round-trips through JSON.
TEST(TelegramTypes, BotCommandJson) {
  BotCommand command{"help", "Show help"};
  auto back = BotCommand::from_json(command.to_json());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->command, "help");
  EXPECT_EQ(back->description, "Show help");
}

}  // namespace
}  // namespace pincer::channels::telegram
