#include "channels/telegram/bot_api.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include "fakes/fake_telegram_server.hpp"

namespace pincer::channels::telegram {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using fakes::FakeTelegramServer;
using fakes::TelegramFault;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Runs one awaitable on `io` to completion and returns its value.
template <class T>
T run(asio::io_context& io, asio::awaitable<T> call) {
  std::optional<T> out;
  auto wrapper = [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(call)); };
  asio::co_spawn(io, wrapper(), asio::detached);
  io.restart();
  while (!out && io.run_one_for(30s) > 0) {
  }
  EXPECT_TRUE(out.has_value()) << "the call never completed";
  if (!out) {
    BotApiError error;
    error.message = "did not complete";
    return T(std::unexpected(error));
  }
  return std::move(*out);
}

// Every text of the error, for "no secret inside" checks.
std::string all_text(const BotApiError& error) {
  return error.message + "\n" + error.description + "\n" + error.describe() + "\n" + error.method;
}

class BotApiTest : public ::testing::Test {
 protected:
  FakeTelegramServer fake_;
  asio::io_context io_;
  core::HttpClient http_{io_.get_executor()};
  BotApi api_{http_, fake_.api_root() + "/", fake_.token()};
};

// getMe returns the bot's identity.
TEST_F(BotApiTest, GetMeReturnsTheBot) {
  fake_.set_bot(4242, "helper_bot", "Helper");
  auto me = run(io_, api_.get_me());
  ASSERT_TRUE(me) << me.error().describe();
  EXPECT_EQ(me->id, 4242);
  EXPECT_TRUE(me->is_bot);
  EXPECT_EQ(me->username, "helper_bot");
  EXPECT_EQ(me->first_name, "Helper");
}

// A held long poll returns as soon as an update is pushed; the next offset confirms it.
TEST_F(BotApiTest, LongPollReturnsPushedUpdateAndOffsetConfirms) {
  std::thread pusher([&] {
    ASSERT_TRUE(fake_.wait_for_calls("getUpdates", 1, 5s));
    fake_.push_private_text(1001, "Ada", "hello bot");
  });
  auto started = Clock::now();
  auto updates = run(io_, api_.get_updates(0, 10));
  pusher.join();
  ASSERT_TRUE(updates) << updates.error().describe();
  EXPECT_LT(Clock::now() - started, 8s);
  ASSERT_EQ(updates->size(), 1u);
  const Update& update = updates->front();
  EXPECT_TRUE(update.parse_error.empty()) << update.parse_error;
  ASSERT_TRUE(update.message);
  EXPECT_EQ(update.message->text, "hello bot");
  EXPECT_EQ(update.message->chat.type, ChatType::private_chat);
  EXPECT_EQ(update.message->chat.id, 1001);
  ASSERT_TRUE(update.message->from);
  EXPECT_EQ(update.message->from->first_name, "Ada");
  EXPECT_TRUE(update.raw.contains("message"));
  EXPECT_EQ(fake_.pending_updates(), 1u);

  auto next = run(io_, api_.get_updates(update.update_id + 1, 0));
  ASSERT_TRUE(next) << next.error().describe();
  EXPECT_TRUE(next->empty());
  EXPECT_EQ(fake_.confirmed_offset(), update.update_id + 1);
  EXPECT_EQ(fake_.pending_updates(), 0u);

  auto calls = fake_.calls("getUpdates");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params.at("timeout").as_int64(), 10);
}

// sendMessage with HTML arrives with its options; Telegram's entities come back in UTF-16 units.
TEST_F(BotApiTest, SendMessageHtml) {
  SendMessageRequest first;
  first.chat_id = 555;
  first.text = "first";
  auto sent_first = run(io_, api_.send_message(first));
  ASSERT_TRUE(sent_first) << sent_first.error().describe();

  SendMessageRequest request;
  request.chat_id = 555;
  request.text = "<b>😀 bold</b> and <i>italic</i>";
  request.parse_mode = "HTML";
  request.reply_to_message_id = sent_first->message_id;
  request.disable_link_preview = true;
  request.disable_notification = true;
  auto sent = run(io_, api_.send_message(request));
  ASSERT_TRUE(sent) << sent.error().describe();
  EXPECT_EQ(sent->chat.id, 555);
  EXPECT_EQ(sent->text, "😀 bold and italic");
  ASSERT_TRUE(sent->reply_to_message);
  EXPECT_EQ(sent->reply_to_message->message_id, sent_first->message_id);
  EXPECT_TRUE(sent->reply_to_message->from_bot);
  ASSERT_EQ(sent->entities.size(), 2u);
  EXPECT_EQ(entity_text(sent->text, sent->entities[0]), "😀 bold");
  EXPECT_EQ(entity_text(sent->text, sent->entities[1]), "italic");

  auto calls = fake_.calls("sendMessage");
  ASSERT_EQ(calls.size(), 2u);
  const json::object& params = calls[1].params;
  EXPECT_EQ(params.at("parse_mode").as_string(), "HTML");
  EXPECT_EQ(params.at("reply_parameters").at("message_id").to_number<int64_t>(),
            sent_first->message_id);
  EXPECT_TRUE(params.at("link_preview_options").at("is_disabled").as_bool());
  EXPECT_TRUE(params.at("disable_notification").as_bool());
  auto chat = fake_.chat_messages(555);
  ASSERT_EQ(chat.size(), 2u);
  EXPECT_EQ(chat[1].plain_text, "😀 bold and italic");
}

// A 400 "can't parse entities" is classified so the caller can resend as plain text.
TEST_F(BotApiTest, ParseEntitiesErrorIsClassified) {
  fake_.inject_fault({"sendMessage", 1, TelegramFault::Kind::parse_entities, 1});
  SendMessageRequest request;
  request.chat_id = 7;
  request.text = "<b>broken";
  request.parse_mode = "HTML";
  auto sent = run(io_, api_.send_message(request));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, BotApiErrorKind::bad_request);
  EXPECT_EQ(sent.error().http_status, 400);
  EXPECT_EQ(sent.error().error_code, 400);
  EXPECT_TRUE(sent.error().is_parse_entities());
  EXPECT_FALSE(sent.error().retryable());
  EXPECT_FALSE(sent.error().is_not_modified());

  request.parse_mode.clear();
  auto plain = run(io_, api_.send_message(request));
  ASSERT_TRUE(plain) << plain.error().describe();
}

// The fake's own HTML check rejects unbalanced markup the same way.
TEST_F(BotApiTest, UnbalancedHtmlIsParseEntities) {
  SendMessageRequest request;
  request.chat_id = 7;
  request.text = "<b>broken";
  request.parse_mode = "HTML";
  auto sent = run(io_, api_.send_message(request));
  ASSERT_FALSE(sent);
  EXPECT_TRUE(sent.error().is_parse_entities()) << sent.error().describe();
}

// Editing to the same text is "not modified", which callers may ignore.
TEST_F(BotApiTest, EditToSameTextIsNotModified) {
  SendMessageRequest request;
  request.chat_id = 9;
  request.text = "same";
  auto sent = run(io_, api_.send_message(request));
  ASSERT_TRUE(sent);
  auto edited = run(io_, api_.edit_message_text({9, sent->message_id, "changed", "", false}));
  ASSERT_TRUE(edited) << edited.error().describe();
  auto again = run(io_, api_.edit_message_text({9, sent->message_id, "changed", "", false}));
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().is_not_modified()) << again.error().describe();
  EXPECT_EQ(fake_.chat_messages(9).at(0).text, "changed");
}

// A 429 carries parameters.retry_after; it is retryable.
TEST_F(BotApiTest, RateLimitCarriesRetryAfter) {
  fake_.inject_fault({"sendMessage", 1, TelegramFault::Kind::rate_limit, 17});
  auto sent = run(io_, api_.send_message({7, "hi", "", std::nullopt, std::nullopt, false, false}));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, BotApiErrorKind::rate_limited);
  EXPECT_EQ(sent.error().http_status, 429);
  ASSERT_TRUE(sent.error().retry_after);
  EXPECT_EQ(*sent.error().retry_after, 17);
  EXPECT_TRUE(sent.error().retryable());
  EXPECT_NE(sent.error().describe().find("17 s"), std::string::npos) << sent.error().describe();
}

// 5xx (JSON or an HTML page from the front end) is `server` and retryable; 409 is `conflict`.
TEST_F(BotApiTest, ServerErrorsAndConflict) {
  fake_.inject_fault({"getMe", 1, TelegramFault::Kind::bad_gateway, 1});
  auto gateway = run(io_, api_.get_me());
  ASSERT_FALSE(gateway);
  EXPECT_EQ(gateway.error().kind, BotApiErrorKind::server);
  EXPECT_EQ(gateway.error().http_status, 502);
  EXPECT_TRUE(gateway.error().retryable());

  fake_.inject_fault({"getMe", 1, TelegramFault::Kind::server_error, 1});
  auto internal = run(io_, api_.get_me());
  ASSERT_FALSE(internal);
  EXPECT_EQ(internal.error().kind, BotApiErrorKind::server);

  fake_.inject_fault({"getUpdates", 1, TelegramFault::Kind::conflict, 1});
  auto conflict = run(io_, api_.get_updates(0, 0));
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().kind, BotApiErrorKind::conflict);
  EXPECT_FALSE(conflict.error().retryable());
}

// A rejected token gives `unauthorized` with a describe() that says what to check, and the
// token appears in no error text.
TEST_F(BotApiTest, UnauthorizedDescribeHasNoToken) {
  const std::string wrong_token = "999999:WRONG-secret-token-value";
  BotApi wrong(http_, fake_.api_root(), wrong_token);
  auto me = run(io_, wrong.get_me());
  ASSERT_FALSE(me);
  EXPECT_EQ(me.error().kind, BotApiErrorKind::unauthorized);
  EXPECT_EQ(me.error().http_status, 401);
  EXPECT_FALSE(me.error().retryable());
  std::string text = all_text(me.error());
  EXPECT_NE(me.error().describe().find("channels.telegram.botToken"), std::string::npos);
  EXPECT_EQ(text.find(wrong_token), std::string::npos) << text;
  EXPECT_EQ(text.find("WRONG-secret"), std::string::npos) << text;
  EXPECT_EQ(text.find(fake_.token()), std::string::npos) << text;
}

// No error kind leaks the token: network failures, timeouts, downloads and API errors.
TEST_F(BotApiTest, TokenNeverInErrorTexts) {
  std::vector<BotApiError> errors;
  fake_.inject_fault({"getMe", 1, TelegramFault::Kind::drop_connection, 1});
  errors.push_back(run(io_, api_.get_me()).error());
  fake_.inject_fault({"getMe", 1, TelegramFault::Kind::hang, 1});
  errors.push_back(run(io_, api_.call("getMe", {}, 200ms)).error());
  errors.push_back(run(io_, api_.download_file("documents/missing.pdf", 1000)).error());
  errors.push_back(run(io_, api_.call("noSuchMethod")).error());
  fake_.add_file("big", "documents/big.bin", std::string(5000, 'x'));
  errors.push_back(run(io_, api_.download_file("documents/big.bin", 100)).error());
  {
    core::HttpClient closed_http(io_.get_executor());
    BotApi unreachable(closed_http, "http://127.0.0.1:1", fake_.token());
    errors.push_back(run(io_, unreachable.get_me()).error());
  }
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[1].kind, BotApiErrorKind::network);  // timeout
  EXPECT_EQ(errors[2].kind, BotApiErrorKind::not_found);
  EXPECT_EQ(errors[4].kind, BotApiErrorKind::too_large);
  EXPECT_EQ(errors[5].kind, BotApiErrorKind::network);
  for (const auto& error : errors) {
    std::string text = all_text(error);
    EXPECT_EQ(text.find(fake_.token()), std::string::npos) << text;
    EXPECT_EQ(text.find("TEST-token"), std::string::npos) << text;
    EXPECT_EQ(text.find("/bot"), std::string::npos) << text;
  }
}

// A dropped connection is a retryable network error; the next call works.
TEST_F(BotApiTest, DroppedConnectionIsNetworkError) {
  fake_.inject_fault({"getMe", 1, TelegramFault::Kind::drop_connection, 1});
  auto me = run(io_, api_.get_me());
  ASSERT_FALSE(me);
  EXPECT_EQ(me.error().kind, BotApiErrorKind::network);
  EXPECT_EQ(me.error().http_status, 0);
  EXPECT_TRUE(me.error().retryable());
  EXPECT_EQ(me.error().method, "getMe");
  auto again = run(io_, api_.get_me());
  ASSERT_TRUE(again) << again.error().describe();
}

// sendDocument uploads the bytes by multipart, with caption and thread; the uploaded file can
// be fetched back with getFile + download.
TEST_F(BotApiTest, SendDocumentUploadsBytesAndDownloadsBack) {
  std::string bytes("%PDF-1.7\r\n--boundary-like\r\n\0\x01\x02 binary", 38);
  SendFileRequest request;
  request.chat_id = -1001234567890;
  request.bytes = bytes;
  request.filename = "report.pdf";
  request.content_type = "application/pdf";
  request.caption = "<b>Report</b>";
  request.parse_mode = "HTML";
  request.message_thread_id = 12;
  auto sent = run(io_, api_.send_document(request));
  ASSERT_TRUE(sent) << sent.error().describe();
  ASSERT_TRUE(sent->document);
  EXPECT_EQ(sent->caption, "Report");
  EXPECT_EQ(sent->message_thread_id, 12);

  auto calls = fake_.calls("sendDocument");
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_EQ(calls[0].uploads.size(), 1u);
  EXPECT_EQ(calls[0].uploads[0].field, "document");
  EXPECT_EQ(calls[0].uploads[0].filename, "report.pdf");
  EXPECT_EQ(calls[0].uploads[0].content_type, "application/pdf");
  EXPECT_EQ(calls[0].uploads[0].bytes, bytes);
  EXPECT_EQ(calls[0].params.at("caption").as_string(), "<b>Report</b>");
  EXPECT_EQ(calls[0].params.at("chat_id").as_string(), "-1001234567890");  // form values

  auto file = run(io_, api_.get_file(sent->document->file_id));
  ASSERT_TRUE(file) << file.error().describe();
  auto downloaded = run(io_, api_.download_file(file->file_path, 1 << 20));
  ASSERT_TRUE(downloaded) << downloaded.error().describe();
  EXPECT_EQ(*downloaded, bytes);
}

// sendPhoto uses the "photo" field.
TEST_F(BotApiTest, SendPhotoUsesPhotoField) {
  SendFileRequest request;
  request.chat_id = 77;
  request.bytes = std::string("\xFF\xD8\xFF\xE0 jpeg", 9);
  request.filename = "cat.jpg";
  request.content_type = "image/jpeg";
  auto sent = run(io_, api_.send_photo(request));
  ASSERT_TRUE(sent) << sent.error().describe();
  EXPECT_FALSE(sent->photo.empty());
  auto calls = fake_.calls("sendPhoto");
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_EQ(calls[0].uploads.size(), 1u);
  EXPECT_EQ(calls[0].uploads[0].field, "photo");
}

// getFile + download of a file the test registered; the size cap applies.
TEST_F(BotApiTest, GetFileAndDownload) {
  fake_.add_file("voice-1", "voice/file_9.oga", "OggS voice bytes");
  auto file = run(io_, api_.get_file("voice-1"));
  ASSERT_TRUE(file) << file.error().describe();
  EXPECT_EQ(file->file_path, "voice/file_9.oga");
  auto bytes = run(io_, api_.download_file(file->file_path, 1000));
  ASSERT_TRUE(bytes) << bytes.error().describe();
  EXPECT_EQ(*bytes, "OggS voice bytes");
  auto capped = run(io_, api_.download_file(file->file_path, 4));
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().kind, BotApiErrorKind::too_large);
  EXPECT_FALSE(capped.error().retryable());
}

// Chat actions, reactions, deletes, commands and webhooks reach the API with their parameters.
TEST_F(BotApiTest, SmallMethodsSendTheirParameters) {
  auto sent = run(io_, api_.send_message({-100200, "hi", "", 5, std::nullopt, false, false}));
  ASSERT_TRUE(sent) << sent.error().describe();

  ASSERT_TRUE(run(io_, api_.send_chat_action(-100200, "typing", 5)));
  auto action = fake_.calls("sendChatAction").at(0).params;
  EXPECT_EQ(action.at("action").as_string(), "typing");
  EXPECT_EQ(action.at("message_thread_id").to_number<int64_t>(), 5);

  auto reacted = run(io_, api_.set_message_reaction(-100200, sent->message_id, "👍"));
  ASSERT_TRUE(reacted) << reacted.error().describe();
  EXPECT_EQ(fake_.chat_messages(-100200).at(0).reactions, std::vector<std::string>{"👍"});

  auto commands = run(io_, api_.set_my_commands({{"help", "Show help"}, {"new", "New chat"}}));
  ASSERT_TRUE(commands) << commands.error().describe();
  auto command_params = fake_.calls("setMyCommands").at(0).params;
  EXPECT_EQ(command_params.at("commands").as_array().size(), 2u);
  ASSERT_TRUE(run(io_, api_.delete_my_commands()));

  WebhookSettings webhook;
  webhook.url = "http://127.0.0.1:1/telegram-webhook";  // the fake delivers to 127.0.0.1
  webhook.secret_token = "s3cret";
  webhook.allowed_updates = {"message", "callback_query"};
  auto set = run(io_, api_.set_webhook(webhook));
  ASSERT_TRUE(set) << set.error().describe();
  auto info = run(io_, api_.get_webhook_info());
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->url, webhook.url);
  ASSERT_TRUE(run(io_, api_.delete_webhook(true)));
  auto cleared = run(io_, api_.get_webhook_info());
  ASSERT_TRUE(cleared);
  EXPECT_EQ(cleared->url, "");

  auto deleted = run(io_, api_.delete_message(-100200, sent->message_id));
  ASSERT_TRUE(deleted) << deleted.error().describe();
  EXPECT_TRUE(fake_.chat_messages(-100200).empty());
}

// A group upgraded to a supergroup reports the new chat id.
TEST_F(BotApiTest, MigratedGroupReportsNewChatId) {
  fake_.migrate_chat(-4242, -1009999);
  auto sent =
      run(io_, api_.send_message({-4242, "hi", "", std::nullopt, std::nullopt, false, false}));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().kind, BotApiErrorKind::bad_request);
  ASSERT_TRUE(sent.error().migrate_to_chat_id);
  EXPECT_EQ(*sent.error().migrate_to_chat_id, -1009999);
  EXPECT_NE(sent.error().describe().find("-1009999"), std::string::npos);
}

// A mention after an emoji: the entity's UTF-16 offset finds the right text.
TEST_F(BotApiTest, Utf16EntityAfterEmoji) {
  json::object update = json::parse(R"({
    "message": {
      "message_id": 10, "date": 1700000000,
      "chat": {"id": -100555, "type": "supergroup", "title": "Team", "is_forum": true},
      "from": {"id": 3, "is_bot": false, "first_name": "Bo"},
      "message_thread_id": 4, "is_topic_message": true,
      "text": "👩‍💻 hi @pincer_test_bot!",
      "entities": [{"type": "mention", "offset": 9, "length": 16}]
    }})")
                            .as_object();
  fake_.push_update(update);
  auto updates = run(io_, api_.get_updates(0, 0));
  ASSERT_TRUE(updates) << updates.error().describe();
  ASSERT_EQ(updates->size(), 1u);
  const Message& message = *updates->at(0).message;
  EXPECT_TRUE(message.chat.is_forum);
  EXPECT_EQ(message.message_thread_id, 4);
  ASSERT_EQ(message.entities.size(), 1u);
  EXPECT_EQ(entity_text(message.text, message.entities[0]), "@pincer_test_bot");
}

}  // namespace
}  // namespace pincer::channels::telegram
