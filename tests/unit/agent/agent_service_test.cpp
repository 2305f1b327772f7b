// The agent runtime end to end in one process: AgentService → runner → real adapters and
// transport → the fake model server on 127.0.0.1, with state.db on disk.
#include "agent/agent_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/auth_profile_store.hpp"
#include "agent/model_caller.hpp"
#include "agent/usage_ledger.hpp"
#include "core/json5.hpp"
#include "fakes/fake_llm_server.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::agent {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using fakes::FakeReply;
using fakes::ScriptStep;

class AgentServiceTest : public ::testing::Test {
 protected:
  void start(std::string extra_config = {}) {
    std::string text = R"({
      agents: { defaults: { model: { primary: "anthropic/claude-sonnet-4-5",
                                     fallbacks: ["backup/small"] }, timeoutSeconds: 20 } },
      models: { providers: {
        anthropic: { baseUrl: ")" +
                       fake.base_url() + R"(", apiKey: "key-config" },
        backup: { baseUrl: ")" +
                       fake.base_url() + R"(/v1", api: "openai-completions",
                  apiKey: "key-backup", models: [{ id: "small", contextWindow: 32000 }] },
      } },
      )" + extra_config +
                       "}";
    auto document = core::json5::parse(text);
    ASSERT_TRUE(document) << document.error().describe();
    auto issues = core::read_config(*document, config);
    for (const auto& issue : issues) {
      ASSERT_NE(issue.severity, core::ConfigIssue::Severity::error) << issue.path << issue.message;
    }
    paths.state_dir = dir.path();
    paths.workspace_dir = dir / "workspace";
    std::filesystem::create_directories(paths.workspace_dir);
    auto opened = store::open_state_database(dir / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::make_unique<store::Database>(std::move(*opened));
    access = std::make_unique<store::DatabaseAccess>(pool, *db);
    AgentServiceOptions options;
    options.retry_base_delay = std::chrono::milliseconds(10);
    service = std::make_unique<AgentService>(io, *access, lanes, paths, config, options);
  }

  RunOutcome run(ChatRequest request, RunObserver* observer = nullptr) {
    std::optional<RunOutcome> result;
    auto body = [&]() -> asio::awaitable<void> {
      result = co_await service->run(std::move(request), observer);
    };
    asio::co_spawn(io, body, [](std::exception_ptr error) {
      if (error) {
        std::rethrow_exception(error);
      }
    });
    io.run_for(std::chrono::seconds(30));
    io.restart();
    EXPECT_TRUE(result.has_value());
    return result.value_or(RunOutcome{});
  }

  std::vector<sessions::TranscriptEntry> transcript(std::string_view key = "agent:main:main") {
    auto record = sessions::SessionStore(*db).find_active(key);
    EXPECT_TRUE(record && *record);
    std::vector<sessions::TranscriptEntry> out;
    if (record && *record) {
      auto entries = sessions::TranscriptStore(*db).last((*record)->session_id, 1000);
      EXPECT_TRUE(entries);
      out = entries.value_or(out);
    }
    return out;
  }

  static ChatRequest chat(std::string text) {
    ChatRequest request;
    request.session_key = "agent:main:main";
    request.text = std::move(text);
    return request;
  }

  static FakeReply text_reply(std::string text) {
    FakeReply reply;
    reply.text = std::move(text);
    reply.input_tokens = 120;
    reply.output_tokens = 7;
    return reply;
  }

  fakes::FakeLlmServer fake;
  testing::TempDir dir;
  core::Config config;
  core::StatePaths paths;
  asio::io_context io;
  asio::thread_pool pool{2};
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::DatabaseAccess> access;
  sessions::LaneRegistry lanes;
  std::unique_ptr<AgentService> service;
};

struct Recorder : RunObserver {
  void on_run_event(const RunEvent& event) override {
    kinds.push_back(event.kind);
    if (event.kind == RunEvent::Kind::text_delta) {
      deltas += event.text;
    }
    if (event.kind == RunEvent::Kind::tool_finished) {
      tool_results.emplace_back(event.tool_result);
    }
  }
  std::vector<RunEvent::Kind> kinds;
  std::string deltas;
  std::vector<std::string> tool_results;
};

TEST_F(AgentServiceTest, PlainReplyStreamsAndIsRecorded) {
  start();
  fake.push(ScriptStep::of(text_reply("Hello there, friend!")));
  Recorder recorder;
  RunOutcome outcome = run(chat("hi"), &recorder);
  ASSERT_EQ(outcome.status, RunStatus::ok) << outcome.error;
  EXPECT_EQ(outcome.text, "Hello there, friend!");
  EXPECT_EQ(recorder.deltas, "Hello there, friend!");
  EXPECT_EQ(recorder.kinds.front(), RunEvent::Kind::started);
  EXPECT_EQ(recorder.kinds.back(), RunEvent::Kind::finished);
  EXPECT_EQ(outcome.provider, "anthropic");
  EXPECT_EQ(outcome.usage.input, 120);
  EXPECT_GT(outcome.cost_usd, 0);

  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].target, "/v1/messages");
  EXPECT_EQ(requests[0].header("x-api-key"), "key-config");
  json::value body = json::parse(requests[0].body);
  EXPECT_EQ(body.at("model").as_string(), "claude-sonnet-4-5");
  EXPECT_EQ(body.at("messages").as_array().back().at("content").as_array().back().at("text"), "hi");
  // The stable prompt goes first and is marked for caching.
  EXPECT_TRUE(body.at("system").as_array().front().as_object().contains("cache_control"));

  auto entries = transcript();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].kind, sessions::EntryKind::user);
  EXPECT_EQ(entries[1].kind, sessions::EntryKind::assistant);
  EXPECT_EQ(entries[1].run_id, outcome.run_id);
  auto totals = UsageLedger(*db).totals(0, 1LL << 50);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->calls, 1);
  EXPECT_EQ(totals->input_tokens, 120);

  // The next turn carries the history.
  fake.push(ScriptStep::of(text_reply("Again!")));
  ASSERT_EQ(run(chat("once more")).status, RunStatus::ok);
  json::value second = json::parse(fake.requests().back().body);
  EXPECT_EQ(second.at("messages").as_array().size(), 3U);
}

TEST_F(AgentServiceTest, MultiStepToolUse) {
  start();
  int calls = 0;
  ToolSpec tool;
  tool.schema.name = "add";
  tool.schema.description = "Adds two numbers.";
  tool.schema.parameters =
      json::parse(R"({"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}}})")
          .as_object();
  tool.handler = [&calls](const json::object& args, ToolContext&) -> asio::awaitable<ToolOutput> {
    ++calls;
    co_return ToolOutput{
        std::to_string(args.at("a").to_number<int64_t>() + args.at("b").to_number<int64_t>()),
        false};
  };
  service->tools().add(tool);
  FakeReply first;
  first.text = "Let me add.";
  first.tool_calls.push_back({"toolu_1", "add", json::object{{"a", 2}, {"b", 3}}});
  first.tool_calls.push_back({"toolu_2", "add", json::object{{"a", 10}, {"b", 20}}});
  fake.push(ScriptStep::of(first));
  fake.push(ScriptStep::of(text_reply("2+3=5 and 10+20=30")));
  Recorder recorder;
  RunOutcome outcome = run(chat("add things"), &recorder);
  ASSERT_EQ(outcome.status, RunStatus::ok) << outcome.error;
  EXPECT_EQ(outcome.text, "2+3=5 and 10+20=30");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(recorder.tool_results, (std::vector<std::string>{"5", "30"}));
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2U);
  json::value body = json::parse(requests[1].body);
  const auto& last = body.at("messages").as_array().back().at("content").as_array();
  ASSERT_EQ(last.size(), 2U);
  EXPECT_EQ(last[0].at("type"), "tool_result");
  EXPECT_EQ(last[0].at("tool_use_id"), "toolu_1");
  EXPECT_EQ(last[1].at("tool_use_id"), "toolu_2");
  EXPECT_TRUE(body.at("tools").as_array().size() == 1U);
  auto entries = transcript();
  ASSERT_EQ(entries.size(), 5U);  // user, assistant(tool calls), 2 results, assistant
  EXPECT_EQ(entries[2].kind, sessions::EntryKind::tool_result);
}

// Images a tool returns reach the model on the next step, inside the tool_result (Anthropic's
// shape), are stored with the result, and are still in the history of the next turn.
TEST_F(AgentServiceTest, ToolImagesReachTheModel) {
  start();
  ToolSpec tool;
  tool.schema.name = "screenshot";
  tool.schema.description = "Takes a screenshot.";
  tool.handler = [](const json::object&, ToolContext&) -> asio::awaitable<ToolOutput> {
    ToolOutput output;
    output.text = "Screenshot taken.";
    output.images.push_back(providers::ImagePart{"image/png", "iVBORw0KGgo="});
    co_return output;
  };
  service->tools().add(tool);
  FakeReply first;
  first.tool_calls.push_back({"toolu_1", "screenshot", json::object{}});
  fake.push(ScriptStep::of(first));
  fake.push(ScriptStep::of(text_reply("A blank screen.")));
  RunOutcome outcome = run(chat("what is on screen?"));
  ASSERT_EQ(outcome.status, RunStatus::ok) << outcome.error;
  EXPECT_EQ(outcome.text, "A blank screen.");

  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2U);
  json::value expected = json::parse(R"([
    {"type":"text","text":"Screenshot taken."},
    {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}])");
  auto result_of = [](const std::string& body) {
    json::value parsed = json::parse(body);
    for (const auto& message : parsed.at("messages").as_array()) {
      for (const auto& block : message.at("content").as_array()) {
        if (block.at("type") == "tool_result") {
          return block.at("content");
        }
      }
    }
    return json::value();
  };
  EXPECT_EQ(result_of(requests[1].body), expected) << requests[1].body;

  auto entries = transcript();
  ASSERT_EQ(entries.size(), 4U);  // user, assistant(tool call), result, assistant
  EXPECT_EQ(entries[2].kind, sessions::EntryKind::tool_result);
  EXPECT_NE(entries[2].content.find("iVBORw0KGgo="), std::string::npos);

  fake.push(ScriptStep::of(text_reply("Still blank.")));
  ASSERT_EQ(run(chat("and now?")).status, RunStatus::ok);
  EXPECT_EQ(result_of(fake.requests().back().body), expected);
}

TEST_F(AgentServiceTest, RateLimitRotatesToTheNextProfile) {
  start();
  AuthProfile stored;
  stored.id = "anthropic:work";
  stored.provider = "anthropic";
  stored.secret = "key-stored";
  ASSERT_TRUE(AuthProfileStore(*db).upsert(stored));
  ScriptStep limited;
  limited.status = 429;
  limited.headers = {{"retry-after", "30"}, {"content-type", "application/json"}};
  limited.chunks = {fakes::render_anthropic_error("rate_limit_error", "slow down")};
  fake.push(limited);
  fake.push(ScriptStep::of(text_reply("rotated")));
  RunOutcome outcome = run(chat("hi"));
  ASSERT_EQ(outcome.status, RunStatus::ok) << outcome.error;
  EXPECT_EQ(outcome.text, "rotated");
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 2U);
  EXPECT_NE(requests[0].header("x-api-key"), requests[1].header("x-api-key"));
  // The limited profile is cooling down, persisted.
  auto states = AuthProfileStore(*db).states();
  ASSERT_TRUE(states);
  std::string limited_id =
      requests[0].header("x-api-key") == "key-stored" ? "anthropic:work" : "anthropic:config";
  EXPECT_GT(states->at(limited_id).cooldown_until_ms, now_ms() + 20'000);
}

TEST_F(AgentServiceTest, AllProfilesCoolingFallsBackToTheNextModel) {
  start();
  ScriptStep limited;
  limited.status = 429;
  limited.chunks = {fakes::render_anthropic_error("rate_limit_error", "slow down")};
  fake.push(limited);
  fake.push(ScriptStep::of(text_reply("from the backup")));
  RunOutcome outcome = run(chat("hi"));
  ASSERT_EQ(outcome.status, RunStatus::ok) << outcome.error;
  EXPECT_EQ(outcome.provider, "backup");
  EXPECT_EQ(fake.requests().back().target, "/v1/chat/completions");
  // Next turn: anthropic is still cooling down, so the backup answers at once.
  fake.push(ScriptStep::of(text_reply("still backup")));
  RunOutcome next = run(chat("again"));
  EXPECT_EQ(next.provider, "backup");
  EXPECT_EQ(fake.requests().size(), 3U);
}

TEST_F(AgentServiceTest, NoCredentialsSayHowToAddAKey) {
  start();
  config.models.providers.erase("anthropic");
  config.models.providers.erase("backup");
  config.agents.defaults.model.fallbacks.clear();
  service->update_config(config);
  RunOutcome outcome = run(chat("hi"));
  ASSERT_EQ(outcome.status, RunStatus::error);
  if (std::getenv("ANTHROPIC_API_KEY") == nullptr) {
    EXPECT_NE(outcome.error.find("ANTHROPIC_API_KEY"), std::string::npos) << outcome.error;
    EXPECT_NE(outcome.error.find("ollama"), std::string::npos) << outcome.error;
  }
  EXPECT_TRUE(fake.requests().empty() || std::getenv("ANTHROPIC_API_KEY") != nullptr);
}

TEST_F(AgentServiceTest, AbortMidStreamStopsAtOnceAndKeepsThePartialText) {
  start();
  FakeReply slow = text_reply("one two three four five six seven eight nine ten");
  slow.delta_bytes = 4;
  ScriptStep step = ScriptStep::of(slow);
  step.delay = std::chrono::milliseconds(100);
  fake.push(step);
  ChatRequest request = chat("count");
  request.run_id = "run-abort";
  std::optional<RunOutcome> result;
  auto body = [&]() -> asio::awaitable<void> { result = co_await service->run(request, nullptr); };
  asio::co_spawn(io, body, asio::detached);
  asio::steady_timer timer(io, std::chrono::milliseconds(600));
  std::chrono::steady_clock::time_point aborted_at;
  timer.async_wait([&](boost::system::error_code) {
    aborted_at = std::chrono::steady_clock::now();
    EXPECT_EQ(service->abort("agent:main:main", "run-abort").size(), 1U);
  });
  io.run_for(std::chrono::seconds(10));
  auto finished_after = std::chrono::steady_clock::now() - aborted_at;
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, RunStatus::aborted);
  EXPECT_FALSE(result->text.empty());
  EXPECT_LT(result->text.size(),
            std::string("one two three four five six seven eight nine ten").size());
  (void)finished_after;
  auto entries = transcript();
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_NE(entries[1].content.find("aborted"), std::string::npos);
}

TEST_F(AgentServiceTest, OverflowCompactsThenSucceeds) {
  start(R"(agents: { defaults: { model: { primary: "backup/small" } } },)");
  // Fill the history past the small model's 32k window.
  std::string big(28'000, 'x');
  for (int i = 0; i < 3; ++i) {
    fake.push(ScriptStep::of(text_reply("ok " + std::to_string(i))));
    ASSERT_EQ(run(chat("message " + std::to_string(i) + " " + big)).status, RunStatus::ok);
  }
  std::size_t before = fake.requests().size();
  ASSERT_EQ(before, 3U);  // nothing was compacted yet
  fake.push(ScriptStep::of(text_reply("SUMMARY: the user sent three big messages.")));
  fake.push(ScriptStep::of(text_reply("fits now")));
  RunOutcome outcome = run(chat("and now? " + std::string(12'000, 'y')));
  ASSERT_EQ(outcome.status, RunStatus::ok) << outcome.error;
  EXPECT_EQ(outcome.text, "fits now");
  auto requests = fake.requests();
  ASSERT_GE(requests.size(), before + 2);
  std::string last = requests.back().body;
  EXPECT_NE(last.find("SUMMARY: the user sent three big messages."), std::string::npos);
  EXPECT_LT(last.size(), 3U * 28'000U);
  bool has_compaction = false;
  for (const auto& entry : transcript()) {
    has_compaction = has_compaction || entry.kind == sessions::EntryKind::compaction;
  }
  EXPECT_TRUE(has_compaction);
}

// "/compact [focus]" summarises the older history at once with the session's model (the focus
// reaches the summary request), keeps the recent turns, and the next turn sends the summary
// instead of the old messages. A short conversation has nothing to compact.
TEST_F(AgentServiceTest, CompactCommandSummarisesOlderHistory) {
  start(R"(agents: { defaults: { model: { primary: "backup/small" },
                                 compaction: { keepRecentTokens: 2000 } } },)");
  fake.push(ScriptStep::of(text_reply("short answer")));
  ASSERT_EQ(run(chat("hello")).status, RunStatus::ok);
  RunOutcome nothing = run(chat("/compact"));
  ASSERT_EQ(nothing.status, RunStatus::ok) << nothing.error;
  EXPECT_TRUE(nothing.text.starts_with("Nothing to compact")) << nothing.text;

  std::string big(12'000, 'x');
  for (int i = 0; i < 3; ++i) {
    fake.push(ScriptStep::of(text_reply("ok " + std::to_string(i))));
    ASSERT_EQ(run(chat("message " + std::to_string(i) + " " + big)).status, RunStatus::ok);
  }
  std::size_t before = fake.requests().size();
  fake.push(ScriptStep::of(text_reply("SUMMARY: four earlier exchanges.")));
  RunOutcome compacted = run(chat("/compact keep the numbers"));
  ASSERT_EQ(compacted.status, RunStatus::ok) << compacted.error;
  EXPECT_TRUE(compacted.text.starts_with("Compacted")) << compacted.text;
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), before + 1);  // one summary call, no reply call
  EXPECT_NE(requests.back().body.find("keep the numbers"), std::string::npos);

  fake.push(ScriptStep::of(text_reply("after")));
  ASSERT_EQ(run(chat("next")).status, RunStatus::ok);
  std::string last = fake.requests().back().body;
  EXPECT_NE(last.find("SUMMARY: four earlier exchanges."), std::string::npos);
  EXPECT_LT(last.size(), 2U * 12'000U);
}

// Chat commands change the session and answer at once; they stay in the transcript for the
// record but never reach the model as user turns.
TEST_F(AgentServiceTest, SessionCommandsStayOutOfTheModelHistory) {
  start();
  RunOutcome think = run(chat("/think high"));
  ASSERT_EQ(think.status, RunStatus::ok) << think.error;
  EXPECT_EQ(think.text, "Thinking level set to high.");
  EXPECT_TRUE(fake.requests().empty());
  fake.push(ScriptStep::of(text_reply("thought about it")));
  ASSERT_EQ(run(chat("what now?")).status, RunStatus::ok);
  ASSERT_EQ(fake.requests().size(), 1U);
  auto body = json::parse(fake.requests().back().body).as_object();
  const auto& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1U) << json::serialize(messages);
  EXPECT_EQ(json::serialize(messages).find("/think"), std::string::npos);
  bool recorded = false;
  for (const auto& entry : transcript()) {
    recorded = recorded || entry.content.find("/think high") != std::string::npos;
  }
  EXPECT_TRUE(recorded);
}

}  // namespace
}  // namespace pincer::agent
