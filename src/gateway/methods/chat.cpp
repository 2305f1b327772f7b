// Chat transcript methods: chat.history (a tail page, an older page by offset, a window around
// a known message, or a delta since a cursor) and chat.inject (an operator note appended to a
// session as an assistant message without running the agent).
//
// History is display-shaped (session_projection.hpp): stored messages with a timestamp, usage
// and the `__openclaw` envelope {id, seq}; silent NO_REPLY rows are left out and long text is
// clipped to maxChars. The delta cursor is opaque to clients: base64url JSON naming the session
// generation and the last seq they hold, so a reset in between is detected and answered with
// {kind: "reset"}.

#include <fmt/core.h>

#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/config.hpp"
#include "gateway/device_identity.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"
#include "gateway/session_projection.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr int64_t kDefaultHistoryLimit = 200;
constexpr int64_t kDefaultHistoryChars = 20'000;
// A catch-up longer than this is answered with {kind: "reset"}: fetch a tail page instead.
constexpr int64_t kMaxDeltaEntries = 200;

struct Cursor {
  std::string session_id;
  int64_t last_seq = 0;
};

std::string encode_cursor(const Cursor& cursor) {
  return base64url_encode(json::serialize(
      json::object{{"v", 1}, {"sessionId", cursor.session_id}, {"lastSeq", cursor.last_seq}}));
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  auto bytes = base64url_decode(text);
  if (!bytes) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto value = json::parse(*bytes, ec);
  const auto* object = ec ? nullptr : value.if_object();
  if (object == nullptr) {
    return std::nullopt;
  }
  const auto* id = object->if_contains("sessionId");
  const auto* seq = object->if_contains("lastSeq");
  if (id == nullptr || !id->is_string() || seq == nullptr || !seq->is_int64() ||
      seq->get_int64() < 0) {
    return std::nullopt;
  }
  return Cursor{std::string(id->get_string()), seq->get_int64()};
}

// What a history read found, before it is shaped for the wire.
struct HistoryRead {
  std::optional<sessions::SessionRecord> session;
  std::vector<sessions::TranscriptEntry> entries;
  int64_t total = 0;
  int64_t last_seq = 0;
  bool reset = false;     // the cursor cannot be served: the client fetches a tail page
  bool delta = false;     // entries are the catch-up after the cursor
  bool anchored = false;  // entries are a window around messageId
};

json::array visible_messages(const std::vector<sessions::TranscriptEntry>& entries,
                             std::size_t max_chars) {
  json::array messages;
  for (const auto& entry : entries) {
    if (!is_silent_reply(entry)) {
      messages.push_back(chat_message(entry, max_chars));
    }
  }
  return messages;
}

asio::awaitable<RpcResult> chat_history(RpcContext& context) {
  ParamReader params(context,
                     {"sessionKey", "agentId", "cursor", "limit", "offset", "pendingBefore",
                      "inputRunIds", "messageId", "sessionId", "maxChars"});
  std::string key = params.required_string("sessionKey");
  params.string("agentId");
  auto cursor_text = params.string("cursor", 0, true);
  int64_t limit = params.integer("limit", 1, 1000).value_or(kDefaultHistoryLimit);
  int64_t offset = params.integer("offset", 0, INT64_MAX).value_or(0);
  params.integer("pendingBefore", 1, INT64_MAX);
  params.string_array("inputRunIds", 1);
  auto message_id = params.string("messageId");
  auto session_id = params.string("sessionId");
  auto max_chars = static_cast<std::size_t>(
      params.integer("maxChars", 1, 500'000).value_or(kDefaultHistoryChars));
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  std::optional<Cursor> cursor;
  if (cursor_text) {
    cursor = decode_cursor(*cursor_text);  // an unreadable cursor is stale: answered with reset
  }

  auto read = [&](store::Database& db) -> Result<HistoryRead> {
    sessions::SessionStore store(db);
    sessions::TranscriptStore transcripts(db);
    HistoryRead found;
    auto active = store.find_active(key);
    if (!active) {
      return std::unexpected(active.error());
    }
    found.session = std::move(*active);
    if (message_id) {
      // A window around a known message; it may sit in an archived generation of this key.
      auto anchor = transcripts.get(*message_id);
      if (!anchor) {
        return std::unexpected(anchor.error());
      }
      if (!*anchor || (session_id && (*anchor)->session_id != *session_id)) {
        return fail(Errc::not_found, fmt::format("no message {} in session {}", *message_id, key));
      }
      auto owner = store.get((*anchor)->session_id);
      if (!owner) {
        return std::unexpected(owner.error());
      }
      if (!*owner || (*owner)->session_key != key) {
        return fail(Errc::not_found, fmt::format("no message {} in session {}", *message_id, key));
      }
      int64_t half = limit / 2;
      auto before = transcripts.before((*anchor)->session_id, (*anchor)->seq, half);
      auto after = transcripts.after((*anchor)->session_id, (*anchor)->seq - 1, limit - half);
      if (!before || !after) {
        return std::unexpected(!before ? before.error() : after.error());
      }
      found.entries = std::move(*before);
      found.entries.insert(found.entries.end(), after->begin(), after->end());
      found.anchored = true;
      found.session = std::move(*owner);
      return found;
    }
    if (!found.session) {
      found.reset = cursor_text.has_value();
      return found;
    }
    const auto& id = found.session->session_id;
    auto last_seq = transcripts.last_seq(id);
    if (!last_seq) {
      return std::unexpected(last_seq.error());
    }
    found.last_seq = *last_seq;
    found.total = *last_seq;  // seqs run 1..N without gaps
    if (cursor_text) {
      if (!cursor || cursor->session_id != id || cursor->last_seq > *last_seq ||
          *last_seq - cursor->last_seq > kMaxDeltaEntries) {
        found.reset = true;
        return found;
      }
      auto entries = transcripts.after(id, cursor->last_seq, kMaxDeltaEntries);
      if (!entries) {
        return std::unexpected(entries.error());
      }
      found.entries = std::move(*entries);
      found.delta = true;
      return found;
    }
    if (offset < *last_seq) {
      auto entries = transcripts.before(id, *last_seq - offset + 1, limit);
      if (!entries) {
        return std::unexpected(entries.error());
      }
      found.entries = std::move(*entries);
    }
    return found;
  };
  auto found = co_await context.gateway().with_database(read);
  if (!found) {
    co_return std::unexpected(from_error(found.error()));
  }
  HistoryRead& history = *found;
  const sessions::SessionRecord* session = history.session ? &*history.session : nullptr;
  if (history.reset) {
    co_return json::object{{"kind", "reset"}};
  }
  const auto& config = context.gateway().config();
  int64_t now = unix_ms();
  json::object info = session != nullptr ? session_row(*session, config, now)
                                         : missing_session_row(key, config, now);
  json::array messages = visible_messages(history.entries, max_chars);
  if (history.delta) {
    co_return json::object{{"kind", "delta"},
                           {"messages", std::move(messages)},
                           {"deltaCursor", encode_cursor({session->session_id, history.last_seq})},
                           {"sessionInfo", std::move(info)}};
  }
  json::object result{{"sessionKey", key},
                      {"messages", std::move(messages)},
                      {"pendingInputs", json::object{{"items", json::array()}, {"total", 0}}},
                      {"defaults", session_defaults(config)},
                      {"sessionInfo", std::move(info)}};
  if (session != nullptr) {
    result["sessionId"] = session->session_id;
  }
  if (history.anchored) {
    co_return result;  // anchored windows carry no numeric paging (the reference's rule)
  }
  int64_t oldest = history.entries.empty() ? 1 : history.entries.front().seq;
  bool more = !history.entries.empty() && oldest > 1;
  result["hasMore"] = more;
  if (more) {
    result["nextOffset"] = offset + static_cast<int64_t>(history.entries.size());
  }
  result["totalMessages"] = history.total;
  if (session != nullptr && offset == 0) {
    result["deltaCursor"] = encode_cursor({session->session_id, history.last_seq});
  }
  co_return result;
}

asio::awaitable<RpcResult> chat_inject(RpcContext& context) {
  ParamReader params(context, {"sessionKey", "agentId", "message", "label"});
  std::string key = params.required_string("sessionKey");
  params.string("agentId");
  std::string message = params.required_string("message");
  auto label = params.string("label", 100, true);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  std::string text =
      label && !label->empty() ? fmt::format("[{}]\n\n{}", *label, message) : message;
  int64_t now = unix_ms();
  auto write = [&](store::Database& db) {
    return sessions::append_assistant_text(db, key, text, "gateway-injected", "", now);
  };
  auto appended = co_await context.gateway().with_database(write);
  if (!appended && appended.error().code == Errc::not_found) {
    co_return std::unexpected(invalid_request(fmt::format(
        "session not found: {} (create it with sessions.create or send it a message first)", key)));
  }
  if (!appended) {
    co_return std::unexpected(from_error(appended.error()));
  }
  co_return json::object{{"ok", true}, {"messageId", appended->entry_id}, {"seq", appended->seq}};
}

}  // namespace

void register_chat_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  methods.add(
      {"chat.history", Access::operator_scope, std::string(scope::kRead), false, chat_history});
  methods.add(
      {"chat.inject", Access::operator_scope, std::string(scope::kAdmin), true, chat_inject});
}

}  // namespace pincer::gateway
