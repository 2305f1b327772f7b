#include "sessions/agent_routing.hpp"

#include <gtest/gtest.h>

#include "core/config_loader.hpp"
#include "support/fake_env.hpp"

namespace pincer::sessions {
namespace {

core::Config config_from(std::string_view text) {
  auto load = core::load_config_text(text, "pincer.json", testing::fake_env());
  EXPECT_TRUE(load.config) << load.describe_errors();
  if (!load.config) {
    return {};
  }
  return std::move(*load.config);
}

// One roster and binding list covering every tier; each row says who answers and why.
constexpr std::string_view kFleet = R"({
  agents: {entries: {home: {default: true}, work: {}, support: {}, mods: {}, vip: {}, ops: {},
                     night: {}}},
  session: {dmScope: "per-channel-peer"},
  bindings: [
    {agentId: "support", match: {channel: "discord", accountId: "*", guildId: "G1"}},
    {agentId: "mods", match: {channel: "discord", accountId: "*", guildId: "G1",
                              roles: ["ModRole"]}},
    {agentId: "vip", match: {channel: "discord", accountId: "*",
                             peer: {kind: "channel", id: "C-VIP"}}},
    {agentId: "night", match: {channel: "discord", accountId: "*",
                               peer: {kind: "channel", id: "*"}, guildId: "G2"}},
    {agentId: "ops", match: {channel: "slack", accountId: "*", teamId: "T1"}},
    {agentId: "work", match: {channel: "whatsapp", accountId: "biz"}},
    {agentId: "ops", match: {channel: "whatsapp", accountId: "*"}},
    {agentId: "work", match: {channel: "telegram"}},
    {agentId: "support", match: {channel: "slack", accountId: "*",
                                 peer: {kind: "channel", id: "C0123TEAM"}},
     session: {groupScope: "main"}},
    {agentId: "vip", match: {channel: "whatsapp", peer: {kind: "direct", id: "+15551230002"}}},
  ],
})";

struct RouteCase {
  std::string_view name;
  InboundRoute in;
  std::string_view agent;
  RouteMatch by;
  std::string_view key;
};

TEST(AgentRouting, MostSpecificBindingWins) {
  const core::Config config = config_from(kFleet);
  InboundRoute thread{.channel = "discord",
                      .account_id = "default",
                      .peer_kind = ChatType::channel,
                      .peer_id = "T-77",
                      .parent_peer_kind = ChatType::channel,
                      .parent_peer_id = "c-vip",
                      .guild_id = "G1"};
  InboundRoute mod{.channel = "discord",
                   .peer_kind = ChatType::channel,
                   .peer_id = "C-GEN",
                   .guild_id = "g1",
                   .member_roles = {"Other", "modrole"}};
  InboundRoute not_mod = mod;
  not_mod.member_roles = {"Other"};
  const RouteCase cases[] = {
      {"exact peer beats guild",
       {.channel = "discord", .peer_kind = ChatType::channel, .peer_id = "C-VIP", .guild_id = "G1"},
       "vip",
       RouteMatch::peer,
       "agent:vip:discord:channel:c-vip"},
      {"thread inherits its parent's binding", thread, "vip", RouteMatch::parent_peer,
       "agent:vip:discord:channel:c-vip:thread:t-77"},
      {"peer wildcard with guild",
       {.channel = "discord", .peer_kind = ChatType::channel, .peer_id = "c5", .guild_id = "G2"},
       "night",
       RouteMatch::peer_wildcard,
       "agent:night:discord:channel:c5"},
      {"peer wildcard needs its guild",
       {.channel = "discord", .peer_kind = ChatType::channel, .peer_id = "c5", .guild_id = "G3"},
       "home",
       RouteMatch::default_agent,
       "agent:home:discord:channel:c5"},
      {"guild and roles beat guild", mod, "mods", RouteMatch::guild_roles,
       "agent:mods:discord:channel:c-gen"},
      {"guild without the role", not_mod, "support", RouteMatch::guild,
       "agent:support:discord:channel:c-gen"},
      {"team",
       {.channel = "slack",
        .account_id = "a2",
        .peer_kind = ChatType::channel,
        .peer_id = "C9",
        .team_id = "t1"},
       "ops",
       RouteMatch::team,
       "agent:ops:slack:channel:c9"},
      {"peer binding with groupScope main",
       {.channel = "slack",
        .peer_kind = ChatType::channel,
        .peer_id = "C0123TEAM",
        .team_id = "T1"},
       "support",
       RouteMatch::peer,
       "agent:support:main"},
      {"exact account beats channel-wide",
       {.channel = "whatsapp", .account_id = "Biz", .peer_id = "+1"},
       "work",
       RouteMatch::account,
       "agent:work:whatsapp:direct:+1"},
      {"channel-wide any account",
       {.channel = "whatsapp", .account_id = "personal", .peer_id = "+1"},
       "ops",
       RouteMatch::channel,
       "agent:ops:whatsapp:direct:+1"},
      {"dm peer on the default account",
       {.channel = "whatsapp", .peer_id = "+15551230002"},
       "vip",
       RouteMatch::peer,
       "agent:vip:whatsapp:direct:+15551230002"},
      {"dm peer binding skips other accounts",
       {.channel = "whatsapp", .account_id = "personal", .peer_id = "+15551230002"},
       "ops",
       RouteMatch::channel,
       "agent:ops:whatsapp:direct:+15551230002"},
      {"no accountId means the default account",
       {.channel = "telegram", .account_id = "default", .peer_id = "42"},
       "work",
       RouteMatch::account,
       "agent:work:telegram:direct:42"},
      {"channel's own default account name",
       {.channel = "telegram",
        .account_id = "main-bot",
        .default_account_id = "main-bot",
        .peer_id = "42"},
       "work",
       RouteMatch::account,
       "agent:work:telegram:direct:42"},
      {"no accountId skips a second account",
       {.channel = "telegram", .account_id = "second", .peer_id = "42"},
       "home",
       RouteMatch::default_agent,
       "agent:home:telegram:direct:42"},
      {"unbound channel goes to the default agent",
       {.channel = "signal", .peer_id = "+49"},
       "home",
       RouteMatch::default_agent,
       "agent:home:signal:direct:+49"},
      {"channel names compare case-insensitively",
       {.channel = "Telegram", .peer_id = "7"},
       "work",
       RouteMatch::account,
       "agent:work:telegram:direct:7"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ResolvedRoute route = resolve_route(config, c.in);
    EXPECT_EQ(route.agent_id, c.agent);
    EXPECT_EQ(route.matched_by, c.by) << to_string(route.matched_by);
    EXPECT_EQ(route.session_key, c.key);
    EXPECT_EQ(route.main_session_key, "agent:" + std::string(c.agent) + ":main");
    EXPECT_EQ(route.binding_index.has_value(), c.by != RouteMatch::default_agent);
  }
}

// Within one tier, the first binding in config order wins.
TEST(AgentRouting, FirstBindingWinsWithinATier) {
  const core::Config config = config_from(R"({
    agents: {entries: {a: {}, b: {}}},
    bindings: [{agentId: "b", match: {channel: "telegram"}},
               {agentId: "a", match: {channel: "telegram"}}],
  })");
  ResolvedRoute route = resolve_route(config, {.channel = "telegram", .peer_id = "1"});
  EXPECT_EQ(route.agent_id, "b");
  EXPECT_EQ(route.binding_index, 0u);
}

// No bindings: the default marker, else the first agent, else "main".
TEST(AgentRouting, DefaultAgentFallbacks) {
  InboundRoute dm{.channel = "telegram", .peer_id = "1"};
  EXPECT_EQ(resolve_route(config_from("{}"), dm).agent_id, "main");
  EXPECT_EQ(resolve_route(config_from("{}"), dm).session_key, "agent:main:main");
  EXPECT_EQ(resolve_route(config_from(R"({agents: {list: [{id: "x"}, {id: "y"}]}})"), dm).agent_id,
            "x");
  EXPECT_EQ(
      resolve_route(config_from(R"({agents: {list: [{id: "x"}, {id: "y", default: true}]}})"), dm)
          .agent_id,
      "y");
}

// ACP bindings follow their own conversation contract, never ordinary routing.
TEST(AgentRouting, IgnoresAcpBindings) {
  const core::Config config = config_from(R"({
    agents: {entries: {main: {}, coder: {}}},
    bindings: [{type: "acp", agentId: "coder",
                match: {channel: "discord", peer: {kind: "channel", id: "c1"}}}],
  })");
  ResolvedRoute route = resolve_route(
      config, {.channel = "discord", .peer_kind = ChatType::channel, .peer_id = "c1"});
  EXPECT_EQ(route.agent_id, "main");
  EXPECT_EQ(route.matched_by, RouteMatch::default_agent);
}

// A binding's dmScope override changes the key of the DMs it matches, and only those.
TEST(AgentRouting, BindingDmScopeOverride) {
  const core::Config config = config_from(R"({
    bindings: [{agentId: "main", match: {channel: "telegram", peer: {kind: "direct", id: "9"}},
                session: {dmScope: "per-peer"}}],
  })");
  EXPECT_EQ(resolve_route(config, {.channel = "telegram", .peer_id = "9"}).session_key,
            "agent:main:direct:9");
  EXPECT_EQ(resolve_route(config, {.channel = "telegram", .peer_id = "8"}).session_key,
            "agent:main:main");
}

// session.scope "global": the agent is still chosen by bindings; the key is shared.
TEST(AgentRouting, GlobalScopeKeepsTheAgent) {
  const core::Config config = config_from(R"({
    agents: {entries: {main: {}, work: {}}}, session: {scope: "global"},
    bindings: [{agentId: "work", match: {channel: "slack", accountId: "*"}}],
  })");
  ResolvedRoute route = resolve_route(config, {.channel = "slack", .peer_id = "u1"});
  EXPECT_EQ(route.agent_id, "work");
  EXPECT_EQ(route.session_key, "global");
  EXPECT_EQ(route.main_session_key, "global");
}

}  // namespace
}  // namespace pincer::sessions
