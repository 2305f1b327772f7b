#pragma once
// Agent routing: which agent answers an inbound message, and in which session.
//
// Bindings (config `bindings[]`, type "route") are matched most-specific first (docs:
// channels/channel-routing.md): exact peer, parent peer (a thread inherits its room's agent),
// peer wildcard, guild + roles, guild, team, account, channel ("accountId": "*"), then the
// default agent. Every field a binding sets must match (AND); within one tier the first binding
// in config order wins. A binding without accountId matches only the channel's default account.
// Routing only picks the agent: admission (pairing, allowlists, mention gating) happened before.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "sessions/chat_type.hpp"
#include "sessions/session_key.hpp"

namespace pincer::sessions {

// An admitted inbound message as routing sees it.
struct InboundRoute {
  std::string_view channel;     // "discord", "slack", ...
  std::string_view account_id;  // empty: the default account
  // The channel's default account (channels.<channel>.defaultAccount, else "default").
  std::string_view default_account_id = "default";
  ChatType peer_kind = ChatType::direct;
  std::string_view peer_id;  // sender for DMs, group/room id otherwise
  // The room a thread peer belongs to (Discord thread channels, Slack threads in a channel).
  std::optional<ChatType> parent_peer_kind;
  std::string_view parent_peer_id;
  std::string_view guild_id;              // Discord
  std::string_view team_id;               // Slack
  std::vector<std::string> member_roles;  // Discord role ids of the sender
  std::string_view thread_id;
  ThreadStyle thread_style = ThreadStyle::thread;
};

// The tier that decided, most specific first.
enum class RouteMatch {
  peer,
  parent_peer,
  peer_wildcard,
  guild_roles,
  guild,
  team,
  account,
  channel,
  default_agent
};
std::string_view to_string(RouteMatch match);

struct ResolvedRoute {
  std::string agent_id;
  std::string session_key;       // where this message's conversation lives
  std::string main_session_key;  // the agent's main session (heartbeats, notices)
  RouteMatch matched_by = RouteMatch::default_agent;
  std::optional<size_t> binding_index;  // into config.bindings, when a binding decided
};

// Pure: the same config and message always give the same route.
ResolvedRoute resolve_route(const core::Config& config, const InboundRoute& in);

}  // namespace pincer::sessions
