#pragma once
// What happens to a message that arrives while its session already has a run in flight
// (the reference's messages.queue / per-session `/queue`). Plain values: the caller resolves
// config precedence (session override, byChannel, global, defaults) and hands one of these to
// SessionQueue::enqueue(). The modes and drop policies are config's own enums (core/config.hpp):
//   steer      hand the message to the active run at its next model/tool boundary
//   followup   queue it; run each queued message as its own turn after the current one
//   collect    queue it; coalesce everything queued into one turn after a quiet window
//   interrupt  abort the active run and run the newest message
// and, when the queue is at its cap: old (drop the oldest), new_ (refuse the new message),
// summarize (drop the oldest but keep a one-line summary for the next turn).

#include <chrono>
#include <cstddef>
#include <string_view>

#include "core/config.hpp"

namespace pincer::sessions {

using QueueMode = core::QueueMode;
using QueueDrop = core::QueueDrop;

struct QueueSettings {
  QueueMode mode = QueueMode::steer;
  // Quiet window before queued followups/collect batches drain (time since the last arrival).
  std::chrono::milliseconds debounce{500};
  std::size_t cap = 20;  // max queued messages per session; values below 1 read as 1
  QueueDrop drop = QueueDrop::summarize;
};

// The settings for a message on `channel` per config (messages.queue: byChannel and
// debounceMsByChannel over the global values).
QueueSettings queue_settings_for(const core::QueueConfig& config, std::string_view channel);

}  // namespace pincer::sessions
