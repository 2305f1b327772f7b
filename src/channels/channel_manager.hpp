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
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>

#include "agent/agent_service.hpp"
#include "channels/channel.hpp"
#include "channels/delivery/outbound_media.hpp"
#include "core/config.hpp"
#include "core/http_client.hpp"
#include "core/result.hpp"
#include "store/database_access.hpp"

namespace pincer::channels {

class InboundPipeline;
class OutboundQueue;
class ReplyStreamer;

// A file to send: a local path or an http(s) URL, or the bytes themselves.
struct SendMedia {
  std::string source;  // path, file:// or http(s):// URL; empty when `bytes` holds the file
  std::string bytes;
  std::string file_name;     // what the recipient sees; empty: from the source
  std::string content_type;  // empty: from the download's header or the name
};

// A message an operator or tool sends on a channel (RPC `send`, `pincer message send`).
struct SendRequest {
  std::string channel;
  std::string account_id;  // empty: the channel's default account
  // Chat id ("telegram:" prefix accepted); "<chat>:topic:<id>" names a forum topic.
  std::string to;
  std::string thread_id;
  std::string reply_to;
  std::string text;  // markdown; may be empty when media is given (then it is the caption)
  std::vector<SendMedia> media;
  bool as_document = false;  // forceDocument
  bool silent = false;
};

// message.action: one channel action (send, react, edit, delete) with the message tool's
// parameter names.
struct ActionRequest {
  std::string channel;
  std::string account_id;
  std::string action;
  boost::json::object params;
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
  // `media_dir`: where outbound files are spooled (outbound/) and inbound ones saved (inbound/).
  ChannelManager(boost::asio::io_context& io, store::DatabaseAccess& database,
                 agent::AgentService& agent, core::Config config, std::filesystem::path media_dir);
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
  // The same after asking every running account's app whether its credentials work: each
  // account gets "probe" ({ok, elapsedMs, error?, bot?, webhook?}) and "lastProbeAt".
  boost::asio::awaitable<boost::json::object> probed_status_json(
      std::optional<std::string> only_channel, std::chrono::milliseconds timeout);

  Result<void> start_account(std::string_view channel, std::string_view account_id);
  boost::asio::awaitable<Result<void>> stop_account(std::string_view channel,
                                                    std::string_view account_id);
  boost::asio::awaitable<Result<void>> logout_account(std::string_view channel,
                                                      std::string_view account_id);

  // Queues a message and waits up to `wait` for the app to accept it.
  boost::asio::awaitable<Result<SendReceipt>> send(SendRequest request,
                                                   std::chrono::milliseconds wait);
  // message.action; the answer object for the caller.
  boost::asio::awaitable<Result<boost::json::object>> action(ActionRequest request);
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
  void apply_command_menu(Account& account);
  // channels.stop / channels.logout: stops the account (logout also removes its webhook) and
  // keeps it stopped across reloads until channels.start.
  boost::asio::awaitable<Result<void>> disconnect(std::string_view channel,
                                                  std::string_view account_id, bool logout);
  // The account a request names (or the default one); an error that says what to configure.
  Result<Account*> resolve_account(std::string_view channel, std::string_view account_id);
  // Copies the request's files into the outbox spool.
  boost::asio::awaitable<Result<std::vector<SpooledFile>>> spool_media(
      const std::vector<SendMedia>& media, std::size_t max_bytes, bool as_document);

  boost::asio::io_context& io_;
  store::DatabaseAccess& database_;
  agent::AgentService& agent_;
  core::Config config_;
  std::filesystem::path media_dir_;
  std::unique_ptr<core::HttpClient> http_;
  std::unique_ptr<OutboundQueue> outbound_;
  std::unique_ptr<ReplyStreamer> replies_;
  std::unique_ptr<InboundPipeline> pipeline_;
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Account>> accounts_;
  bool started_ = false;
};

}  // namespace pincer::channels
