// Telegram end to end: the real `pincer gateway` binary, the fake Bot API server and the fake
// model server, all on 127.0.0.1. What a Telegram user sees: pairing for strangers, streamed
// replies as valid HTML, long answers split, group mention gating with topic sessions, flaky
// polling that neither loses nor repeats an update, and a reply that survives kill -9.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include "fakes/fake_llm_server.hpp"
#include "fakes/fake_reply.hpp"
#include "fakes/fake_telegram_server.hpp"
#include "support/pincer_process.hpp"
#include "support/temp_dir.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using fakes::FakeReply;
using fakes::FakeTelegramServer;
using fakes::ScriptStep;
using fakes::TelegramFault;

constexpr int64_t kOwner = 424242;
constexpr int64_t kStranger = 515151;
constexpr int64_t kGroup = -1001234567890;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

FakeReply reply_of(const std::string& text) {
  FakeReply reply;
  reply.text = text;
  return reply;
}

std::string config_for(const fakes::FakeLlmServer& llm, const FakeTelegramServer& telegram,
                       const std::string& extra = "", const std::string& top = "") {
  return R"({
    )" + top +
         R"(
    gateway: { auth: { mode: "token", token: "tg-test-token" } },
    agents: { defaults: { model: { primary: "anthropic/claude-sonnet-4-5" }, timeoutSeconds: 30 } },
    models: { providers: { anthropic: { baseUrl: ")" +
         llm.base_url() + R"(", apiKey: "key-tg" } } },
    channels: { telegram: {
      botToken: ")" +
         telegram.token() + R"(",
      apiRoot: ")" +
         telegram.api_root() + R"(",
      dmPolicy: "pairing",
      allowFrom: [")" +
         std::to_string(kOwner) + R"("],
      groups: { ")" +
         std::to_string(kGroup) + R"(": { requireMention: true } },
      )" +
         extra +
         R"(
    } },
  })";
}

// The texts the bot sent to `chat` (sendMessage), in order.
std::vector<std::string> sent_texts(const FakeTelegramServer& telegram, int64_t chat) {
  std::vector<std::string> out;
  for (const auto& call : telegram.calls("sendMessage")) {
    const json::value* id = call.params.if_contains("chat_id");
    bool same = id != nullptr && ((id->is_int64() && id->get_int64() == chat) ||
                                  (id->is_string() && id->get_string() == std::to_string(chat)));
    if (same && call.status == 200) {
      out.emplace_back(call.params.at("text").as_string());
    }
  }
  return out;
}

class TelegramChannelTest : public ::testing::Test {
 protected:
  void start(const std::string& extra = "", std::filesystem::path state = {},
             const std::string& top = "", uint16_t port = 0) {
    GatewayProcess::Options options;
    options.port = port;
    options.config = config_for(llm_, telegram_, extra, top);
    options.state_dir = std::move(state);
    gateway_ = GatewayProcess::start(options);
  }

  fakes::FakeLlmServer llm_;
  FakeTelegramServer telegram_;
  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(TelegramChannelTest, StrangerGetsPairingCodeAndOwnerApproves) {
  start();
  telegram_.push_private_text(kStranger, "Eve", "hello bot");
  ASSERT_TRUE(wait_until([&] { return !sent_texts(telegram_, kStranger).empty(); }, 10s))
      << gateway_->output();
  std::string notice = sent_texts(telegram_, kStranger).front();
  std::smatch code;
  ASSERT_TRUE(std::regex_search(notice, code, std::regex("([A-HJ-NP-Z2-9]{8})"))) << notice;
  EXPECT_NE(notice.find(std::to_string(kStranger)), std::string::npos);
  EXPECT_TRUE(llm_.requests().empty()) << "nothing reaches the agent before approval";

  // A second message gets no second code.
  telegram_.push_private_text(kStranger, "Eve", "hello again");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(sent_texts(telegram_, kStranger).size(), 1U);

  auto approved =
      run_pincer({"pairing", "approve", "telegram", code[1].str(), "--url",
                  "ws://127.0.0.1:" + std::to_string(gateway_->port()), "--token", "tg-test-token"},
                 gateway_->env());
  ASSERT_EQ(approved.exit_code, 0) << approved.out << approved.err;

  llm_.push(ScriptStep::of(reply_of("Nice to meet you, Eve.")));
  telegram_.push_private_text(kStranger, "Eve", "am I in?");
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& text : sent_texts(telegram_, kStranger)) {
          if (text.find("Nice to meet you") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      15s))
      << gateway_->output();
  EXPECT_EQ(llm_.requests().size(), 1U);
}

TEST_F(TelegramChannelTest, OwnerGetsStreamedReplyAsValidHtml) {
  start("streaming: \"partial\",");
  FakeReply reply = reply_of(
      "Here is **bold** and `code` <not a tag> & more.\n\n```python\nprint(1 < 2)\n```\n\nDone.");
  reply.delta_bytes = 8;
  ScriptStep step = ScriptStep::of(reply);
  step.delay = 30ms;
  llm_.push(step);
  telegram_.push_private_text(kOwner, "Olga", "show me formatting");
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& m : telegram_.chat_messages(kOwner)) {
          if (m.text.find("Done.") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      15s))
      << gateway_->output();
  auto messages = telegram_.chat_messages(kOwner);
  ASSERT_EQ(messages.size(), 1U) << "the preview is finished in place, not sent twice";
  EXPECT_EQ(messages[0].parse_mode, "HTML");
  EXPECT_NE(messages[0].plain_text.find("print(1 < 2)"), std::string::npos)
      << messages[0].plain_text;
  EXPECT_GE(telegram_.calls("editMessageText").size(), 1U);
  // The fake answers 400 to HTML Telegram would refuse; none of the bot's HTML was refused.
  for (const auto& call : telegram_.calls()) {
    if (call.method == "sendMessage" || call.method == "editMessageText") {
      EXPECT_TRUE(call.status == 200 ||
                  json::serialize(call.response).find("not modified") != std::string::npos)
          << json::serialize(call.response);
    }
  }
  EXPECT_GE(telegram_.calls("sendChatAction").size(), 1U);
}

TEST_F(TelegramChannelTest, LongAnswerIsSplitUnderTheLimit) {
  start("streaming: \"off\",");
  std::string paragraph(300, 'x');
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += "Paragraph " + std::to_string(i) + " " + paragraph + "\n\n";
  }
  text += "```\n" + std::string(50, 'c') + "\n```\nTHE END";
  llm_.push(ScriptStep::of(reply_of(text)));
  telegram_.push_private_text(kOwner, "Olga", "write a lot");
  ASSERT_TRUE(wait_until(
      [&] {
        auto texts = sent_texts(telegram_, kOwner);
        return !texts.empty() && texts.back().find("THE END") != std::string::npos;
      },
      15s))
      << gateway_->output();
  auto texts = sent_texts(telegram_, kOwner);
  EXPECT_GE(texts.size(), 2U);
  std::string joined;
  for (const auto& part : texts) {
    EXPECT_LE(part.size(), 4096U);
    joined += part;
  }
  for (int i = 0; i < 20; ++i) {
    EXPECT_NE(joined.find("Paragraph " + std::to_string(i) + " "), std::string::npos);
  }
}

TEST_F(TelegramChannelTest, GroupNeedsMentionAndTopicsGetTheirOwnSession) {
  start("streaming: \"off\",");
  telegram_.push_group_text(kGroup, kOwner, "just chatting", 7, false);
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(llm_.requests().empty()) << "no mention, no turn";

  llm_.push(ScriptStep::of(reply_of("Topic answer.")));
  telegram_.push_group_text(kGroup, kOwner, "what do you think?", 7, true);
  ASSERT_TRUE(wait_until([&] { return !sent_texts(telegram_, kGroup).empty(); }, 15s))
      << gateway_->output();
  auto sends = telegram_.calls("sendMessage");
  ASSERT_FALSE(sends.empty());
  const json::object& params = sends.back().params;
  ASSERT_TRUE(params.contains("message_thread_id"));
  EXPECT_EQ(params.at("message_thread_id").to_number<int64_t>(), 7);

  auto sessions = run_pincer({"sessions", "list", "--json"}, gateway_->env());
  ASSERT_EQ(sessions.exit_code, 0) << sessions.err;
  EXPECT_NE(sessions.out.find(":topic:7"), std::string::npos) << sessions.out;
}

TEST_F(TelegramChannelTest, FlakyPollingNeitherLosesNorRepeatsUpdates) {
  // One turn per message, so every update has exactly one reply to count.
  start("streaming: \"off\",", {}, "messages: { queue: { mode: \"followup\" } },");
  for (int i = 0; i < 10; ++i) {
    llm_.push(ScriptStep::of(reply_of("ack " + std::to_string(i))));
  }
  telegram_.inject_fault(TelegramFault{"getUpdates", 1, TelegramFault::Kind::drop_connection, 1});
  telegram_.inject_fault(TelegramFault{"getUpdates", 2, TelegramFault::Kind::rate_limit, 1});
  telegram_.inject_fault(TelegramFault{"sendMessage", 2, TelegramFault::Kind::rate_limit, 1});
  for (int i = 0; i < 5; ++i) {
    telegram_.push_private_text(kOwner, "Olga", "message " + std::to_string(i));
  }
  ASSERT_TRUE(wait_until([&] { return sent_texts(telegram_, kOwner).size() >= 5; }, 30s))
      << gateway_->output();
  std::this_thread::sleep_for(1s);
  auto replies = sent_texts(telegram_, kOwner);
  EXPECT_EQ(replies.size(), 5U);
  EXPECT_EQ(std::set<std::string>(replies.begin(), replies.end()).size(), 5U);
  std::set<std::string> asked;
  for (const auto& request : llm_.requests()) {
    for (int i = 0; i < 5; ++i) {
      if (request.body.find("message " + std::to_string(i)) != std::string::npos) {
        asked.insert(std::to_string(i));
      }
    }
  }
  EXPECT_EQ(asked.size(), 5U);
  EXPECT_EQ(telegram_.pending_updates(), 0U);
}

TEST_F(TelegramChannelTest, ReplySurvivesKillBetweenReceivingAndReplying) {
  TempDir state;
  // The model hangs, so the daemon has received and stored the message but not replied.
  ScriptStep hang;
  hang.hang = true;
  llm_.push(hang);
  start("streaming: \"off\",", state.path());
  telegram_.push_private_text(kOwner, "Olga", "survive this");
  ASSERT_TRUE(wait_until([&] { return !llm_.requests().empty(); }, 15s)) << gateway_->output();
  gateway_->kill_hard();
  gateway_.reset();

  llm_.push(ScriptStep::of(reply_of("I survived.")));
  start("streaming: \"off\",", state.path());
  ASSERT_TRUE(wait_until([&] { return !sent_texts(telegram_, kOwner).empty(); }, 20s))
      << gateway_->output();
  std::this_thread::sleep_for(1500ms);
  auto texts = sent_texts(telegram_, kOwner);
  ASSERT_EQ(texts.size(), 1U);
  EXPECT_NE(texts[0].find("I survived."), std::string::npos);
}

// Webhook mode: the bot registers the gateway's own URL with its secret, and updates the Bot API
// POSTs there are answered like polled ones.
TEST_F(TelegramChannelTest, WebhookModeReceivesUpdatesOnTheGatewayPort) {
  uint16_t port = free_loopback_port();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/telegram-webhook";
  start("streaming: \"off\", webhookUrl: \"" + url + "\", webhookSecret: \"hook-secret-1\",", {},
        "", port);
  ASSERT_TRUE(wait_until([&] { return telegram_.webhook_url() == url; }, 10s))
      << gateway_->output();
  EXPECT_TRUE(telegram_.calls("getUpdates").empty()) << "no polling in webhook mode";
  llm_.push(ScriptStep::of(reply_of("Hooked.")));
  telegram_.push_private_text(kOwner, "Olga", "via webhook");
  ASSERT_TRUE(wait_until(
      [&] {
        auto texts = sent_texts(telegram_, kOwner);
        return !texts.empty() && texts.back().find("Hooked.") != std::string::npos;
      },
      15s))
      << gateway_->output();
  EXPECT_EQ(telegram_.pending_updates(), 0U);
}

// The CLI against this test's gateway.
RunResult cli(const GatewayProcess& gateway, std::vector<std::string> args) {
  args.insert(args.end(), {"--url", "ws://127.0.0.1:" + std::to_string(gateway.port()), "--token",
                           "tg-test-token"});
  return run_pincer(args, gateway.env());
}

void write_text(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return 0;
  }
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir, ec),
                                                std::filesystem::directory_iterator()));
}

// Files out: a short text rides on a photo as its caption; a long text goes first and the file
// follows as a document; the outbox spool is empty afterwards.
TEST_F(TelegramChannelTest, SendsPhotosAndDocumentsFromTheCli) {
  start("streaming: \"off\",");
  TempDir files;
  std::string png = "\x89PNG\r\n\x1a\n" + std::string(2000, '\x07');
  write_text(files / "chart.png", png);
  write_text(files / "notes.txt", "plain notes\n");

  auto photo = cli(*gateway_, {"message", "send", "--channel", "telegram", "--to",
                               std::to_string(kOwner), "--media", (files / "chart.png").string(),
                               "--text", "Here is **the chart**", "--json"});
  ASSERT_EQ(photo.exit_code, 0) << photo.out << photo.err << gateway_->output();
  auto answer = json::parse(photo.out).as_object();
  EXPECT_TRUE(answer.contains("messageId")) << photo.out;
  auto photos = telegram_.calls("sendPhoto");
  ASSERT_EQ(photos.size(), 1U);
  ASSERT_EQ(photos[0].uploads.size(), 1U);
  EXPECT_EQ(photos[0].uploads[0].bytes, png);
  EXPECT_EQ(photos[0].uploads[0].filename, "chart.png");
  EXPECT_EQ(json::value_to<std::string>(photos[0].params.at("caption")),
            "Here is <b>the chart</b>");
  EXPECT_TRUE(sent_texts(telegram_, kOwner).empty()) << "the caption is not sent twice";

  std::string long_text(1500, 'y');
  auto document =
      cli(*gateway_, {"message", "send", "--channel", "telegram", "--to", std::to_string(kOwner),
                      "--media", (files / "notes.txt").string(), "--text", long_text, "--silent"});
  ASSERT_EQ(document.exit_code, 0) << document.out << document.err;
  auto documents = telegram_.calls("sendDocument");
  ASSERT_EQ(documents.size(), 1U);
  EXPECT_EQ(documents[0].uploads[0].bytes, "plain notes\n");
  EXPECT_FALSE(documents[0].params.contains("caption")) << "too long for a caption";
  EXPECT_EQ(json::serialize(documents[0].params.at("disable_notification")), "\"true\"");
  ASSERT_EQ(sent_texts(telegram_, kOwner).size(), 1U);
  auto chat = telegram_.chat_messages(kOwner);
  ASSERT_EQ(chat.size(), 3U);
  EXPECT_EQ(chat[0].media, "photo");
  EXPECT_EQ(chat[1].media, "");  // the long text first
  EXPECT_EQ(chat[2].media, "document");

  // --force-document sends an image uncompressed.
  auto forced =
      cli(*gateway_, {"message", "send", "--channel", "telegram", "--to", std::to_string(kOwner),
                      "--media", (files / "chart.png").string(), "--force-document"});
  ASSERT_EQ(forced.exit_code, 0) << forced.out << forced.err;
  EXPECT_EQ(telegram_.calls("sendDocument").size(), 2U);
  EXPECT_EQ(files_in(gateway_->state_dir() / "media" / "outbound"), 0U)
      << "spool copies are removed once sent";

  auto missing = cli(*gateway_, {"message", "send", "--channel", "telegram", "--to",
                                 std::to_string(kOwner), "--media", "/no/such/file.png"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE((missing.out + missing.err).find("no such file"), std::string::npos) << missing.err;

  // The state folder holds the bot token and credentials: none of it leaves through a chat.
  auto secret =
      cli(*gateway_, {"message", "send", "--channel", "telegram", "--to", std::to_string(kOwner),
                      "--media", (gateway_->state_dir() / "pincer.json").string()});
  EXPECT_NE(secret.exit_code, 0);
  EXPECT_NE((secret.out + secret.err).find("state folder"), std::string::npos) << secret.err;
  EXPECT_EQ(telegram_.calls("sendDocument").size(), 2U);
}

// Files in: a photo with a caption is downloaded through getFile, saved under media/inbound, and
// reaches the model as an image next to the caption and the file's path.
TEST_F(TelegramChannelTest, InboundPhotoReachesTheModelAsAnImage) {
  start("streaming: \"off\",");
  std::string jpeg = "\xff\xd8\xff\xe0" + std::string(3000, 'J') + "\xff\xd9";
  telegram_.add_file("photo-big", "photos/file_7.jpg", jpeg);
  llm_.push(ScriptStep::of(reply_of("A lovely picture.")));
  json::object message{
      {"from", json::object{{"id", kOwner}, {"is_bot", false}, {"first_name", "Olga"}}},
      {"chat", json::object{{"id", kOwner}, {"type", "private"}, {"first_name", "Olga"}}},
      {"caption", "what is this?"},
      {"photo", json::array{json::object{{"file_id", "photo-small"},
                                         {"file_unique_id", "s1"},
                                         {"width", 90},
                                         {"height", 90},
                                         {"file_size", 100}},
                            json::object{{"file_id", "photo-big"},
                                         {"file_unique_id", "b1"},
                                         {"width", 800},
                                         {"height", 600},
                                         {"file_size", static_cast<int64_t>(jpeg.size())}}}}};
  telegram_.push_update(json::object{{"message", std::move(message)}});
  ASSERT_TRUE(wait_until(
      [&] {
        auto texts = sent_texts(telegram_, kOwner);
        return !texts.empty() && texts.back().find("lovely") != std::string::npos;
      },
      15s))
      << gateway_->output();
  ASSERT_EQ(telegram_.calls("getFile").size(), 1U);
  EXPECT_EQ(json::value_to<std::string>(telegram_.calls("getFile")[0].params.at("file_id")),
            "photo-big");
  auto requests = llm_.requests();
  ASSERT_EQ(requests.size(), 1U);
  const std::string& body = requests[0].body;
  EXPECT_NE(body.find("what is this?"), std::string::npos);
  EXPECT_NE(body.find("\"image/jpeg\""), std::string::npos) << body.substr(0, 2000);
  EXPECT_NE(body.find("/9j/4"), std::string::npos) << "the JPEG goes to the model as base64";
  EXPECT_NE(body.find("[photo attached: "), std::string::npos);
  EXPECT_EQ(files_in(gateway_->state_dir() / "media" / "inbound"), 1U);
}

// A file Telegram will not hand out still reaches the agent as a note, not as silence.
TEST_F(TelegramChannelTest, InboundFileThatCannotBeFetchedIsNamedToTheAgent) {
  start("streaming: \"off\", mediaMaxMb: 1,");
  llm_.push(ScriptStep::of(reply_of("Too big for me.")));
  json::object message{
      {"from", json::object{{"id", kOwner}, {"is_bot", false}, {"first_name", "Olga"}}},
      {"chat", json::object{{"id", kOwner}, {"type", "private"}, {"first_name", "Olga"}}},
      {"document", json::object{{"file_id", "huge-doc"},
                                {"file_unique_id", "h1"},
                                {"file_name", "dump.bin"},
                                {"mime_type", "application/octet-stream"},
                                {"file_size", int64_t{5} << 20}}}};
  telegram_.push_update(json::object{{"message", std::move(message)}});
  ASSERT_TRUE(wait_until([&] { return llm_.request_count() == 1; }, 15s)) << gateway_->output();
  const std::string body = llm_.requests()[0].body;
  EXPECT_NE(body.find("[document not available: "), std::string::npos) << body.substr(0, 2000);
  EXPECT_NE(body.find("mediaMaxMb"), std::string::npos);
  EXPECT_TRUE(telegram_.calls("getFile").empty()) << "the size is known, so nothing is fetched";
}

// message.action through the CLI: react, edit and delete a message the bot sent; a disabled
// action is refused with the key that enables it.
TEST_F(TelegramChannelTest, MessageActionsReactEditDelete) {
  start("streaming: \"off\", actions: { deleteMessage: false },");
  auto sent = cli(*gateway_, {"message", "send", "--channel", "telegram", "--to",
                              std::to_string(kOwner), "--text", "first draft", "--json"});
  ASSERT_EQ(sent.exit_code, 0) << sent.out << sent.err;
  std::string id = json::value_to<std::string>(json::parse(sent.out).at("messageId"));

  auto reacted = cli(*gateway_, {"message", "react", "--channel", "telegram", "--to",
                                 std::to_string(kOwner), "--message-id", id, "--emoji", "👍"});
  ASSERT_EQ(reacted.exit_code, 0) << reacted.out << reacted.err;
  auto edited = cli(*gateway_, {"message", "edit", "--channel", "telegram", "--to",
                                std::to_string(kOwner), "--message-id", id, "--text", "**final**"});
  ASSERT_EQ(edited.exit_code, 0) << edited.out << edited.err;
  auto chat = telegram_.chat_messages(kOwner);
  ASSERT_EQ(chat.size(), 1U);
  EXPECT_EQ(chat[0].text, "<b>final</b>");
  EXPECT_EQ(chat[0].reactions, std::vector<std::string>{"👍"});

  auto refused = cli(*gateway_, {"message", "delete", "--channel", "telegram", "--to",
                                 std::to_string(kOwner), "--message-id", id});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE((refused.out + refused.err).find("actions.deleteMessage"), std::string::npos)
      << refused.out << refused.err;
  EXPECT_TRUE(telegram_.calls("deleteMessage").empty());

  auto unknown = cli(*gateway_, {"message", "edit", "--channel", "telegram", "--to",
                                 std::to_string(kOwner), "--message-id", "999999", "--text", "x"});
  EXPECT_NE(unknown.exit_code, 0) << "editing a message that does not exist fails clearly";
}

// The command menu: built-in commands plus valid customCommands, registered after getMe;
// invalid or shadowing entries are skipped, not fatal.
TEST_F(TelegramChannelTest, RegistersTheCommandMenu) {
  start(R"(customCommands: [
          { command: "/Backup", description: "Git backup" },
          { command: "bad-name!", description: "skipped" },
          { command: "new", description: "shadows a built-in" },
        ],)");
  ASSERT_TRUE(telegram_.wait_for_calls("setMyCommands", 1, 10s)) << gateway_->output();
  auto call = telegram_.calls("setMyCommands").front();
  json::value commands = call.params.at("commands");
  if (commands.is_string()) {
    commands = json::parse(commands.as_string());
  }
  std::vector<std::string> names;
  for (const auto& item : commands.as_array()) {
    names.push_back(json::value_to<std::string>(item.at("command")));
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"new", "reset", "think", "model", "compact", "backup"}));
  EXPECT_NE(gateway_->output().find("bad-name!"), std::string::npos) << "the skip is logged";
}

// channels status --probe asks Telegram now (getMe) and shows the bot; a rejected token shows
// as a failed probe, not as a crash.
TEST_F(TelegramChannelTest, StatusProbeAsksTelegram) {
  start();
  ASSERT_TRUE(telegram_.wait_for_calls("getUpdates", 1, 10s));
  std::size_t before = telegram_.calls("getMe").size();
  auto probed = cli(*gateway_, {"channels", "status", "--probe", "--json"});
  ASSERT_EQ(probed.exit_code, 0) << probed.out << probed.err;
  auto status = json::parse(probed.out);
  const auto& account = status.at("channelAccounts").at("telegram").as_array().at(0).as_object();
  ASSERT_TRUE(account.contains("probe")) << probed.out;
  EXPECT_EQ(account.at("probe").at("ok"), json::value(true));
  EXPECT_EQ(account.at("probe").at("bot").at("username"), json::value("pincer_test_bot"));
  EXPECT_TRUE(account.at("lastProbeAt").is_int64());
  EXPECT_EQ(telegram_.calls("getMe").size(), before + 1);

  auto table = cli(*gateway_, {"channels", "status", "--probe"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("works in"), std::string::npos) << table.out;
  auto plain = cli(*gateway_, {"channels", "status", "--json"});
  EXPECT_FALSE(json::parse(plain.out)
                   .at("channelAccounts")
                   .at("telegram")
                   .as_array()
                   .at(0)
                   .as_object()
                   .contains("probe"));
}

}  // namespace
}  // namespace pincer::testing
