#pragma once
// The fake Telegram server's data (update queue, chats, files, webhook, commands) and the Bot API
// methods that work on it, free of I/O. Not thread-safe: FakeTelegramServer calls every member
// with its mutex held. Long polling and webhook delivery, which wait, live in the server; this
// class only answers what they ask.

#include <chrono>
#include <cstdint>
#include <deque>
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "fakes/fake_telegram_server.hpp"

namespace pincer::fakes {

// One Bot API answer: the HTTP status (= error_code on failure) and the JSON body.
struct ApiAnswer {
  int status = 200;
  boost::json::value body;
};
ApiAnswer api_result(boost::json::value result, std::string_view description = {});
// parameters: {"retry_after":N} or {"migrate_to_chat_id":N}, omitted when empty.
ApiAnswer api_error(int code, std::string description, boost::json::object parameters = {});

// One webhook POST: the oldest pending update for the webhook set at `generation`.
struct WebhookJob {
  std::uint64_t generation = 0;
  int64_t update_id = 0;
  std::string url;
  std::string secret;  // "" = no X-Telegram-Bot-Api-Secret-Token header
  std::string body;    // the Update as JSON
};

// What a getUpdates call waits for once its offset is applied.
struct PollPlan {
  std::chrono::seconds timeout{0};
  std::size_t limit = 100;
};

class TelegramState {
 public:
  TelegramState();

  // Any Bot API method but getUpdates; `method` lower-cased. Unknown methods: 404 "Not Found".
  ApiAnswer call(std::string_view method, const boost::json::object& params,
                 const std::vector<TelegramUpload>& uploads);

  // getUpdates, the part that does not wait: refuses while a webhook is set, confirms (deletes)
  // updates below a positive offset or forgets all but the last -offset ones, and remembers
  // allowed_updates for updates pushed later.
  std::expected<PollPlan, ApiAnswer> start_get_updates(const boost::json::object& params);
  boost::json::array peek_updates(std::size_t limit) const;

  // See FakeTelegramServer::push_update; returns the update_id.
  int64_t push_update(boost::json::object update);
  boost::json::object private_text_update(int64_t user_id, const std::string& first_name,
                                          const std::string& text) const;
  boost::json::object group_text_update(int64_t chat_id, int64_t user_id, const std::string& text,
                                        std::optional<int64_t> topic_id, bool mention_bot) const;

  std::optional<WebhookJob> next_webhook_job() const;
  // error "" = delivered (the update leaves the queue); otherwise getWebhookInfo reports it.
  // Ignored when the webhook changed since the job was taken.
  void finish_webhook_job(const WebhookJob& job, const std::string& error);

  void set_bot(int64_t id, std::string username, std::string first_name);
  void add_file(std::string file_id, std::string file_path, std::string bytes);
  const std::string* file_bytes(std::string_view file_path) const;  // nullptr when unknown
  std::vector<FakeChatMessage> chat_messages(int64_t chat_id) const;
  void migrate_chat(int64_t chat_id, int64_t new_chat_id);
  void set_strict_html_entities(bool strict) { strict_html_entities_ = strict; }

  int64_t confirmed_offset() const { return confirmed_offset_; }
  std::size_t pending_updates() const { return updates_.size(); }
  std::string webhook_url() const { return webhook_ ? webhook_->url : std::string(); }
  void reset();  // keeps the bot identity, the next update_id and the HTML strictness

 private:
  struct StoredMessage {
    bool from_bot = false;
    boost::json::object message;  // the Message object as last answered or pushed
    FakeChatMessage view;         // for the bot's messages
  };
  struct ChatRecord {
    boost::json::object chat;  // the Chat object
    int64_t next_message_id = 1;
    std::map<int64_t, StoredMessage> messages;  // deleted ones are erased
    std::optional<int64_t> migrated_to;
  };
  struct FileRecord {
    std::string file_id;
    std::string unique_id;
    std::string path;
    std::string bytes;
    std::string file_name;
    std::string mime_type;
  };
  struct Webhook {
    std::string url;
    std::string secret;
    int max_connections = 40;
    int64_t last_error_date = 0;
    std::string last_error_message;
  };

  // Methods; each validates like Telegram and answers with the documented result.
  ApiAnswer get_me() const;
  ApiAnswer send_message(const boost::json::object& p);
  ApiAnswer edit_message_text(const boost::json::object& p);
  ApiAnswer delete_message(const boost::json::object& p);
  ApiAnswer send_chat_action(const boost::json::object& p);
  ApiAnswer set_message_reaction(const boost::json::object& p);
  ApiAnswer set_my_commands(const boost::json::object& p);
  ApiAnswer get_my_commands(const boost::json::object& p) const;
  ApiAnswer delete_my_commands(const boost::json::object& p);
  ApiAnswer send_media(std::string_view kind, const boost::json::object& p,
                       const std::vector<TelegramUpload>& uploads);
  ApiAnswer get_file(const boost::json::object& p) const;
  ApiAnswer set_webhook(const boost::json::object& p);
  ApiAnswer delete_webhook(const boost::json::object& p);
  ApiAnswer get_webhook_info() const;

  boost::json::object bot_user() const;
  ChatRecord& chat(int64_t chat_id);
  // The chat named by chat_id, or the answer refusing it (missing, unknown @name, migrated).
  std::expected<ChatRecord*, ApiAnswer> target_chat(const boost::json::object& p);
  std::expected<std::optional<int64_t>, ApiAnswer> reply_target(const ChatRecord& chat,
                                                                const boost::json::object& p) const;
  boost::json::object new_bot_message(ChatRecord& chat, const boost::json::object& p,
                                      std::optional<int64_t> reply_to);
  std::expected<FileRecord*, ApiAnswer> input_file(std::string_view field,
                                                   const boost::json::object& p,
                                                   const std::vector<TelegramUpload>& uploads);
  FileRecord& new_file(std::string_view kind, std::string bytes, std::string file_name,
                       std::string mime_type);
  bool allowed(const boost::json::object& update) const;

  int64_t bot_id_ = 777000111;
  std::string bot_username_ = "pincer_test_bot";
  std::string bot_first_name_ = "Pincer Test Bot";
  bool strict_html_entities_ = true;

  std::deque<boost::json::object> updates_;  // pending: not yet confirmed or delivered
  int64_t next_update_id_ = 1;
  int64_t confirmed_offset_ = 0;
  std::vector<std::string> allowed_updates_;  // empty: Telegram's default set
  std::map<int64_t, ChatRecord> chats_;
  std::map<std::string, FileRecord, std::less<>> files_;        // by file_id
  std::map<std::string, std::string, std::less<>> file_paths_;  // file_path -> file_id
  int64_t next_file_number_ = 1;
  std::optional<Webhook> webhook_;
  std::uint64_t webhook_generation_ = 0;
  std::map<std::string, boost::json::array> commands_;  // by scope and language
};

}  // namespace pincer::fakes
