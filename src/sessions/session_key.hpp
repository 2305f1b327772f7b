#pragma once
// Session keys: the name of the bucket a conversation's context, transcript and lane live in.
//
// Shapes (docs: concepts/session.md, channels/channel-routing.md, reference/.../schema.md):
//   agent:<agentId>:main                                   the agent's main session
//   agent:<agentId>:direct:<peer>                          DMs, dmScope per-peer
//   agent:<agentId>:<channel>:direct:<peer>                DMs, dmScope per-channel-peer
//   agent:<agentId>:<channel>:<account>:direct:<peer>      DMs, dmScope per-account-channel-peer
//   agent:<agentId>:<channel>:group:<id>                   group chats (groupScope per-group)
//   agent:<agentId>:<channel>:channel:<id>                 rooms/channels (groupScope per-group)
//   <any of the above>:thread:<id> / :topic:<id>           a thread (Slack/Discord) or a
//                                                          Telegram forum topic under that base
//   agent:<agentId>:cron:<jobId>[:run:<runId>]             isolated cron runs
//   agent:<agentId>:hook:<id>                              webhook runs
//   global                                                 session.scope "global"
// Every part is trimmed and lowercased: keys are canonical storage names, never a source for
// case-sensitive provider ids (deliver to the recorded route, not to what a key spells).

#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "sessions/chat_type.hpp"

namespace pincer::sessions {

using core::normalize_agent_id;

// One key part (channel, account, peer, thread id) in its canonical spelling: trimmed and
// lowercased. Routing compares ids in this form too.
std::string canonical_key_part(std::string_view text);

enum class ThreadStyle { thread, topic };

// Where an inbound message comes from, as far as the key cares.
struct SessionKeyInputs {
  std::string_view agent_id;    // normalized here too
  std::string_view channel;     // "telegram", "discord", ...
  std::string_view account_id;  // empty: "default"
  ChatType peer_kind = ChatType::direct;
  std::string_view peer_id;  // the sender for DMs; the group/room id otherwise
  // The thread or topic inside the peer; empty when the message is not in one.
  std::string_view thread_id;
  ThreadStyle thread_style = ThreadStyle::thread;
  // For channels that report a thread as its own peer (a Discord thread channel): the room it
  // belongs to. The key is then built on the parent, with the peer (or thread_id) as thread.
  std::optional<ChatType> parent_peer_kind;
  std::string_view parent_peer_id;
};

// A binding's session overrides (bindings[].session), applied over session.*.
struct SessionScopeOverrides {
  std::optional<core::DmScope> dm_scope;
  std::optional<core::GroupScope> group_scope;
};

// The key for a message: the one function every inbound path uses. Pure; no I/O.
// A DM with no sender id, or a group with no id, falls back to the main session.
std::string build_session_key(const SessionKeyInputs& in, const core::SessionConfig& session,
                              const SessionScopeOverrides& overrides = {});

// "agent:<agentId>:main", or "global" under session.scope "global".
std::string main_session_key(std::string_view agent_id, const core::SessionConfig& session);
std::string main_session_key(std::string_view agent_id);

// The canonical person for a DM sender per session.identityLinks (the link's key, lowercased),
// or nullopt when the sender is not linked.
std::optional<std::string> linked_identity(const core::SessionConfig& session,
                                           std::string_view channel, std::string_view peer_id);

std::string cron_session_key(std::string_view agent_id, std::string_view job_id);
std::string cron_run_session_key(std::string_view agent_id, std::string_view job_id,
                                 std::string_view run_id);
std::string hook_session_key(std::string_view agent_id, std::string_view hook_id);

// A logical key ("cron:nightly", "hook:gmail:42") scoped to its agent for the store:
// "agent:<agentId>:<key>". Keys already agent-scoped, and "global", are returned unchanged.
std::string to_agent_store_key(std::string_view agent_id, std::string_view key);

struct ParsedSessionKey {
  std::string agent_id;
  std::string rest;  // after "agent:<agentId>:", e.g. "main", "telegram:group:-100"
};

// "agent:<agentId>:<rest>" split in two; nullopt for other shapes ("global", "cron:x", "").
std::optional<ParsedSessionKey> parse_session_key(std::string_view key);

// The agent's main session exactly (no thread under it), or "global".
bool is_main_session_key(std::string_view key);

// The SessionRow "kind": direct | group | global | unknown.
enum class SessionKind { direct, group, global, unknown };
SessionKind classify_session_key(std::string_view key);
std::string_view to_string(SessionKind kind);

// The SessionRow "chatType" a key implies: group/channel for room keys, direct for DM and main
// keys; nullopt for cron, hook and other synthetic sessions.
std::optional<ChatType> chat_type_of_key(std::string_view key);

// The thread or topic id at the end of a key, if it has one.
std::optional<std::string> thread_id_of_key(std::string_view key);

// The channel a key names ("telegram" in "agent:main:telegram:group:1"); nullopt for keys
// that do not name one (main, per-peer DMs, cron, hooks).
std::optional<std::string> channel_of_key(std::string_view key);

}  // namespace pincer::sessions
