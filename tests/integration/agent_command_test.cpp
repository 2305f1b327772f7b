// `pincer agent` run as a user runs it: in-process with --local, and through a real
// `pincer gateway`, both answered by the fake model server on 127.0.0.1.

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "fakes/fake_llm_server.hpp"
#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;
using fakes::FakeReply;
using fakes::ScriptStep;

constexpr const char* kToken = "agent-command-test-token";

FakeReply reply_of(std::string text) {
  FakeReply reply;
  reply.text = std::move(text);
  reply.input_tokens = 42;
  reply.output_tokens = 7;
  return reply;
}

// Config whose default model is the fake; `api_key` empty leaves the provider without one.
std::string config_for(const fakes::FakeLlmServer& fake, const std::string& api_key) {
  std::string provider = R"(anthropic: { baseUrl: ")" + fake.base_url() + R"(")";
  if (!api_key.empty()) {
    provider += R"(, apiKey: ")" + api_key + R"(")";
  }
  provider += " }";
  return R"({
    gateway: { auth: { mode: "token", token: ")" +
         std::string(kToken) + R"(" } },
    agents: { defaults: { model: { primary: "anthropic/claude-sonnet-4-5" }, timeoutSeconds: 20 } },
    models: { providers: { )" +
         provider + R"( } },
  })";
}

class AgentCommandLocal : public ::testing::Test {
 protected:
  void write_config(const std::string& api_key) {
    std::ofstream(state_ / "pincer.json") << config_for(fake_, api_key);
  }
  RunResult run(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
    return run_pincer(args, isolated_env(state_.path()), stdin_text);
  }

  fakes::FakeLlmServer fake_;
  TempDir state_;
};

// --local streams the model's reply to stdout and records the turn in the main session.
TEST_F(AgentCommandLocal, PrintsTheReplyAndRecordsTheTurn) {
  write_config("key-local");
  fake_.push(ScriptStep::of(reply_of("Hello from the fake model, streamed in pieces.")));
  auto r = run({"agent", "-m", "hi there", "--local"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "Hello from the fake model, streamed in pieces.\n");
  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1U);
  EXPECT_EQ(requests[0].header("x-api-key"), "key-local");
  EXPECT_NE(requests[0].body.find("hi there"), std::string::npos);

  auto shown = run({"sessions", "show", "agent:main:main", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("Hello from the fake model, streamed in pieces."), std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("hi there"), std::string::npos);
}

// --json prints nothing while streaming, then one object with stable field names.
TEST_F(AgentCommandLocal, JsonGivesOneObject) {
  write_config("key-local");
  fake_.push(ScriptStep::of(reply_of("Structured hello.")));
  auto r = run({"agent", "-m", "hi", "--local", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value out = json::parse(r.out);
  EXPECT_EQ(out.at("status"), "ok");
  EXPECT_EQ(out.at("text"), "Structured hello.");
  EXPECT_EQ(out.at("sessionKey"), "agent:main:main");
  EXPECT_FALSE(out.at("runId").as_string().empty());
  EXPECT_EQ(out.at("provider"), "anthropic");
  EXPECT_EQ(out.at("usage").at("output").to_number<int64_t>(), 7);
  EXPECT_FALSE(out.as_object().contains("error"));
}

// Without -m the message comes from stdin; --session scopes a bare key to the agent.
TEST_F(AgentCommandLocal, ReadsTheMessageFromStdin) {
  write_config("key-local");
  fake_.push(ScriptStep::of(reply_of("Got it.")));
  auto r = run({"agent", "--local", "--session", "work", "--json"}, "a message on stdin\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).at("sessionKey"), "agent:main:work");
  ASSERT_EQ(fake_.requests().size(), 1U);
  EXPECT_NE(fake_.requests()[0].body.find("a message on stdin"), std::string::npos);
}

// No message at all is a usage error that says how to pass one; nothing reaches the model.
TEST_F(AgentCommandLocal, NoMessageIsAUsageError) {
  write_config("key-local");
  auto r = run({"agent", "--local"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-m"), std::string::npos) << r.err;
  EXPECT_TRUE(fake_.requests().empty());
}

// Without credentials the run fails with the message that says how to add a key: exit 1.
TEST_F(AgentCommandLocal, NoCredentialsSaysHowToAddAKey) {
  write_config("");
  auto r = run({"agent", "-m", "hi", "--local"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("API key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pincer models auth add"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_TRUE(fake_.requests().empty());
}

// No gateway listening: exit 1, and the hint names both ways out.
TEST(AgentCommandStopped, NoGatewaySaysHowToStartOneOrUseLocal) {
  TempDir state;
  std::string url = "ws://127.0.0.1:" + std::to_string(free_loopback_port());
  auto r = run_pincer({"agent", "-m", "hi", "--url", url}, isolated_env(state.path()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no gateway answers at " + url), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pincer gateway"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--local"), std::string::npos) << r.err;
}

class AgentCommandGateway : public ::testing::Test {
 protected:
  void start(const std::string& api_key) {
    GatewayProcess::Options options;
    options.config = config_for(fake_, api_key);
    gateway_ = GatewayProcess::start(options);
  }
  void TearDown() override {
    if (gateway_) {
      gateway_->stop();
    }
  }

  RunResult run(std::vector<std::string> args) {
    args.push_back("--url");
    args.push_back("ws://127.0.0.1:" + std::to_string(gateway_->port()));
    return run_pincer(args, gateway_->env());  // the token comes from the gateway's config
  }

  fakes::FakeLlmServer fake_;
  std::unique_ptr<GatewayProcess> gateway_;
};

// Through the gateway the reply streams from the run's `chat` events, printed once.
TEST_F(AgentCommandGateway, PrintsTheReply) {
  start("key-gateway");
  fake_.push(ScriptStep::of(reply_of("A reply that travels through the gateway, in pieces.")));
  auto r = run({"agent", "-m", "hello gateway"});
  ASSERT_EQ(r.exit_code, 0) << r.err << gateway_->output();
  EXPECT_EQ(r.out, "A reply that travels through the gateway, in pieces.\n");
  ASSERT_EQ(fake_.requests().size(), 1U);
  EXPECT_EQ(fake_.requests()[0].header("x-api-key"), "key-gateway");
}

// --json through the gateway: the same object as --local, usage from agent.wait.
TEST_F(AgentCommandGateway, JsonGivesOneObject) {
  start("key-gateway");
  fake_.push(ScriptStep::of(reply_of("Gateway JSON.")));
  auto r = run({"agent", "-m", "hi", "--json", "--token", kToken});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value out = json::parse(r.out);
  EXPECT_EQ(out.at("status"), "ok");
  EXPECT_EQ(out.at("text"), "Gateway JSON.");
  EXPECT_EQ(out.at("sessionKey"), "agent:main:main");
  EXPECT_EQ(out.at("usage").at("output").to_number<int64_t>(), 7);
}

// A run that fails in the gateway exits 1 with the gateway's message (how to add a key).
TEST_F(AgentCommandGateway, NoCredentialsSaysHowToAddAKey) {
  start("");
  auto r = run({"agent", "-m", "hi"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("API key"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pincer models auth add"), std::string::npos) << r.err;
  EXPECT_TRUE(fake_.requests().empty());
}

}  // namespace
}  // namespace pincer::testing
