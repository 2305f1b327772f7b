#pragma once
// OutboundQueue: the delivery worker. Every reply, notice and `send` goes through the persisted
// channel_outbound table and leaves it only once the chat app accepted it, so a crash or an app
// outage delays messages instead of losing them.
//
// One coroutine drains due rows in id order. A row is rendered for its channel (markdown ->
// markup, cut at the channel's limit), and its parts are sent one by one; progress is recorded
// after each part, so a restart resumes after the last part the app accepted (the part in flight
// at a crash may arrive twice; the app offers no idempotency key to prevent that). A reply that
// has a streamed preview finishes by editing it. When the app refuses the markup, the same part is
// sent as plain text. Rate limits wait the app's retry_after; network and server errors back off
// exponentially (1 s doubling to 5 min) and keep trying for kGiveUpAfter; permanent errors
// (forbidden, chat gone) drop the row with a warning. A failing row holds back later rows for the
// same chat, so a chat never sees its messages out of order.
//
// Files (outbound_media.hpp) go after the text; a text that fits a caption rides on the first
// file instead. The spool copies are removed when the row leaves the queue.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "channels/channel.hpp"
#include "channels/delivery/outbound_media.hpp"
#include "core/result.hpp"
#include "store/channel_queue_store.hpp"
#include "store/database_access.hpp"

namespace pincer::channels {

class OutboundQueue {
 public:
  // Finds the running channel for an account; null when it is not running (rows wait).
  using ChannelLookup = std::function<Channel*(std::string_view channel, std::string_view account)>;

  static constexpr std::chrono::milliseconds kFirstBackoff{1000};
  static constexpr std::chrono::milliseconds kMaxBackoff{300'000};
  static constexpr std::chrono::hours kGiveUpAfter{48};
  // How long the queue stays empty after a send before free heap is returned to the OS.
  static constexpr std::chrono::seconds kQuietBeforeRelease{2};

  OutboundQueue(boost::asio::io_context& io, store::DatabaseAccess& database, ChannelLookup lookup);
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;

  void start();
  boost::asio::awaitable<void> stop();
  // Something was queued or a channel came up: look at the table now.
  void wake();

  // Queues a message (and, when set, marks the inbound it answers) and wakes the worker.
  boost::asio::awaitable<Result<int64_t>> enqueue(store::OutboundRow row,
                                                  std::optional<int64_t> answered_inbound_id);

  // Sends one part now, outside the queue (previews and notices that may be lost).
  static boost::asio::awaitable<SendResult<SentMessage>> send_part(Channel& channel,
                                                                   const OutboundTarget& target,
                                                                   const OutboundPart& part);

  // The app's id of the first message of row `queue_id` once it was sent, or nullopt after
  // `timeout` (the row stays queued) or when the row was dropped.
  boost::asio::awaitable<std::optional<std::string>> wait_delivered(
      int64_t queue_id, std::chrono::milliseconds timeout);

  int64_t sent_count() const { return sent_; }

 private:
  boost::asio::awaitable<void> run();
  // Delivers as much of `row` as it can. Returns when the row is done (sent or dropped) or has
  // been rescheduled.
  enum class Outcome { done, rescheduled, waiting };
  boost::asio::awaitable<Outcome> deliver(store::OutboundRow& row);
  // Reads a spooled file (off the I/O thread) and sends it, with the plain caption when the
  // app refuses the markup.
  boost::asio::awaitable<SendResult<SentMessage>> send_file(Channel& channel,
                                                            const OutboundTarget& target,
                                                            const SpooledFile& file,
                                                            const OutboundPart* caption,
                                                            bool silent);
  boost::asio::awaitable<void> discard_files(const std::vector<SpooledFile>& files);

  boost::asio::io_context& io_;
  store::DatabaseAccess& database_;
  ChannelLookup lookup_;
  boost::asio::steady_timer wake_timer_;
  bool running_ = false;
  bool stopping_ = false;
  bool busy_ = false;
  bool woken_ = false;
  int64_t sent_ = 0;
  int64_t sent_at_release_ = 0;
  std::chrono::steady_clock::time_point last_sent_at_{};
  std::optional<boost::asio::steady_timer> done_;  // stop() waits on it
  struct Waiter {
    boost::asio::steady_timer timer;
    std::optional<std::string> message_id;
  };
  std::map<int64_t, std::shared_ptr<Waiter>> waiters_;
  void settle(int64_t queue_id, std::optional<std::string> message_id);
};

}  // namespace pincer::channels
