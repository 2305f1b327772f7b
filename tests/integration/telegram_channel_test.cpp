// Telegram end to end: the real `pincer gateway` binary, the fake Bot API server and the fake
// model server, all on 127.0.0.1. What a Telegram user sees: pairing for strangers, streamed
// replies as valid HTML, long answers split, group mention gating with topic sessions, flaky
// polling that neither loses nor repeats an update, and a reply that survives kill -9.

#include <gtest/gtest.h>

#include <chrono>
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

}  // namespace
}  // namespace pincer::testing
