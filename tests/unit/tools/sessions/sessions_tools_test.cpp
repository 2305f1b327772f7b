#include "tools/sessions/sessions_tools.hpp"

#include <gtest/gtest.h>

#include <map>
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

// Sessions and an agent that answer from a script; wait() answers at once (a finished run or
// a timeout), so no test sleeps.
class SessionsToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sessions_["agent:main:main"] =
        SessionSummary{"agent:main:main", "s1", "main", "", "", "", "", "", "", 2000};
    sessions_["agent:main:telegram:direct:42"] = SessionSummary{"agent:main:telegram:direct:42",
                                                                "s2",
                                                                "main",
                                                                "telegram",
                                                                "default",
                                                                "42",
                                                                "",
                                                                "alice",
                                                                "Alice",
                                                                3000};
    SessionsBackend backend;
    backend.list =
        [this](SessionListQuery query) -> asio::awaitable<Result<std::vector<SessionSummary>>> {
      last_query_ = query;
      std::vector<SessionSummary> out;
      for (const auto& [key, session] : sessions_) {
        if (!query.label || session.label == *query.label) {
          out.push_back(session);
        }
      }
      co_return out;
    };
    backend.find =
        [this](std::string key) -> asio::awaitable<Result<std::optional<SessionSummary>>> {
      auto it = sessions_.find(key);
      co_return it == sessions_.end() ? std::nullopt : std::optional<SessionSummary>(it->second);
    };
    backend.history = [this](
                          std::string key, int64_t limit,
                          bool include_tools) -> asio::awaitable<Result<std::vector<HistoryItem>>> {
      history_args_ = {key, limit, include_tools};
      if (!sessions_.contains(key)) {
        co_return fail(Errc::not_found, "no session with key " + key);
      }
      co_return std::vector<HistoryItem>{{"user", "hello", 1, 10}, {"assistant", "hi!", 2, 20}};
    };
    backend.submit = [this](agent::ChatRequest request) {
      submitted_.push_back(request);
      return agent::AgentService::Submitted{"run-" + std::to_string(submitted_.size()),
                                            request.session_key};
    };
    backend.wait = [this](std::string run_id, std::chrono::milliseconds timeout)
        -> asio::awaitable<std::optional<agent::RunOutcome>> {
      waited_ = timeout;
      if (!outcome_) {
        co_return std::nullopt;
      }
      agent::RunOutcome outcome = *outcome_;
      outcome.run_id = run_id;
      co_return outcome;
    };
    register_sessions_tools(registry_, std::move(backend));
    context_.agent_id = "main";
    context_.session_key = "agent:main:main";
  }

  agent::ToolOutput call(std::string_view name, std::string_view arguments) {
    const auto* spec = registry_.find(name);
    EXPECT_NE(spec, nullptr) << name;
    json::object args = json::parse(arguments).as_object();
    auto future = asio::co_spawn(io_, spec->handler(args, context_), asio::use_future);
    io_.run();
    io_.restart();
    return future.get();
  }

  static json::object parsed(const agent::ToolOutput& out) {
    return json::parse(out.text).as_object();
  }

  void finish_with(agent::RunStatus status, std::string text, std::string error = {}) {
    agent::RunOutcome outcome;
    outcome.status = status;
    outcome.text = std::move(text);
    outcome.error = std::move(error);
    outcome_ = outcome;
  }

  struct HistoryArgs {
    std::string key;
    int64_t limit = 0;
    bool include_tools = false;
  };

  asio::io_context io_;
  agent::ToolRegistry registry_;
  agent::ToolContext context_;
  std::map<std::string, SessionSummary> sessions_;
  std::optional<SessionListQuery> last_query_;
  HistoryArgs history_args_;
  std::vector<agent::ChatRequest> submitted_;
  std::optional<agent::RunOutcome> outcome_;
  std::chrono::milliseconds waited_{0};
};

// Rows carry key, channel, updatedAt and a title (label first).
TEST_F(SessionsToolsTest, ListShowsKeyChannelAndTitle) {
  auto out = call("sessions_list", R"({"limit":5})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_TRUE(last_query_);
  EXPECT_EQ(last_query_->limit, 5);
  auto result = parsed(out);
  EXPECT_EQ(result.at("count").to_number<int64_t>(), 2);
  const auto& rows = result.at("sessions").as_array();
  const auto& telegram = rows[1].as_object();
  EXPECT_EQ(telegram.at("key").as_string(), "agent:main:telegram:direct:42");
  EXPECT_EQ(telegram.at("channel").as_string(), "telegram");
  EXPECT_EQ(telegram.at("updatedAt").as_int64(), 3000);
  EXPECT_EQ(telegram.at("title").as_string(), "alice");
  EXPECT_EQ(rows[0].as_object().at("title").as_string(), "agent:main:main");

  out = call("sessions_list", R"({"limit":0})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("limit"), std::string::npos) << out.text;
}

// A short key is the caller agent's; includeTools and limit reach the store.
TEST_F(SessionsToolsTest, HistoryReadsRoleAndText) {
  auto out = call("sessions_history", R"({"sessionKey":"main","limit":10,"includeTools":true})");
  ASSERT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(history_args_.key, "agent:main:main");
  EXPECT_EQ(history_args_.limit, 10);
  EXPECT_TRUE(history_args_.include_tools);
  auto messages = parsed(out).at("messages").as_array();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].as_object().at("role").as_string(), "user");
  EXPECT_EQ(messages[1].as_object().at("text").as_string(), "hi!");

  out = call("sessions_history", R"({})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("sessionKey: required"), std::string::npos) << out.text;
  out = call("sessions_history", R"({"sessionKey":"agent:main:nope"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("no session with key agent:main:nope"), std::string::npos);
}

// The reply of the other session's turn comes back; its delivery context is kept.
TEST_F(SessionsToolsTest, SendRunsATurnAndReturnsTheReply) {
  finish_with(agent::RunStatus::ok, "sure, done");
  auto out =
      call("sessions_send",
           R"({"sessionKey":"agent:main:telegram:direct:42","message":"ping","timeoutSeconds":5})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].session_key, "agent:main:telegram:direct:42");
  EXPECT_EQ(submitted_[0].channel, "telegram");
  EXPECT_EQ(submitted_[0].reply_to, "42");
  EXPECT_NE(submitted_[0].text.find("ping"), std::string::npos);
  EXPECT_NE(submitted_[0].text.find("Inter-session message"), std::string::npos);
  EXPECT_EQ(waited_, std::chrono::seconds(5));
  auto result = parsed(out);
  EXPECT_EQ(result.at("status").as_string(), "ok");
  EXPECT_EQ(result.at("reply").as_string(), "sure, done");
  EXPECT_EQ(result.at("runId").as_string(), "run-1");
}

// timeoutSeconds 0 queues the message and returns at once; a label finds the session.
TEST_F(SessionsToolsTest, SendWithZeroTimeoutDoesNotWait) {
  auto out = call("sessions_send", R"({"label":"alice","message":"fyi","timeoutSeconds":0})");
  ASSERT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(parsed(out).at("status").as_string(), "accepted");
  EXPECT_EQ(waited_, std::chrono::milliseconds(0));
  ASSERT_EQ(submitted_.size(), 1u);
  EXPECT_EQ(submitted_[0].session_key, "agent:main:telegram:direct:42");
}

// A wait that ends first is reported as a timeout, not an error: the run goes on.
TEST_F(SessionsToolsTest, SendReportsTimeout) {
  auto out =
      call("sessions_send", R"({"sessionKey":"agent:main:telegram:direct:42","message":"x"})");
  ASSERT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(waited_, std::chrono::seconds(30));
  auto result = parsed(out);
  EXPECT_EQ(result.at("status").as_string(), "timeout");
  EXPECT_NE(result.at("note").as_string().find("sessions_history"), std::string::npos);
}

// Unknown targets, the caller's own session and bad arguments are refused before any run.
TEST_F(SessionsToolsTest, SendRejectsBadTargets) {
  struct Case {
    const char* arguments;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({"message":"x"})", "sessionKey: required"},
           Case{R"({"sessionKey":"main"})", "message: required"},
           Case{R"({"sessionKey":"agent:main:zzz","message":"x"})", "no session with key"},
           Case{R"({"sessionKey":"main","message":"x"})", "that is this session"},
           Case{R"({"label":"bob","message":"x"})", "no session is labelled \"bob\""},
           Case{R"({"sessionKey":"main","message":"x","timeoutSeconds":-1})", "timeoutSeconds"},
       }) {
    auto out = call("sessions_send", c.arguments);
    EXPECT_TRUE(out.is_error) << c.arguments;
    EXPECT_NE(out.text.find(c.expected), std::string::npos) << c.arguments << " -> " << out.text;
  }
  EXPECT_TRUE(submitted_.empty());
}

// A failed run is the tool's error, with the run's reason.
TEST_F(SessionsToolsTest, SendReportsRunFailure) {
  finish_with(agent::RunStatus::error, "", "no API key for anthropic");
  auto out =
      call("sessions_send", R"({"sessionKey":"agent:main:telegram:direct:42","message":"x"})");
  EXPECT_TRUE(out.is_error);
  auto result = parsed(out);
  EXPECT_EQ(result.at("status").as_string(), "error");
  EXPECT_EQ(result.at("error").as_string(), "no API key for anthropic");
}

// The child runs in agent:<id>:subagent:<uuid> with the task, model and run limit asked for.
TEST_F(SessionsToolsTest, SpawnRunsSubagentAndReturnsItsResult) {
  finish_with(agent::RunStatus::ok, "3 files changed");
  auto out = call("sessions_spawn",
                  R"({"task":"count files","label":"counter","model":"openai/gpt-5.1",
                      "thinking":"low","runTimeoutSeconds":60,"timeoutSeconds":90})");
  ASSERT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(submitted_.size(), 1u);
  const agent::ChatRequest& request = submitted_[0];
  EXPECT_TRUE(request.session_key.starts_with("agent:main:subagent:")) << request.session_key;
  EXPECT_EQ(request.session_key.size(), std::string("agent:main:subagent:").size() + 36);
  EXPECT_NE(request.text.find("count files"), std::string::npos);
  EXPECT_EQ(request.model, "openai/gpt-5.1");
  EXPECT_EQ(request.thinking, "low");
  ASSERT_TRUE(request.timeout);
  EXPECT_EQ(*request.timeout, std::chrono::seconds(60));
  EXPECT_EQ(request.display_name, "counter");
  EXPECT_EQ(waited_, std::chrono::seconds(90));
  auto result = parsed(out);
  EXPECT_EQ(result.at("status").as_string(), "ok");
  EXPECT_EQ(result.at("reply").as_string(), "3 files changed");
  EXPECT_EQ(result.at("childSessionKey").as_string(), request.session_key);
}

// Spawn without waiting, and spawn whose wait runs out.
TEST_F(SessionsToolsTest, SpawnAcceptedAndTimeout) {
  auto out = call("sessions_spawn", R"({"task":"t","timeoutSeconds":0})");
  ASSERT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(parsed(out).at("status").as_string(), "accepted");

  out = call("sessions_spawn", R"({"task":"t","agentId":"Ops"})");
  ASSERT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(parsed(out).at("status").as_string(), "timeout");
  EXPECT_EQ(waited_, std::chrono::seconds(300));
  ASSERT_EQ(submitted_.size(), 2u);
  EXPECT_TRUE(submitted_[1].session_key.starts_with("agent:ops:subagent:"));
}

TEST_F(SessionsToolsTest, SpawnRejectsBadArguments) {
  struct Case {
    const char* arguments;
    const char* expected;
  };
  for (const Case& c : {
           Case{R"({})", "task: required"},
           Case{R"({"task":"t","thinking":"max"})", "thinking: expected"},
           Case{R"({"task":"t","model":"gpt"})", "model: expected \"provider/model\""},
           Case{R"({"task":"t","timeoutSeconds":"soon"})", "timeoutSeconds"},
       }) {
    auto out = call("sessions_spawn", c.arguments);
    EXPECT_TRUE(out.is_error) << c.arguments;
    EXPECT_NE(out.text.find(c.expected), std::string::npos) << c.arguments << " -> " << out.text;
  }
  EXPECT_TRUE(submitted_.empty());
}

// Stored content shapes read back as plain text.
TEST(SessionsToolsText, ExtractsTextFromTranscriptContent) {
  EXPECT_EQ(transcript_entry_text(R"("plain")"), "plain");
  EXPECT_EQ(transcript_entry_text(R"([{"type":"text","text":"a"},{"type":"image","data":"x"}])"),
            "a");
  EXPECT_EQ(transcript_entry_text(
                R"({"role":"assistant","content":[{"type":"thinking","thinking":"hm"},
                    {"type":"text","text":"one"},{"type":"text","text":"two"}]})"),
            "one\ntwo");
}

}  // namespace
}  // namespace pincer::tools
