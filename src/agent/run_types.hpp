#pragma once
// What a caller asks of an agent run, what comes out, and the events in between. Shared by the
// agent service (which runs turns), the gateway (chat.send, agent, the OpenAI-compatible HTTP
// endpoint, `agent`/`chat` events) and the CLI (`pincer agent --local`).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "providers/model_types.hpp"
#include "sessions/chat_type.hpp"

namespace pincer::agent {

struct ChatRequest {
  std::string session_key;  // canonical ("agent:main:main"); empty: the default agent's main
  std::string text;
  std::vector<providers::ImagePart> images;
  std::string run_id;    // the caller's idempotencyKey; generated when empty
  std::string thinking;  // off | minimal | low | medium | high; empty: session/config default
  std::string model;     // "provider/model" for this run only; empty: session/config choice
  std::optional<core::QueueMode> queue_mode;  // empty: messages.queue for the channel
  std::string extra_system_prompt;
  std::optional<std::chrono::milliseconds> timeout;  // empty: agents.defaults.timeoutSeconds
  std::string channel = "webchat";  // where it came from: webchat, cli, openai-http ...
  // For chat channels: the account, the chat replies go to, and the thread, recorded on the
  // session as its delivery context.
  std::string account_id;
  std::string reply_to;
  std::string thread_id;
  std::optional<sessions::ChatType> chat_type;
  std::string display_name;
  std::string sender_id;  // the person's id on the channel (tool policy: toolsBySender)
  // The user entry for this run may already be in the transcript (a channel message resumed
  // after a restart): take it in only when no entry carries run_id yet.
  bool resume = false;
};

enum class RunStatus { queued, running, ok, error, aborted, timeout };
std::string_view to_string(RunStatus status);

struct RunOutcome {
  std::string run_id;
  std::string session_key;
  RunStatus status = RunStatus::queued;
  std::string text;          // the final reply (empty for silent replies and failures)
  std::string error;         // what went wrong and what to do, when status is error/timeout
  std::string error_reason;  // providers::FailoverReason name, or "config" / "internal"
  std::string provider;      // who answered (a fallback may differ from the chosen model)
  std::string model;
  std::string stop_reason;  // end_turn | tool_use | max_tokens | refusal | other | aborted
  providers::Usage usage;   // summed over the run's model calls
  double cost_usd = 0;
  int64_t started_at_ms = 0;
  int64_t ended_at_ms = 0;
  // Set when this run's message was steered or collected into another run: that run's id. The
  // outcome is the other run's; its reply answers both, so it is delivered once.
  std::string merged_into;
  bool finished() const { return status != RunStatus::queued && status != RunStatus::running; }
};

// One moment of a run, delivered on the I/O thread in order. Views are valid during the call.
struct RunEvent {
  enum class Kind {
    started,         // the turn took its lanes and is about to call the model
    text_delta,      // `text`: new assistant text; `accumulated`: the step's text so far
    thinking_delta,  // `text`: new reasoning text
    tool_started,    // `tool`: the call about to run
    tool_finished,   // `tool` and `tool_result` (`tool_error` when it failed)
    retrying,        // `text`: why (rate limit, fallback to another model ...)
    compacted,       // older turns were summarised; `text`: a short note
    finished,        // `outcome` is set (ok, error, aborted or timeout)
  };
  Kind kind = Kind::started;
  std::string_view run_id;
  std::string_view session_key;
  std::string_view text;
  std::string_view accumulated;
  const providers::ToolCallPart* tool = nullptr;
  std::string_view tool_result;
  bool tool_error = false;
  const RunOutcome* outcome = nullptr;
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void on_run_event(const RunEvent& event) = 0;
};

}  // namespace pincer::agent
