#include "tools/messaging/message_tool.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

namespace pincer::tools {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// A channel layer that records actions and answers from a script.
class MessageToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MessageBackend backend;
    backend.action = [this](MessageActionRequest request) -> asio::awaitable<Result<json::object>> {
      actions_.push_back(request);
      if (fail_next_) {
        fail_next_ = false;
        co_return fail(Errc::unavailable, "telegram account default is not running");
      }
      json::object answer;
      answer["ok"] = true;
      answer["channel"] = request.channel;
      answer["messageId"] = "77";
      co_return answer;
    };
    backend.delivery_context =
        [this](std::string key) -> asio::awaitable<Result<std::optional<DeliveryContext>>> {
      lookups_.push_back(key);
      co_return delivery_;
    };
    register_message_tool(registry_, std::move(backend));
    context_.agent_id = "main";
    context_.session_key = "agent:main:telegram:direct:42";
  }

  agent::ToolOutput call(std::string_view arguments) {
    const auto* spec = registry_.find("message");
    EXPECT_NE(spec, nullptr);
    json::object args = json::parse(arguments).as_object();
    auto future = asio::co_spawn(io_, spec->handler(args, context_), asio::use_future);
    io_.run();
    io_.restart();
    return future.get();
  }

  asio::io_context io_;
  agent::ToolRegistry registry_;
  agent::ToolContext context_;
  std::vector<MessageActionRequest> actions_;
  std::vector<std::string> lookups_;
  std::optional<DeliveryContext> delivery_ = DeliveryContext{"telegram", "default", "42", ""};
  bool fail_next_ = false;
};

// An explicit channel and chat go to the channel layer as given.
TEST_F(MessageToolTest, SendsToExplicitTarget) {
  auto out = call(R"({"action":"send","channel":"Telegram","to":"-1001","message":"hi"})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].channel, "telegram");
  EXPECT_EQ(actions_[0].action, "send");
  EXPECT_EQ(actions_[0].params.at("to").as_string(), "-1001");
  EXPECT_EQ(actions_[0].params.at("message").as_string(), "hi");
  EXPECT_FALSE(actions_[0].params.contains("channel"));
  EXPECT_TRUE(lookups_.empty());
  EXPECT_NE(out.text.find("\"messageId\":\"77\""), std::string::npos);
}

// Without channel and to, the message goes to the current conversation's chat and thread.
TEST_F(MessageToolTest, DefaultsToCurrentSessionDeliveryContext) {
  delivery_ = DeliveryContext{"telegram", "work", "-100", "7"};
  auto out = call(R"({"action":"send","message":"done"})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(lookups_[0], "agent:main:telegram:direct:42");
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].channel, "telegram");
  EXPECT_EQ(actions_[0].account_id, "work");
  EXPECT_EQ(actions_[0].params.at("to").as_string(), "-100");
  EXPECT_EQ(actions_[0].params.at("threadId").as_string(), "7");
}

// A session without a chat (web chat, cron) cannot guess where to send.
TEST_F(MessageToolTest, MissingTargetWithoutDeliveryContextIsAClearError) {
  delivery_ = std::nullopt;
  auto out = call(R"({"action":"send","message":"hi"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("channel: required"), std::string::npos) << out.text;
  EXPECT_TRUE(actions_.empty());

  out = call(R"({"action":"send","channel":"telegram","message":"hi"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("to: required"), std::string::npos) << out.text;
}

// Reactions take numeric message ids and the current chat.
TEST_F(MessageToolTest, ReactsWithNumericMessageId) {
  auto out = call(R"({"action":"react","messageId":123,"emoji":"👍"})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].action, "react");
  EXPECT_EQ(actions_[0].params.at("messageId").as_string(), "123");
  EXPECT_EQ(actions_[0].params.at("to").as_string(), "42");
}

// Bad arguments are answered before anything reaches the channel.
TEST_F(MessageToolTest, RejectsBadArguments) {
  struct Case {
    const char* arguments;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({})", "action: required"},
           Case{R"({"action":"poll","to":"1"})", "expected send, react, edit or delete"},
           Case{R"({"action":"send","to":"1","channel":"telegram"})", "send needs `message`"},
           Case{R"({"action":"react","emoji":"x"})", "messageId: required for react"},
           Case{R"({"action":"react","messageId":"5"})", "react needs `emoji`"},
           Case{R"({"action":"edit","messageId":"5"})", "edit needs `message`"},
           Case{R"({"action":"delete"})", "messageId: required for delete"},
           Case{R"({"action":"send","message":5})", "message: expected a string"},
           Case{R"({"action":"delete","messageId":[1]})", "messageId: expected a string"},
       }) {
    auto out = call(c.arguments);
    EXPECT_TRUE(out.is_error) << c.arguments;
    EXPECT_NE(out.text.find(c.expected), std::string::npos) << c.arguments << " -> " << out.text;
  }
  EXPECT_TRUE(actions_.empty());
}

// The channel layer's refusal comes back as the tool's error with its hint.
TEST_F(MessageToolTest, ReportsChannelFailure) {
  fail_next_ = true;
  auto out = call(R"({"action":"delete","messageId":"9","to":"42","channel":"telegram"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("message delete failed: telegram account default is not running"),
            std::string::npos)
      << out.text;
}

// Aliases from the reference's action names are accepted.
TEST_F(MessageToolTest, AcceptsReferenceActionAliases) {
  auto out = call(R"({"action":"sendMessage","target":"5","channel":"telegram","content":"x"})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(actions_.size(), 1u);
  EXPECT_EQ(actions_[0].action, "send");
  EXPECT_EQ(actions_[0].params.at("to").as_string(), "5");
}

}  // namespace
}  // namespace pincer::tools
