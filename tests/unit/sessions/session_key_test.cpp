#include "sessions/session_key.hpp"

#include <gtest/gtest.h>

namespace pincer::sessions {
namespace {

using core::DmScope;
using core::GroupScope;

core::SessionConfig scoped(DmScope dm, GroupScope group = GroupScope::per_group) {
  core::SessionConfig config;
  config.dm_scope = dm;
  config.group_scope = group;
  config.identity_links["Alice"] = {"telegram:111", "Discord:999"};
  return config;
}

struct KeyCase {
  std::string_view name;
  SessionKeyInputs in;
  DmScope dm = DmScope::main;
  GroupScope group = GroupScope::per_group;
  SessionScopeOverrides overrides = {};
  std::string_view expected;
};

SessionKeyInputs dm(std::string_view channel, std::string_view peer,
                    std::string_view account = "") {
  return {.agent_id = "main", .channel = channel, .account_id = account, .peer_id = peer};
}

SessionKeyInputs room(std::string_view channel, ChatType kind, std::string_view id,
                      std::string_view thread = "") {
  return {.agent_id = "main",
          .channel = channel,
          .peer_kind = kind,
          .peer_id = id,
          .thread_id = thread};
}

// The key shapes the reference documents, one row per rule.
TEST(SessionKey, BuildsTheDocumentedShapes) {
  SessionKeyInputs work_dm = dm("telegram", "123");
  work_dm.agent_id = "Work Bot";
  SessionKeyInputs topic = room("telegram", ChatType::group, "-1001234567890", "42");
  topic.thread_style = ThreadStyle::topic;
  SessionKeyInputs discord_thread = room("discord", ChatType::channel, "987654");
  discord_thread.parent_peer_kind = ChatType::channel;
  discord_thread.parent_peer_id = "123456";
  SessionKeyInputs thread_with_id = discord_thread;
  thread_with_id.thread_id = "555";
  SessionKeyInputs slack_root = dm("slack", "U12345678");
  slack_root.thread_id = "1777244748.777299";
  SessionKeyInputs empty_parent = room("discord", ChatType::channel, "987654");
  empty_parent.parent_peer_kind = ChatType::channel;

  const KeyCase cases[] = {
      {"dm main", dm("telegram", "123"), DmScope::main, {}, {}, "agent:main:main"},
      {"dm per-peer", dm("telegram", "123"), DmScope::per_peer, {}, {}, "agent:main:direct:123"},
      {"dm per-channel-peer",
       dm("telegram", "123"),
       DmScope::per_channel_peer,
       {},
       {},
       "agent:main:telegram:direct:123"},
      {"dm per-account-channel-peer",
       dm("whatsapp", "+15551230001", "biz"),
       DmScope::per_account_channel_peer,
       {},
       {},
       "agent:main:whatsapp:biz:direct:+15551230001"},
      {"dm per-account without account",
       dm("whatsapp", "+1555"),
       DmScope::per_account_channel_peer,
       {},
       {},
       "agent:main:whatsapp:default:direct:+1555"},
      {"dm agent id normalized", work_dm, DmScope::main, {}, {}, "agent:work-bot:main"},
      {"dm parts lowercased and trimmed",
       dm(" Slack ", " U12AB "),
       DmScope::per_channel_peer,
       {},
       {},
       "agent:main:slack:direct:u12ab"},
      {"dm without sender falls back to main",
       dm("telegram", ""),
       DmScope::per_peer,
       {},
       {},
       "agent:main:main"},
      {"identity link per-peer",
       dm("discord", "999"),
       DmScope::per_peer,
       {},
       {},
       "agent:main:direct:alice"},
      {"identity link per-channel-peer",
       dm("telegram", "111"),
       DmScope::per_channel_peer,
       {},
       {},
       "agent:main:telegram:direct:alice"},
      {"identity link ignores other channels",
       dm("slack", "111"),
       DmScope::per_peer,
       {},
       {},
       "agent:main:direct:111"},
      {"identity link irrelevant under main",
       dm("telegram", "111"),
       DmScope::main,
       {},
       {},
       "agent:main:main"},
      {"binding dmScope override",
       dm("telegram", "123"),
       DmScope::main,
       {},
       {.dm_scope = DmScope::per_channel_peer},
       "agent:main:telegram:direct:123"},
      {"binding dmScope override to main",
       dm("telegram", "123"),
       DmScope::per_peer,
       {},
       {.dm_scope = DmScope::main},
       "agent:main:main"},
      {"group per-group",
       room("telegram", ChatType::group, "-100123"),
       DmScope::main,
       {},
       {},
       "agent:main:telegram:group:-100123"},
      {"channel per-group",
       room("discord", ChatType::channel, "123456"),
       DmScope::main,
       {},
       {},
       "agent:main:discord:channel:123456"},
      {"group scope main",
       room("slack", ChatType::channel, "C0123TEAM"),
       DmScope::main,
       GroupScope::main,
       {},
       "agent:main:main"},
      {"binding groupScope main wins",
       room("slack", ChatType::channel, "C0123TEAM"),
       DmScope::main,
       GroupScope::per_group,
       {.group_scope = GroupScope::main},
       "agent:main:main"},
      {"binding groupScope per-group wins",
       room("slack", ChatType::channel, "C1"),
       DmScope::main,
       GroupScope::main,
       {.group_scope = GroupScope::per_group},
       "agent:main:slack:channel:c1"},
      {"group dmScope irrelevant",
       room("telegram", ChatType::group, "-1"),
       DmScope::per_account_channel_peer,
       {},
       {},
       "agent:main:telegram:group:-1"},
      {"slack thread",
       room("slack", ChatType::channel, "C1", "1700.01"),
       DmScope::main,
       {},
       {},
       "agent:main:slack:channel:c1:thread:1700.01"},
      {"telegram topic",
       topic,
       DmScope::main,
       {},
       {},
       "agent:main:telegram:group:-1001234567890:topic:42"},
      {"discord thread via parent peer",
       discord_thread,
       DmScope::main,
       {},
       {},
       "agent:main:discord:channel:123456:thread:987654"},
      {"parent peer with explicit thread id",
       thread_with_id,
       DmScope::main,
       {},
       {},
       "agent:main:discord:channel:123456:thread:555"},
      {"parent peer without id is ignored",
       empty_parent,
       DmScope::main,
       {},
       {},
       "agent:main:discord:channel:987654"},
      {"dm thread under main",
       slack_root,
       DmScope::main,
       {},
       {},
       "agent:main:main:thread:1777244748.777299"},
      {"dm thread per-channel-peer",
       slack_root,
       DmScope::per_channel_peer,
       {},
       {},
       "agent:main:slack:direct:u12345678:thread:1777244748.777299"},
      {"group thread under groupScope main",
       room("slack", ChatType::channel, "C1", "17.5"),
       DmScope::main,
       GroupScope::main,
       {},
       "agent:main:main:thread:17.5"},
      {"matrix ids keep their colons",
       room("matrix", ChatType::channel, "!Room:Example.org"),
       DmScope::main,
       {},
       {},
       "agent:main:matrix:channel:!room:example.org"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(build_session_key(c.in, scoped(c.dm, c.group), c.overrides), c.expected);
  }
}

// session.scope "global": one shared key, whatever the message.
TEST(SessionKey, GlobalScopeSharesOneKey) {
  core::SessionConfig config;
  config.scope = core::SessionScope::global;
  EXPECT_EQ(build_session_key(dm("telegram", "1"), config), "global");
  EXPECT_EQ(build_session_key(room("discord", ChatType::channel, "2", "3"), config), "global");
  EXPECT_EQ(main_session_key("work", config), "global");
  EXPECT_EQ(main_session_key("Work"), "agent:work:main");
}

// Cron and hook sessions are agent-scoped in the store, as the reference stores them.
TEST(SessionKey, CronAndHookKeys) {
  EXPECT_EQ(cron_session_key("main", "nightly"), "agent:main:cron:nightly");
  EXPECT_EQ(cron_run_session_key("main", "nightly", "8821"), "agent:main:cron:nightly:run:8821");
  EXPECT_EQ(hook_session_key("Ops", "Gmail:42"), "agent:ops:hook:gmail:42");
  EXPECT_EQ(to_agent_store_key("main", "hook:automation"), "agent:main:hook:automation");
  EXPECT_EQ(to_agent_store_key("main", "cron:x"), "agent:main:cron:x");
  EXPECT_EQ(to_agent_store_key("work", "agent:main:main"), "agent:main:main");
  EXPECT_EQ(to_agent_store_key("work", "global"), "global");
}

TEST(SessionKey, ParsesAgentKeys) {
  auto parsed = parse_session_key("agent:main:telegram:group:-100");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->agent_id, "main");
  EXPECT_EQ(parsed->rest, "telegram:group:-100");
  for (std::string_view bad :
       {"global", "cron:x", "", "agent:", "agent:main", "agent:main:", "agent::main", "main"}) {
    EXPECT_FALSE(parse_session_key(bad)) << bad;
  }
}

struct ClassifyCase {
  std::string_view key;
  bool main;
  SessionKind kind;
  std::optional<ChatType> chat_type;
  std::optional<std::string> thread;
  std::optional<std::string> channel;
};

// What the store and sessions.list derive from a key alone.
TEST(SessionKey, ClassifiesKeys) {
  using enum SessionKind;
  const ClassifyCase cases[] = {
      {"agent:main:main", true, direct, ChatType::direct, {}, {}},
      {"global", true, global, {}, {}, {}},
      {"unknown", false, unknown, {}, {}, {}},
      {"", false, unknown, {}, {}, {}},
      {"agent:main:main:thread:17.5", false, direct, ChatType::direct, "17.5", {}},
      {"agent:main:direct:alice", false, direct, ChatType::direct, {}, {}},
      {"agent:main:telegram:direct:123", false, direct, ChatType::direct, {}, "telegram"},
      {"agent:main:whatsapp:biz:direct:+1", false, direct, ChatType::direct, {}, "whatsapp"},
      {"agent:main:telegram:group:-100:topic:42", false, group, ChatType::group, "42", "telegram"},
      {"agent:main:discord:channel:1:thread:2", false, group, ChatType::channel, "2", "discord"},
      {"agent:main:slack:room:r1", false, group, ChatType::channel, {}, "slack"},
      {"agent:main:cron:nightly:run:8821", false, direct, {}, {}, {}},
      {"agent:main:hook:gmail:42", false, direct, {}, {}, {}},
      {"agent:work:main", true, direct, ChatType::direct, {}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    EXPECT_EQ(is_main_session_key(c.key), c.main);
    EXPECT_EQ(classify_session_key(c.key), c.kind);
    EXPECT_EQ(chat_type_of_key(c.key), c.chat_type);
    EXPECT_EQ(thread_id_of_key(c.key), c.thread);
    EXPECT_EQ(channel_of_key(c.key), c.channel);
  }
  EXPECT_EQ(to_string(SessionKind::group), "group");
}

// Every key the builder makes reads back as what it was built from.
TEST(SessionKey, BuiltKeysClassifyAsBuilt) {
  auto config = scoped(DmScope::per_account_channel_peer);
  std::string key = build_session_key(room("discord", ChatType::channel, "c9", "t1"), config);
  EXPECT_EQ(classify_session_key(key), SessionKind::group);
  EXPECT_EQ(chat_type_of_key(key), ChatType::channel);
  EXPECT_EQ(thread_id_of_key(key), "t1");
  EXPECT_EQ(channel_of_key(key), "discord");
  key = build_session_key(dm("signal", "+49", "home"), config);
  EXPECT_EQ(chat_type_of_key(key), ChatType::direct);
  EXPECT_EQ(channel_of_key(key), "signal");
  EXPECT_EQ(parse_session_key(key)->agent_id, "main");
}

}  // namespace
}  // namespace pincer::sessions
