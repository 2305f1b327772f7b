// The built-in tools in a whole turn: the real `pincer gateway`, a turn started with
// `pincer agent -m`, and the fake model server scripted to call write, edit, exec, read and
// memory_search one step at a time before it answers. Each follow-up request carries the
// previous step's tool result, so the test sees exactly what the model would have seen, and
// checks the workspace for what the tools did to it. Also: the tool policy hides a denied tool
// (and a call to it is answered as unknown), and a bad argument is an error result the model
// can recover from within the same turn.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "fakes/fake_llm_server.hpp"
#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using fakes::FakeReply;
using fakes::FakeToolCall;
using fakes::ScriptStep;

constexpr const char* kToken = "agent-tools-test-token";

// One step of the script: the model calls `name` with `arguments` (a JSON object text).
ScriptStep tool_step(std::string id, std::string name, const std::string& arguments) {
  FakeReply reply;
  reply.tool_calls.push_back(
      FakeToolCall{std::move(id), std::move(name), json::parse(arguments).as_object()});
  return ScriptStep::of(std::move(reply));
}

ScriptStep text_step(std::string text) {
  FakeReply reply;
  reply.text = std::move(text);
  return ScriptStep::of(std::move(reply));
}

struct ToolResult {
  std::string text;
  bool is_error = false;
};

// The tool_result blocks of an Anthropic Messages request body, by tool_use_id.
std::map<std::string, ToolResult> tool_results(const fakes::RecordedRequest& request) {
  std::map<std::string, ToolResult> out;
  json::value body = json::parse(request.body);
  for (const auto& message : body.at("messages").as_array()) {
    const json::value& content = message.at("content");
    if (!content.is_array()) {
      continue;
    }
    for (const auto& block : content.as_array()) {
      const auto& object = block.as_object();
      if (object.at("type") != "tool_result") {
        continue;
      }
      ToolResult result;
      const json::value& inner = object.at("content");
      if (inner.is_string()) {
        result.text = std::string(inner.get_string());
      } else {
        for (const auto& part : inner.as_array()) {
          if (part.at("type") == "text") {
            result.text += std::string(part.at("text").get_string());
          }
        }
      }
      if (const auto* flag = object.if_contains("is_error")) {
        result.is_error = flag->as_bool();
      }
      out[std::string(object.at("tool_use_id").get_string())] = std::move(result);
    }
  }
  return out;
}

// The tool names a request offered the model.
std::vector<std::string> offered_tools(const fakes::RecordedRequest& request) {
  std::vector<std::string> names;
  json::value body = json::parse(request.body);
  if (const auto* tools = body.as_object().if_contains("tools")) {
    for (const auto& tool : tools->as_array()) {
      names.emplace_back(tool.at("name").get_string());
    }
  }
  return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class AgentTools : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(workspace());
    std::ofstream(workspace() / "MEMORY.md")
        << "# Facts\n\nThe user likes tea.\n\nThe garage door code is 4711.\n";
  }
  void TearDown() override {
    if (gateway_) {
      gateway_->stop();
    }
  }

  fs::path workspace() const { return state_.path() / "workspace"; }

  // `tools` is the config's tools section ("" for none).
  void start(const std::string& tools = "") {
    GatewayProcess::Options options;
    options.state_dir = state_.path();
    options.config = R"({
      gateway: { auth: { mode: "token", token: ")" +
                     std::string(kToken) + R"(" } },
      agents: { defaults: { model: { primary: "anthropic/claude-sonnet-4-5" },
                            timeoutSeconds: 30 } },
      models: { providers: { anthropic: { baseUrl: ")" +
                     fake_.base_url() + R"(", apiKey: "key-tools" } } },)" +
                     (tools.empty() ? "" : "tools: " + tools + ",") + "}";
    gateway_ = GatewayProcess::start(options);
  }

  // Runs one turn through the gateway; returns the CLI's --json object.
  json::value turn(const std::string& message) {
    auto r = run_pincer({"agent", "-m", message, "--json", "--url",
                         "ws://127.0.0.1:" + std::to_string(gateway_->port())},
                        gateway_->env(), {}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 0) << r.err << gateway_->output();
    if (r.exit_code != 0) {
      return json::value();
    }
    return json::parse(r.out);
  }

  fakes::FakeLlmServer fake_;
  TempDir state_;
  std::unique_ptr<GatewayProcess> gateway_;
};

// write -> edit -> exec -> read -> memory_search -> answer: each tool acts on the workspace, and
// the model receives each one's real output in the next request.
TEST_F(AgentTools, ScriptedTurnWritesEditsRunsReadsAndSearchesMemory) {
  start();
  fake_.push(tool_step("call_write", "write",
                       R"({"path": "script.sh", "content": "echo hello from the script\n"})"));
  fake_.push(tool_step(
      "call_edit", "edit",
      R"({"path": "script.sh", "oldText": "hello from the script", "newText": "edited greeting 42"})"));
  fake_.push(tool_step("call_exec", "exec", R"({"command": "sh script.sh | tee result.txt"})"));
  fake_.push(tool_step("call_read", "read", R"({"path": "result.txt"})"));
  fake_.push(tool_step("call_memory", "memory_search", R"({"query": "garage door code"})"));
  fake_.push(text_step("The script printed: edited greeting 42. The code is 4711."));

  json::value out = turn("write a script, fix it, run it and look up the garage code");
  ASSERT_TRUE(out.is_object());
  EXPECT_EQ(out.at("status"), "ok");
  EXPECT_EQ(out.at("text"), "The script printed: edited greeting 42. The code is 4711.");

  // What the tools did to the workspace.
  EXPECT_EQ(read_text(workspace() / "script.sh"), "echo edited greeting 42\n");
  EXPECT_EQ(read_text(workspace() / "result.txt"), "edited greeting 42\n");

  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 6U);
  auto offered = offered_tools(requests[0]);
  for (const char* name :
       {"read", "write", "edit", "apply_patch", "exec", "process", "memory_search", "memory_get"}) {
    EXPECT_TRUE(contains(offered, name)) << name;
  }

  // What the model received after each step.
  auto write = tool_results(requests[1]).at("call_write");
  EXPECT_FALSE(write.is_error) << write.text;
  auto edit = tool_results(requests[2]).at("call_edit");
  EXPECT_FALSE(edit.is_error) << edit.text;
  auto exec = tool_results(requests[3]).at("call_exec");
  EXPECT_FALSE(exec.is_error) << exec.text;
  EXPECT_NE(exec.text.find("edited greeting 42\n"), std::string::npos) << exec.text;
  EXPECT_NE(exec.text.find("exit code 0"), std::string::npos) << exec.text;
  auto read = tool_results(requests[4]).at("call_read");
  EXPECT_FALSE(read.is_error) << read.text;
  EXPECT_NE(read.text.find("edited greeting 42"), std::string::npos) << read.text;

  auto memory = tool_results(requests[5]).at("call_memory");
  ASSERT_FALSE(memory.is_error) << memory.text;
  json::value hits = json::parse(memory.text);
  ASSERT_FALSE(hits.at("results").as_array().empty()) << memory.text;
  const auto& best = hits.at("results").as_array()[0];
  EXPECT_EQ(best.at("path"), "MEMORY.md");
  EXPECT_TRUE(best.at("citation").get_string().starts_with("MEMORY.md#L")) << memory.text;
  EXPECT_NE(std::string(best.at("snippet").get_string()).find("4711"), std::string::npos)
      << memory.text;
  // Every earlier result is still in the last request's history.
  EXPECT_EQ(tool_results(requests[5]).size(), 5U);
}

// tools.deny hides exec from the model; when the model calls it anyway, the call is answered as
// an unknown tool, nothing runs, and the turn goes on to its answer.
TEST_F(AgentTools, DeniedToolIsHiddenAndACallToItIsUnknown) {
  start(R"({ deny: ["exec"] })");
  fake_.push(tool_step("call_exec", "exec", R"({"command": "echo ran > ran.txt"})"));
  fake_.push(text_step("Could not run it."));

  json::value out = turn("run something");
  ASSERT_TRUE(out.is_object());
  EXPECT_EQ(out.at("text"), "Could not run it.");

  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2U);
  auto offered = offered_tools(requests[0]);
  EXPECT_FALSE(contains(offered, "exec"));
  EXPECT_TRUE(contains(offered, "read"));
  EXPECT_TRUE(contains(offered, "process"));  // only exec was denied
  auto exec = tool_results(requests[1]).at("call_exec");
  EXPECT_TRUE(exec.is_error);
  EXPECT_NE(exec.text.find("Unknown tool \"exec\""), std::string::npos) << exec.text;
  EXPECT_FALSE(fs::exists(workspace() / "ran.txt"));
}

// A bad argument comes back to the model as an error naming the field; the model corrects the
// call in the next step of the same turn.
TEST_F(AgentTools, BadArgumentIsAClearErrorAndTheTurnContinues) {
  start();
  fake_.push(tool_step("call_bad", "write", R"({"path": "note.txt", "content": 42})"));
  fake_.push(tool_step("call_good", "write", R"({"path": "note.txt", "content": "fixed"})"));
  fake_.push(text_step("Wrote the note."));

  json::value out = turn("write a note");
  ASSERT_TRUE(out.is_object());
  EXPECT_EQ(out.at("text"), "Wrote the note.");

  auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 3U);
  auto bad = tool_results(requests[1]).at("call_bad");
  EXPECT_TRUE(bad.is_error);
  EXPECT_NE(bad.text.find("content: expected a string"), std::string::npos) << bad.text;
  auto good = tool_results(requests[2]).at("call_good");
  EXPECT_FALSE(good.is_error) << good.text;
  EXPECT_EQ(read_text(workspace() / "note.txt"), "fixed");
}

}  // namespace
}  // namespace pincer::testing
