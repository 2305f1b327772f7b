#include "channels/reply_streamer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "channels/delivery/outbound_format.hpp"
#include "core/log.hpp"
#include "store/channel_queue_store.hpp"

namespace pincer::channels {

namespace asio = boost::asio;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct ReplyStreamer::Run {
  std::string run_id;
  ReplyTarget target;
  bool finished = false;
  std::optional<agent::RunOutcome> outcome;  // set at the end; delivered once previews settle
  // The preview message (partial and progress modes).
  std::string preview_text;  // what it should show
  std::string preview_shown;
  bool preview_busy = false;  // a send or edit is in flight
  std::chrono::steady_clock::time_point last_edit{};
  std::unique_ptr<asio::steady_timer> edit_timer;
  std::vector<std::string> tool_lines;
  std::unique_ptr<agent::BlockChunker> chunker;  // block mode
  std::unique_ptr<asio::steady_timer> typing_timer;
};

ReplyStreamer::ReplyStreamer(asio::io_context& io, store::DatabaseAccess& database,
                             OutboundQueue& queue, ChannelLookup lookup)
    : io_(io), database_(database), queue_(queue), lookup_(std::move(lookup)) {}

ReplyStreamer::~ReplyStreamer() {
  for (auto& [id, run] : runs_) {
    run->finished = true;
    if (run->typing_timer) {
      run->typing_timer->cancel();
    }
    if (run->edit_timer) {
      run->edit_timer->cancel();
    }
  }
}

void ReplyStreamer::expect(const std::string& run_id, ReplyTarget target) {
  auto run = std::make_shared<Run>();
  run->run_id = run_id;
  run->target = std::move(target);
  run->preview_text.clear();
  if (run->target.streaming == core::StreamingMode::block) {
    Channel* channel = lookup_(run->target.channel, run->target.account_id);
    agent::BlockChunkSettings settings;
    if (channel != nullptr) {
      settings.hard_limit = channel->capabilities().max_text_length;
    }
    run->chunker = std::make_unique<agent::BlockChunker>(settings);
  }
  runs_[run_id] = std::move(run);
}

void ReplyStreamer::on_run_event(const agent::RunEvent& event) {
  auto found = runs_.find(std::string(event.run_id));
  if (found == runs_.end()) {
    return;
  }
  std::shared_ptr<Run> run = found->second;
  using Kind = agent::RunEvent::Kind;
  switch (event.kind) {
    case Kind::started:
      start_typing(run);
      if (run->target.streaming == core::StreamingMode::progress) {
        run->preview_text = "_Working…_";
        update_preview(run);
      }
      break;
    case Kind::text_delta:
      if (run->target.streaming == core::StreamingMode::partial) {
        run->preview_text = std::string(event.accumulated);
        update_preview(run);
      } else if (run->chunker) {
        for (auto& block : run->chunker->push(event.text)) {
          store::OutboundRow row;
          row.channel = run->target.channel;
          row.account_id = run->target.account_id;
          row.target = run->target.target.chat_id;
          row.thread_id = run->target.target.thread_id;
          row.kind = "block";
          row.text = std::move(block);
          row.run_id = run->run_id;
          asio::co_spawn(
              io_,
              [this, row = std::move(row)]() -> asio::awaitable<void> {
                co_await queue_.enqueue(row, std::nullopt);
              },
              asio::detached);
        }
      }
      break;
    case Kind::tool_started:
      if (run->target.streaming == core::StreamingMode::progress && event.tool != nullptr) {
        run->tool_lines.push_back("• `" + event.tool->name + "`");
        if (run->tool_lines.size() > 8) {
          run->tool_lines.erase(run->tool_lines.begin());
        }
        std::string text = "_Working…_";
        for (const auto& line : run->tool_lines) {
          text += "\n" + line;
        }
        run->preview_text = std::move(text);
        update_preview(run);
      }
      break;
    case Kind::finished:
      if (event.outcome != nullptr) {
        runs_.erase(found);
        finish(run, *event.outcome);
      }
      break;
    default:
      break;
  }
}

void ReplyStreamer::start_typing(const std::shared_ptr<Run>& run) {
  Channel* channel = lookup_(run->target.channel, run->target.account_id);
  if (channel == nullptr || !channel->capabilities().typing || run->typing_timer) {
    return;
  }
  run->typing_timer = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(
      io_,
      [this, run]() -> asio::awaitable<void> {
        while (!run->finished) {
          Channel* current = lookup_(run->target.channel, run->target.account_id);
          if (current == nullptr) {
            break;
          }
          co_await current->typing(run->target.target);
          run->typing_timer->expires_after(kTypingEvery);
          co_await run->typing_timer->async_wait(kTuple);
        }
      },
      asio::detached);
}

void ReplyStreamer::update_preview(const std::shared_ptr<Run>& run) {
  if (run->preview_busy || run->finished) {
    return;  // the coroutine in flight picks the newest text up when it is done
  }
  if (run->target.streaming == core::StreamingMode::partial && run->preview_shown.empty() &&
      run->target.draft_message_id.empty() && run->preview_text.size() < kFirstPreviewChars) {
    return;  // a preview of two words only flickers
  }
  run->preview_busy = true;
  asio::co_spawn(
      io_,
      [this, run]() -> asio::awaitable<void> {
        while (!run->finished && run->preview_text != run->preview_shown) {
          auto since = std::chrono::steady_clock::now() - run->last_edit;
          if (!run->target.draft_message_id.empty() && since < kEditEvery) {
            if (!run->edit_timer) {
              run->edit_timer = std::make_unique<asio::steady_timer>(io_);
            }
            run->edit_timer->expires_after(kEditEvery - since);
            co_await run->edit_timer->async_wait(kTuple);
            continue;
          }
          Channel* channel = lookup_(run->target.channel, run->target.account_id);
          if (channel == nullptr) {
            break;
          }
          std::string text = run->preview_text;
          auto parts = render_parts(channel->capabilities(), text);
          if (parts.empty()) {
            break;
          }
          run->last_edit = std::chrono::steady_clock::now();
          if (run->target.draft_message_id.empty()) {
            auto sent = co_await OutboundQueue::send_part(*channel, run->target.target, parts[0]);
            if (!sent) {
              break;  // previews are best effort
            }
            run->target.draft_message_id = sent->message_id;
            if (run->target.streaming == core::StreamingMode::partial) {
              // Named, not a temporary in the co_await: GCC 12 destroys a temporary closure
              // with non-trivial captures twice there.
              auto record = [id = run->target.inbound_id,
                             draft = sent->message_id](store::Database& db) {
                return store::ChannelQueueStore(db).set_inbound_draft(id, draft, now_ms());
              };
              co_await database_.with(record);
            }
          } else {
            auto edited = co_await channel->edit(run->target.target, run->target.draft_message_id,
                                                 parts[0], false);
            if (!edited && edited.error().kind == SendError::Kind::bad_markup) {
              edited = co_await channel->edit(run->target.target, run->target.draft_message_id,
                                              parts[0], true);
            }
            if (!edited && edited.error().kind != SendError::Kind::not_modified) {
              break;
            }
          }
          run->preview_shown = std::move(text);
        }
        run->preview_busy = false;
        if (run->outcome) {
          agent::RunOutcome outcome = std::move(*run->outcome);  // finish() resets run->outcome
          finish(run, outcome);
        }
      },
      asio::detached);
}

void ReplyStreamer::finish(const std::shared_ptr<Run>& run, const agent::RunOutcome& outcome) {
  run->finished = true;
  if (run->typing_timer) {
    run->typing_timer->cancel();
  }
  if (run->edit_timer) {
    run->edit_timer->cancel();
  }
  if (run->preview_busy) {
    run->outcome = outcome;  // the preview coroutine calls back once its edit is done
    return;
  }
  run->outcome.reset();
  if (shutting_down_ && outcome.status == agent::RunStatus::aborted) {
    return;  // the message stays open and is answered after the restart
  }

  std::string text;
  if (!outcome.merged_into.empty()) {
    // Answered by the run this message was merged into; that run delivers the reply.
  } else if (outcome.status == agent::RunStatus::ok) {
    text = outcome.text;
    if (run->chunker) {
      text.clear();
      for (auto& block : run->chunker->finish()) {
        text += text.empty() ? block : "\n\n" + block;
      }
    }
  } else if (outcome.status == agent::RunStatus::error ||
             outcome.status == agent::RunStatus::timeout) {
    text =
        "⚠️ " + (outcome.error.empty() ? std::string("Something went wrong.") : outcome.error);
  }
  Channel* channel = lookup_(run->target.channel, run->target.account_id);
  bool progress = run->target.streaming == core::StreamingMode::progress;
  std::string draft = progress ? std::string() : run->target.draft_message_id;
  if (!text.empty() && channel != nullptr && !channel->capabilities().response_prefix.empty()) {
    text = channel->capabilities().response_prefix + " " + text;
  }
  if (progress && !run->target.draft_message_id.empty() && channel != nullptr) {
    asio::co_spawn(
        io_,
        [channel, target = run->target.target, id = run->target.draft_message_id]()
            -> asio::awaitable<void> { co_await channel->remove(target, id); },
        asio::detached);
  }
  int64_t inbound_id = run->target.inbound_id;
  if (text.empty()) {
    if (!draft.empty() && channel != nullptr) {
      // A silent reply: the preview of text the agent then withdrew goes away.
      asio::co_spawn(
          io_,
          [channel, target = run->target.target, draft]() -> asio::awaitable<void> {
            co_await channel->remove(target, draft);
          },
          asio::detached);
    }
    asio::co_spawn(
        io_,
        [this, inbound_id, run_id = run->run_id]() -> asio::awaitable<void> {
          co_await database_.with([&](store::Database& db) {
            return store::ChannelQueueStore(db).set_inbound_state(
                inbound_id, store::inbound_state::kAnswered, run_id, "", now_ms());
          });
        },
        asio::detached);
    return;
  }
  store::OutboundRow row;
  row.channel = run->target.channel;
  row.account_id = run->target.account_id;
  row.target = run->target.target.chat_id;
  row.thread_id = run->target.target.thread_id;
  row.reply_to = run->target.target.reply_to_message_id;
  row.text = std::move(text);
  row.kind = "reply";
  row.draft_message_id = draft;
  row.run_id = run->run_id;
  row.inbound_id = inbound_id;
  asio::co_spawn(
      io_,
      [this, row = std::move(row), inbound_id]() -> asio::awaitable<void> {
        auto queued = co_await queue_.enqueue(row, inbound_id);
        if (!queued) {
          log::error("channels", "could not queue the reply to {} {}: {}", row.channel,
                     row.account_id, queued.error().describe());
        }
      },
      asio::detached);
}

}  // namespace pincer::channels
