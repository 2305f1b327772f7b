#pragma once
// ChannelManager: the channel framework as the gateway sees it. It builds one Channel per
// configured account (channels.telegram and its accounts), starts the enabled ones, and owns the
// pieces between them and the agent: the inbound pipeline (persist, admit, route, submit), the
// reply streamer (typing, previews, final replies) and the outbound queue (persisted delivery).
//
// Lifecycle: start() starts accounts, resumes messages a crash left unanswered and starts
// delivery; update_config() restarts only accounts whose settings changed (policy changes apply
// to the next message without a restart); stop() stops receiving, then delivery. An account
// stopped by channels.stop stays stopped across config reloads until channels.start.
//
// Threading: I/O thread only.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "agent/agent_service.hpp"
#include "channels/channel.hpp"
#include "core/config.hpp"
#include "core/http_client.hpp"
#include "core/result.hpp"
#include "store/database_access.hpp"

namespace pincer::channels {

class InboundPipeline;
class OutboundQueue;
class ReplyStreamer;

// A message an operator or tool sends on a channel (RPC `send`, `pincer message send`).
struct SendRequest {
  std::string channel;
  std::string account_id;  // empty: the channel's default account
  std::string to;          // chat id ("telegram:" prefix accepted)
  std::string thread_id;
  std::string reply_to;
  std::string text;  // markdown
};

struct SendReceipt {
  std::string channel;
  std::string account_id;
  std::string to;
  int64_t queue_id = 0;
  std::optional<std::string> message_id;  // set when the app accepted it within the wait
};

struct WebhookReply {
  int status = 404;
  std::string body;
};

class ChannelManager {
 public:
  ChannelManager(boost::asio::io_context& io, store::DatabaseAccess& database,
                 agent::AgentService& agent, core::Config config);
  ChannelManager(const ChannelManager&) = delete;
  ChannelManager& operator=(const ChannelManager&) = delete;
  ~ChannelManager();

  void start();
  // Shutdown is coming: runs aborted from now on leave their messages open for the next start.
  void prepare_stop();
  boost::asio::awaitable<void> stop();
  void update_config(core::Config config);

  // channels.status: the reference's ChannelsStatusResult shape.
  boost::json::object status_json(std::optional<std::string> only_channel) const;

  Result<void> start_account(std::string_view channel, std::string_view account_id);
  boost::asio::awaitable<Result<void>> stop_account(std::string_view channel,
                                                    std::string_view account_id);
  boost::asio::awaitable<Result<void>> logout_account(std::string_view channel,
                                                      std::string_view account_id);

  // Queues a message and waits up to `wait` for the app to accept it.
  boost::asio::awaitable<Result<SendReceipt>> send(SendRequest request,
                                                   std::chrono::milliseconds wait);
  // Tells a sender their pairing request was approved (best effort, through the queue).
  boost::asio::awaitable<Result<void>> notify(std::string_view channel, std::string_view account_id,
                                              std::string_view to, std::string text);

  // A POST to `path` on the gateway port: a channel's webhook, or nullopt when no channel
  // serves that path.
  std::optional<boost::asio::awaitable<WebhookReply>> webhook(std::string_view path,
                                                              std::string_view secret_header,
                                                              std::string body);

  Channel* find(std::string_view channel, std::string_view account_id);
  bool is_known_channel(std::string_view channel) const;
  std::string default_account(std::string_view channel) const;

  InboundPipeline& pipeline() { return *pipeline_; }
  OutboundQueue& outbound() { return *outbound_; }

 private:
  struct Account;
  void build_accounts();
  void start_account_now(Account& account);

  boost::asio::io_context& io_;
  store::DatabaseAccess& database_;
  agent::AgentService& agent_;
  core::Config config_;
  std::unique_ptr<core::HttpClient> http_;
  std::unique_ptr<OutboundQueue> outbound_;
  std::unique_ptr<ReplyStreamer> replies_;
  std::unique_ptr<InboundPipeline> pipeline_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Account>> accounts_;
  bool started_ = false;
};

}  // namespace pincer::channels
