#pragma once
// ReplyStreamer: what a chat sees while the agent works on a channel message, and the reply when
// it is done. It watches the agent's run events for the runs channels started:
//
//   - typing: "typing…" at the start and every kTypingEvery until the run ends (apps expire it);
//   - streaming.mode "partial": the reply so far in one preview message, sent once the first
//     text arrives and edited at most once per kEditEvery (apps rate-limit edits); the final
//     reply then finishes that preview by editing it;
//   - "progress": one status preview ("Working…" plus the tools it ran), removed when the final
//     reply is sent as a new message;
//   - "block": whole blocks are sent as they complete (BlockChunker); the final delivery sends
//     only what is left;
//   - "off": only the final reply.
// The final reply (or the error a person should see) goes into the persisted outbound queue in
// the same transaction that marks its inbound answered. Previews are best effort: a failed edit
// is skipped, never retried, since the final reply replaces it anyway.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/block_chunker.hpp"
#include "agent/run_types.hpp"
#include "channels/channel.hpp"
#include "channels/delivery/outbound_queue.hpp"
#include "core/config.hpp"
#include "store/database_access.hpp"

namespace pincer::channels {

struct ReplyTarget {
  std::string channel;
  std::string account_id;
  OutboundTarget target;
  int64_t inbound_id = 0;
  core::StreamingMode streaming = core::StreamingMode::progress;
  std::string draft_message_id;  // a preview left by an earlier attempt (after a restart)
};

class ReplyStreamer final : public agent::RunObserver {
 public:
  using ChannelLookup = OutboundQueue::ChannelLookup;

  static constexpr std::chrono::milliseconds kTypingEvery{4000};
  static constexpr std::chrono::milliseconds kEditEvery{1000};
  static constexpr std::size_t kFirstPreviewChars = 24;

  ReplyStreamer(boost::asio::io_context& io, store::DatabaseAccess& database, OutboundQueue& queue,
                ChannelLookup lookup);
  ~ReplyStreamer() override;

  // Registers a run before it is submitted, so its first event finds the target.
  void expect(const std::string& run_id, ReplyTarget target);
  bool expecting(const std::string& run_id) const { return runs_.contains(run_id); }
  std::size_t active() const { return runs_.size(); }
  // From now on a run that ends aborted leaves its inbound open (resumed at the next start).
  void set_shutting_down() { shutting_down_ = true; }

  void on_run_event(const agent::RunEvent& event) override;

 private:
  struct Run;
  void start_typing(const std::shared_ptr<Run>& run);
  void update_preview(const std::shared_ptr<Run>& run);
  void finish(const std::shared_ptr<Run>& run, const agent::RunOutcome& outcome);

  boost::asio::io_context& io_;
  store::DatabaseAccess& database_;
  OutboundQueue& queue_;
  ChannelLookup lookup_;
  std::unordered_map<std::string, std::shared_ptr<Run>> runs_;
  bool shutting_down_ = false;
};

}  // namespace pincer::channels
