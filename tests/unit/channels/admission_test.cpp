#include "channels/admission.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace pincer::channels {
namespace {

using core::ChannelGroupConfig;
using core::DmPolicy;
using core::GroupPolicy;
using Groups = std::map<std::string, ChannelGroupConfig>;
using Strings = std::vector<std::string>;

constexpr std::string_view kGroup = "-1001";

InboundMessage dm(std::string sender) {
  InboundMessage m;
  m.channel = "telegram";
  m.account_id = "default";
  m.chat_type = sessions::ChatType::direct;
  m.chat_id = sender;
  m.sender_id = std::move(sender);
  m.text = "hello";
  return m;
}

// A group message from `sender` that addresses the bot natively, unless told otherwise.
InboundMessage group_message(std::string sender, bool mentioned = true,
                             std::string chat = std::string(kGroup)) {
  InboundMessage m = dm(std::move(sender));
  m.chat_type = sessions::ChatType::group;
  m.chat_id = std::move(chat);
  m.mentions_bot = mentioned;
  return m;
}

InboundMessage in_topic(InboundMessage m, std::string thread) {
  m.thread_id = std::move(thread);
  m.thread_is_topic = true;
  return m;
}

AccessPolicy dm_policy(DmPolicy mode, Strings allow_from) {
  AccessPolicy p;
  p.dm_policy = mode;
  p.allow_from = std::move(allow_from);
  return p;
}

AccessPolicy group_policy(GroupPolicy mode, std::optional<Groups> groups,
                          Strings allow_from = {"7"},
                          std::optional<Strings> group_allow_from = std::nullopt) {
  AccessPolicy p;
  p.allow_from = std::move(allow_from);
  p.group_policy = mode;
  p.groups = std::move(groups);
  p.group_allow_from = std::move(group_allow_from);
  return p;
}

ChannelGroupConfig entry(std::optional<bool> require_mention = std::nullopt) {
  ChannelGroupConfig g;
  g.require_mention = require_mention;
  return g;
}

struct Case {
  std::string name;
  AccessPolicy policy;
  InboundMessage message;
  bool paired = false;
  Verdict verdict = Verdict::drop;
  std::string reason;  // empty: not checked
  bool mentioned = false;
  std::string system_prompt;
};

std::vector<Case> cases() {
  std::vector<Case> c;
  const auto allowed = Verdict::admit;
  const auto pair = Verdict::pair;
  const auto drop = Verdict::drop;

  // ---- DMs ----------------------------------------------------------------------------------
  c.push_back({"dm disabled drops even a listed sender", dm_policy(DmPolicy::disabled, {"*"}),
               dm("7"), true, drop, "dm disabled"});
  c.push_back(
      {"dm open with * admits anyone", dm_policy(DmPolicy::open, {"*"}), dm("9"), false, allowed});
  c.push_back({"dm open admits a listed sender", dm_policy(DmPolicy::open, {"7"}), dm("7"), false,
               allowed});
  c.push_back({"dm open with concrete list is not public", dm_policy(DmPolicy::open, {"7"}),
               dm("9"), false, drop, "sender not in allowFrom"});
  c.push_back({"dm open with empty allowFrom admits nobody", dm_policy(DmPolicy::open, {}), dm("9"),
               false, drop, "sender not in allowFrom"});
  c.push_back(
      {"dm open is not widened by pairing", dm_policy(DmPolicy::open, {}), dm("9"), true, drop});
  c.push_back({"dm allowlist admits a listed sender", dm_policy(DmPolicy::allowlist, {"7"}),
               dm("7"), false, allowed});
  c.push_back({"dm allowlist admits a paired sender", dm_policy(DmPolicy::allowlist, {}), dm("9"),
               true, allowed, "paired sender"});
  c.push_back({"dm allowlist with empty allowFrom admits nobody else",
               dm_policy(DmPolicy::allowlist, {}), dm("9"), false, drop,
               "sender not in allowFrom"});
  c.push_back(
      {"dm allowlist honours *", dm_policy(DmPolicy::allowlist, {"*"}), dm("9"), false, allowed});
  c.push_back({"dm pairing admits a listed sender", dm_policy(DmPolicy::pairing, {"7"}), dm("7"),
               false, allowed});
  c.push_back({"dm pairing admits a paired sender", dm_policy(DmPolicy::pairing, {}), dm("9"), true,
               allowed, "paired sender"});
  c.push_back({"dm pairing asks an unknown sender to pair", dm_policy(DmPolicy::pairing, {"7"}),
               dm("9"), false, pair, "pairing required"});
  c.push_back({"dm pairing with empty allowFrom pairs, never admits",
               dm_policy(DmPolicy::pairing, {}), dm("9"), false, pair});
  c.push_back({"dm empty sender id does not match an empty entry",
               dm_policy(DmPolicy::allowlist, {""}), dm(""), false, drop});

  // ---- which groups -------------------------------------------------------------------------
  c.push_back({"group policy disabled drops",
               group_policy(GroupPolicy::disabled, Groups{{"*", {}}}), group_message("7"), false,
               drop, "groups disabled"});
  c.push_back({"no groups + allowlist drops every group",
               group_policy(GroupPolicy::allowlist, std::nullopt), group_message("7"), false, drop,
               "group not allowed"});
  c.push_back({"no groups + open admits any group", group_policy(GroupPolicy::open, std::nullopt),
               group_message("9"), false, allowed, "", true});
  c.push_back({"groups set: unlisted group dropped",
               group_policy(GroupPolicy::allowlist, Groups{{"-2002", {}}}), group_message("7"),
               false, drop, "group not allowed"});
  c.push_back({"groups set: unlisted group dropped even when open",
               group_policy(GroupPolicy::open, Groups{{"-2002", {}}}), group_message("7"), false,
               drop, "group not allowed"});
  c.push_back({"groups set: empty map allows no group", group_policy(GroupPolicy::open, Groups{}),
               group_message("7"), false, drop, "group not allowed"});
  c.push_back({"groups set: listed group admitted",
               group_policy(GroupPolicy::allowlist, Groups{{std::string(kGroup), {}}}),
               group_message("7"), false, allowed, "", true});
  c.push_back({"groups *: any group admitted",
               group_policy(GroupPolicy::allowlist, Groups{{"*", {}}}), group_message("7"), false,
               allowed, "", true});
  {
    ChannelGroupConfig off;
    off.enabled = false;
    c.push_back({"group entry enabled=false drops",
                 group_policy(GroupPolicy::open, Groups{{std::string(kGroup), off}}),
                 group_message("7"), false, drop, "group disabled"});
    c.push_back({"* entry enabled=false drops groups without their own setting",
                 group_policy(GroupPolicy::open, Groups{{"*", off}, {std::string(kGroup), {}}}),
                 group_message("7"), false, drop, "group disabled"});
    ChannelGroupConfig on;
    on.enabled = true;
    c.push_back({"exact enabled=true beats * enabled=false",
                 group_policy(GroupPolicy::open, Groups{{"*", off}, {std::string(kGroup), on}}),
                 group_message("9"), false, allowed, "", true});
  }

  // ---- which senders ------------------------------------------------------------------------
  Groups any{{"*", {}}};
  c.push_back({"group allowlist: sender in allowFrom",
               group_policy(GroupPolicy::allowlist, any, {"7"}), group_message("7"), false, allowed,
               "", true});
  c.push_back({"group allowlist: sender not in allowFrom",
               group_policy(GroupPolicy::allowlist, any, {"7"}), group_message("9"), false, drop,
               "sender not in groupAllowFrom"});
  c.push_back({"group allowlist: empty lists admit nobody",
               group_policy(GroupPolicy::allowlist, any, {}), group_message("7"), false, drop,
               "sender not in groupAllowFrom"});
  c.push_back({"group allowlist: DM pairing never counts",
               group_policy(GroupPolicy::allowlist, any, {}), group_message("7"), true, drop,
               "sender not in groupAllowFrom"});
  c.push_back({"group allowlist: groupAllowFrom replaces allowFrom",
               group_policy(GroupPolicy::allowlist, any, {"7"}, Strings{"8"}), group_message("7"),
               false, drop});
  c.push_back({"group allowlist: groupAllowFrom admits its sender",
               group_policy(GroupPolicy::allowlist, any, {"7"}, Strings{"8"}), group_message("8"),
               false, allowed, "", true});
  c.push_back({"group allowlist: empty groupAllowFrom does not fall back",
               group_policy(GroupPolicy::allowlist, any, {"7"}, Strings{}), group_message("7"),
               false, drop});
  c.push_back({"group allowlist: groupAllowFrom *",
               group_policy(GroupPolicy::allowlist, any, {}, Strings{"*"}), group_message("9"),
               false, allowed, "", true});
  c.push_back({"group open: any sender", group_policy(GroupPolicy::open, any, {}),
               group_message("9"), false, allowed, "", true});
  {
    ChannelGroupConfig g;
    g.allow_from = Strings{"9"};
    c.push_back({"group entry allowFrom overrides account lists",
                 group_policy(GroupPolicy::allowlist, Groups{{std::string(kGroup), g}}, {"7"}),
                 group_message("9"), false, allowed, "", true});
    c.push_back({"group entry allowFrom excludes account senders",
                 group_policy(GroupPolicy::allowlist, Groups{{std::string(kGroup), g}}, {"7"}),
                 group_message("7"), false, drop});
    ChannelGroupConfig open;
    open.group_policy = GroupPolicy::open;
    c.push_back({"group entry groupPolicy open admits any sender",
                 group_policy(GroupPolicy::allowlist, Groups{{std::string(kGroup), open}}, {}),
                 group_message("9"), false, allowed, "", true});
    ChannelGroupConfig closed;
    closed.group_policy = GroupPolicy::allowlist;
    c.push_back({"group entry groupPolicy allowlist narrows an open account",
                 group_policy(GroupPolicy::open, Groups{{std::string(kGroup), closed}}, {"7"}),
                 group_message("9"), false, drop});
    ChannelGroupConfig disabled;
    disabled.group_policy = GroupPolicy::disabled;
    c.push_back({"group entry groupPolicy disabled drops",
                 group_policy(GroupPolicy::open, Groups{{std::string(kGroup), disabled}}),
                 group_message("7"), false, drop, "group disabled"});
    c.push_back({"account disabled wins over a group entry open",
                 group_policy(GroupPolicy::disabled, Groups{{std::string(kGroup), open}}),
                 group_message("7"), false, drop, "groups disabled"});
  }

  // ---- topics -------------------------------------------------------------------------------
  {
    ChannelGroupConfig topic_open;
    topic_open.group_policy = GroupPolicy::open;
    topic_open.require_mention = false;
    topic_open.system_prompt = "topic prompt";
    ChannelGroupConfig forum;
    forum.system_prompt = "group prompt";
    forum.topics["42"] = topic_open;
    Groups groups{{std::string(kGroup), forum}};
    c.push_back({"topic exact overrides group policy, mention and prompt",
                 group_policy(GroupPolicy::allowlist, groups, {"7"}),
                 in_topic(group_message("9", false), "42"), false, allowed, "", false,
                 "topic prompt"});
    c.push_back(
        {"other topic falls back to the group", group_policy(GroupPolicy::allowlist, groups, {"7"}),
         in_topic(group_message("9", false), "43"), false, drop, "sender not in groupAllowFrom"});
    c.push_back({"other topic gets the group prompt",
                 group_policy(GroupPolicy::allowlist, groups, {"7"}),
                 in_topic(group_message("7"), "43"), false, allowed, "", true, "group prompt"});
    c.push_back({"a non-topic thread ignores topic entries",
                 group_policy(GroupPolicy::allowlist, groups, {"7"}),
                 [] {
                   auto m = group_message("9", false);
                   m.thread_id = "42";
                   return m;
                 }(),
                 false, drop});

    ChannelGroupConfig quiet_topics;
    ChannelGroupConfig no_mention;
    no_mention.require_mention = false;
    ChannelGroupConfig needs_mention;
    needs_mention.require_mention = true;
    quiet_topics.topics["*"] = no_mention;
    quiet_topics.topics["5"] = needs_mention;
    Groups star_topics{{std::string(kGroup), quiet_topics}};
    c.push_back({"topic * applies to unlisted topics",
                 group_policy(GroupPolicy::allowlist, star_topics, {"7"}),
                 in_topic(group_message("7", false), "9"), false, allowed});
    c.push_back({"topic exact beats topic *",
                 group_policy(GroupPolicy::allowlist, star_topics, {"7"}),
                 in_topic(group_message("7", false), "5"), false, drop, "not mentioned"});

    ChannelGroupConfig disabled_group;
    disabled_group.enabled = false;
    ChannelGroupConfig enabled_topic;
    enabled_topic.enabled = true;
    disabled_group.topics["3"] = enabled_topic;
    Groups one_topic{{std::string(kGroup), disabled_group}};
    c.push_back({"topic enabled=true reopens one topic of a disabled group",
                 group_policy(GroupPolicy::allowlist, one_topic, {"7"}),
                 in_topic(group_message("7"), "3"), false, allowed, "", true});
    c.push_back({"other topics of a disabled group stay dropped",
                 group_policy(GroupPolicy::allowlist, one_topic, {"7"}),
                 in_topic(group_message("7"), "4"), false, drop, "group disabled"});

    ChannelGroupConfig star_with_topic;
    star_with_topic.topics["42"] = topic_open;
    c.push_back({"topics of the * group apply to any group",
                 group_policy(GroupPolicy::allowlist, Groups{{"*", star_with_topic}}, {}),
                 in_topic(group_message("9", false), "42"), false, allowed, "", false,
                 "topic prompt"});
  }

  // ---- * group entries as defaults ----------------------------------------------------------
  {
    Groups defaults{{"*", entry(false)}, {"-3003", entry(true)}};
    c.push_back({"* requireMention=false applies to unlisted groups",
                 group_policy(GroupPolicy::allowlist, defaults, {"7"}), group_message("7", false),
                 false, allowed, "group, mention not required"});
    c.push_back({"exact requireMention beats *",
                 group_policy(GroupPolicy::allowlist, defaults, {"7"}),
                 group_message("7", false, "-3003"), false, drop, "not mentioned"});
    ChannelGroupConfig star_prompt;
    star_prompt.system_prompt = "be brief";
    c.push_back({"* systemPrompt applies",
                 group_policy(GroupPolicy::open, Groups{{"*", star_prompt}}), group_message("9"),
                 false, allowed, "", true, "be brief"});
  }

  // ---- mention gating -----------------------------------------------------------------------
  {
    Groups listed{{std::string(kGroup), {}}};
    auto with_patterns = [&](Strings patterns) {
      auto p = group_policy(GroupPolicy::allowlist, listed, {"7"});
      p.mention_patterns = std::move(patterns);
      return p;
    };
    auto quiet = [](std::string text) {
      auto m = group_message("7", false);
      m.text = std::move(text);
      return m;
    };
    c.push_back({"mention required by default", with_patterns({}), quiet("hi all"), false, drop,
                 "not mentioned"});
    c.push_back({"mention via entity", with_patterns({}), group_message("7"), false, allowed,
                 "mentioned in group", true});
    {
      auto m = quiet("sure");
      m.reply_to_bot = true;
      c.push_back({"mention via reply to the bot", with_patterns({}), m, false, allowed, "", true});
    }
    {
      auto m = quiet("/status");
      m.is_command = true;
      c.push_back({"mention via command", with_patterns({}), m, false, allowed, "", true});
    }
    c.push_back({"mention via pattern, case-insensitive", with_patterns({"\\bpincer\\b"}),
                 quiet("hey PINCER, what's up"), false, allowed, "", true});
    c.push_back({"pattern not matching", with_patterns({"\\bpincer\\b"}), quiet("pincers"), false,
                 drop, "not mentioned"});
    c.push_back({"invalid pattern ignored, later pattern still works",
                 with_patterns({"([unclosed", "bot"}), quiet("hi BOT"), false, allowed, "", true});
    c.push_back({"invalid pattern alone never matches", with_patterns({"([unclosed"}),
                 quiet("([unclosed"), false, drop, "not mentioned"});
    c.push_back({"empty pattern ignored (would match everything)", with_patterns({""}),
                 quiet("anything"), false, drop, "not mentioned"});
    c.push_back({"nested quantifier pattern ignored", with_patterns({"(a+)+$"}),
                 quiet(std::string(40, 'a')), false, drop, "not mentioned"});
    c.push_back(
        {"requireMention=false admits unmentioned, reports not mentioned",
         group_policy(GroupPolicy::allowlist, Groups{{std::string(kGroup), entry(false)}}, {"7"}),
         quiet("hi"), false, allowed, "group, mention not required", false});
  }

  // ---- channels (broadcast rooms) follow group rules ------------------------------------------
  {
    auto m = group_message("7");
    m.chat_type = sessions::ChatType::channel;
    c.push_back({"channel chat uses group rules",
                 group_policy(GroupPolicy::allowlist, std::nullopt), m, true, drop,
                 "group not allowed"});
  }
  return c;
}

// Every admission rule, one row each: verdict, reason, mention flag and system prompt.
TEST(Admission, DecidesEveryCaseInTheTable) {
  auto table = cases();
  EXPECT_GT(table.size(), 60u);
  for (const auto& test : table) {
    SCOPED_TRACE(test.name);
    auto result = admit(test.policy, test.message, test.paired);
    EXPECT_EQ(result.verdict, test.verdict) << result.reason;
    if (!test.reason.empty()) {
      EXPECT_EQ(result.reason, test.reason);
    }
    EXPECT_FALSE(result.reason.empty());
    if (test.verdict == Verdict::admit) {
      EXPECT_EQ(result.mentioned, test.mentioned);
    }
    EXPECT_EQ(result.system_prompt, test.system_prompt);
  }
}

// The account's allowFrom never admits a group sender through DM pairing, and an unset
// allowFrom is empty: nobody. Checked across all DM policies.
TEST(Admission, EmptyAllowFromNeverMeansEveryone) {
  for (auto mode : {DmPolicy::pairing, DmPolicy::allowlist, DmPolicy::open, DmPolicy::disabled}) {
    auto result = admit(dm_policy(mode, {}), dm("9"), false);
    EXPECT_NE(result.verdict, Verdict::admit) << core::to_string(mode);
  }
  for (auto mode : {GroupPolicy::allowlist}) {
    auto result = admit(group_policy(mode, Groups{{"*", {}}}, {}), group_message("9"), true);
    EXPECT_EQ(result.verdict, Verdict::drop);
  }
}

// Unusable patterns are reported for config warnings and never throw.
TEST(Admission, MentionPatternUsability) {
  EXPECT_TRUE(mention_pattern_usable("@pincer_bot"));
  EXPECT_TRUE(mention_pattern_usable("\\bhey (bot|pincer)\\b"));
  EXPECT_TRUE(mention_pattern_usable("a+b*c?"));
  EXPECT_TRUE(mention_pattern_usable("(ab)+"));
  EXPECT_TRUE(mention_pattern_usable("(a+)?"));
  EXPECT_TRUE(mention_pattern_usable("[(+)]+"));
  EXPECT_FALSE(mention_pattern_usable(""));
  EXPECT_FALSE(mention_pattern_usable("  "));
  EXPECT_FALSE(mention_pattern_usable("(unclosed"));
  EXPECT_FALSE(mention_pattern_usable("*start"));
  EXPECT_FALSE(mention_pattern_usable("(a+)+"));
  EXPECT_FALSE(mention_pattern_usable("(a*)*b"));
  EXPECT_FALSE(mention_pattern_usable("(?:x|y+){2,}"));
  EXPECT_FALSE(mention_pattern_usable("((a)+)+"));
  EXPECT_FALSE(mention_pattern_usable("(\\d+){3}"));
}

// A pattern that backtracks catastrophically is rejected when first compiled, so later messages
// stay cheap; nested quantifiers are rejected before any matching.
TEST(Admission, ExpensivePatternIsIgnoredAndDoesNotHang) {
  EXPECT_FALSE(mention_pattern_usable("(a|aa)*c"));
  auto policy = group_policy(GroupPolicy::allowlist, Groups{{"*", {}}}, {"7"});
  policy.mention_patterns = {"(a|aa)*c", "(.*a){12}x", "pincer"};
  auto m = group_message("7", false);
  m.text = std::string(100'000, 'a');
  EXPECT_EQ(admit(policy, m, false).verdict, Verdict::drop);  // compiles and probes once

  auto start = std::chrono::steady_clock::now();
  auto result = admit(policy, m, false);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.verdict, Verdict::drop);
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));

  m.text = "ok PINCER";
  EXPECT_EQ(admit(policy, m, false).verdict, Verdict::admit);
}

// Mention patterns come from the agent entry when it sets them, else from messages.groupChat.
TEST(Admission, PolicyForAccountTakesAgentPatterns) {
  core::Config config;
  config.messages.group_chat.mention_patterns = {"global"};
  core::AgentEntry main;
  main.id = "main";
  core::AgentEntry ops;
  ops.id = "ops";
  ops.mention_patterns = Strings{"ops"};
  core::AgentEntry quiet;
  quiet.id = "quiet";
  quiet.mention_patterns = Strings{};
  config.agents.list = {main, ops, quiet};

  core::TelegramAccountConfig account;
  account.dm_policy = DmPolicy::allowlist;
  account.allow_from = {"7"};
  account.group_policy = GroupPolicy::open;
  account.group_allow_from = Strings{"8"};
  account.groups = Groups{{"*", entry(false)}};

  auto for_main = access_policy_for(account, config, "main");
  EXPECT_EQ(for_main.dm_policy, DmPolicy::allowlist);
  EXPECT_EQ(for_main.allow_from, Strings{"7"});
  EXPECT_EQ(for_main.group_policy, GroupPolicy::open);
  EXPECT_EQ(for_main.group_allow_from, Strings{"8"});
  ASSERT_TRUE(for_main.groups);
  EXPECT_EQ(for_main.groups->count("*"), 1u);
  EXPECT_EQ(for_main.mention_patterns, Strings{"global"});
  EXPECT_EQ(access_policy_for(account, config, "Ops").mention_patterns, Strings{"ops"});
  EXPECT_TRUE(access_policy_for(account, config, "quiet").mention_patterns.empty());
  EXPECT_EQ(access_policy_for(account, config, "unknown").mention_patterns, Strings{"global"});
}

}  // namespace
}  // namespace pincer::channels
