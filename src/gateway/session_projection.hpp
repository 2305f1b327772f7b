#pragma once
// How stored sessions and transcript entries look on the wire: SessionRow objects for
// sessions.list/describe/changed and chat.history's sessionInfo, chat messages for chat.history,
// and the short text previews of sessions.preview. One place, so every method shows a session
// the same way.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::core {
struct Config;
}

namespace pincer::gateway {

// Extras a row may carry when the caller asked for them (they cost a transcript read).
struct RowExtras {
  std::optional<std::string> last_message_preview;
  std::optional<std::string> derived_title;
};

// The agent a key belongs to: "agent:<id>:..." names it; other keys belong to the default
// agent.
std::string agent_id_of_key(std::string_view key, const core::Config& config);

// A SessionRow for a stored generation.
boost::json::object session_row(const sessions::SessionRecord& record, const core::Config& config,
                                int64_t now_ms, const RowExtras& extras = {});
// A SessionRow for a key with no stored session yet (chat.history of a new conversation).
boost::json::object missing_session_row(std::string_view key, const core::Config& config,
                                        int64_t now_ms);

// sessions.list's and chat.history's `defaults`: the configured default model.
boost::json::object session_defaults(const core::Config& config);

// A transcript entry as a chat message: the stored message object (or role + content built
// from the entry), a timestamp, usage, and the `__openclaw` envelope {id, seq, kind?}. Text
// parts longer than max_chars are cut and marked.
boost::json::object chat_message(const sessions::TranscriptEntry& entry, std::size_t max_chars);

// The visible text of an entry (text parts joined), for previews and titles; "" when none.
std::string entry_text(const sessions::TranscriptEntry& entry);
// Cuts text to at most max_chars characters (UTF-8 safe), ending in "…" when cut.
std::string clip_text(std::string_view text, std::size_t max_chars);

// Assistant rows that only say the silent token are not shown (the reference hides them too).
bool is_silent_reply(const sessions::TranscriptEntry& entry);

}  // namespace pincer::gateway
