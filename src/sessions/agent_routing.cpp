#include "sessions/agent_routing.hpp"

#include <algorithm>

namespace pincer::sessions {

namespace {

ChatType chat_type_of(core::PeerKind kind) {
  switch (kind) {
    case core::PeerKind::direct:
      return ChatType::direct;
    case core::PeerKind::group:
      return ChatType::group;
    case core::PeerKind::channel:
      return ChatType::channel;
  }
  return ChatType::direct;
}

// The inbound message with every id in its canonical spelling, computed once per route.
struct Facts {
  std::string channel;
  std::string account;
  bool default_account = false;
  ChatType peer_kind = ChatType::direct;
  std::string peer;
  std::optional<ChatType> parent_kind;
  std::string parent;
  std::string guild;
  std::string team;
  std::vector<std::string> roles;
};

Facts facts_of(const InboundRoute& in) {
  Facts f;
  f.channel = canonical_key_part(in.channel);
  f.account = canonical_key_part(in.account_id);
  std::string default_account = canonical_key_part(in.default_account_id);
  f.default_account = f.account.empty() || f.account == default_account ||
                      (default_account.empty() && f.account == "default");
  f.peer_kind = in.peer_kind;
  f.peer = canonical_key_part(in.peer_id);
  f.parent = canonical_key_part(in.parent_peer_id);
  if (in.parent_peer_kind && !f.parent.empty()) {
    f.parent_kind = in.parent_peer_kind;
  }
  f.guild = canonical_key_part(in.guild_id);
  f.team = canonical_key_part(in.team_id);
  for (const auto& role : in.member_roles) {
    f.roles.push_back(canonical_key_part(role));
  }
  return f;
}

// The tier at which `b` matches the message, or nullopt when any field it sets disagrees.
std::optional<RouteMatch> match_tier(const core::Binding& b, const Facts& f) {
  const auto& m = b.match;
  if (b.type != core::BindingType::route || m.channel != f.channel) {
    return std::nullopt;
  }
  if (!m.account_id) {
    if (!f.default_account) {
      return std::nullopt;
    }
  } else if (*m.account_id != "*" && *m.account_id != (f.account.empty() ? "default" : f.account)) {
    return std::nullopt;
  }
  if (!m.guild_id.empty() && m.guild_id != f.guild) {
    return std::nullopt;
  }
  if (!m.team_id.empty() && m.team_id != f.team) {
    return std::nullopt;
  }
  if (!m.roles.empty() && std::ranges::none_of(m.roles, [&](const std::string& role) {
        return std::ranges::find(f.roles, role) != f.roles.end();
      })) {
    return std::nullopt;
  }
  if (m.peer) {
    ChatType kind = chat_type_of(m.peer->kind);
    if (m.peer->id == "*") {
      if (kind == f.peer_kind || (f.parent_kind && kind == *f.parent_kind)) {
        return RouteMatch::peer_wildcard;
      }
      return std::nullopt;
    }
    if (kind == f.peer_kind && m.peer->id == f.peer) {
      return RouteMatch::peer;
    }
    if (f.parent_kind && kind == *f.parent_kind && m.peer->id == f.parent) {
      return RouteMatch::parent_peer;
    }
    return std::nullopt;
  }
  if (!m.roles.empty()) {
    return RouteMatch::guild_roles;
  }
  if (!m.guild_id.empty()) {
    return RouteMatch::guild;
  }
  if (!m.team_id.empty()) {
    return RouteMatch::team;
  }
  if (m.account_id && *m.account_id == "*") {
    return RouteMatch::channel;
  }
  return RouteMatch::account;
}

}  // namespace

std::string_view to_string(RouteMatch match) {
  switch (match) {
    case RouteMatch::peer:
      return "peer";
    case RouteMatch::parent_peer:
      return "parent-peer";
    case RouteMatch::peer_wildcard:
      return "peer-wildcard";
    case RouteMatch::guild_roles:
      return "guild-roles";
    case RouteMatch::guild:
      return "guild";
    case RouteMatch::team:
      return "team";
    case RouteMatch::account:
      return "account";
    case RouteMatch::channel:
      return "channel";
    case RouteMatch::default_agent:
      return "default";
  }
  return "default";
}

ResolvedRoute resolve_route(const core::Config& config, const InboundRoute& in) {
  Facts facts = facts_of(in);
  ResolvedRoute route;
  for (size_t i = 0; i < config.bindings.size(); ++i) {
    auto tier = match_tier(config.bindings[i], facts);
    // Strictly better only: the first binding in config order wins within a tier.
    if (tier && *tier < route.matched_by) {
      route.matched_by = *tier;
      route.binding_index = i;
    }
  }
  SessionScopeOverrides overrides;
  if (route.binding_index) {
    const core::Binding& binding = config.bindings[*route.binding_index];
    route.agent_id = binding.agent_id;
    overrides.dm_scope = binding.session.dm_scope;
    overrides.group_scope = binding.session.group_scope;
  } else {
    route.agent_id = core::default_agent_id(config.agents);
  }
  SessionKeyInputs key_inputs{.agent_id = route.agent_id,
                              .channel = in.channel,
                              .account_id = in.account_id,
                              .peer_kind = in.peer_kind,
                              .peer_id = in.peer_id,
                              .thread_id = in.thread_id,
                              .thread_style = in.thread_style,
                              .parent_peer_kind = in.parent_peer_kind,
                              .parent_peer_id = in.parent_peer_id};
  route.session_key = build_session_key(key_inputs, config.session, overrides);
  route.main_session_key = main_session_key(route.agent_id, config.session);
  return route;
}

}  // namespace pincer::sessions
