#include "sessions/session_key.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "core/text.hpp"

namespace pincer::sessions {

namespace {

constexpr std::string_view kAgentPrefix = "agent:";
constexpr std::string_view kGlobalKey = "global";

std::string agent_base(std::string_view agent_id) {
  std::string out(kAgentPrefix);
  out += normalize_agent_id(agent_id);
  return out;
}

std::string_view peer_segment(ChatType kind) {
  switch (kind) {
    case ChatType::direct:
      return "direct";
    case ChatType::group:
      return "group";
    case ChatType::channel:
      return "channel";
  }
  return "direct";
}

// The first `n` ':'-separated segments of `text` (fewer if it has fewer).
std::vector<std::string_view> leading_segments(std::string_view text, size_t n) {
  std::vector<std::string_view> out;
  while (out.size() < n) {
    auto colon = text.find(':');
    out.push_back(text.substr(0, colon));
    if (colon == std::string_view::npos) {
      break;
    }
    text.remove_prefix(colon + 1);
  }
  return out;
}

std::string base_key(const SessionKeyInputs& in, ChatType kind, const std::string& peer,
                     const core::SessionConfig& session, const SessionScopeOverrides& overrides) {
  std::string agent = agent_base(in.agent_id);
  std::string channel = canonical_key_part(in.channel);
  if (kind == ChatType::direct) {
    core::DmScope scope = overrides.dm_scope.value_or(session.dm_scope);
    if (scope == core::DmScope::main || peer.empty()) {
      return agent + ":main";
    }
    std::string who = linked_identity(session, channel, peer).value_or(peer);
    switch (scope) {
      case core::DmScope::per_peer:
        return agent + ":direct:" + who;
      case core::DmScope::per_channel_peer:
        return agent + ":" + channel + ":direct:" + who;
      case core::DmScope::per_account_channel_peer: {
        std::string account = canonical_key_part(in.account_id);
        return agent + ":" + channel + ":" + (account.empty() ? "default" : account) +
               ":direct:" + who;
      }
      case core::DmScope::main:
        break;
    }
    return agent + ":main";
  }
  core::GroupScope scope = overrides.group_scope.value_or(session.group_scope);
  if (scope == core::GroupScope::main || peer.empty()) {
    return agent + ":main";
  }
  return agent + ":" + channel + ":" + std::string(peer_segment(kind)) + ":" + peer;
}

}  // namespace

std::string canonical_key_part(std::string_view text) {
  return core::lowercase_trimmed(text);
}

std::string build_session_key(const SessionKeyInputs& in, const core::SessionConfig& session,
                              const SessionScopeOverrides& overrides) {
  if (session.scope == core::SessionScope::global) {
    return std::string(kGlobalKey);
  }
  ChatType kind = in.peer_kind;
  std::string peer = canonical_key_part(in.peer_id);
  std::string thread = canonical_key_part(in.thread_id);
  if (in.parent_peer_kind && !canonical_key_part(in.parent_peer_id).empty()) {
    // The peer is itself the thread: key the conversation under the room it belongs to.
    if (thread.empty()) {
      thread = peer;
    }
    kind = *in.parent_peer_kind;
    peer = canonical_key_part(in.parent_peer_id);
  }
  std::string key = base_key(in, kind, peer, session, overrides);
  if (!thread.empty()) {
    key += in.thread_style == ThreadStyle::topic ? ":topic:" : ":thread:";
    key += thread;
  }
  return key;
}

std::string main_session_key(std::string_view agent_id, const core::SessionConfig& session) {
  if (session.scope == core::SessionScope::global) {
    return std::string(kGlobalKey);
  }
  return main_session_key(agent_id);
}

std::string main_session_key(std::string_view agent_id) {
  return agent_base(agent_id) + ":main";
}

std::optional<std::string> linked_identity(const core::SessionConfig& session,
                                           std::string_view channel, std::string_view peer_id) {
  if (session.identity_links.empty()) {
    return std::nullopt;
  }
  std::string wanted = canonical_key_part(channel) + ":" + canonical_key_part(peer_id);
  for (const auto& [person, identities] : session.identity_links) {
    for (const auto& identity : identities) {
      if (canonical_key_part(identity) == wanted) {
        return canonical_key_part(person);
      }
    }
  }
  return std::nullopt;
}

std::string cron_session_key(std::string_view agent_id, std::string_view job_id) {
  return agent_base(agent_id) + ":cron:" + canonical_key_part(job_id);
}

std::string cron_run_session_key(std::string_view agent_id, std::string_view job_id,
                                 std::string_view run_id) {
  return cron_session_key(agent_id, job_id) + ":run:" + canonical_key_part(run_id);
}

std::string hook_session_key(std::string_view agent_id, std::string_view hook_id) {
  return agent_base(agent_id) + ":hook:" + canonical_key_part(hook_id);
}

std::string to_agent_store_key(std::string_view agent_id, std::string_view key) {
  std::string logical = canonical_key_part(key);
  if (logical == kGlobalKey || parse_session_key(logical)) {
    return logical;
  }
  return agent_base(agent_id) + ":" + logical;
}

std::optional<ParsedSessionKey> parse_session_key(std::string_view key) {
  if (!key.starts_with(kAgentPrefix)) {
    return std::nullopt;
  }
  std::string_view after = key.substr(kAgentPrefix.size());
  auto colon = after.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == after.size()) {
    return std::nullopt;
  }
  return ParsedSessionKey{std::string(after.substr(0, colon)),
                          std::string(after.substr(colon + 1))};
}

bool is_main_session_key(std::string_view key) {
  if (key == kGlobalKey) {
    return true;
  }
  auto parsed = parse_session_key(key);
  return parsed && parsed->rest == "main";
}

SessionKind classify_session_key(std::string_view key) {
  if (key == kGlobalKey) {
    return SessionKind::global;
  }
  if (key.empty() || key == "unknown") {
    return SessionKind::unknown;
  }
  if (key.find(":group:") != std::string_view::npos ||
      key.find(":channel:") != std::string_view::npos ||
      key.find(":room:") != std::string_view::npos) {
    return SessionKind::group;
  }
  return SessionKind::direct;
}

std::string_view to_string(SessionKind kind) {
  switch (kind) {
    case SessionKind::direct:
      return "direct";
    case SessionKind::group:
      return "group";
    case SessionKind::global:
      return "global";
    case SessionKind::unknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<ChatType> chat_type_of_key(std::string_view key) {
  auto parsed = parse_session_key(key);
  if (!parsed) {
    return std::nullopt;
  }
  auto parts = leading_segments(parsed->rest, 3);
  if (parts[0] == "main" || parts[0] == "direct") {
    return ChatType::direct;
  }
  if (parts.size() >= 2) {
    if (parts[1] == "direct") {
      return ChatType::direct;
    }
    if (parts[1] == "group") {
      return ChatType::group;
    }
    if (parts[1] == "channel" || parts[1] == "room") {
      return ChatType::channel;
    }
  }
  if (parts.size() >= 3 && parts[2] == "direct") {
    return ChatType::direct;
  }
  return std::nullopt;
}

std::optional<std::string> thread_id_of_key(std::string_view key) {
  size_t best = std::string_view::npos;
  size_t length = 0;
  for (std::string_view marker : {std::string_view(":thread:"), std::string_view(":topic:")}) {
    size_t at = key.rfind(marker);
    if (at != std::string_view::npos && (best == std::string_view::npos || at > best)) {
      best = at;
      length = marker.size();
    }
  }
  if (best == std::string_view::npos || best + length == key.size()) {
    return std::nullopt;
  }
  return std::string(key.substr(best + length));
}

std::optional<std::string> channel_of_key(std::string_view key) {
  auto parsed = parse_session_key(key);
  if (!parsed) {
    return std::nullopt;
  }
  auto parts = leading_segments(parsed->rest, 3);
  constexpr std::array<std::string_view, 4> kPeerSegments = {"direct", "group", "channel", "room"};
  bool named =
      (parts.size() >= 2 && std::ranges::find(kPeerSegments, parts[1]) != kPeerSegments.end()) ||
      (parts.size() >= 3 && parts[2] == "direct");
  if (!named || parts[0] == "main" || parts[0] == "direct") {
    return std::nullopt;
  }
  return std::string(parts[0]);
}

}  // namespace pincer::sessions
