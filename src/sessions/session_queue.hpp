#pragma once
// The inbound queue in front of each session: decides what a message does when it arrives
// while the session already has a run in flight (QueueSettings::mode), and drains queued
// messages into turns that go through the command lanes (LaneRegistry::enter).
//
// Design notes
// - One drain coroutine per session with work; it exists only while the session has queued
//   messages or a run, so idle sessions cost nothing. It takes the session lane and the global
//   lane for each turn, then hands the turn to `run_turn` (the agent runner, abstract here).
// - Ordering: a session's messages run in arrival order (collect merges consecutive messages of
//   one route into one turn); steered messages the run did not read go back to the front of the
//   queue when it ends, ahead of later arrivals.
// - The first message of an idle session starts at once; queued followups and collect batches
//   wait for a quiet window (`debounce` since the last arrival) after the previous run.
// - interrupt aborts the active run (RunControl::abort: cancellation of the run's coroutine),
//   drops what was queued behind it and runs the newest message next, without the debounce.
// - A run that throws is logged and the queue carries on; its lane permits are released by
//   RAII either way.
// - Threading: everything on the I/O thread, as for lanes. The queue must outlive its drains:
//   call abort_all() and let the io_context run dry before destroying it.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "sessions/lane_registry.hpp"
#include "sessions/queue_settings.hpp"
#include "sessions/run_control.hpp"

namespace pincer::sessions {

// Runs one turn. `input` and `control` stay valid until the returned awaitable completes.
using RunTurn = std::function<boost::asio::awaitable<void>(TurnInput& input, RunControl& control)>;

enum class EnqueueOutcome {
  queued,       // will run as (part of) a turn: now if the session was idle, else after
  steered,      // handed to the active run's steering mailbox
  interrupted,  // the active run was aborted; this message runs next
  rejected,     // the queue was full and drop is "new"
};

struct EnqueueResult {
  EnqueueOutcome outcome = EnqueueOutcome::queued;
  std::size_t dropped = 0;  // older queued messages dropped to make room
};

class SessionQueue {
 public:
  SessionQueue(boost::asio::any_io_executor executor, LaneRegistry& lanes, RunTurn run_turn,
               GlobalLane lane = GlobalLane::main);
  SessionQueue(const SessionQueue&) = delete;
  SessionQueue& operator=(const SessionQueue&) = delete;
  ~SessionQueue();

  // Accepts a message for `session_key` under `settings` (the latest settings also govern how
  // the session's queue drains). Never blocks or suspends.
  EnqueueResult enqueue(std::string_view session_key, InboundMessage message,
                        const QueueSettings& settings);

  // /stop, chat.abort without a runId: drops the session's queued messages first, then aborts
  // its active run. Returns how many queued messages were dropped.
  std::size_t abort_session(std::string_view session_key);
  // Shutdown: abort_session() for every session.
  void abort_all();

  bool running(std::string_view session_key) const;
  std::size_t queued(std::string_view session_key) const;
  // Sessions with queued messages or a run in flight.
  std::size_t session_count() const { return sessions_.size(); }

 private:
  struct SessionState;
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };

  boost::asio::awaitable<void> drain(std::string session_key, SessionState* state);
  boost::asio::awaitable<void> wait_quiet_window(SessionState& state);
  TurnInput take_turn(std::string_view session_key, SessionState& state);
  std::size_t make_room(SessionState& state, bool& rejected);
  void start_drain(std::string_view session_key, SessionState& state);

  boost::asio::any_io_executor executor_;
  LaneRegistry& lanes_;
  RunTurn run_turn_;
  GlobalLane lane_;
  std::unordered_map<std::string, std::unique_ptr<SessionState>, StringHash, std::equal_to<>>
      sessions_;
};

}  // namespace pincer::sessions
