#pragma once
// What a running turn sees of the queue around it: the messages to run, a steering mailbox
// that later messages drop into (steer mode), and whether it was aborted (interrupt mode,
// /stop). The agent runner polls take_steering() at each model call and before each tool
// launch; whatever it has not taken when the turn ends becomes a followup turn, so nothing
// handed to a run is lost.

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include <boost/asio/cancellation_signal.hpp>

namespace pincer::sessions {

struct InboundMessage {
  std::string id;  // the sender's handle for it (chat.send runId, channel message id)
  std::string text;
  std::string route;  // where replies go (channel/account/thread); collect merges one route only
};

// The input of one turn: one message, or several that collect mode coalesced, plus a note of
// messages the queue dropped at its cap (drop "summarize") for the runner to mention.
struct TurnInput {
  std::string session_key;
  std::vector<InboundMessage> messages;
  std::size_t dropped = 0;                     // how many were dropped since the last turn
  std::vector<std::string> dropped_summaries;  // one line each, newest kept (max(cap, 20))
};

// One line for a dropped message: its first line, cut to about 100 characters.
std::string summarize_dropped(const InboundMessage& message);

class RunControl {
 public:
  RunControl() = default;
  RunControl(const RunControl&) = delete;
  RunControl& operator=(const RunControl&) = delete;

  // Steering. A run that cannot take steering now (not streaming, compaction) says so, and
  // new messages queue as followups instead.
  bool accepts_steering() const noexcept { return accepts_steering_; }
  void set_accepts_steering(bool accepts) noexcept { accepts_steering_ = accepts; }
  bool has_steering() const noexcept { return !mailbox_.empty(); }
  // Everything steered in so far, oldest first; the mailbox is empty afterwards.
  std::vector<InboundMessage> take_steering();

  // True once the run was aborted. The queue also emits a terminal cancellation on the run's
  // coroutine, so its pending awaits fail with operation_aborted; polling this is for loops
  // between awaits.
  bool aborted() const noexcept { return aborted_; }

  // Used by SessionQueue.
  void steer(InboundMessage message) { mailbox_.push_back(std::move(message)); }
  void abort();
  boost::asio::cancellation_slot abort_slot() { return abort_signal_.slot(); }
  // What the run left unread, for the followup queue.
  std::deque<InboundMessage> take_unread() { return std::move(mailbox_); }

 private:
  std::deque<InboundMessage> mailbox_;
  bool accepts_steering_ = true;
  bool aborted_ = false;
  boost::asio::cancellation_signal abort_signal_;
};

}  // namespace pincer::sessions
