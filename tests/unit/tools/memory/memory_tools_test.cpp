#include "tools/memory/memory_tools.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/json5.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::tools {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;

class MemoryToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    workspace_ = dir_ / "workspace";
    fs::create_directories(workspace_ / "memory");
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
    access_.emplace(pool_, *db_);
    deps_.emplace(ToolDeps{io_, pool_, *access_, core::StatePaths{},
                           [this]() -> const core::Config& { return *config_; }});
    register_memory_tools(registry_, *deps_);
    context_.agent_id = "main";
    context_.workspace = workspace_;
  }

  void TearDown() override { pool_.join(); }

  void write(const std::string& relative, const std::string& text) {
    auto path = workspace_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  void set_config(std::string_view text) {
    auto document = json::parse(text);
    auto fresh = std::make_unique<core::Config>();
    core::read_config(document, *fresh);
    config_ = std::move(fresh);
  }

  agent::ToolOutput call(std::string_view name, std::string_view arguments) {
    const auto* spec = registry_.find(name);
    EXPECT_NE(spec, nullptr) << name;
    if (spec == nullptr) {
      return {};
    }
    auto args = json::parse(arguments).as_object();
    std::optional<agent::ToolOutput> out;
    auto run = [&]() -> asio::awaitable<void> { out = co_await spec->handler(args, context_); };
    asio::co_spawn(io_, run, asio::detached);
    io_.restart();
    io_.run();
    EXPECT_TRUE(out.has_value());
    return out.value_or(agent::ToolOutput{});
  }

  json::object call_ok(std::string_view name, std::string_view arguments) {
    auto out = call(name, arguments);
    EXPECT_FALSE(out.is_error) << out.text;
    if (out.is_error) {
      return {};
    }
    return json::parse(out.text).as_object();
  }

  testing::TempDir dir_;
  fs::path workspace_;
  asio::io_context io_;
  asio::thread_pool pool_{2};
  std::optional<store::Database> db_;
  std::optional<store::DatabaseAccess> access_;
  std::unique_ptr<core::Config> config_ = std::make_unique<core::Config>();
  std::optional<ToolDeps> deps_;
  agent::ToolRegistry registry_;
  agent::ToolContext context_;
};

TEST_F(MemoryToolsTest, RegistersBothTools) {
  ASSERT_NE(registry_.find("memory_search"), nullptr);
  ASSERT_NE(registry_.find("memory_get"), nullptr);
  const auto& schema = registry_.find("memory_search")->schema.parameters;
  EXPECT_TRUE(schema.at("properties").as_object().contains("maxResults"));
  EXPECT_TRUE(registry_.find("memory_get")
                  ->schema.parameters.at("properties")
                  .as_object()
                  .contains("lines"));
}

// A search indexes on the way, cites path#Lstart-Lend, and sees an edit at the next call.
TEST_F(MemoryToolsTest, SearchCitesAndStaysFresh) {
  write("MEMORY.md", "# Home\nThe boiler service is due in March.\n");
  write("memory/2025-05-01.md", "# Trip\nBooked the ferry to Bergen.\n");
  auto out = call_ok("memory_search", R"({"query":"when is the boiler service"})");
  auto results = out.at("results").as_array();
  ASSERT_FALSE(results.empty());
  const auto& first = results[0].as_object();
  EXPECT_EQ(first.at("path").as_string(), "MEMORY.md");
  EXPECT_EQ(first.at("startLine").as_int64(), 1);
  EXPECT_EQ(first.at("endLine").as_int64(), 2);
  EXPECT_EQ(first.at("citation").as_string(), "MEMORY.md#L1-L2");
  EXPECT_EQ(out.at("mode").as_string(), "fts");

  write("memory/2025-05-01.md", "# Trip\nCancelled the ferry; flying to Tromsø instead.\n");
  auto later = call_ok("memory_search", R"({"query":"Tromsø"})");
  ASSERT_EQ(later.at("results").as_array().size(), 1u);
  fs::remove(workspace_ / "memory/2025-05-01.md");
  EXPECT_TRUE(call_ok("memory_search", R"({"query":"Tromsø"})").at("results").as_array().empty());
}

TEST_F(MemoryToolsTest, SearchArgumentsAndConfig) {
  for (int i = 0; i < 12; ++i) {
    write("memory/n" + std::to_string(i) + ".md", "walnut note " + std::to_string(i));
  }
  EXPECT_EQ(call_ok("memory_search", R"({"query":"walnut"})").at("results").as_array().size(), 6u);
  EXPECT_EQ(call_ok("memory_search", R"({"query":"walnut","maxResults":2})")
                .at("results")
                .as_array()
                .size(),
            2u);
  EXPECT_EQ(
      call_ok("memory_search", R"({"query":"walnut","limit":"3"})").at("results").as_array().size(),
      3u);
  set_config(R"({"memory":{"search":{"query":{"maxResults":4}}}})");
  EXPECT_EQ(call_ok("memory_search", R"({"query":"walnut"})").at("results").as_array().size(), 4u);

  auto missing = call("memory_search", R"({})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("query"), std::string::npos);
  EXPECT_TRUE(call("memory_search", R"({"query":"walnut","maxResults":0})").is_error);
  EXPECT_TRUE(call("memory_search", R"({"query":"walnut","minScore":2})").is_error);
  EXPECT_TRUE(call("memory_search", R"({"query":7})").is_error);
  auto no_words = call("memory_search", R"({"query":"\"()*"})");
  EXPECT_TRUE(no_words.is_error);
  EXPECT_NE(no_words.text.find("no words"), std::string::npos);

  set_config(R"({"memory":{"search":{"enabled":false}}})");
  auto disabled = call("memory_search", R"({"query":"walnut"})");
  EXPECT_TRUE(disabled.is_error);
  EXPECT_NE(disabled.text.find("disabled"), std::string::npos);
}

TEST_F(MemoryToolsTest, SearchInjectionIsHarmless) {
  write("MEMORY.md", "foo bar\n");
  for (std::string_view query :
       {R"({"query":"foo\" OR \""})", R"({"query":"NEAR("})", R"({"query":"foo*) OR (bar"})"}) {
    auto out = call("memory_search", query);
    EXPECT_FALSE(out.is_error) << query << ": " << out.text;
  }
}

// Ranges are 1-based and inclusive; the answer says where to continue.
TEST_F(MemoryToolsTest, GetReadsRanges) {
  std::string text;
  for (int i = 1; i <= 200; ++i) {
    text += "line " + std::to_string(i) + "\n";
  }
  write("memory/long.md", text);
  auto range = call_ok("memory_get", R"({"path":"memory/long.md","from":10,"lines":3})");
  EXPECT_EQ(range.at("text").as_string(), "line 10\nline 11\nline 12");
  EXPECT_EQ(range.at("from").as_int64(), 10);
  EXPECT_EQ(range.at("to").as_int64(), 12);
  EXPECT_EQ(range.at("nextFrom").as_int64(), 13);
  EXPECT_EQ(range.at("totalLines").as_int64(), 200);

  // Without `lines`: a 120-line window.
  auto window = call_ok("memory_get", R"({"path":"./memory/long.md"})");
  EXPECT_EQ(window.at("to").as_int64(), 120);
  EXPECT_EQ(window.at("nextFrom").as_int64(), 121);

  auto tail = call_ok("memory_get", R"({"path":"memory/long.md","from":"199","lines":50})");
  EXPECT_EQ(tail.at("text").as_string(), "line 199\nline 200");
  EXPECT_FALSE(tail.contains("nextFrom"));

  auto past_end = call_ok("memory_get", R"({"path":"memory/long.md","from":500})");
  EXPECT_EQ(past_end.at("text").as_string(), "");

  // An absolute path inside the workspace is accepted.
  write("MEMORY.md", "one\ntwo\n");
  auto absolute = json::object{{"path", (workspace_ / "MEMORY.md").string()}};
  auto whole = call_ok("memory_get", json::serialize(absolute));
  EXPECT_EQ(whole.at("text").as_string(), "one\ntwo");
  EXPECT_EQ(whole.at("path").as_string(), "MEMORY.md");
}

// memoryGetMaxChars caps the text and the answer says where to continue.
TEST_F(MemoryToolsTest, GetCapsCharacters) {
  set_config(R"({"agents":{"defaults":{"contextLimits":{"memoryGetMaxChars":20}}}})");
  write("MEMORY.md", "aaaaaaaaaa\nbbbbbbbbbb\ncccccccccc\n");
  auto out = call_ok("memory_get", R"({"path":"MEMORY.md"})");
  EXPECT_EQ(out.at("text").as_string(), "aaaaaaaaaa");
  EXPECT_TRUE(out.at("truncated").as_bool());
  EXPECT_EQ(out.at("nextFrom").as_int64(), 2);
}

// Only memory files are readable: no escapes, no other workspace files, no symlinks.
TEST_F(MemoryToolsTest, GetRefusesEscapes) {
  write("MEMORY.md", "ok\n");
  write("AGENTS.md", "not memory\n");
  std::ofstream(dir_ / "secret.md") << "secret\n";
  fs::create_symlink(dir_ / "secret.md", workspace_ / "memory" / "link.md");
  fs::create_symlink(dir_.path(), workspace_ / "memory" / "dirlink");
  for (std::string_view path : {"../secret.md", "memory/../../secret.md", "AGENTS.md",
                                "memory/link.md", "memory/dirlink/secret.md", "/etc/passwd",
                                "memory/notes.txt", "memory/.dreams/x.md", "memory", ""}) {
    json::object args{{"path", path}};
    auto out = call("memory_get", json::serialize(args));
    EXPECT_TRUE(out.is_error) << path << ": " << out.text;
    EXPECT_EQ(out.text.find("secret\n"), std::string::npos);
  }
  auto absolute_outside = json::object{{"path", (dir_ / "secret.md").string()}};
  EXPECT_TRUE(call("memory_get", json::serialize(absolute_outside)).is_error);
  auto missing = call("memory_get", R"({"path":"memory/nope.md"})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("does not exist"), std::string::npos);
  EXPECT_TRUE(call("memory_get", R"({"path":"MEMORY.md","from":0})").is_error);
  EXPECT_TRUE(call("memory_get", R"({"path":"MEMORY.md","lines":"x"})").is_error);
  EXPECT_TRUE(call("memory_get", R"({"path":3})").is_error);
}

}  // namespace
}  // namespace pincer::tools
