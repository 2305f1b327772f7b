// Kill -9 of a real `pincer gateway` in the middle of an agent turn: the model (the fake server
// on 127.0.0.1) has streamed part of a reply and then keeps the stream open, the gateway is
// SIGKILLed, and a gateway restarted on the same state dir must show every completed step of
// the conversation and nothing of the step in flight (turn_runner.hpp: a crash loses at most
// that step). The next turn then carries the whole surviving history to the model.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/files.hpp"
#include "fakes/fake_llm_server.hpp"
#include "fakes/fake_reply.hpp"
#include "store/state_database.hpp"
#include "support/pincer_process.hpp"
#include "support/temp_dir.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using fakes::FakeReply;
using fakes::ScriptStep;

constexpr const char* kToken = "agent-crash-test-token";
constexpr const char* kPartial = "half an answer";  // what streams before the kill

std::string config_for(const fakes::FakeLlmServer& fake) {
  return R"({
    gateway: { auth: { mode: "token", token: ")" +
         std::string(kToken) + R"(" } },
    agents: { defaults: { model: { primary: "anthropic/claude-sonnet-4-5" }, timeoutSeconds: 20 } },
    models: { providers: { anthropic: { baseUrl: ")" +
         fake.base_url() + R"(", apiKey: "key-crash" } } },
  })";
}

FakeReply reply_of(const std::string& text) {
  FakeReply reply;
  reply.text = text;
  return reply;
}

// The step the kill interrupts: the reply's opening events and its text, then keep-alive pings
// for a minute and never the end of the message. The text is one delta because the gateway
// passes a run's first delta on at once but holds later ones until more text comes
// (run_events.hpp), and the test waits for the client to have printed it.
ScriptStep interrupted_step() {
  FakeReply partial = reply_of(kPartial);
  partial.delta_bytes = 64;
  ScriptStep step;
  for (const auto& chunk : fakes::render_anthropic_stream(partial)) {
    if (chunk.starts_with("event: content_block_stop")) {
      break;
    }
    step.chunks.push_back(chunk);
  }
  step.chunks.insert(step.chunks.end(), 600, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
  step.delay = 100ms;
  return step;
}

// Polls `done` until it holds or `timeout` passes; the answer of the last poll.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

std::string url_of(const GatewayProcess& gateway) {
  return "ws://127.0.0.1:" + std::to_string(gateway.port());
}

// The text parts of a list of content blocks (or a plain string), joined.
std::string text_of(const json::value& content) {
  if (content.is_string()) {
    return std::string(content.get_string());
  }
  std::string text;
  if (!content.is_array()) {
    return text;
  }
  for (const auto& part : content.get_array()) {
    const auto* type = part.is_object() ? part.get_object().if_contains("type") : nullptr;
    if (type != nullptr && *type == "text") {
      text += part.at("text").as_string();
    }
  }
  return text;
}

// "kind: text" for each transcript entry of `sessions show --json` (user entries hold a list
// of parts, assistant entries the whole message with its parts under "content").
std::vector<std::string> transcript_of(const std::string& shown) {
  std::vector<std::string> lines;
  json::value parsed = json::parse(shown);  // outlives the loop over its parts
  for (const auto& entry : parsed.at("entries").as_array()) {
    const json::value& content = entry.at("content");
    std::string text = text_of(content.is_object() ? content.at("content") : content);
    lines.push_back(std::string(entry.at("kind").as_string()) + ": " + text);
  }
  return lines;
}

// "role: text" for each text the model was sent in a recorded Anthropic request, one line per
// text block, so the lines are the same whether consecutive user turns are merged or not.
std::vector<std::string> conversation_of(const fakes::RecordedRequest& request) {
  std::vector<std::string> lines;
  json::value parsed = json::parse(request.body);
  for (const auto& message : parsed.at("messages").as_array()) {
    std::string role(message.at("role").as_string());
    const json::value& content = message.at("content");
    if (!content.is_array()) {
      lines.push_back(role + ": " + text_of(content));
      continue;
    }
    for (const auto& part : content.get_array()) {
      if (std::string text = text_of(json::array{part}); !text.empty()) {
        lines.push_back(role + ": " + text);
      }
    }
  }
  return lines;
}

// SIGKILL while the model streams a step: after a restart the transcript holds every completed
// step, nothing of the interrupted reply, state.db is intact, and the next turn sends the model
// the surviving history.
TEST(AgentCrash, KillMidStreamKeepsCompletedStepsAndDropsTheStepInFlight) {
  fakes::FakeLlmServer fake;
  GatewayProcess::Options options;
  options.config = config_for(fake);
  auto first = GatewayProcess::start(options);  // owns the state dir: kept until the end

  // Turn 1 completes.
  fake.push(ScriptStep::of(reply_of("reply one")));
  auto one = run_pincer({"agent", "-m", "first", "--url", url_of(*first), "--token", kToken},
                        first->env());
  ASSERT_EQ(one.exit_code, 0) << one.err << first->output();
  EXPECT_EQ(one.out, "reply one\n");

  // Turn 2 runs in the background until its model stream is cut by the kill. Its stdout goes to
  // a file so the test sees the partial reply arrive; no ASSERT until the client is joined.
  fake.push(interrupted_step());
  TempDir client_dir;
  auto streamed_path = client_dir / "stdout";
  std::string command = "exec " + shell_quote(pincer_binary().string()) +
                        " agent -m second --url " + url_of(*first) + " --token " + kToken + " > " +
                        shell_quote(streamed_path.string());
  RunResult two;
  std::thread client([&] { two = run_pincer_shell(command, first->env()); });
  bool streaming = wait_until(
      [&] {
        return fake.requests().size() >= 2 &&
               core::read_file(streamed_path).value_or("").find(kPartial) != std::string::npos;
      },
      15s);
  first->kill_hard();
  client.join();
  ASSERT_TRUE(streaming) << "the second turn's partial reply never reached the client: "
                         << fake.requests().size() << " model requests\n"
                         << first->output() << "\nCLI stderr: " << two.err
                         << "\nCLI stdout: " << core::read_file(streamed_path).value_or("(none)");
  EXPECT_EQ(two.exit_code, 1) << "the CLI reports the lost gateway";
  EXPECT_NE(two.err.find("the connection to the gateway"), std::string::npos) << two.err;
  EXPECT_NE(core::read_file(streamed_path).value_or("").find(kPartial), std::string::npos);

  // The file the kill left behind is intact (this open is also its crash recovery).
  {
    auto db = store::open_state_database(first->state_dir() / "state.db");
    ASSERT_TRUE(db) << db.error().describe();
    auto integrity = db->integrity_check();
    ASSERT_TRUE(integrity) << integrity.error().describe();
    EXPECT_EQ(*integrity, "ok");
  }

  // Restart on the same state: every completed step, in order, and nothing half-written.
  GatewayProcess::Options again;
  again.state_dir = first->state_dir();
  auto second = GatewayProcess::start(again);
  auto shown = run_pincer({"sessions", "show", "agent:main:main", "--json"}, second->env());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(transcript_of(shown.out),
            (std::vector<std::string>{"user: first", "assistant: reply one", "user: second"}))
      << shown.out;
  EXPECT_EQ(shown.out.find(kPartial), std::string::npos) << shown.out;

  // Turn 3 works and the model sees the conversation that survived.
  fake.push(ScriptStep::of(reply_of("reply three")));
  auto three = run_pincer({"agent", "-m", "third", "--url", url_of(*second), "--token", kToken},
                          second->env());
  ASSERT_EQ(three.exit_code, 0) << three.err << second->output();
  EXPECT_EQ(three.out, "reply three\n");
  auto requests = fake.requests();
  ASSERT_EQ(requests.size(), 3U);
  EXPECT_EQ(conversation_of(requests[2]),
            (std::vector<std::string>{"user: first", "assistant: reply one", "user: second",
                                      "user: third"}))
      << requests[2].body;
  EXPECT_EQ(second->stop(), 0);
}

}  // namespace
}  // namespace pincer::testing
