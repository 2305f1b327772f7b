#pragma once
// A fake Telegram Bot API server on 127.0.0.1 for tests, built from the public Bot API
// documentation: /bot<token>/<method> (GET query, JSON, form-urlencoded or multipart bodies) and
// /file/bot<token>/<path> downloads, answering {"ok":true,"result":...} or
// {"ok":false,"error_code":N,"description":...} with the HTTP status equal to error_code.
//
// What it keeps like Telegram: an update queue confirmed by getUpdates offsets (long polls are
// held until an update arrives or the timeout passes; a newer getUpdates ends an older pending
// one with 409), webhooks (each pending update POSTed in order to an http://127.0.0.1 URL with
// the secret header, retried until a 2xx), chats whose message ids increase per chat, HTML
// parse_mode validated and turned into entities, files uploaded by multipart or registered by
// the test. What it does not do: MarkdownV2 (answered as an unsupported parse_mode), inline
// mode, payments, HTTPS, fetching photo URLs.
//
// Runs its own io_context thread, so tests may block on the code under test; every accessor is
// safe from any thread. Faults from inject_fault hit the next matching Bot API calls.
//
// Control over HTTP (for pincer_fake_telegram, the standalone binary): POST /__fake/updates,
// /__fake/private, /__fake/group, /__fake/faults, /__fake/files, /__fake/bot, /__fake/reset;
// GET /__fake/calls[?method=m], /__fake/chats/<chat_id>, /__fake/state. See the .cpp for the
// bodies.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace pincer::fakes {

struct TelegramUpload {
  std::string field;  // the multipart field name
  std::string filename;
  std::string content_type;
  std::string bytes;
};

struct TelegramCall {
  std::string method;  // "sendMessage" (as in the URL path, case kept)
  // From the JSON body, form-urlencoded body, multipart text fields or query string. Values from
  // forms and queries stay strings, as sent.
  boost::json::object params;
  std::vector<TelegramUpload> uploads;  // multipart file parts
  // HTTP status answered; 0 while a long poll is still held, and for drop_connection / hang.
  int status = 200;
  boost::json::value response;  // the JSON body answered (a string for bad_gateway's HTML)
  std::string secret_header;    // unused for calls (kept empty)
  // When the request was read. steady_clock is CLOCK_MONOTONIC, so benchmarks may compare it
  // with times taken in other processes on the same machine.
  std::chrono::steady_clock::time_point received_at;
};

struct TelegramFault {
  enum class Kind {
    rate_limit,       // 429 "Too Many Requests: retry after N", parameters.retry_after
    conflict,         // 409 "Conflict: terminated by other getUpdates request; ..."
    server_error,     // 500 "Internal Server Error"
    bad_gateway,      // 502 with an nginx HTML body
    parse_entities,   // 400 "Bad Request: can't parse entities: ..."
    drop_connection,  // the socket closes without an answer (getUpdates: after ~100 ms)
    hang,             // no answer until the client gives up
  };
  std::string method;  // "" = any method; compared case-insensitively
  int count = 1;       // how many matching calls it hits
  Kind kind = Kind::rate_limit;
  int retry_after = 1;  // seconds, for rate_limit
};

// A message the bot sent, as the chat shows it now.
struct FakeChatMessage {
  int64_t message_id = 0;
  int64_t chat_id = 0;
  std::optional<int64_t> thread_id;
  std::string text;        // text or caption as sent (markup included)
  std::string parse_mode;  // as sent
  std::optional<int64_t> reply_to;
  bool edited = false;
  int edits = 0;
  // Added: what Telegram made of it.
  std::string plain_text;              // markup removed, trimmed
  boost::json::array entities;         // MessageEntity objects (UTF-16 offsets)
  std::string media;                   // "", "photo" or "document"
  std::string file_id;                 // the largest photo size or the document
  std::vector<std::string> reactions;  // emoji the bot set with setMessageReaction
};

// {method, count, kind:"rate_limit|conflict|server_error|bad_gateway|parse_entities|
//  drop_connection|hang", retry_after}
Result<TelegramFault> telegram_fault_from_json(const boost::json::value& value);
boost::json::value to_json(
    const TelegramCall& call);  // uploads as {field,filename,content_type,size}
boost::json::value to_json(const FakeChatMessage& message);

class FakeTelegramServer {
 public:
  explicit FakeTelegramServer(std::string token = "123456:TEST-token",
                              std::uint16_t port = 0);  // own io thread
  ~FakeTelegramServer();
  FakeTelegramServer(const FakeTelegramServer&) = delete;
  FakeTelegramServer& operator=(const FakeTelegramServer&) = delete;

  std::uint16_t port() const;
  std::string api_root() const;  // "http://127.0.0.1:<port>" (the Bot API root, no /bot<token>)
  const std::string& token() const;
  // For getMe and the "from" of sent messages; default 777000111 "pincer_test_bot".
  void set_bot(int64_t id, std::string username, std::string first_name);

  // Assigns update_id when missing (and message_id/date of a message without them); returns it;
  // wakes long polls and the webhook. Updates whose type allowed_updates excludes are dropped.
  int64_t push_update(boost::json::object update);
  // A realistic Update: message.from / chat (type "private") / date / text; a leading /command
  // gets its bot_command entity.
  int64_t push_private_text(int64_t user_id, std::string first_name, std::string text);
  // A supergroup message; topic -> is_topic_message + message_thread_id; mention_bot prepends
  // "@<username> " with a "mention" entity.
  int64_t push_group_text(int64_t chat_id, int64_t user_id, std::string text,
                          std::optional<int64_t> topic_id = {}, bool mention_bot = false);

  void inject_fault(TelegramFault fault);
  std::vector<TelegramCall> calls() const;
  std::vector<TelegramCall> calls(std::string_view method) const;  // case-insensitive
  // True once `count` calls of `method` ("" = any) were received (a held long poll counts).
  bool wait_for_calls(std::string_view method, std::size_t count,
                      std::chrono::milliseconds timeout) const;
  // How many calls of `method` ("" = any) were received; cheap (no copy), for polling in loads.
  std::size_t call_count(std::string_view method) const;
  // The chat as it looks now (edits applied, deletes removed); the bot's messages only.
  std::vector<FakeChatMessage> chat_messages(int64_t chat_id) const;
  void add_file(std::string file_id, std::string file_path,
                std::string bytes);  // for getFile + /file/bot<token>/<path>
  int64_t confirmed_offset() const;  // highest offset a getUpdates call confirmed
  std::size_t pending_updates() const;
  void reset();  // drops updates, chats, files, calls, faults, webhook and commands

  // Added members.
  // Pause before a failed webhook delivery is retried (default 50 ms; Telegram waits longer).
  void set_webhook_retry_delay(std::chrono::milliseconds delay);
  // HTML parse_mode: true (default) rejects "&" that does not start &lt; &gt; &amp; &quot; or a
  // numeric entity, as the documentation demands; false keeps it as text, as the real server does.
  void set_strict_html_entities(bool strict);
  // Sending to `chat_id` answers 400 "group chat was upgraded to a supergroup chat" with
  // parameters.migrate_to_chat_id = new_chat_id.
  void migrate_chat(int64_t chat_id, int64_t new_chat_id);
  std::string webhook_url() const;  // "" when none is set
  // When the update first left the server (written in a getUpdates answer or POSTed to the
  // webhook), on the steady clock; nullopt until then. For latency benchmarks.
  std::optional<std::chrono::steady_clock::time_point> update_sent_at(int64_t update_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pincer::fakes
