#pragma once
// How the runner's messages are stored in transcript entries and read back as model history.
// The JSON follows the reference's transcript message shapes, so chat.history shows them as its
// clients expect: assistant {role, content:[text | thinking | toolCall], stopReason, model,
// usage}, tool results {role:"toolResult", toolCallId, toolName, content:[text, image...],
// isError}, user content arrays of text/image parts, and compaction entries {summary,
// firstKeptSeq}. Image parts are {type:"image", data (base64), mimeType}.
//
// Tool result images are stored whole, like the text (which the runner has already capped):
// the model needs them on the next step of the turn and in later turns' history, and the tools
// that return images bound their size. Compaction drops them with the rest of the old history.
// Entries written before tool results carried images have no image parts and load as text.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "providers/model_types.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::agent {

// The content JSON of an assistant entry.
boost::json::object assistant_entry_json(const providers::Message& message,
                                         std::string_view stop_reason, std::string_view provider,
                                         std::string_view model, const providers::Usage& usage);
// The content JSON of a tool result entry.
boost::json::object tool_result_entry_json(const providers::ToolResultPart& result);
// The content JSON of a compaction entry.
boost::json::object compaction_entry_json(std::string_view summary, int64_t first_kept_seq,
                                          int64_t tokens_before);

// A chat command that changes the session instead of talking to the model ("/think high",
// "/model openai/gpt-5.1", "/compact [focus]"). Its transcript entry stays for the record but
// is not part of the model's history.
bool is_session_command(std::string_view text);

// The first seq a history built from `compaction` (the newest compaction entry) needs: the
// oldest entry the summary kept verbatim, or the compaction entry itself.
int64_t history_start_seq(const sessions::TranscriptEntry& compaction);

// The model history of a session generation: everything after the last compaction (whose
// summary comes first), consecutive tool results merged into one user message, entries the
// model never saw (events, system notes) left out.
// `seqs` (when given) receives, per message, the seq of the first entry it came from.
std::vector<providers::Message> history_from_entries(
    const std::vector<sessions::TranscriptEntry>& entries, std::vector<int64_t>* seqs = nullptr);

// The text of an assistant message (text parts joined).
std::string message_text(const providers::Message& message);

}  // namespace pincer::agent
