#pragma once
// Agent runs as the gateway protocol shows them: every RunEvent becomes `agent` events
// (streams `lifecycle`, `assistant`, `thinking`, `tool`) and `chat` events (`delta`, `final`,
// `error`, `aborted`), broadcast to operators with read access. Each run numbers its own events
// (`seq`), so a client can tell a gap from a reordering.
//
// Text deltas are coalesced: at most one `assistant`/`delta` pair per run per kDeltaInterval,
// each carrying the text since the previous one, so a fast model does not make every client
// parse a frame per token. Held text goes out when the interval ends (a timer, so a model that
// stalls mid-sentence still shows what it said), before a tool starts and before the terminal
// event; the `final` event carries the whole reply anyway.

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include "agent/run_types.hpp"

namespace pincer::gateway {

class Gateway;

class RunEventBroadcaster final : public agent::RunObserver {
 public:
  explicit RunEventBroadcaster(Gateway& gateway) : gateway_(gateway) {}

  void on_run_event(const agent::RunEvent& event) override;

  static constexpr std::chrono::milliseconds kDeltaInterval{100};

 private:
  struct RunState {
    std::string run_id;
    std::string session_key;
    int64_t seq = 0;
    int64_t started_at_ms = 0;
    std::string pending;      // text not yet sent
    std::string accumulated;  // the current step's text so far
    std::chrono::steady_clock::time_point last_sent{};
    std::unique_ptr<boost::asio::steady_timer> flush_timer;  // armed while text is held
  };

  void flush(const agent::RunEvent& event, RunState& run);
  void flush_later(RunState& run, std::chrono::steady_clock::duration delay);
  void send_agent(const agent::RunEvent& event, RunState& run, std::string_view stream,
                  boost::json::object data);
  void send_chat(const agent::RunEvent& event, RunState& run, boost::json::object payload);

  Gateway& gateway_;
  std::unordered_map<std::string, RunState> runs_;
};

// The `chat` payload pieces other methods reuse (agent.wait's terminal snapshot, send).
boost::json::object assistant_message(std::string_view text, int64_t timestamp_ms);
// chat error `errorKind` for a run's error_reason.
std::string_view chat_error_kind(std::string_view error_reason);

}  // namespace pincer::gateway
