#pragma once
// ChannelQueueStore: the durable half of the channel framework in state.db.
//
//   channel_inbound   every update a channel received, keyed by the channel's own dedupe key, so
//                     a redelivered update is recognised; its state walks
//                     received -> submitted -> answered | dropped.
//   channel_outbound  replies and notices waiting for the chat app to accept them. A reply is
//                     enqueued in the same transaction that marks its inbound answered, so after a
//                     crash either the reply is queued or the inbound is still open (and is
//                     answered again), never neither. A row leaves only once it was sent.
//   channel_cursors   per-account positions in the app's stream (Telegram's update offset).
//
// Every call is one transaction (or joins the caller's).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::store {

class Database;

namespace inbound_state {
inline constexpr std::string_view kReceived = "received";
inline constexpr std::string_view kSubmitted = "submitted";
inline constexpr std::string_view kAnswered = "answered";
inline constexpr std::string_view kDropped = "dropped";
}  // namespace inbound_state

struct InboundRow {
  int64_t id = 0;
  std::string channel;
  std::string account_id;
  std::string dedupe_key;
  std::string message;  // the InboundMessage as JSON
  std::string state;
  std::string run_id;
  std::string session_key;
  std::string draft_message_id;  // a streamed preview already in the chat
  int64_t received_at_ms = 0;
};

struct OutboundRow {
  int64_t id = 0;
  std::string channel;
  std::string account_id;
  std::string target;  // chat id
  std::string thread_id;
  std::string reply_to;
  std::string text;              // markdown
  std::string kind;              // "reply" | "notice" | "send"
  std::string draft_message_id;  // the preview to finish by editing, when there is one
  int64_t parts_sent = 0;
  int64_t attempts = 0;
  int64_t next_attempt_at_ms = 0;
  std::string last_error;
  std::string run_id;
  std::optional<int64_t> inbound_id;
  int64_t created_at_ms = 0;
  // Files sent with the message: a JSON array of {path, fileName, contentType, asDocument}
  // (channels/delivery/outbound_media.hpp); "[]" or empty for none.
  std::string media_json;
  bool silent = false;  // no notification sound
};

class ChannelQueueStore {
 public:
  explicit ChannelQueueStore(Database& db) : db_(db) {}

  // Records a received update and, when given, the account's new cursor, in one transaction.
  // nullopt: the dedupe key was seen before (nothing is written but the cursor).
  Result<std::optional<int64_t>> insert_inbound(std::string_view channel,
                                                std::string_view account_id,
                                                std::string_view dedupe_key,
                                                std::string_view message_json, int64_t now_ms,
                                                std::optional<std::string> cursor = {});
  Status set_inbound_state(int64_t id, std::string_view state, std::string_view run_id,
                           std::string_view session_key, int64_t now_ms);
  Status set_inbound_draft(int64_t id, std::string_view draft_message_id, int64_t now_ms);
  Result<std::optional<InboundRow>> find_inbound(int64_t id);
  // Inbound rows not finished yet (received or submitted), oldest first.
  Result<std::vector<InboundRow>> open_inbound();
  // Deletes finished inbound rows received before `before_ms`; returns how many.
  Result<int64_t> prune_inbound(int64_t before_ms);

  // Queues `row` (id ignored); when `answered_inbound_id` is set, marks that inbound answered
  // in the same transaction. Returns the new row's id.
  Result<int64_t> enqueue(const OutboundRow& row, std::optional<int64_t> answered_inbound_id,
                          int64_t now_ms);
  Result<std::vector<OutboundRow>> due_outbound(int64_t now_ms, int64_t limit);
  Result<std::vector<OutboundRow>> all_outbound();
  Result<std::optional<int64_t>> next_due_at();
  Status record_progress(int64_t id, int64_t parts_sent, std::string_view draft_message_id);
  Status reschedule(int64_t id, int64_t attempts, int64_t next_attempt_at_ms,
                    std::string_view error);
  Status complete(int64_t id);

  Result<std::optional<std::string>> cursor(std::string_view channel, std::string_view account_id);
  Status set_cursor(std::string_view channel, std::string_view account_id, std::string_view cursor,
                    int64_t now_ms);

 private:
  Database& db_;
};

}  // namespace pincer::store
