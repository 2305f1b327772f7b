#include "channels/delivery/outbound_queue.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "channels/delivery/outbound_format.hpp"
#include "core/executor.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/memory_release.hpp"
#include "core/text.hpp"

namespace pincer::channels {

namespace asio = boost::asio;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr int64_t kBatch = 64;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds backoff(int64_t attempts) {
  auto delay = OutboundQueue::kFirstBackoff;
  for (int64_t i = 1; i < attempts && delay < OutboundQueue::kMaxBackoff; ++i) {
    delay *= 2;
  }
  return std::min(delay, OutboundQueue::kMaxBackoff);
}

}  // namespace

OutboundQueue::OutboundQueue(asio::io_context& io, store::DatabaseAccess& database,
                             ChannelLookup lookup)
    : io_(io), database_(database), lookup_(std::move(lookup)), wake_timer_(io) {}

void OutboundQueue::start() {
  if (running_) {
    return;
  }
  running_ = true;
  stopping_ = false;
  asio::co_spawn(io_, run(), asio::detached);
}

asio::awaitable<void> OutboundQueue::stop() {
  if (!running_) {
    co_return;
  }
  stopping_ = true;
  done_.emplace(io_, asio::steady_timer::time_point::max());
  wake_timer_.cancel();
  co_await done_->async_wait(kTuple);
  done_.reset();
}

void OutboundQueue::wake() {
  woken_ = true;
  wake_timer_.cancel();
}

asio::awaitable<Result<int64_t>> OutboundQueue::enqueue(
    store::OutboundRow row, std::optional<int64_t> answered_inbound_id) {
  auto stored = co_await database_.with([&row, answered_inbound_id](store::Database& db) {
    return store::ChannelQueueStore(db).enqueue(row, answered_inbound_id, now_ms());
  });
  if (stored) {
    wake();
  }
  co_return stored;
}

asio::awaitable<SendResult<SentMessage>> OutboundQueue::send_part(Channel& channel,
                                                                  const OutboundTarget& target,
                                                                  const OutboundPart& part) {
  auto sent = co_await channel.send(target, part, false);
  if (!sent && sent.error().kind == SendError::Kind::bad_markup) {
    sent = co_await channel.send(target, part, true);
  }
  co_return sent;
}

asio::awaitable<std::optional<std::string>> OutboundQueue::wait_delivered(
    int64_t queue_id, std::chrono::milliseconds timeout) {
  auto waiter = std::make_shared<Waiter>(Waiter{asio::steady_timer(io_), std::nullopt});
  waiters_[queue_id] = waiter;
  waiter->timer.expires_after(timeout);
  co_await waiter->timer.async_wait(kTuple);
  waiters_.erase(queue_id);
  co_return waiter->message_id;
}

void OutboundQueue::settle(int64_t queue_id, std::optional<std::string> message_id) {
  auto found = waiters_.find(queue_id);
  if (found != waiters_.end()) {
    found->second->message_id = std::move(message_id);
    found->second->timer.cancel();
  }
}

asio::awaitable<void> OutboundQueue::run() {
  while (!stopping_) {
    woken_ = false;
    auto due = co_await database_.with([](store::Database& db) {
      return store::ChannelQueueStore(db).due_outbound(now_ms(), kBatch);
    });
    if (!due) {
      log::error("channels", "could not read the outbound queue: {}", due.error().describe());
    }
    // A chat whose row failed keeps its later rows waiting, so messages never overtake.
    std::set<std::tuple<std::string, std::string, std::string>> held;
    bool progressed = false;
    for (auto& row : due ? *due : std::vector<store::OutboundRow>{}) {
      if (stopping_) {
        break;
      }
      auto chat = std::make_tuple(row.channel, row.account_id, row.target);
      if (held.contains(chat)) {
        continue;
      }
      Outcome outcome = co_await deliver(row);
      if (outcome == Outcome::done) {
        progressed = true;
      } else {
        held.insert(chat);
      }
    }
    if (stopping_) {
      break;
    }
    if (progressed && due && static_cast<int64_t>(due->size()) == kBatch) {
      continue;  // more may be due right now
    }
    if (woken_) {
      continue;
    }
    auto next = co_await database_.with(
        [](store::Database& db) { return store::ChannelQueueStore(db).next_due_at(); });
    auto wait = std::chrono::milliseconds(60'000);
    if (next && *next) {
      wait = std::clamp(std::chrono::milliseconds(**next - now_ms()), std::chrono::milliseconds(0),
                        wait);
      // Rows that wait for a channel to come up are retried every few seconds at most.
      wait = std::max(wait, std::chrono::milliseconds(held.empty() ? 0 : 250));
    }
    if (next && !*next && sent_ != sent_at_release_) {
      // The queue is empty: once it has stayed so for kQuietBeforeRelease, the burst is over
      // and the heap it grew can go back to the OS.
      auto quiet = std::chrono::steady_clock::now() - last_sent_at_;
      if (quiet >= kQuietBeforeRelease) {
        sent_at_release_ = sent_;
        auto release = []() { core::release_free_memory(); };
        co_await core::run_blocking(database_.pool(), release);
      } else {
        wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                  kQuietBeforeRelease - quiet));
      }
    }
    if (woken_) {
      continue;
    }
    if (stopping_) {
      break;  // stop() came while the database call ran; nothing is left to cancel
    }
    wake_timer_.expires_after(wait);
    co_await wake_timer_.async_wait(kTuple);
  }
  running_ = false;
  if (done_) {
    done_->cancel();
  }
}

asio::awaitable<OutboundQueue::Outcome> OutboundQueue::deliver(store::OutboundRow& row) {
  auto reschedule = [this, &row](std::chrono::milliseconds delay,
                                 std::string error) -> asio::awaitable<Outcome> {
    int64_t attempts = row.attempts + 1;
    bool expired = now_ms() - row.created_at_ms >
                   std::chrono::duration_cast<std::chrono::milliseconds>(kGiveUpAfter).count();
    if (expired) {
      log::warn("channels", "giving up on message {} to {} {} after {} attempts: {}", row.id,
                row.channel, row.account_id, attempts, error);
      co_await database_.with(
          [id = row.id](store::Database& db) { return store::ChannelQueueStore(db).complete(id); });
      co_return Outcome::done;
    }
    log::info("channels", "message {} to {} {} waits {} ms: {}", row.id, row.channel,
              row.account_id, delay.count(), error);
    // Named, not a temporary in the co_await: GCC 12 destroys a temporary closure with
    // non-trivial captures twice there.
    auto write = [id = row.id, attempts, at = now_ms() + delay.count(),
                  error](store::Database& db) {
      return store::ChannelQueueStore(db).reschedule(id, attempts, at, error);
    };
    co_await database_.with(write);
    co_return Outcome::rescheduled;
  };

  Channel* channel = lookup_(row.channel, row.account_id);
  if (channel == nullptr) {
    co_return Outcome::waiting;  // the account is not running; the row waits for it
  }
  std::vector<SpooledFile> files = media_from_json(row.media_json);
  std::vector<OutboundPart> parts;
  if (!core::trim(row.text).empty() || files.empty()) {
    parts = render_parts(channel->capabilities(), row.text);
  }
  // What goes out, in order. A short text rides on the first file as its caption; a longer one
  // goes first as messages of its own. The split depends only on the row and the channel, so a
  // restart resumes at the same unit.
  struct Unit {
    const OutboundPart* text = nullptr;
    const SpooledFile* file = nullptr;
  };
  std::vector<Unit> units;
  bool as_caption = !files.empty() && parts.size() == 1 &&
                    parts.front().text.size() <= channel->max_caption_length() &&
                    parts.front().fallback.size() <= channel->max_caption_length();
  if (!as_caption) {
    for (const auto& part : parts) {
      units.push_back({&part, nullptr});
    }
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    units.push_back({as_caption && i == 0 ? &parts.front() : nullptr, &files[i]});
  }

  OutboundTarget target{row.target, row.thread_id, row.parts_sent == 0 ? row.reply_to : ""};
  std::optional<std::string> first_id;
  for (auto index = static_cast<std::size_t>(row.parts_sent); index < units.size(); ++index) {
    const Unit& unit = units[index];
    SendResult<void> result;
    std::string draft = row.draft_message_id;
    if (unit.file != nullptr) {
      auto sent = co_await send_file(*channel, target, *unit.file, unit.text, row.silent);
      result = sent ? SendResult<void>{} : std::unexpected(sent.error());
      if (sent && !first_id) {
        first_id = sent->message_id;
      }
    } else if (index == 0 && !draft.empty()) {
      const OutboundPart& part = *unit.text;
      first_id = draft;
      result = co_await channel->edit(target, draft, part, false);
      if (!result && result.error().kind == SendError::Kind::bad_markup) {
        result = co_await channel->edit(target, draft, part, true);
      }
      if (!result && result.error().kind == SendError::Kind::not_modified) {
        result = {};
      }
      if (!result && result.error().kind == SendError::Kind::gone) {
        // The preview was deleted: send the reply as a new message.
        auto sent = co_await send_part(*channel, target, part);
        result = sent ? SendResult<void>{} : std::unexpected(sent.error());
        first_id = sent ? std::optional(sent->message_id) : std::nullopt;
      }
    } else {
      auto sent = co_await send_part(*channel, target, *unit.text);
      result = sent ? SendResult<void>{} : std::unexpected(sent.error());
      if (sent && !first_id) {
        first_id = sent->message_id;
      }
    }
    if (!result) {
      const SendError& error = result.error();
      switch (error.kind) {
        case SendError::Kind::rate_limited:
          co_return co_await reschedule(error.retry_after.value_or(kFirstBackoff), error.message);
        case SendError::Kind::retry:
          co_return co_await reschedule(backoff(row.attempts + 1), error.message);
        case SendError::Kind::not_modified:
          break;
        case SendError::Kind::bad_markup:
        case SendError::Kind::gone:
        case SendError::Kind::permanent:
          log::warn("channels", "dropping message {} to {} {}: {}", row.id, row.channel,
                    row.account_id, error.message);
          co_await database_.with([id = row.id](store::Database& db) {
            return store::ChannelQueueStore(db).complete(id);
          });
          co_await discard_files(files);
          settle(row.id, std::nullopt);
          co_return Outcome::done;
      }
    }
    ++sent_;
    last_sent_at_ = std::chrono::steady_clock::now();
    row.parts_sent = static_cast<int64_t>(index + 1);
    target.reply_to_message_id.clear();  // only the first part replies to the message
    if (row.parts_sent < static_cast<int64_t>(units.size())) {
      co_await database_.with([id = row.id, sent = row.parts_sent](store::Database& db) {
        return store::ChannelQueueStore(db).record_progress(id, sent, "");
      });
    }
  }
  auto completed = co_await database_.with(
      [id = row.id](store::Database& db) { return store::ChannelQueueStore(db).complete(id); });
  if (!completed) {
    log::error("channels", "message {} was sent but could not be removed from the queue: {}",
               row.id, completed.error().describe());
  }
  co_await discard_files(files);
  settle(row.id, first_id);
  co_return Outcome::done;
}

asio::awaitable<SendResult<SentMessage>> OutboundQueue::send_file(Channel& channel,
                                                                  const OutboundTarget& target,
                                                                  const SpooledFile& file,
                                                                  const OutboundPart* caption,
                                                                  bool silent) {
  auto read = [path = file.path]() { return core::read_file(path); };
  auto bytes = co_await core::run_blocking(database_.pool(), read);
  if (!bytes) {
    co_return std::unexpected(SendError{
        SendError::Kind::permanent,
        "the queued file " + file.file_name + " is gone from the spool (" + file.path + ")",
        {}});
  }
  OutboundMedia media{std::move(*bytes), file.file_name, file.content_type, file.as_document,
                      silent};
  auto sent = co_await channel.send_media(target, media, caption, false);
  if (!sent && caption != nullptr && sent.error().kind == SendError::Kind::bad_markup) {
    sent = co_await channel.send_media(target, media, caption, true);
  }
  co_return sent;
}

asio::awaitable<void> OutboundQueue::discard_files(const std::vector<SpooledFile>& files) {
  if (files.empty()) {
    co_return;
  }
  auto remove = [&files]() { remove_spooled(files); };
  co_await core::run_blocking(database_.pool(), remove);
}

}  // namespace pincer::channels
