#pragma once
// The context guard: keeps a turn's request inside the model's context window. Before each model
// call the runner
//   1. caps every new tool result at 30 % of the window (cap_tool_result),
//   2. asks plan_compaction whether system + tools + history + the reply reserve overflow, and if
//      so summarises the planned prefix with compaction_request and replaces it (apply_compaction),
//   3. when the provider still reports overflow, calls truncate_harder step by step until the
//      request fits or it reports that nothing is left to cut; then the turn fails with a
//      friendly message instead of looping.
// All functions are pure: no I/O, no model calls; the runner owns those.
//
// Promises: a tool call and its result are never separated (a cut or a dropped turn takes both);
// the newest message is always kept; every truncation leaves a marker saying what was cut.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "providers/model_types.hpp"

namespace pincer::agent {

// Share of the context window one tool result may take.
inline constexpr double kToolResultWindowShare = 0.30;

// Keeps head and tail of `text` so that it takes at most 30 % of the window (estimated tokens),
// with a marker in the middle saying how much was cut. Unchanged when it already fits.
std::string cap_tool_result(std::string_view text, int64_t context_window_tokens);

// agents.defaults.compaction.* that the guard uses.
struct CompactionSettings {
  // Room kept free for the reply and housekeeping; capped at a quarter of the window so small
  // windows keep three quarters for the conversation (the reference's rule).
  int64_t reserve_tokens = 20000;
  // keepRecentTokens: how much recent history stays verbatim. Unset: 35 % of the window.
  std::optional<int64_t> keep_recent_tokens;
};

int64_t effective_reserve_tokens(int64_t context_window_tokens, const CompactionSettings& settings);
// How much recent history compaction keeps verbatim: keepRecentTokens, else 35 % of the window.
int64_t keep_recent_tokens(int64_t context_window_tokens, const CompactionSettings& settings);

struct CompactionPlan {
  int64_t estimated_tokens = 0;  // system + suffix + tools + messages
  int64_t budget_tokens = 0;     // window - reserve: what the prompt may use
  bool overflow = false;         // estimated_tokens > budget_tokens: compact before calling
  // messages[0, summarize_count) are summarised, the rest kept verbatim. Computed even without
  // overflow (for a manual /compact); 0 when there is no place to cut.
  std::size_t summarize_count = 0;
  int64_t kept_tokens = 0;  // estimate of messages[summarize_count, end)
};

CompactionPlan plan_compaction(const providers::ModelRequest& request,
                               int64_t context_window_tokens,
                               const CompactionSettings& settings = {});

// The request asking `model` to summarise `older` (the planned prefix). The transcript is sent
// as text (images become markers, long tool output is shortened) so it fits the window and
// needs no tools. `focus` is the operator's "/compact <focus>" text, if any.
providers::ModelRequest compaction_request(std::string_view model,
                                           std::span<const providers::Message> older,
                                           int64_t context_window_tokens,
                                           std::string_view focus = {});

// The text of the message that stands in for the summarised turns.
std::string compaction_summary_text(std::string_view summary);

// A user message holding the summary, then messages[plan.summarize_count, end).
std::vector<providers::Message> apply_compaction(const std::vector<providers::Message>& messages,
                                                 const CompactionPlan& plan,
                                                 std::string_view summary);

struct TruncateOutcome {
  bool changed = false;  // false: nothing more can be cut; give up with a friendly message
  std::string step;      // what was done, for logs: "images", "thinking", "shrink", "drop_turn",
                         // "shrink_last"
  int64_t tokens_before = 0;
  int64_t tokens_after = 0;
};

// One deterministic step of harder truncation, cheapest loss first: images become markers;
// older thinking is dropped; the largest tool results and texts are halved (down to a floor);
// the oldest whole turn is dropped; finally the newest message itself is shortened. Call it
// again while the provider reports overflow and `changed` is true; it always terminates because
// every step strictly shrinks the history.
TruncateOutcome truncate_harder(std::vector<providers::Message>& messages);

}  // namespace pincer::agent
