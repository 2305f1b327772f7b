#include "sessions/session_queue.hpp"

#include <algorithm>
#include <cassert>
#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include "core/log.hpp"

namespace pincer::sessions {

namespace asio = boost::asio;
using std::chrono::steady_clock;

namespace {
// Summaries kept for the next turn: at least this many, or `cap` if larger (a flood of drops
// must not grow the note without bound).
constexpr std::size_t kMinSummaryLines = 20;
}  // namespace

struct SessionQueue::SessionState {
  std::deque<InboundMessage> pending;
  std::size_t dropped = 0;
  std::vector<std::string> dropped_summaries;
  QueueSettings settings;
  steady_clock::time_point last_arrival{};
  RunControl* active = nullptr;    // the run in flight, if any
  bool skip_quiet_window = false;  // interrupt: run the newest at once
};

SessionQueue::SessionQueue(asio::any_io_executor executor, LaneRegistry& lanes, RunTurn run_turn,
                           GlobalLane lane)
    : executor_(std::move(executor)), lanes_(lanes), run_turn_(std::move(run_turn)), lane_(lane) {
  assert(run_turn_ && "a SessionQueue needs a turn runner");
}

SessionQueue::~SessionQueue() {
  // A drain still alive would resume into a destroyed queue.
  assert(sessions_.empty() && "destroy the SessionQueue only after its drains finished");
}

EnqueueResult SessionQueue::enqueue(std::string_view session_key, InboundMessage message,
                                    const QueueSettings& settings) {
  auto it = sessions_.find(session_key);
  const bool fresh = it == sessions_.end();
  if (fresh) {
    it = sessions_.emplace(std::string(session_key), std::make_unique<SessionState>()).first;
  }
  SessionState& state = *it->second;
  state.settings = settings;
  state.settings.cap = std::max<std::size_t>(1, settings.cap);
  state.last_arrival = steady_clock::now();

  EnqueueResult result;
  RunControl* active = state.active;
  if (active != nullptr && !active->aborted()) {
    if (settings.mode == QueueMode::steer && active->accepts_steering()) {
      active->steer(std::move(message));
      result.outcome = EnqueueOutcome::steered;
      return result;
    }
    if (settings.mode == QueueMode::interrupt) {
      // The newest message replaces both the run and whatever waited behind it.
      result.dropped = state.pending.size();
      state.pending.clear();
      state.dropped = 0;
      state.dropped_summaries.clear();
      result.dropped += active->take_unread().size();
      state.pending.push_back(std::move(message));
      state.skip_quiet_window = true;
      active->abort();
      result.outcome = EnqueueOutcome::interrupted;
      return result;
    }
  }

  bool rejected = false;
  result.dropped = make_room(state, rejected);
  if (rejected) {
    result.outcome = EnqueueOutcome::rejected;
    if (fresh) {
      sessions_.erase(it);  // cannot happen with cap >= 1, but never leave an empty state
    }
    return result;
  }
  state.pending.push_back(std::move(message));
  if (fresh) {
    start_drain(session_key, state);
  }
  return result;
}

std::size_t SessionQueue::make_room(SessionState& state, bool& rejected) {
  std::size_t dropped = 0;
  while (state.pending.size() >= state.settings.cap) {
    switch (state.settings.drop) {
      case QueueDrop::new_:
        rejected = true;
        return dropped;
      case QueueDrop::summarize:
        state.dropped_summaries.push_back(summarize_dropped(state.pending.front()));
        if (state.dropped_summaries.size() > std::max(state.settings.cap, kMinSummaryLines)) {
          state.dropped_summaries.erase(state.dropped_summaries.begin());
        }
        break;
      case QueueDrop::old:
        break;
    }
    state.pending.pop_front();
    ++state.dropped;
    ++dropped;
  }
  return dropped;
}

void SessionQueue::start_drain(std::string_view session_key, SessionState& state) {
  auto on_done = [key = std::string(session_key)](std::exception_ptr failure) {
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        log::error("sessions", "queue for {} stopped: {}", key, e.what());
      }
    }
  };
  asio::co_spawn(executor_, drain(std::string(session_key), &state), std::move(on_done));
}

asio::awaitable<void> SessionQueue::drain(std::string session_key, SessionState* state) {
  bool after_run = false;
  while (!state->pending.empty()) {
    if (after_run && !state->skip_quiet_window) {
      co_await wait_quiet_window(*state);
    }
    state->skip_quiet_window = false;
    // A sub-agent's session runs in the subagent lane whatever queue it came through, so a
    // parent waiting for its child never holds the slot the child needs.
    GlobalLane lane =
        session_key.find(":subagent:") != std::string::npos ? GlobalLane::subagent : lane_;
    TurnPermit permit = co_await lanes_.enter(session_key, lane);
    if (state->pending.empty()) {
      break;  // abort_session() emptied the queue while we waited
    }
    TurnInput input = take_turn(session_key, *state);
    RunControl control;
    state->active = &control;
    try {
      co_await asio::co_spawn(
          executor_, run_turn_(input, control),
          asio::bind_cancellation_slot(control.abort_slot(), asio::use_awaitable));
    } catch (const boost::system::system_error& e) {
      if (!(control.aborted() && e.code() == asio::error::operation_aborted)) {
        log::warn("sessions", "turn for {} failed: {}", session_key, e.what());
      }
    } catch (const std::exception& e) {
      log::warn("sessions", "turn for {} failed: {}", session_key, e.what());
    }
    state->active = nullptr;
    // Steered messages the run never read go first: they arrived before anything still queued.
    std::deque<InboundMessage> unread = control.take_unread();
    state->pending.insert(state->pending.begin(), std::make_move_iterator(unread.begin()),
                          std::make_move_iterator(unread.end()));
    after_run = true;
  }
  sessions_.erase(session_key);  // `state` dies here; nothing below may touch it
}

asio::awaitable<void> SessionQueue::wait_quiet_window(SessionState& state) {
  asio::steady_timer timer(executor_);
  while (!state.skip_quiet_window) {
    auto due = state.last_arrival + state.settings.debounce;
    if (steady_clock::now() >= due) {
      break;
    }
    timer.expires_at(due);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

TurnInput SessionQueue::take_turn(std::string_view session_key, SessionState& state) {
  TurnInput input;
  input.session_key = std::string(session_key);
  input.dropped = std::exchange(state.dropped, 0);
  input.dropped_summaries = std::exchange(state.dropped_summaries, {});
  std::size_t count = 1;
  if (state.settings.mode == QueueMode::collect) {
    const std::string& route = state.pending.front().route;
    while (count < state.pending.size() && state.pending[count].route == route) {
      ++count;
    }
  }
  input.messages.assign(
      std::make_move_iterator(state.pending.begin()),
      std::make_move_iterator(state.pending.begin() + static_cast<std::ptrdiff_t>(count)));
  state.pending.erase(state.pending.begin(),
                      state.pending.begin() + static_cast<std::ptrdiff_t>(count));
  return input;
}

std::size_t SessionQueue::abort_session(std::string_view session_key) {
  auto it = sessions_.find(session_key);
  if (it == sessions_.end()) {
    return 0;
  }
  SessionState& state = *it->second;
  std::size_t dropped = state.pending.size();
  state.pending.clear();
  state.dropped = 0;
  state.dropped_summaries.clear();
  if (state.active != nullptr) {
    dropped += state.active->take_unread().size();
    state.active->abort();
  }
  return dropped;
}

void SessionQueue::abort_all() {
  for (auto& [key, state] : sessions_) {
    abort_session(key);
  }
}

bool SessionQueue::running(std::string_view session_key) const {
  auto it = sessions_.find(session_key);
  return it != sessions_.end() && it->second->active != nullptr;
}

std::size_t SessionQueue::queued(std::string_view session_key) const {
  auto it = sessions_.find(session_key);
  return it == sessions_.end() ? 0 : it->second->pending.size();
}

}  // namespace pincer::sessions
