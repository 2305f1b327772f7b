#pragma once
// Admission: whether an inbound chat message reaches the agent (docs: channels/pairing.md,
// channels/groups.md, channels/telegram/access-control.md, gateway/config-channels/
// mention-gating-and-history.md).
//
// Pure decision logic: the caller supplies the account's policy, the message and whether the
// sender holds a DM pairing approval (store::ChannelPairingStore); admit() reads nothing else and
// does no I/O, so it can run on the I/O thread for every message.
//
// Fail closed: an empty or missing allowFrom admits nobody except (for the DM policies that use
// pairing) senders an operator approved; it never means "everyone". Only an explicit "*" opens a
// list. DM pairing approvals count for direct messages only, never in groups.
//
// Groups and channels are checked in this order: the account's groupPolicy, whether the chat is
// an allowed group, the effective per-group/per-topic settings (enabled, groupPolicy), the sender
// allowlist, then mention gating. Per-chat settings are resolved field by field, most specific
// first: topic exact > topic "*" > group exact > group "*" > account. Topics are looked up only
// for forum topics (InboundMessage::thread_is_topic); a topic entry is taken from the exact
// group's `topics` when it has one, else from the "*" group's.
//
// Mention patterns are case-insensitive Perl-style regular expressions (ASCII case folding).
// Patterns that do not compile, are empty, nest repetition ((a+)+, (a|b*)*) or blow up on long
// probe texts when first compiled ((a|aa)*c) are ignored; a pattern that still explodes on some
// message counts as no match (Boost's backtracking limit stops it). Compiled patterns are cached
// process-wide by their text, so admit() compiles and probes each pattern once.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/channel.hpp"
#include "core/config.hpp"

namespace pincer::channels {

struct AccessPolicy {
  core::DmPolicy dm_policy = core::DmPolicy::pairing;
  std::vector<std::string> allow_from;  // "*" = anyone
  core::GroupPolicy group_policy = core::GroupPolicy::allowlist;
  std::optional<std::vector<std::string>> group_allow_from;  // unset: allow_from
  // Unset: no group allowlist configured (open admits every group, allowlist none).
  std::optional<std::map<std::string, core::ChannelGroupConfig>> groups;
  std::vector<std::string> mention_patterns;  // case-insensitive regexes
};

// The policy for one Telegram account when `agent_id` answers it. Mention patterns are the agent
// entry's groupChat.mentionPatterns when set (even empty), else messages.groupChat's.
AccessPolicy access_policy_for(const core::TelegramAccountConfig& account,
                               const core::Config& config, std::string_view agent_id);

enum class Verdict {
  admit,  // hand the message to the agent
  pair,   // unknown DM sender under dmPolicy "pairing": issue or refresh a pairing code
  drop,   // ignore (a group message may still be kept as history by the caller)
};

struct Admission {
  Verdict verdict = Verdict::drop;
  std::string reason;  // short, for logs: "dm disabled", "group not allowed", "not mentioned" ...
  bool mentioned = false;     // group messages: the bot was addressed (entity, reply, command,
                              // pattern); false for DMs
  std::string system_prompt;  // the group's or topic's systemPrompt, when set
};

// Decides what to do with `message`. `sender_paired`: the sender is on the pairing allow list for
// this channel and account; it is read for DMs only.
Admission admit(const AccessPolicy& policy, const InboundMessage& message, bool sender_paired);

// False for a mention pattern admit() ignores: empty, not a valid regex, with nested repetition,
// or too slow on the probe texts. For warning about the configuration; admit() checks by itself.
bool mention_pattern_usable(std::string_view pattern);

}  // namespace pincer::channels
