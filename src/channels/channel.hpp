#pragma once
// A chat app connection, as the channel framework sees it. One Channel object is one account on
// one app (a Telegram bot, a Discord bot ...). It owns its transport (long polling, a gateway
// WebSocket, webhooks), reconnects with backoff by itself, turns the app's updates into
// InboundMessages for the framework, and sends what delivery hands it.
//
// Ordering promise a channel keeps: it hands inbound messages to the sink one at a time in the
// app's order, and acknowledges an update to the app (commits its offset) only after the sink
// returned, i.e. after the message was persisted. A crash can therefore redeliver an update, which
// the framework drops by its dedupe key, but never lose one.
//
// What a channel does not do: admission (pairing, allowlists, mention gating), routing, markdown
// rendering or chunking. It reports facts (who, where, mentioned or not) and sends finished parts.

#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "sessions/chat_type.hpp"

namespace pincer::channels {

// A file attached to an inbound message; fetched only when the agent needs it.
struct InboundMedia {
  std::string kind;  // photo | document | voice | audio | video | sticker
  std::string file_id;
  std::string mime_type;
  std::string file_name;
  int64_t size_bytes = 0;
};

struct InboundMessage {
  std::string channel;     // "telegram"
  std::string account_id;  // "default" unless configured otherwise
  // Unique per account for the life of the app's retention (Telegram: "u:<update_id>"); a second
  // message with the same key is a redelivery and is dropped.
  std::string dedupe_key;
  std::string message_id;  // the app's id of the message in its chat
  sessions::ChatType chat_type = sessions::ChatType::direct;
  std::string chat_id;    // where replies go
  std::string thread_id;  // forum topic or thread; empty when none
  bool thread_is_topic = false;
  std::string chat_title;
  std::string sender_id;
  std::string sender_name;      // display name
  std::string sender_username;  // without "@"
  std::string text;             // text or caption
  std::vector<InboundMedia> media;
  std::string reply_to_message_id;
  bool reply_to_bot = false;  // a reply to one of the bot's messages (an implicit mention)
  bool mentions_bot = false;  // a native mention of the bot (an @username entity, a ping)
  bool is_command = false;    // a slash command addressed to the bot
  int64_t sent_at_ms = 0;

  boost::json::object to_json() const;
  static std::optional<InboundMessage> from_json(const boost::json::object& object);
};

// The markup a channel renders.
enum class Markup { plain, telegram_html, slack_mrkdwn, discord_markdown };

struct ChannelCapabilities {
  std::size_t max_text_length = 4000;  // per message, as the app counts it
  Markup markup = Markup::plain;
  bool edit = false;  // can edit a sent message (streamed previews)
  bool threads = false;
  bool reactions = false;
  bool typing = false;
  bool media = false;
  std::string markdown_tables;  // how tables render (markdown.tables); empty: the default
  std::string response_prefix;  // prepended to every reply (responsePrefix)
};

// One message as it goes out: already rendered and within the channel's limit.
struct OutboundPart {
  std::string text;      // in the channel's markup
  std::string fallback;  // the same part as plain text, for a markup the app refuses
};

struct OutboundTarget {
  std::string chat_id;
  std::string thread_id;
  std::string reply_to_message_id;  // empty: not a reply
};

// Why a send failed, and whether trying again can help.
struct SendError {
  enum class Kind {
    retry,         // network, 5xx: try again with backoff
    rate_limited,  // the app asked to wait `retry_after`
    bad_markup,    // the app refused the markup; send the plain fallback instead
    not_modified,  // an edit that changed nothing (not an error for a preview)
    gone,          // the message or chat no longer exists; stop trying
    permanent,     // forbidden, bad request ...: stop trying
  };
  Kind kind = Kind::retry;
  std::string message;  // what happened and what to do; never holds a secret
  std::optional<std::chrono::milliseconds> retry_after;
};

template <class T>
using SendResult = std::expected<T, SendError>;

struct SentMessage {
  std::string message_id;
};

// A file going out. The outbound queue reads it from its spool copy and hands the bytes over,
// so a channel never touches the disk.
struct OutboundMedia {
  std::string bytes;
  std::string file_name;
  std::string content_type;  // "image/jpeg" ...; empty: application/octet-stream
  bool as_document = false;  // never as a photo/video, even when the type would allow it
  bool silent = false;       // no notification sound
};

// An inbound file, fetched for the agent.
struct FetchedMedia {
  std::string bytes;
  std::string content_type;  // what the app reported, else guessed from the name
  std::string file_name;
};

// What `channels.status {probe: true}` learns by asking the app right now.
struct ProbeResult {
  bool ok = false;
  int64_t elapsed_ms = 0;
  std::string error;           // what failed and what to do, when not ok
  boost::json::object detail;  // channel specific ("bot": {...}, "webhook": {...})
};

// What channels.status shows for one account.
struct ChannelStatus {
  bool configured = false;
  bool enabled = false;
  bool running = false;
  bool connected = false;
  std::string mode;  // "polling" | "webhook" | ...
  std::string last_error;
  int64_t reconnect_attempts = 0;
  std::optional<int64_t> last_connected_at_ms;
  std::optional<int64_t> last_start_at_ms;
  std::optional<int64_t> last_stop_at_ms;
  std::optional<int64_t> last_inbound_at_ms;
  std::optional<int64_t> last_outbound_at_ms;
  std::string bot_username;  // the app's name for the bot, once known
  std::string token_source;  // "config" | "tokenFile" | "env" | "none"
};

// Where a channel hands what it receives. Implemented by the framework (InboundPipeline).
class InboundSink {
 public:
  virtual ~InboundSink() = default;
  // Persists the message (or recognises a redelivery) and returns once it is durable; the
  // channel acknowledges the update to the app only after that. False: it could not be stored,
  // so the channel must not acknowledge it and should retry later.
  virtual boost::asio::awaitable<bool> accept(InboundMessage message) = 0;
};

class Channel {
 public:
  virtual ~Channel() = default;

  virtual std::string_view id() const = 0;  // "telegram"
  virtual const std::string& account_id() const = 0;
  virtual ChannelCapabilities capabilities() const = 0;
  virtual ChannelStatus status() const = 0;

  // Starts receiving in the background (returns at once); reconnects with backoff until stop().
  virtual void start() = 0;
  // Stops receiving and waits for the receive loop to end. Sends already running finish.
  virtual boost::asio::awaitable<void> stop() = 0;

  virtual boost::asio::awaitable<SendResult<SentMessage>> send(const OutboundTarget& target,
                                                               const OutboundPart& part,
                                                               bool use_fallback) = 0;
  // Replaces the text of a message the bot sent (a streamed preview).
  virtual boost::asio::awaitable<SendResult<void>> edit(const OutboundTarget& target,
                                                        std::string_view message_id,
                                                        const OutboundPart& part,
                                                        bool use_fallback) = 0;
  virtual boost::asio::awaitable<SendResult<void>> remove(const OutboundTarget& target,
                                                          std::string_view message_id) = 0;
  // "typing…" while the agent works; apps expire it after a few seconds, so callers repeat it.
  virtual boost::asio::awaitable<SendResult<void>> typing(const OutboundTarget& target) = 0;
  virtual boost::asio::awaitable<SendResult<void>> react(const OutboundTarget& target,
                                                         std::string_view message_id,
                                                         std::string_view emoji) = 0;

  // Sends a file, with `caption` (already rendered and within the caption limit) when given.
  // The default refuses: a channel without media support.
  virtual boost::asio::awaitable<SendResult<SentMessage>> send_media(const OutboundTarget& target,
                                                                     const OutboundMedia& media,
                                                                     const OutboundPart* caption,
                                                                     bool use_fallback);
  // The longest caption a file may carry; 0 when captions are not supported.
  virtual std::size_t max_caption_length() const { return 0; }
  // Downloads an inbound file, at most `max_bytes`. The default refuses.
  virtual boost::asio::awaitable<std::expected<FetchedMedia, std::string>> fetch_media(
      const InboundMedia& media, std::size_t max_bytes);
  // Asks the app whether the credentials work (channels.status with probe).
  virtual boost::asio::awaitable<ProbeResult> probe(std::chrono::milliseconds timeout);
};

}  // namespace pincer::channels
