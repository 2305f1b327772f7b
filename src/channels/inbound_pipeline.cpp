#include "channels/inbound_pipeline.hpp"

#include <cctype>
#include <chrono>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "channels/admission.hpp"
#include "channels/delivery/outbound_media.hpp"
#include "core/base64.hpp"
#include "core/executor.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "sessions/agent_routing.hpp"
#include "store/channel_pairing_store.hpp"
#include "store/channel_queue_store.hpp"

namespace pincer::channels {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxModelImageBytes = std::size_t{5} * 1024 * 1024;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The text the agent sees: in a group, who is speaking; the bot's own @handle at the start of
// a mention is dropped (it addresses the bot, it is not part of the request).
std::string agent_text(const InboundMessage& message, std::string_view bot_username) {
  std::string text = message.text;
  if (!bot_username.empty()) {
    std::string handle = "@" + std::string(bot_username);
    std::string_view view = core::trim(text);
    if (view.size() >= handle.size() &&
        core::lowercase_trimmed(view.substr(0, handle.size())) == core::lowercase_trimmed(handle)) {
      text = std::string(core::trim(view.substr(handle.size())));
    }
  }
  if (message.chat_type == sessions::ChatType::direct) {
    return text;
  }
  std::string who = message.sender_name.empty() ? message.sender_id : message.sender_name;
  if (!message.sender_username.empty()) {
    who += " (@" + message.sender_username + ")";
  }
  return who + ": " + text;
}

std::string pairing_notice(const InboundMessage& message,
                           const store::ChannelPairingRequest& request) {
  return "I don't know you yet, so I can't help until my owner lets you in.\n\n"
         "Your " +
         message.channel + " user id: `" + message.sender_id +
         "`\n"
         "Pairing code: `" +
         request.code +
         "`\n\n"
         "Ask the owner to run:\n`pincer pairing approve " +
         message.channel + " " + request.code + "`\n\nThe code is valid for one hour.";
}

}  // namespace

InboundPipeline::InboundPipeline(asio::io_context& io, store::DatabaseAccess& database,
                                 agent::AgentService& agent, OutboundQueue& outbound,
                                 ReplyStreamer& replies, AccountLookup accounts,
                                 std::filesystem::path inbound_media_dir)
    : io_(io),
      database_(database),
      agent_(agent),
      outbound_(outbound),
      replies_(replies),
      accounts_(std::move(accounts)),
      inbound_media_dir_(std::move(inbound_media_dir)),
      config_(agent.config()) {}

std::string InboundPipeline::run_id_for(const InboundMessage& message) {
  return message.channel + ":" + message.account_id + ":" + message.dedupe_key;
}

asio::awaitable<bool> InboundPipeline::accept(InboundMessage message) {
  std::string body = json::serialize(message.to_json());
  auto stored = co_await database_.with([&message, &body](store::Database& db) {
    return store::ChannelQueueStore(db).insert_inbound(message.channel, message.account_id,
                                                       message.dedupe_key, body, now_ms());
  });
  if (!stored) {
    log::error("channels", "could not store a message from {} {}: {}", message.channel,
               message.account_id, stored.error().describe());
    co_return false;
  }
  if (!*stored) {
    ++duplicates_;
    log::debug("channels", "{} {}: {} was delivered before; ignored", message.channel,
               message.account_id, message.dedupe_key);
    co_return true;
  }
  ++accepted_;
  push(Pending{**stored, std::move(message), {}, false});
  co_return true;
}

asio::awaitable<void> InboundPipeline::recover() {
  auto open = co_await database_.with(
      [](store::Database& db) { return store::ChannelQueueStore(db).open_inbound(); });
  if (!open) {
    log::error("channels", "could not read unanswered messages: {}", open.error().describe());
    co_return;
  }
  for (auto& row : *open) {
    boost::system::error_code ec;
    json::value value = json::parse(row.message, ec);
    std::optional<InboundMessage> message;
    if (!ec && value.is_object()) {
      message = InboundMessage::from_json(value.get_object());
    }
    if (!message) {
      log::warn("channels", "message {} in the inbound table is unreadable; dropped", row.id);
      co_await mark(row.id, store::inbound_state::kDropped);
      continue;
    }
    log::info("channels", "resuming {} {} message {} left open by a restart", row.channel,
              row.account_id, row.dedupe_key);
    push(Pending{row.id, std::move(*message), row.draft_message_id, true});
  }
}

void InboundPipeline::push(Pending pending) {
  queue_.push_back(std::move(pending));
  if (!draining_) {
    draining_ = true;
    asio::co_spawn(io_, drain(), asio::detached);
  }
}

asio::awaitable<void> InboundPipeline::drain() {
  while (!queue_.empty()) {
    Pending next = std::move(queue_.front());
    queue_.pop_front();
    co_await process(std::move(next));
  }
  draining_ = false;
}

asio::awaitable<void> InboundPipeline::mark(int64_t inbound_id, std::string_view state,
                                            std::string_view run_id, std::string_view session_key) {
  auto marked = co_await database_.with([&](store::Database& db) {
    return store::ChannelQueueStore(db).set_inbound_state(inbound_id, state, run_id, session_key,
                                                          now_ms());
  });
  if (!marked) {
    log::error("channels", "could not update message {}: {}", inbound_id,
               marked.error().describe());
  }
}

asio::awaitable<void> InboundPipeline::process(Pending pending) {
  const InboundMessage& message = pending.message;
  auto account = accounts_(message.channel, message.account_id);
  if (!account || account->telegram == nullptr) {
    log::info("channels", "{} account {} is no longer configured; message dropped", message.channel,
              message.account_id);
    ++dropped_;
    co_await mark(pending.inbound_id, store::inbound_state::kDropped);
    co_return;
  }

  sessions::InboundRoute in;
  in.channel = message.channel;
  in.account_id = message.account_id;
  in.default_account_id = config_.channels.telegram.default_account;
  in.peer_kind = message.chat_type;
  bool direct = message.chat_type == sessions::ChatType::direct;
  in.peer_id = direct ? message.sender_id : message.chat_id;
  in.thread_id = message.thread_id;
  in.thread_style =
      message.thread_is_topic ? sessions::ThreadStyle::topic : sessions::ThreadStyle::thread;
  sessions::ResolvedRoute route = sessions::resolve_route(config_, in);

  AccessPolicy policy = access_policy_for(*account->telegram, config_, route.agent_id);
  bool paired = false;
  if (direct) {
    auto allowed = co_await database_.with([&message](store::Database& db) {
      return store::ChannelPairingStore(db).is_allowed(message.channel, message.account_id,
                                                       message.sender_id);
    });
    paired = allowed && *allowed;
  }
  Admission admission = admit(policy, message, paired);
  if (admission.verdict == Verdict::drop) {
    ++dropped_;
    log::debug("channels", "{} {}: message from {} in {} not admitted: {}", message.channel,
               message.account_id, message.sender_id, message.chat_id, admission.reason);
    co_await mark(pending.inbound_id, store::inbound_state::kDropped);
    co_return;
  }
  if (admission.verdict == Verdict::pair) {
    ++dropped_;
    std::string label = message.sender_name;
    if (!message.sender_username.empty()) {
      label += (label.empty() ? "@" : " (@") + message.sender_username + (label.empty() ? "" : ")");
    }
    std::map<std::string, std::string> metadata;
    if (!message.sender_username.empty()) {
      metadata["username"] = message.sender_username;
    }
    if (!message.sender_name.empty()) {
      metadata["name"] = message.sender_name;
    }
    auto requested = co_await database_.with([&](store::Database& db) {
      return store::ChannelPairingStore(db).request(
          message.channel, message.account_id, message.sender_id,
          label.empty() ? message.sender_id : label, metadata, now_ms());
    });
    if (!requested) {
      log::error("channels", "could not record a pairing request: {}",
                 requested.error().describe());
    } else if (requested->created && requested->request) {
      log::info("channels", "{} {}: pairing request from {} ({})", message.channel,
                message.account_id, message.sender_id, label);
      store::OutboundRow row;
      row.channel = message.channel;
      row.account_id = message.account_id;
      row.target = message.chat_id;
      row.kind = "notice";
      row.text = pairing_notice(message, *requested->request);
      auto queued = co_await outbound_.enqueue(row, pending.inbound_id);
      if (queued) {
        co_return;  // the enqueue marked the inbound answered
      }
    }
    co_await mark(pending.inbound_id, store::inbound_state::kDropped);
    co_return;
  }

  agent::ChatRequest request;
  request.session_key = route.session_key;
  request.text = agent_text(message, account->bot_username);
  if (!message.media.empty()) {
    std::string notes = co_await fetch_media(message, *account, request.images);
    request.text += (request.text.empty() ? "" : "\n\n") + notes;
  }
  request.run_id = run_id_for(message);
  request.channel = message.channel;
  request.account_id = message.account_id;
  request.reply_to = message.chat_id;
  request.thread_id = message.thread_id;
  request.chat_type = message.chat_type;
  request.display_name = direct ? message.sender_name : message.chat_title;
  request.sender_id = message.sender_id;
  request.extra_system_prompt = admission.system_prompt;
  request.resume = pending.resumed;

  ReplyTarget target;
  target.channel = message.channel;
  target.account_id = message.account_id;
  target.target.chat_id = message.chat_id;
  target.target.thread_id = message.thread_id;
  core::ReplyToMode reply_mode = account->telegram->reply_to_mode;
  if (reply_mode != core::ReplyToMode::off || !direct) {
    target.target.reply_to_message_id = message.message_id;
  }
  target.inbound_id = pending.inbound_id;
  target.streaming = account->telegram->streaming;
  target.draft_message_id = pending.draft_message_id;
  replies_.expect(request.run_id, std::move(target));
  auto submitted = agent_.submit(std::move(request));
  co_await mark(pending.inbound_id, store::inbound_state::kSubmitted, submitted.run_id,
                submitted.session_key);
}

asio::awaitable<std::string> InboundPipeline::fetch_media(
    const InboundMessage& message, const AccountView& account,
    std::vector<providers::ImagePart>& images) {
  auto max_bytes = static_cast<std::size_t>(account.telegram->media_max_mb) << 20;
  std::string notes;
  for (std::size_t i = 0; i < message.media.size(); ++i) {
    const InboundMedia& media = message.media[i];
    if (!notes.empty()) {
      notes += '\n';
    }
    if (account.connection == nullptr) {
      notes +=
          "[" + media.kind + " not available: the " + message.channel + " account is not running]";
      continue;
    }
    auto fetched = co_await account.connection->fetch_media(media, max_bytes);
    if (!fetched) {
      log::warn("channels", "{} {}: could not fetch a {} from {}: {}", message.channel,
                message.account_id, media.kind, message.chat_id, fetched.error());
      notes += "[" + media.kind + " not available: " + fetched.error() + "]";
      continue;
    }
    if (fetched->content_type.empty()) {
      fetched->content_type = content_type_for(fetched->file_name);
    }
    // Named after the update, so a message resumed after a crash rewrites the same file.
    std::string stem = message.channel + "-" + message.account_id + "-" + message.dedupe_key + "-" +
                       std::to_string(i);
    for (char& c : stem) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
        c = '_';
      }
    }
    std::string extension;
    if (auto dot = fetched->file_name.find_last_of('.'); dot != std::string::npos) {
      extension = fetched->file_name.substr(dot);
    }
    std::filesystem::path path = inbound_media_dir_ / (stem + extension);
    auto save = [this, &path, &fetched]() -> Status {
      if (auto made = core::ensure_private_dir(inbound_media_dir_); !made) {
        return made;
      }
      return core::write_file_atomically(path, fetched->bytes);
    };
    auto saved = co_await core::run_blocking(database_.pool(), save);
    if (!saved) {
      log::warn("channels", "could not save a received file: {}", saved.error().describe());
      notes += "[" + media.kind + " received but not saved: " + saved.error().describe() + "]";
      continue;
    }
    const std::string& type = fetched->content_type;
    bool image =
        type == "image/jpeg" || type == "image/png" || type == "image/gif" || type == "image/webp";
    // Model APIs take images up to about 5 MB; larger ones stay files the agent can open.
    if (image && fetched->bytes.size() <= kMaxModelImageBytes) {
      images.push_back({type, core::base64_encode(fetched->bytes)});
    }
    notes += "[" + media.kind + " attached: " + path.string() + " (" + type + ", " +
             std::to_string(fetched->bytes.size()) + " bytes" +
             (media.file_name.empty() ? "" : ", named " + media.file_name) + ")]";
  }
  co_return notes;
}

}  // namespace pincer::channels
