#pragma once
// The kind of conversation a peer is, as channels report it and session keys spell it:
// a direct message, a group chat, or a channel/room. Shared by routing (key shapes), reset
// policies (per-type overrides) and the session store (the row's chatType).

#include <optional>
#include <string_view>

namespace pincer::sessions {

enum class ChatType { direct, group, channel };

// "direct" | "group" | "channel"; "dm" is read as direct (older configs and channel payloads).
std::optional<ChatType> parse_chat_type(std::string_view text);
std::string_view to_string(ChatType type);

}  // namespace pincer::sessions
