#include "tools/tool_policy.hpp"

#include <gtest/gtest.h>

#include "core/config_loader.hpp"
#include "support/fake_env.hpp"

namespace pincer::tools {
namespace {

core::Config config_of(std::string_view text) {
  core::ConfigLoad load = core::load_config_text(text, "pincer.json", testing::fake_env());
  if (!load.config) {
    ADD_FAILURE() << load.describe_errors();
    core::Config empty;
    return empty;
  }
  return std::move(*load.config);
}

agent::ToolFilterInput input(std::string agent = "main", std::string model = "anthropic/claude",
                             std::string channel = "webchat", std::string sender = "") {
  return {std::move(agent), "agent:main:main", std::move(model), std::move(channel),
          std::move(sender)};
}

TEST(ToolPolicy, NoPolicyAllowsEveryTool) {
  core::Config config = config_of("{}");
  for (std::string_view tool : {"exec", "read", "web_fetch", "memory_search", "anything"}) {
    EXPECT_TRUE(tool_allowed(config, tool, input())) << tool;
  }
}

TEST(ToolPolicy, ProfilesSelectTheirGroups) {
  core::Config messaging = config_of(R"({ tools: { profile: "messaging" } })");
  EXPECT_FALSE(tool_allowed(messaging, "exec", input()));
  EXPECT_FALSE(tool_allowed(messaging, "read", input()));
  EXPECT_TRUE(tool_allowed(messaging, "message", input()));
  EXPECT_TRUE(tool_allowed(messaging, "sessions_list", input()));

  core::Config coding = config_of(R"({ tools: { profile: "coding", alsoAllow: ["message"] } })");
  EXPECT_TRUE(tool_allowed(coding, "exec", input()));
  EXPECT_TRUE(tool_allowed(coding, "apply_patch", input()));
  EXPECT_TRUE(tool_allowed(coding, "memory_get", input()));
  EXPECT_TRUE(tool_allowed(coding, "message", input())) << "alsoAllow extends the profile";
  EXPECT_FALSE(tool_allowed(coding, "browser", input()));
}

TEST(ToolPolicy, AllowDenyGlobsAndGroupsDenyWins) {
  core::Config config =
      config_of(R"({ tools: { allow: ["group:fs", "memory_*", "bash"], deny: ["write"] } })");
  EXPECT_TRUE(tool_allowed(config, "read", input()));
  EXPECT_FALSE(tool_allowed(config, "write", input())) << "deny wins over the group allow";
  EXPECT_TRUE(tool_allowed(config, "memory_search", input()));
  EXPECT_TRUE(tool_allowed(config, "exec", input())) << "bash means exec";
  EXPECT_FALSE(tool_allowed(config, "web_fetch", input()));
}

TEST(ToolPolicy, AgentProfileReplacesTheGlobalOneAndItsDenyNarrows) {
  core::Config config = config_of(R"({
    tools: { profile: "coding" },
    agents: { list: [ { id: "main" }, { id: "family", tools: { profile: "messaging", deny: ["sessions_send"] } } ] },
  })");
  EXPECT_TRUE(tool_allowed(config, "exec", input("main")));
  EXPECT_FALSE(tool_allowed(config, "exec", input("family")));
  EXPECT_TRUE(tool_allowed(config, "message", input("family")));
  EXPECT_FALSE(tool_allowed(config, "sessions_send", input("family")));
}

TEST(ToolPolicy, ByProviderAndModel) {
  core::Config config = config_of(R"({ tools: { byProvider: {
    "openai/gpt-small": { allow: ["group:fs"] },
    "ollama": { deny: ["group:runtime"] },
  } } })");
  EXPECT_TRUE(tool_allowed(config, "read", input("main", "openai/gpt-small")));
  EXPECT_FALSE(tool_allowed(config, "exec", input("main", "openai/gpt-small")));
  EXPECT_TRUE(tool_allowed(config, "exec", input("main", "openai/gpt-big")));
  EXPECT_FALSE(tool_allowed(config, "process", input("main", "ollama/llama3")));
  EXPECT_TRUE(tool_allowed(config, "read", input("main", "ollama/llama3")));
}

TEST(ToolPolicy, ToolsBySenderMostSpecificKeyFirst) {
  core::Config config = config_of(R"({ tools: { toolsBySender: {
    "channel:telegram:42": { alsoAllow: ["exec"] },
    "id:7": { deny: ["group:fs"] },
    "*": { deny: ["exec", "process", "write", "edit", "apply_patch"] },
  } } })");
  EXPECT_TRUE(tool_allowed(config, "exec", input("main", "m/x", "telegram", "42")));
  EXPECT_FALSE(tool_allowed(config, "read", input("main", "m/x", "telegram", "7")));
  EXPECT_TRUE(tool_allowed(config, "exec", input("main", "m/x", "telegram", "7")))
      << "the id:7 entry replaces the wildcard";
  EXPECT_FALSE(tool_allowed(config, "exec", input("main", "m/x", "telegram", "99")));
  EXPECT_FALSE(tool_allowed(config, "exec", input("main", "m/x", "webchat", "")))
      << "no sender: the wildcard applies";
  EXPECT_TRUE(tool_allowed(config, "read", input("main", "m/x", "telegram", "99")));
}

TEST(ToolPolicy, FilterReadsTheCurrentConfig) {
  core::Config config = config_of(R"({ tools: { deny: ["exec"] } })");
  agent::ToolFilter filter =
      make_tool_filter([&config]() -> const core::Config& { return config; });
  EXPECT_FALSE(filter("exec", input()));
  config = config_of("{}");
  EXPECT_TRUE(filter("exec", input()));
}

}  // namespace
}  // namespace pincer::tools
