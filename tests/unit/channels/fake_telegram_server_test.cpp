// The fake Telegram Bot API server, driven by a plain Beast HTTP client written here (no Pincer
// Telegram client), so the fake's wire behaviour is checked on its own.

#include "fakes/fake_telegram_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

namespace pincer::fakes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct HttpReply {
  boost::system::error_code error;  // set when no answer came (closed, timed out)
  int status = 0;
  std::string content_type;
  std::string body;

  json::value parsed;  // the body as JSON, null when it is not JSON

  const json::object& json() const { return parsed.as_object(); }
};

struct HttpCall {
  http::verb verb = http::verb::get;
  std::string target;
  std::string body;
  std::string content_type;
  std::chrono::milliseconds timeout = 20s;
};

// One request on a fresh connection, answered or failed within call.timeout.
HttpReply send(std::uint16_t port, HttpCall call) {
  asio::io_context io;
  HttpReply reply;
  auto run = [&]() -> asio::awaitable<void> {
    beast::tcp_stream stream(io);
    stream.expires_after(call.timeout);
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    if (auto [ec] = co_await stream.async_connect(endpoint, kTuple); ec) {
      reply.error = ec;
      co_return;
    }
    http::request<http::string_body> request{call.verb, call.target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!call.content_type.empty()) {
      request.set(http::field::content_type, call.content_type);
    }
    request.body() = call.body;
    request.prepare_payload();
    if (auto [ec, n] = co_await http::async_write(stream, request, kTuple); ec) {
      reply.error = ec;
      co_return;
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (auto [ec, n] = co_await http::async_read(stream, buffer, response, kTuple); ec) {
      reply.error = ec;
      co_return;
    }
    reply.status = static_cast<int>(response.result_int());
    reply.content_type = std::string(response[http::field::content_type]);
    reply.body = response.body();
    boost::system::error_code parse_error;
    reply.parsed = json::parse(reply.body, parse_error);
  };
  asio::co_spawn(io, run(), asio::detached);
  io.run();
  return reply;
}

class FakeTelegramTest : public ::testing::Test {
 protected:
  std::string bot_path(std::string_view method) const {
    return "/bot" + server_.token() + "/" + std::string(method);
  }
  HttpReply get(std::string target, std::chrono::milliseconds timeout = 20s) {
    return send(server_.port(), {http::verb::get, std::move(target), {}, {}, timeout});
  }
  HttpReply post_json(std::string_view method, const json::object& body,
                      std::chrono::milliseconds timeout = 20s) {
    return send(server_.port(), {http::verb::post, bot_path(method), json::serialize(body),
                                 "application/json", timeout});
  }
  HttpReply post_form(std::string_view method, std::string body) {
    return send(server_.port(), {http::verb::post, bot_path(method), std::move(body),
                                 "application/x-www-form-urlencoded"});
  }
  // sendMessage to chat 42 with HTML parse mode.
  HttpReply send_html(std::string text) {
    return post_json("sendMessage", {{"chat_id", 42}, {"text", text}, {"parse_mode", "HTML"}});
  }

  FakeTelegramServer server_;
};

std::string description(const HttpReply& reply) {
  return std::string(reply.json().at("description").as_string());
}

// getMe answers the bot; a wrong token is 401, an unknown method 404, method names ignore case.
TEST_F(FakeTelegramTest, GetMeChecksTokenAndMethod) {
  HttpReply me = get(bot_path("getMe"));
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.json().at("result").at("username").as_string(), "pincer_test_bot");
  EXPECT_TRUE(me.json().at("result").at("is_bot").as_bool());

  EXPECT_EQ(get(bot_path("GETME")).status, 200);

  HttpReply wrong = get("/bot123456:WRONG-token/getMe");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(description(wrong), "Unauthorized");
  EXPECT_FALSE(wrong.json().at("ok").as_bool());
  EXPECT_EQ(wrong.json().at("error_code").as_int64(), 401);

  HttpReply unknown = get(bot_path("sendTelepathy"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(description(unknown), "Not Found");
}

// A held long poll returns as soon as an update is pushed, with that update.
TEST_F(FakeTelegramTest, LongPollWakesOnPushUpdate) {
  auto started = std::chrono::steady_clock::now();
  auto poll =
      std::async(std::launch::async, [&] { return get(bot_path("getUpdates?timeout=15")); });
  ASSERT_TRUE(server_.wait_for_calls("getUpdates", 1, 5s));
  int64_t id = server_.push_private_text(42, "Ann", "hello there");

  HttpReply reply = poll.get();
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  const json::array& updates = reply.json().at("result").as_array();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].at("update_id").as_int64(), id);
  const json::value& message = updates[0].at("message");
  EXPECT_EQ(message.at("text").as_string(), "hello there");
  EXPECT_EQ(message.at("chat").at("type").as_string(), "private");
  EXPECT_EQ(message.at("from").at("id").as_int64(), 42);

  auto calls = server_.calls("getUpdates");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].status, 200);  // completed once answered
}

// With nothing to deliver, a long poll is answered [] when its timeout passes.
TEST_F(FakeTelegramTest, LongPollTimesOutWithEmptyArray) {
  HttpReply reply = get(bot_path("getUpdates?timeout=1"));
  ASSERT_EQ(reply.status, 200);
  EXPECT_TRUE(reply.json().at("result").as_array().empty());
}

// An offset confirms (deletes) every update below it; a negative one keeps only the last few.
TEST_F(FakeTelegramTest, OffsetConfirmsUpdates) {
  int64_t first = server_.push_private_text(1, "A", "one");
  int64_t second = server_.push_private_text(1, "A", "two");
  int64_t third = server_.push_private_text(1, "A", "three");
  int64_t fourth = server_.push_private_text(1, "A", "four");

  HttpReply all = get(bot_path("getUpdates"));
  ASSERT_EQ(all.json().at("result").as_array().size(), 4u);
  EXPECT_EQ(server_.pending_updates(), 4u);  // returned is not confirmed

  HttpReply rest = post_form("getUpdates", "offset=" + std::to_string(second) + "&limit=1");
  const json::array& one = rest.json().at("result").as_array();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].at("update_id").as_int64(), second);
  EXPECT_EQ(server_.confirmed_offset(), second);
  EXPECT_EQ(server_.pending_updates(), 3u);
  EXPECT_GT(second, first);

  HttpReply last = post_json("getUpdates", {{"offset", -1}});
  const json::array& tail = last.json().at("result").as_array();
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].at("update_id").as_int64(), fourth);
  EXPECT_EQ(server_.pending_updates(), 1u);
  EXPECT_EQ(server_.confirmed_offset(), third + 1);
}

// A second getUpdates ends the held one with Telegram's 409, and the new one takes over.
TEST_F(FakeTelegramTest, ConcurrentPollEndsTheOlderWith409) {
  auto older =
      std::async(std::launch::async, [&] { return get(bot_path("getUpdates?timeout=15")); });
  ASSERT_TRUE(server_.wait_for_calls("getUpdates", 1, 5s));
  auto newer =
      std::async(std::launch::async, [&] { return get(bot_path("getUpdates?timeout=15")); });

  HttpReply ended = older.get();
  EXPECT_EQ(ended.status, 409);
  EXPECT_EQ(description(ended),
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running");

  server_.push_private_text(7, "B", "wake the newer poll");
  HttpReply taken = newer.get();
  ASSERT_EQ(taken.status, 200);
  EXPECT_EQ(taken.json().at("result").as_array().size(), 1u);
}

// getUpdates is refused while a webhook is set.
TEST_F(FakeTelegramTest, GetUpdatesRefusedWhileWebhookSet) {
  HttpReply set = post_json("setWebhook", {{"url", "http://127.0.0.1:9/hook"}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(set.json().at("description").as_string(), "Webhook was set");

  HttpReply refused = get(bot_path("getUpdates"));
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(description(refused),
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
            "delete the webhook first");

  ASSERT_EQ(post_json("deleteWebhook", {}).status, 200);
  EXPECT_EQ(get(bot_path("getUpdates")).status, 200);
}

// Valid HTML becomes plain text plus entities with UTF-16 offsets.
TEST_F(FakeTelegramTest, HtmlBecomesEntities) {
  HttpReply reply = send_html(
      "\xF0\x9F\x98\x80 <b>bold <i>both</i></b> &lt;x&gt; &#65; <a "
      "href=\"https://e.com/?a=1&amp;b=2\">"
      "link</a>\n<pre><code class=\"language-cpp\">int x;</code></pre>\n"
      "<blockquote expandable>quote</blockquote> <tg-spoiler>s</tg-spoiler>");
  ASSERT_EQ(reply.status, 200) << reply.body;
  const json::value& message = reply.json().at("result");
  EXPECT_EQ(message.at("text").as_string(),
            "\xF0\x9F\x98\x80 bold both <x> A link\nint x;\nquote s");
  EXPECT_EQ(message.at("from").at("is_bot").as_bool(), true);
  EXPECT_EQ(message.at("chat").at("id").as_int64(), 42);

  json::array expected = {
      {{"offset", 3}, {"length", 9}, {"type", "bold"}},
      {{"offset", 8}, {"length", 4}, {"type", "italic"}},
      {{"offset", 19}, {"length", 4}, {"type", "text_link"}, {"url", "https://e.com/?a=1&b=2"}},
      {{"offset", 24}, {"length", 6}, {"type", "pre"}, {"language", "cpp"}},
      {{"offset", 31}, {"length", 5}, {"type", "expandable_blockquote"}},
      {{"offset", 37}, {"length", 1}, {"type", "spoiler"}},
  };
  EXPECT_EQ(message.at("entities"), json::value(expected)) << json::serialize(message);

  auto chat = server_.chat_messages(42);
  ASSERT_EQ(chat.size(), 1u);
  EXPECT_EQ(chat[0].parse_mode, "HTML");
  EXPECT_EQ(chat[0].plain_text, message.at("text").as_string());
}

// Markup Telegram would refuse is answered 400 with Telegram's reason and byte offset.
TEST_F(FakeTelegramTest, InvalidHtmlIsRejectedLikeTelegram) {
  struct Case {
    std::string html;
    std::string reason;
  };
  const Case cases[] = {
      {"<p>hi</p>", "Unsupported start tag \"p\" at byte offset 0"},
      {"a <br/> b", "Unsupported start tag \"br/\" at byte offset 2"},
      {"<b>open", "Can't find end tag corresponding to start tag \"b\""},
      {"<b>x</i>", "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""},
      {"x</b>", "Unexpected end tag at byte offset 1"},
      {"1 < 2", "Unsupported start tag \"\" at byte offset 2"},
      {"<span>x</span>", "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"},
      {"<a href=\"x\"", "Unclosed start tag at byte offset 0"},
      {"fish & chips", "Character \"&\" must be escaped as \"&amp;\" at byte offset 5"},
      {"a&nbsp;b", "Unsupported HTML entity \"&nbsp;\" at byte offset 1"},
  };
  for (const auto& c : cases) {
    HttpReply reply = send_html(c.html);
    EXPECT_EQ(reply.status, 400) << c.html;
    EXPECT_EQ(description(reply), "Bad Request: can't parse entities: " + c.reason) << c.html;
  }
  EXPECT_TRUE(server_.chat_messages(42).empty());

  HttpReply markdown =
      post_json("sendMessage", {{"chat_id", 42}, {"text", "*b*"}, {"parse_mode", "MarkdownV2"}});
  EXPECT_EQ(description(markdown), "Bad Request: unsupported parse_mode");
}

// Length counts UTF-16 units of the text after markup is removed; empty text is refused.
TEST_F(FakeTelegramTest, TextLengthLimits) {
  EXPECT_EQ(send_html(std::string(4096, 'a')).status, 200);
  HttpReply too_long = send_html(std::string(4097, 'a'));
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(description(too_long), "Bad Request: message is too long");
  // 4096 characters once the tags are gone.
  EXPECT_EQ(send_html("<b>" + std::string(4096, 'a') + "</b>").status, 200);
  // 2049 emoji are 4098 UTF-16 units.
  std::string emoji;
  for (int i = 0; i < 2049; ++i) {
    emoji += "\xF0\x9F\x98\x80";
  }
  EXPECT_EQ(description(send_html(emoji)), "Bad Request: message is too long");

  EXPECT_EQ(description(send_html("")), "Bad Request: message text is empty");
  EXPECT_EQ(description(send_html("<b> </b>")), "Bad Request: message text is empty");
}

// Message ids increase per chat; replies must name a message the chat has.
TEST_F(FakeTelegramTest, MessageIdsAndReplies) {
  server_.push_private_text(42, "Ann", "question");  // message 1
  HttpReply first =
      post_json("sendMessage",
                {{"chat_id", "42"}, {"text", "answer"}, {"reply_parameters", {{"message_id", 1}}}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json().at("result").at("message_id").as_int64(), 2);
  EXPECT_EQ(first.json().at("result").at("reply_to_message").at("text").as_string(), "question");

  HttpReply missing = post_json(
      "sendMessage", {{"chat_id", 42}, {"text", "x"}, {"reply_parameters", {{"message_id", 99}}}});
  EXPECT_EQ(description(missing), "Bad Request: message to be replied not found");

  HttpReply other_chat = post_form("sendMessage", "chat_id=43&text=hi");
  EXPECT_EQ(other_chat.json().at("result").at("message_id").as_int64(), 1);

  auto chat = server_.chat_messages(42);
  ASSERT_EQ(chat.size(), 1u);
  EXPECT_EQ(chat[0].reply_to, 1);
}

// Editing to the same text is "not modified"; an unknown message is "not found".
TEST_F(FakeTelegramTest, EditMessageText) {
  HttpReply sent = send_html("<b>draft</b>");
  int64_t id = sent.json().at("result").at("message_id").as_int64();

  HttpReply same = post_json(
      "editMessageText",
      {{"chat_id", 42}, {"message_id", id}, {"text", "<b>draft</b>"}, {"parse_mode", "HTML"}});
  EXPECT_EQ(same.status, 400);
  EXPECT_EQ(description(same),
            "Bad Request: message is not modified: specified new message content and reply "
            "markup are exactly the same as a current content and reply markup of the message");

  HttpReply changed =
      post_json("editMessageText", {{"chat_id", 42}, {"message_id", id}, {"text", "draft"}});
  ASSERT_EQ(changed.status, 200) << changed.body;  // entities differ
  EXPECT_FALSE(changed.json().at("result").as_object().contains("entities"));
  EXPECT_TRUE(changed.json().at("result").as_object().contains("edit_date"));

  HttpReply missing =
      post_json("editMessageText", {{"chat_id", 42}, {"message_id", 999}, {"text", "x"}});
  EXPECT_EQ(description(missing), "Bad Request: message to edit not found");

  auto chat = server_.chat_messages(42);
  ASSERT_EQ(chat.size(), 1u);
  EXPECT_TRUE(chat[0].edited);
  EXPECT_EQ(chat[0].edits, 1);
  EXPECT_EQ(chat[0].text, "draft");

  ASSERT_EQ(post_json("deleteMessage", {{"chat_id", 42}, {"message_id", id}}).status, 200);
  EXPECT_TRUE(server_.chat_messages(42).empty());
  EXPECT_EQ(description(post_json("deleteMessage", {{"chat_id", 42}, {"message_id", id}})),
            "Bad Request: message to delete not found");
}

// A rate_limit fault answers 429 with parameters.retry_after, then the method works again.
TEST_F(FakeTelegramTest, RateLimitFaultCarriesRetryAfter) {
  server_.inject_fault({"sendMessage", 1, TelegramFault::Kind::rate_limit, 7});
  HttpReply limited = send_html("hi");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(description(limited), "Too Many Requests: retry after 7");
  EXPECT_EQ(limited.json().at("parameters").at("retry_after").as_int64(), 7);
  EXPECT_EQ(send_html("hi").status, 200);

  auto calls = server_.calls("sendmessage");  // case-insensitive filter
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].status, 429);
  EXPECT_EQ(calls[0].params.at("text").as_string(), "hi");
}

// Other faults: 502 with an HTML body, a dropped connection, and a call that never answers.
TEST_F(FakeTelegramTest, TransportFaults) {
  server_.inject_fault({"", 1, TelegramFault::Kind::bad_gateway, 0});
  HttpReply gateway = get(bot_path("getMe"));
  EXPECT_EQ(gateway.status, 502);
  EXPECT_EQ(gateway.content_type, "text/html");
  EXPECT_NE(gateway.body.find("502 Bad Gateway"), std::string::npos);

  server_.inject_fault({"sendMessage", 1, TelegramFault::Kind::drop_connection, 0});
  HttpReply dropped = send_html("hi");
  EXPECT_TRUE(dropped.error) << dropped.body;
  EXPECT_EQ(dropped.status, 0);

  server_.inject_fault({"getUpdates", 1, TelegramFault::Kind::drop_connection, 0});
  auto started = std::chrono::steady_clock::now();
  HttpReply dropped_poll = get(bot_path("getUpdates?timeout=10"));
  EXPECT_TRUE(dropped_poll.error);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 90ms);

  server_.inject_fault({"getMe", 1, TelegramFault::Kind::hang, 0});
  HttpReply hung = get(bot_path("getMe"), 300ms);
  EXPECT_EQ(hung.error, beast::error::timeout);

  server_.inject_fault({"getMe", 1, TelegramFault::Kind::server_error, 0});
  HttpReply failed = get(bot_path("getMe"));
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(description(failed), "Internal Server Error");
  EXPECT_EQ(get(bot_path("getMe")).status, 200);
}

// A tiny webhook receiver: answers each POST with the next scripted status (200 after that).
class WebhookReceiver {
 public:
  struct Received {
    std::string target;
    std::string secret;
    std::string body;
  };

  explicit WebhookReceiver(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~WebhookReceiver() {
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  bool wait_for(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }
  std::vector<Received> received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        co_return;
      }
      beast::flat_buffer buffer;
      http::request<http::string_body> request;
      if (auto [rec, n] = co_await http::async_read(socket, buffer, request, kTuple); rec) {
        continue;
      }
      int status = 200;
      {
        std::lock_guard lock(mutex_);
        if (received_.size() < statuses_.size()) {
          status = statuses_[received_.size()];
        }
        received_.push_back({std::string(request.target()),
                             std::string(request["X-Telegram-Bot-Api-Secret-Token"]),
                             request.body()});
        changed_.notify_all();
      }
      http::response<http::string_body> response{static_cast<http::status>(status), 11};
      response.body() = status == 200 ? "" : "nope";
      response.prepare_payload();
      co_await http::async_write(socket, response, kTuple);
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::vector<int> statuses_;
  std::mutex mutex_;  // guards received_
  std::condition_variable changed_;
  std::vector<Received> received_;
};

// With a webhook set, pending updates are POSTed with the secret header and retried until 2xx;
// getWebhookInfo reports the failure and the queue.
TEST_F(FakeTelegramTest, WebhookDeliversWithSecretAndRetries) {
  WebhookReceiver receiver({500});
  server_.set_webhook_retry_delay(10ms);
  std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/tg/hook";
  HttpReply set = post_json("setWebhook", {{"url", url}, {"secret_token", "s3cret_Token-1"}});
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(server_.webhook_url(), url);

  int64_t id = server_.push_private_text(42, "Ann", "via webhook");
  ASSERT_TRUE(receiver.wait_for(2, 10s));
  auto received = receiver.received();
  EXPECT_EQ(received[0].target, "/tg/hook");
  EXPECT_EQ(received[0].secret, "s3cret_Token-1");
  EXPECT_EQ(received[1].body, received[0].body);  // the same update again
  json::value update = json::parse(received[1].body);
  EXPECT_EQ(update.at("update_id").as_int64(), id);
  EXPECT_EQ(update.at("message").at("text").as_string(), "via webhook");

  // Delivered once the receiver said 200: the queue drains.
  json::object info;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    info = get(bot_path("getWebhookInfo")).json().at("result").as_object();
  } while (info.at("pending_update_count").as_int64() != 0 &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(info.at("pending_update_count").as_int64(), 0);
  EXPECT_EQ(info.at("url").as_string(), url);
  EXPECT_EQ(info.at("last_error_message").as_string(),
            "Wrong response from the webhook: 500 Internal Server Error");

  HttpReply bad_secret = post_json("setWebhook", {{"url", url}, {"secret_token", "no spaces"}});
  EXPECT_EQ(bad_secret.status, 400);
}

// sendDocument with a multipart upload returns a Document; getFile and the download route give
// the bytes back.
TEST_F(FakeTelegramTest, MultipartSendDocumentAndDownload) {
  const std::string boundary = "----pincer-boundary";
  const std::string bytes("line one\r\n--not-a-boundary\r\n\0binary", 35);  // NUL included
  std::string body;
  auto field = [&](std::string name, std::string value) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
            value + "\r\n";
  };
  field("chat_id", "42");
  field("caption", "<b>report</b>");
  field("parse_mode", "HTML");
  body += "--" + boundary +
          "\r\nContent-Disposition: form-data; name=\"document\"; filename=\"report.txt\"\r\n"
          "Content-Type: text/plain\r\n\r\n" +
          bytes + "\r\n--" + boundary + "--\r\n";
  HttpReply sent = send(server_.port(), {http::verb::post, bot_path("sendDocument"), body,
                                         "multipart/form-data; boundary=" + boundary});
  ASSERT_EQ(sent.status, 200) << sent.body;
  const json::value& message = sent.json().at("result");
  const json::value& document = message.at("document");
  EXPECT_EQ(document.at("file_name").as_string(), "report.txt");
  EXPECT_EQ(document.at("mime_type").as_string(), "text/plain");
  EXPECT_EQ(document.at("file_size").as_int64(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(message.at("caption").as_string(), "report");
  EXPECT_EQ(message.at("caption_entities").at(0).at("type").as_string(), "bold");

  auto calls = server_.calls("sendDocument");
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_EQ(calls[0].uploads.size(), 1u);
  EXPECT_EQ(calls[0].uploads[0].bytes, bytes);
  EXPECT_EQ(calls[0].params.at("chat_id").as_string(), "42");

  std::string file_id(document.at("file_id").as_string());
  HttpReply file = post_form("getFile", "file_id=" + file_id);
  ASSERT_EQ(file.status, 200) << file.body;
  std::string path(file.json().at("result").at("file_path").as_string());
  HttpReply download = get("/file/bot" + server_.token() + "/" + path);
  ASSERT_EQ(download.status, 200);
  EXPECT_EQ(download.body, bytes);

  // Sending it again by file_id reuses the stored file.
  HttpReply again = post_json("sendDocument", {{"chat_id", 42}, {"document", file_id}});
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("result").at("document").at("file_id").as_string(), file_id);
  EXPECT_EQ(description(post_json("sendDocument", {{"chat_id", 42}, {"document", "nope"}})),
            "Bad Request: wrong file identifier/HTTP URL specified");
}

// Files a test registers are served by getFile and the download route; the token is checked.
TEST_F(FakeTelegramTest, RegisteredFileDownload) {
  server_.add_file("voice-1", "voice/file_9.oga", "OggS-bytes");
  HttpReply file = post_json("getFile", {{"file_id", "voice-1"}});
  ASSERT_EQ(file.status, 200);
  EXPECT_EQ(file.json().at("result").at("file_path").as_string(), "voice/file_9.oga");
  EXPECT_EQ(file.json().at("result").at("file_size").as_int64(), 10);

  EXPECT_EQ(get("/file/bot" + server_.token() + "/voice/file_9.oga").body, "OggS-bytes");
  EXPECT_EQ(get("/file/bot123456:WRONG/voice/file_9.oga").status, 401);
  EXPECT_EQ(get("/file/bot" + server_.token() + "/voice/missing.oga").status, 404);
  EXPECT_EQ(description(post_json("getFile", {{"file_id", "unknown"}})),
            "Bad Request: invalid file_id");
}

// Commands are validated like Telegram's; chat actions come from the documented list.
TEST_F(FakeTelegramTest, CommandsAndChatActions) {
  json::array good = {{{"command", "new_chat"}, {"description", "Start over"}}};
  ASSERT_EQ(post_json("setMyCommands", {{"commands", good}}).status, 200);
  EXPECT_EQ(post_json("getMyCommands", {}).json().at("result"), json::value(good));

  json::array upper = {{{"command", "New"}, {"description", "x"}}};
  EXPECT_EQ(description(post_json("setMyCommands", {{"commands", upper}})),
            "Bad Request: BOT_COMMAND_INVALID");
  json::array empty = {{{"command", "new"}, {"description", ""}}};
  EXPECT_EQ(post_json("setMyCommands", {{"commands", empty}}).status, 400);

  ASSERT_EQ(post_json("deleteMyCommands", {}).status, 200);
  EXPECT_TRUE(post_json("getMyCommands", {}).json().at("result").as_array().empty());

  EXPECT_EQ(post_json("sendChatAction", {{"chat_id", 42}, {"action", "typing"}}).status, 200);
  EXPECT_EQ(description(post_json("sendChatAction", {{"chat_id", 42}, {"action", "dancing"}})),
            "Bad Request: wrong parameter action in request");
}

// Group helpers build supergroup updates with topics and a bot mention entity.
TEST_F(FakeTelegramTest, GroupUpdatesAndMigration) {
  server_.push_group_text(-1001234567890, 5, "hello", 77, true);
  HttpReply reply = get(bot_path("getUpdates"));
  const json::value& message = reply.json().at("result").at(0).at("message");
  EXPECT_EQ(message.at("chat").at("type").as_string(), "supergroup");
  EXPECT_EQ(message.at("message_thread_id").as_int64(), 77);
  EXPECT_TRUE(message.at("is_topic_message").as_bool());
  EXPECT_EQ(message.at("text").as_string(), "@pincer_test_bot hello");
  EXPECT_EQ(message.at("entities").at(0).at("type").as_string(), "mention");
  EXPECT_EQ(message.at("entities").at(0).at("length").as_int64(), 16);

  server_.migrate_chat(-100, -1009999);
  HttpReply moved = post_json("sendMessage", {{"chat_id", -100}, {"text", "hi"}});
  EXPECT_EQ(moved.status, 400);
  EXPECT_EQ(moved.json().at("parameters").at("migrate_to_chat_id").as_int64(), -1009999);
}

// The control endpoints drive the same state as the C++ API (for the standalone binary).
TEST_F(FakeTelegramTest, ControlEndpoints) {
  auto post = [&](std::string path, std::string body) {
    return send(server_.port(), {http::verb::post, path, std::move(body), "application/json"});
  };
  ASSERT_EQ(post("/__fake/private", R"({"user_id":9,"first_name":"Zed","text":"hi"})").status, 200);
  ASSERT_EQ(
      post("/__fake/updates", R"([{"message":{"chat":{"id":9,"type":"private"},"text":"b"}}])")
          .status,
      200);
  HttpReply state = get("/__fake/state");
  EXPECT_EQ(state.json().at("pending_updates").as_int64(), 2);

  ASSERT_EQ(
      post("/__fake/faults", R"({"method":"getMe","kind":"rate_limit","retry_after":3})").status,
      200);
  EXPECT_EQ(get(bot_path("getMe")).status, 429);
  ASSERT_EQ(
      post("/__fake/files", R"({"file_id":"f","file_path":"docs/a.txt","bytes_base64":"aGk="})")
          .status,
      200);
  EXPECT_EQ(get("/file/bot" + server_.token() + "/docs/a.txt").body, "hi");

  send_html("<i>x</i>");
  HttpReply chat = get("/__fake/chats/42");
  json::value messages = json::parse(chat.body);
  ASSERT_EQ(messages.as_array().size(), 1u);
  EXPECT_EQ(messages.at(0).at("plain_text").as_string(), "x");

  json::value calls = json::parse(get("/__fake/calls?method=getme").body);
  ASSERT_EQ(calls.as_array().size(), 1u);
  EXPECT_EQ(calls.at(0).at("status").as_int64(), 429);

  ASSERT_EQ(post("/__fake/reset", "").status, 200);
  EXPECT_EQ(server_.pending_updates(), 0u);
  EXPECT_TRUE(server_.calls().empty());
}

}  // namespace
}  // namespace pincer::fakes
