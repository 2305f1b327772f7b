// The routing and session sections of the config: agents roster, session.*, bindings[] and
// messages.queue.
#include <gtest/gtest.h>

#include "core/config_loader.hpp"
#include "support/fake_env.hpp"

namespace pincer::core {
namespace {

ConfigLoad load(std::string_view text) {
  return load_config_text(text, "pincer.json", testing::fake_env());
}

std::vector<ConfigIssue> of_severity(const ConfigLoad& l, ConfigIssue::Severity s) {
  std::vector<ConfigIssue> out;
  for (const auto& i : l.issues) {
    if (i.severity == s) {
      out.push_back(i);
    }
  }
  return out;
}

constexpr int64_t kDay = int64_t{24} * 3'600'000;

// Nothing configured: the reference's defaults.
TEST(SessionConfig, DefaultsMatchTheReference) {
  ConfigLoad l = load("{}");
  ASSERT_TRUE(l.config);
  const auto& s = l.config->session;
  EXPECT_EQ(s.scope, SessionScope::per_sender);
  EXPECT_EQ(s.dm_scope, DmScope::main);
  EXPECT_EQ(s.group_scope, GroupScope::per_group);
  EXPECT_EQ(s.reset.mode, ResetMode::none);
  EXPECT_EQ(s.reset.at_hour, 4);
  EXPECT_FALSE(s.reset.idle_minutes);
  EXPECT_EQ(s.reset_triggers, (std::vector<std::string>{"/new", "/reset"}));
  EXPECT_EQ(s.maintenance.mode, MaintenanceMode::enforce);
  EXPECT_EQ(s.maintenance.prune_after_ms, 30 * kDay);
  EXPECT_EQ(s.maintenance.archive_dashboard_after_ms, 7 * kDay);
  EXPECT_EQ(s.maintenance.max_entries, 5000);
  EXPECT_FALSE(s.maintenance.preserve_recent_ms);
  EXPECT_EQ(s.maintenance.max_disk_bytes, int64_t{10} << 30);
  const auto& q = l.config->messages.queue;
  EXPECT_EQ(q.mode, QueueMode::steer);
  EXPECT_EQ(q.cap, 20);
  EXPECT_EQ(q.drop, QueueDrop::summarize);
  EXPECT_EQ(q.debounce_ms, 500);
  EXPECT_TRUE(l.config->agents.list.empty());
  EXPECT_TRUE(l.config->bindings.empty());
  EXPECT_EQ(default_agent_id(l.config->agents), "main");
}

// The documented example config reads into the typed structs.
TEST(SessionConfig, ReadsTheDocumentedExample) {
  ConfigLoad l = load(R"({
    session: {
      scope: "per-sender", dmScope: "per-channel-peer", groupScope: "main",
      identityLinks: {alice: ["telegram:123456789", "discord:987654321012345678"]},
      reset: {mode: "daily", atHour: 5, idleMinutes: 60},
      resetByType: {thread: {mode: "daily", atHour: 6}, direct: {mode: "idle", idleMinutes: 240},
                    group: {idleMinutes: 120}},
      resetByChannel: {Discord: {mode: "idle", idleMinutes: 30}},
      resetTriggers: ["/new"],
      maintenance: {mode: "warn", pruneAfter: "12h", archiveDashboardAfter: false,
                    maxEntries: 100, preserveRecent: "7d", resetArchiveRetention: "30d",
                    maxDiskBytes: "500mb", highWaterBytes: "400mb"},
    },
    messages: {queue: {mode: "collect", cap: 5, drop: "new", debounceMs: 1000,
                       byChannel: {whatsapp: "followup"}, debounceMsByChannel: {discord: 250}}},
  })");
  ASSERT_TRUE(l.config) << l.describe_errors();
  const auto& s = l.config->session;
  EXPECT_EQ(s.dm_scope, DmScope::per_channel_peer);
  EXPECT_EQ(s.group_scope, GroupScope::main);
  ASSERT_EQ(s.identity_links.count("alice"), 1u);
  EXPECT_EQ(s.identity_links.at("alice").size(), 2u);
  EXPECT_EQ(s.reset.mode, ResetMode::daily);
  EXPECT_EQ(s.reset.at_hour, 5);
  EXPECT_EQ(s.reset.idle_minutes, 60);
  ASSERT_TRUE(s.reset_by_type.thread);
  EXPECT_EQ(s.reset_by_type.thread->at_hour, 6);
  ASSERT_TRUE(s.reset_by_type.direct);
  EXPECT_EQ(s.reset_by_type.direct->idle_minutes, 240);
  ASSERT_TRUE(s.reset_by_type.group);
  EXPECT_EQ(s.reset_by_type.group->mode, ResetMode::idle);  // inferred from idleMinutes
  ASSERT_EQ(s.reset_by_channel.count("discord"), 1u);       // channel keys are lowercased
  EXPECT_EQ(s.reset_by_channel.at("discord").idle_minutes, 30);
  EXPECT_EQ(s.reset_triggers, std::vector<std::string>{"/new"});
  EXPECT_EQ(s.maintenance.mode, MaintenanceMode::warn);
  EXPECT_EQ(s.maintenance.prune_after_ms, 12 * 3'600'000);
  EXPECT_FALSE(s.maintenance.archive_dashboard_after_ms);
  EXPECT_EQ(s.maintenance.max_entries, 100);
  EXPECT_EQ(s.maintenance.preserve_recent_ms, 7 * kDay);
  EXPECT_EQ(s.maintenance.reset_archive_retention_ms, 30 * kDay);
  EXPECT_EQ(s.maintenance.max_disk_bytes, int64_t{500} << 20);
  EXPECT_EQ(s.maintenance.high_water_bytes, int64_t{400} << 20);
  const auto& q = l.config->messages.queue;
  EXPECT_EQ(q.mode, QueueMode::collect);
  EXPECT_EQ(q.cap, 5);
  EXPECT_EQ(q.drop, QueueDrop::new_);
  EXPECT_EQ(q.debounce_ms, 1000);
  EXPECT_EQ(q.by_channel.at("whatsapp"), QueueMode::followup);
  EXPECT_EQ(q.debounce_ms_by_channel.at("discord"), 250);
  EXPECT_TRUE(of_severity(l, ConfigIssue::Severity::warning).empty());
}

// A roster in either form, with ids normalized and the model in either shape.
TEST(AgentsConfig, ReadsEntriesAndList) {
  ConfigLoad l = load(R"({
    agents: {
      entries: {Home: {workspace: "~/ws-home", model: "anthropic/claude-opus-4-6",
                       identity: {name: "Sam"}}},
      list: [{id: "Work Bot", default: true, name: "Work",
              model: {primary: "openai/gpt-5", fallbacks: ["a/b"]}, custom: {x: 1}}],
    },
  })");
  ASSERT_TRUE(l.config) << l.describe_errors();
  const auto& list = l.config->agents.list;
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "home");
  EXPECT_EQ(list[0].workspace, "~/ws-home");
  ASSERT_TRUE(list[0].model);
  EXPECT_EQ(list[0].model->primary, "anthropic/claude-opus-4-6");
  EXPECT_TRUE(list[0].raw.as_object().contains("identity"));  // untyped keys stay in raw
  EXPECT_EQ(list[1].id, "work-bot");
  EXPECT_TRUE(list[1].is_default);
  EXPECT_EQ(list[1].model->fallbacks, std::vector<std::string>{"a/b"});
  EXPECT_TRUE(list[1].raw.as_object().contains("custom"));
  EXPECT_EQ(default_agent_id(l.config->agents), "work-bot");
}

// Without a default marker the first agent answers unmatched messages.
TEST(AgentsConfig, FirstAgentIsTheDefaultWithoutAMarker) {
  ConfigLoad l = load(R"({agents: {list: [{id: "alpha"}, {id: "beta"}]}})");
  ASSERT_TRUE(l.config) << l.describe_errors();
  EXPECT_EQ(default_agent_id(l.config->agents), "alpha");
}

TEST(AgentsConfig, NormalizesIdsLikeTheReference) {
  EXPECT_EQ(normalize_agent_id("main"), "main");
  EXPECT_EQ(normalize_agent_id("  Work Bot "), "work-bot");
  EXPECT_EQ(normalize_agent_id("a__b"), "a__b");
  EXPECT_EQ(normalize_agent_id("--x!!y--"), "x-y");
  EXPECT_EQ(normalize_agent_id("Ünïcode"), "n-code");
  EXPECT_EQ(normalize_agent_id(""), "main");
  EXPECT_EQ(normalize_agent_id("!!!"), "main");
  EXPECT_EQ(normalize_agent_id(std::string(80, 'a')), std::string(64, 'a'));
}

// Bindings read every documented match field, lowercased, in config order.
TEST(BindingsConfig, ReadsMatchFieldsAndSessionOverrides) {
  ConfigLoad l = load(R"({
    agents: {entries: {main: {}, support: {}}},
    bindings: [
      {agentId: "support", comment: "team room", match: {channel: "Slack", teamId: "T123",
       peer: {kind: "channel", id: "C0123TEAM"}}, session: {groupScope: "main"}},
      {agentId: "main", match: {channel: "discord", accountId: "*", guildId: "42",
       roles: ["R1"]}, session: {dmScope: "per-peer"}},
      {agentId: "Support", match: {channel: "telegram"}},
    ],
  })");
  ASSERT_TRUE(l.config) << l.describe_errors();
  const auto& b = l.config->bindings;
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].agent_id, "support");
  EXPECT_EQ(b[0].match.channel, "slack");
  EXPECT_EQ(b[0].match.team_id, "t123");
  ASSERT_TRUE(b[0].match.peer);
  EXPECT_EQ(b[0].match.peer->kind, PeerKind::channel);
  EXPECT_EQ(b[0].match.peer->id, "c0123team");
  EXPECT_EQ(b[0].session.group_scope, GroupScope::main);
  EXPECT_FALSE(b[0].match.account_id);
  EXPECT_EQ(b[1].match.account_id, "*");
  EXPECT_EQ(b[1].match.roles, std::vector<std::string>{"r1"});
  EXPECT_EQ(b[1].session.dm_scope, DmScope::per_peer);
  EXPECT_EQ(b[2].agent_id, "support");
}

struct BadCase {
  std::string_view text;
  std::string_view path;
  std::string_view message;
};

// Every invalid value is an error at its key path with the expected form and the bad value.
TEST(SessionConfig, BadValuesNameTheirKeyPath) {
  const BadCase cases[] = {
      {R"({session: {scope: "everyone"}})", "session.scope", R"(got "everyone")"},
      {R"({session: {dmScope: "per-person"}})", "session.dmScope", R"("per-channel-peer")"},
      {R"({session: {groupScope: 1}})", "session.groupScope", "got 1"},
      {R"({session: {identityLinks: {alice: "telegram:1"}}})", "session.identityLinks.alice",
       "list of strings"},
      {R"({session: {identityLinks: {alice: ["telegram:1", "12345"]}}})",
       "session.identityLinks.alice[1]", R"(expected "channel:peerId")"},
      {R"({session: {reset: {mode: "weekly"}}})", "session.reset.mode", R"(got "weekly")"},
      {R"({session: {reset: {atHour: 24}}})", "session.reset.atHour",
       "expected an integer 0-23, got 24"},
      {R"({session: {reset: {idleMinutes: 0}}})", "session.reset.idleMinutes", "got 0"},
      {R"({session: {resetByType: {dm: {mode: "idle"}}}})", "session.resetByType.dm", "retired"},
      {R"({session: {resetByType: {thread: "daily"}}})", "session.resetByType.thread",
       "expected an object"},
      {R"({session: {resetByChannel: {discord: {atHour: -1}}}})",
       "session.resetByChannel.discord.atHour", "got -1"},
      {R"({session: {idleMinutes: 30}})", "session.idleMinutes", "session.reset.idleMinutes"},
      {R"({session: {maintenance: {mode: "delete"}}})", "session.maintenance.mode",
       R"(got "delete")"},
      {R"({session: {maintenance: {pruneAfter: "a month"}}})", "session.maintenance.pruneAfter",
       R"(expected a duration such as "30d" or "12h", got "a month")"},
      {R"({session: {maintenance: {pruneAfter: false}}})", "session.maintenance.pruneAfter",
       "got false"},
      {R"({session: {maintenance: {maxEntries: 0}}})", "session.maintenance.maxEntries", "got 0"},
      {R"({session: {maintenance: {maxDiskBytes: "lots"}}})", "session.maintenance.maxDiskBytes",
       R"(got "lots")"},
      {R"({session: {maintenance: {preserveRecent: true}}})", "session.maintenance.preserveRecent",
       "got true"},
      {R"({messages: {queue: {mode: "steer-backlog"}}})", "messages.queue.mode",
       R"(one of "steer", "followup", "collect", "interrupt")"},
      {R"({messages: {queue: {cap: 0}}})", "messages.queue.cap", "got 0"},
      {R"({messages: {queue: {drop: "oldest"}}})", "messages.queue.drop", R"(got "oldest")"},
      {R"({messages: {queue: {debounceMs: -1}}})", "messages.queue.debounceMs", "got -1"},
      {R"({messages: {queue: {byChannel: {discord: "later"}}}})",
       "messages.queue.byChannel.discord", R"(got "later")"},
      {R"({messages: {queue: {debounceMsByChannel: {discord: "1s"}}}})",
       "messages.queue.debounceMsByChannel.discord", "expected an integer"},
      {R"({agents: {list: [{name: "no id"}]}})", "agents.list[0].id", "required"},
      {R"({agents: {list: [{id: "a"}, {id: "A"}]}})", "agents.list[1].id", "duplicate agent id"},
      {R"({agents: {entries: {work: {}}, list: [{id: "Work"}]}})", "agents.list[0].id",
       "duplicate agent id \"work\""},
      {R"({agents: {list: [{id: "a", default: true}, {id: "b", default: true}]}})",
       "agents.list[1].default", "only one agent"},
      {R"({agents: {list: "main"}})", "agents.list", "expected a list of objects"},
      {R"({agents: {list: [3]}})", "agents.list[0]", "expected an object, got 3"},
      {R"({agents: {entries: {a: {model: 5}}}})", "agents.entries.a.model", "provider/model"},
      {R"({agents: {entries: {a: {workspace: 5}}}})", "agents.entries.a.workspace",
       "expected a string"},
      {R"({bindings: {agentId: "main"}})", "bindings", "expected a list of objects"},
      {R"({bindings: [{match: {channel: "x"}}]})", "bindings[0].agentId", "required"},
      {R"({bindings: [{agentId: "ghost", match: {channel: "x"}}]})", "bindings[0].agentId",
       R"(unknown agent "ghost": expected one of "main")"},
      {R"({agents: {entries: {a: {}}}, bindings: [{agentId: "main", match: {channel: "x"}}]})",
       "bindings[0].agentId", R"(expected one of "a")"},
      {R"({bindings: [{agentId: "main"}]})", "bindings[0].match", "required"},
      {R"({bindings: [{agentId: "main", match: {}}]})", "bindings[0].match.channel", "required"},
      {R"({bindings: [{agentId: "main", match: {channel: "x", peer: {id: "1"}}}]})",
       "bindings[0].match.peer.kind", "required"},
      {R"({bindings: [{agentId: "main", match: {channel: "x", peer: {kind: "dm"}}}]})",
       "bindings[0].match.peer.id", "required"},
      {R"({bindings: [{agentId: "main", match: {channel: "x", peer: {kind: "room", id: "1"}}}]})",
       "bindings[0].match.peer.kind", R"(got "room")"},
      {R"({bindings: [{agentId: "main", match: {channel: "x", roles: "admin"}}]})",
       "bindings[0].match.roles", "list of strings"},
      {R"({bindings: [{agentId: "main", match: {channel: "x"}, session: {dmScope: "x"}}]})",
       "bindings[0].session.dmScope", R"(got "x")"},
      {R"({bindings: [{agentId: "main", type: "broadcast", match: {channel: "x"}}]})",
       "bindings[0].type", R"(got "broadcast")"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    ConfigLoad l = load(c.text);
    EXPECT_FALSE(l.config.has_value());
    auto errors = of_severity(l, ConfigIssue::Severity::error);
    ASSERT_FALSE(errors.empty());
    bool found = false;
    for (const auto& e : errors) {
      if (e.path == c.path && e.message.find(c.message) != std::string::npos) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "first error: " << errors.front().to_string();
  }
}

// Typos warn with a suggestion; reference keys Pincer does not use yet are notes.
TEST(SessionConfig, UnknownKeysWarnAndReferenceKeysAreNotes) {
  ConfigLoad l = load(R"({
    session: {dmScop: "main", notifyOnCreate: false, maintenance: {coldStorage: {enabled: true}}},
    bindings: [{agentId: "main", match: {channel: "x", chanel: "y"}}],
    messages: {queue: {mode: "steer"}, ackReaction: "eyes"},
  })");
  ASSERT_TRUE(l.config) << l.describe_errors();
  auto warnings = of_severity(l, ConfigIssue::Severity::warning);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].path, "session.dmScop");
  EXPECT_NE(warnings[0].message.find("did you mean \"dmScope\""), std::string::npos);
  EXPECT_EQ(warnings[1].path, "bindings[0].match.chanel");
  auto notes = of_severity(l, ConfigIssue::Severity::note);
  std::vector<std::string> paths;
  for (const auto& n : notes) {
    paths.push_back(n.path);
  }
  EXPECT_NE(std::ranges::find(paths, "session.notifyOnCreate"), paths.end());
  EXPECT_NE(std::ranges::find(paths, "session.maintenance.coldStorage"), paths.end());
  EXPECT_NE(std::ranges::find(paths, "messages.ackReaction"), paths.end());
}

}  // namespace
}  // namespace pincer::core
