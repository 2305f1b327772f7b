#pragma once
// InboundPipeline: what happens to a message a channel received, in order:
//
//   1. persist   the message goes into channel_inbound under its dedupe key (one transaction);
//                a redelivered update stops here. The channel acknowledges the update to the
//                app only after this, so nothing received is lost and nothing runs twice.
//   2. admit     DM policy, allowFrom, pairing, group policy, mention gating (admission.hpp).
//                An unknown DM sender under `pairing` gets a one-time code; nothing reaches the
//                agent until the owner approves it.
//   3. route     agent and session key (sessions/agent_routing.hpp).
//   4. fetch     files the message carries are downloaded (up to mediaMaxMb) into
//                <state>/media/inbound; images also go to the model, and the agent is told
//                where each file is.
//   5. submit    a ChatRequest with a run id derived from the dedupe key, so a message resumed
//                after a restart is the same run (the agent then skips taking it in again).
//
// Messages are processed one at a time in arrival order, so a chat's turns queue in the order
// people wrote them. On start, recover() re-runs steps 2-5 for every message a crash left open.

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "agent/agent_service.hpp"
#include "channels/channel.hpp"
#include "channels/delivery/outbound_queue.hpp"
#include "channels/reply_streamer.hpp"
#include "core/config.hpp"
#include "store/database_access.hpp"

namespace pincer::channels {

class InboundPipeline final : public InboundSink {
 public:
  // Whatever the pipeline needs to know about the account a message arrived on.
  struct AccountView {
    const core::TelegramAccountConfig* telegram = nullptr;
    std::string bot_username;
    Channel* connection = nullptr;  // null while the account is not running
  };
  using AccountLookup =
      std::function<std::optional<AccountView>(std::string_view channel, std::string_view account)>;

  InboundPipeline(boost::asio::io_context& io, store::DatabaseAccess& database,
                  agent::AgentService& agent, OutboundQueue& outbound, ReplyStreamer& replies,
                  AccountLookup accounts, std::filesystem::path inbound_media_dir);

  void update_config(core::Config config) { config_ = std::move(config); }

  boost::asio::awaitable<bool> accept(InboundMessage message) override;
  // Takes the messages a crash left open back into processing (oldest first).
  boost::asio::awaitable<void> recover();

  int64_t accepted() const { return accepted_; }
  int64_t duplicates() const { return duplicates_; }
  int64_t dropped() const { return dropped_; }

  // The run id a channel message's turn gets.
  static std::string run_id_for(const InboundMessage& message);

 private:
  struct Pending {
    int64_t inbound_id = 0;
    InboundMessage message;
    std::string draft_message_id;
    bool resumed = false;
  };
  void push(Pending pending);
  boost::asio::awaitable<void> drain();
  boost::asio::awaitable<void> process(Pending pending);
  // Downloads the message's files into the inbound media folder; images also go to the model.
  // Returns the lines that tell the agent where each file is (or why it is missing).
  boost::asio::awaitable<std::string> fetch_media(const InboundMessage& message,
                                                  const AccountView& account,
                                                  std::vector<providers::ImagePart>& images);
  boost::asio::awaitable<void> mark(int64_t inbound_id, std::string_view state,
                                    std::string_view run_id = {},
                                    std::string_view session_key = {});

  boost::asio::io_context& io_;
  store::DatabaseAccess& database_;
  agent::AgentService& agent_;
  OutboundQueue& outbound_;
  ReplyStreamer& replies_;
  AccountLookup accounts_;
  std::filesystem::path inbound_media_dir_;
  core::Config config_;
  std::deque<Pending> queue_;
  bool draining_ = false;
  int64_t accepted_ = 0;
  int64_t duplicates_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace pincer::channels
