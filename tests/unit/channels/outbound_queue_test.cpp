// OutboundQueue's file path: rows carrying spooled files, delivered through a recording channel,
// with a real state.db on disk.
#include "channels/delivery/outbound_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "channels/delivery/outbound_media.hpp"
#include "store/channel_queue_store.hpp"
#include "store/database_access.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::channels {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One call the queue made on the channel.
struct Call {
  enum class Kind { send, edit, media } kind = Kind::send;
  OutboundTarget target;
  std::optional<OutboundPart> part;  // the text, or the caption of a file
  bool use_fallback = false;
  std::optional<OutboundMedia> media;
  bool ok = true;

  // What the recipient would read: the markup, or its plain twin when the fallback was asked.
  std::string shown_text() const {
    if (!part) {
      return {};
    }
    return use_fallback ? part->fallback : part->text;
  }
};

// A channel that records every send and fails the calls `fail` picks.
class RecordingChannel final : public Channel {
 public:
  std::string_view id() const override { return "fake"; }
  const std::string& account_id() const override { return account_; }
  ChannelCapabilities capabilities() const override { return capabilities_; }
  ChannelStatus status() const override { return {}; }
  void start() override {}
  asio::awaitable<void> stop() override { co_return; }

  asio::awaitable<SendResult<SentMessage>> send(const OutboundTarget& target,
                                                const OutboundPart& part,
                                                bool use_fallback) override {
    Call call{Call::Kind::send, target, part, use_fallback, std::nullopt, true};
    co_return record(std::move(call));
  }
  asio::awaitable<SendResult<void>> edit(const OutboundTarget& target, std::string_view,
                                         const OutboundPart& part, bool use_fallback) override {
    Call call{Call::Kind::edit, target, part, use_fallback, std::nullopt, true};
    auto result = record(std::move(call));
    if (!result) {
      co_return std::unexpected(result.error());
    }
    co_return SendResult<void>{};
  }
  asio::awaitable<SendResult<void>> remove(const OutboundTarget&, std::string_view) override {
    co_return SendResult<void>{};
  }
  asio::awaitable<SendResult<void>> typing(const OutboundTarget&) override {
    co_return SendResult<void>{};
  }
  asio::awaitable<SendResult<void>> react(const OutboundTarget&, std::string_view,
                                          std::string_view) override {
    co_return SendResult<void>{};
  }
  asio::awaitable<SendResult<SentMessage>> send_media(const OutboundTarget& target,
                                                      const OutboundMedia& media,
                                                      const OutboundPart* caption,
                                                      bool use_fallback) override {
    std::optional<OutboundPart> text;
    if (caption != nullptr) {
      text = *caption;
    }
    Call call{Call::Kind::media, target, text, use_fallback, media, true};
    co_return record(std::move(call));
  }
  std::size_t max_caption_length() const override { return max_caption_; }

  ChannelCapabilities capabilities_ = media_capabilities();
  std::size_t max_caption_ = 1024;
  // Picks the calls that fail (the call's index among all calls, and the call).
  std::function<std::optional<SendError>(std::size_t, const Call&)> fail;
  std::vector<Call> calls;

  std::vector<const Call*> successful() const {
    std::vector<const Call*> out;
    for (const auto& call : calls) {
      if (call.ok) {
        out.push_back(&call);
      }
    }
    return out;
  }

 private:
  static ChannelCapabilities media_capabilities() {
    ChannelCapabilities capabilities;
    capabilities.max_text_length = 4000;
    capabilities.markup = Markup::plain;
    capabilities.media = true;
    return capabilities;
  }

  SendResult<SentMessage> record(Call call) {
    std::optional<SendError> error;
    if (fail) {
      error = fail(calls.size(), call);
    }
    call.ok = !error;
    calls.push_back(std::move(call));
    if (error) {
      return std::unexpected(*error);
    }
    return SentMessage{"m" + std::to_string(calls.size())};
  }

  std::string account_ = "default";
};

class OutboundQueueMediaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_state_database(dir / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::make_unique<store::Database>(std::move(*opened));
    access = std::make_unique<store::DatabaseAccess>(pool, *db);
    queue = std::make_unique<OutboundQueue>(
        io, *access, [this](std::string_view channel_id, std::string_view account) -> Channel* {
          return channel_id == "fake" && account == "default" ? &channel : nullptr;
        });
  }

  void TearDown() override {
    if (queue) {
      bool stopped = false;
      auto stop = [&]() -> asio::awaitable<void> {
        co_await queue->stop();
        stopped = true;
      };
      asio::co_spawn(io, stop, asio::detached);
      EXPECT_TRUE(run_until([&] { return stopped; }, 5s));
    }
    pool.join();
  }

  // Runs the I/O loop until `done` holds or `timeout` passes; returns `done()`.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      if (io.stopped()) {
        io.restart();
      }
      io.run_one_for(10ms);
    }
    return done();
  }

  SpooledFile spool(std::string_view bytes, std::string name, bool as_document = false) {
    auto file = spool_bytes(dir / "media" / "outbound", bytes, std::move(name), "");
    EXPECT_TRUE(file) << (file ? "" : file.error().describe());
    SpooledFile out = file.value_or(SpooledFile{});
    out.as_document = as_document;
    return out;
  }

  static store::OutboundRow row_with(std::string text, const std::vector<SpooledFile>& files) {
    store::OutboundRow row;
    row.channel = "fake";
    row.account_id = "default";
    row.target = "chat-1";
    row.kind = "send";
    row.text = std::move(text);
    row.media_json = media_to_json(files);
    return row;
  }

  struct Delivery {
    bool finished = false;  // wait_delivered returned
    int64_t queue_id = 0;
    std::optional<std::string> first_id;  // nullopt: dropped (or not delivered in time)
  };

  // Starts the worker, queues `row` and waits (at most `timeout`) for it to leave the queue.
  Delivery deliver(const store::OutboundRow& row, std::chrono::milliseconds timeout = 2500ms) {
    auto outcome = std::make_shared<Delivery>();
    queue->start();
    auto body = [this, outcome, row, timeout]() -> asio::awaitable<void> {
      auto queued = co_await queue->enqueue(row, std::nullopt);
      if (!queued) {
        ADD_FAILURE() << queued.error().describe();
        outcome->finished = true;
        co_return;
      }
      outcome->queue_id = *queued;
      outcome->first_id = co_await queue->wait_delivered(*queued, timeout);
      outcome->finished = true;
    };
    asio::co_spawn(io, body, asio::detached);
    EXPECT_TRUE(run_until([&] { return outcome->finished; }, timeout + 1s));
    return *outcome;
  }

  // The rows still queued, read through the serialized access (the worker may be running).
  std::vector<store::OutboundRow> queued_rows() {
    std::optional<std::vector<store::OutboundRow>> rows;
    auto read = [&]() -> asio::awaitable<void> {
      auto all = co_await access->with([](store::Database& database) {
        return store::ChannelQueueStore(database).all_outbound();
      });
      EXPECT_TRUE(all) << (all ? "" : all.error().describe());
      rows = all.value_or(std::vector<store::OutboundRow>{});
    };
    asio::co_spawn(io, read, asio::detached);
    EXPECT_TRUE(run_until([&] { return rows.has_value(); }, 2s));
    return rows.value_or(std::vector<store::OutboundRow>{});
  }

  testing::TempDir dir;
  asio::thread_pool pool{1};  // one thread: database calls run in the order they were made
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::DatabaseAccess> access;
  asio::io_context io;
  RecordingChannel channel;
  std::unique_ptr<OutboundQueue> queue;
};

// A text that fits a caption rides on the file: one send_media with the caption, no text message.
TEST_F(OutboundQueueMediaTest, ShortTextIsTheCaption) {
  SpooledFile photo = spool("\x89PNG-bytes", "photo.png");
  Delivery d = deliver(row_with("Look at this", {photo}));
  ASSERT_TRUE(d.finished);
  EXPECT_EQ(d.first_id, "m1");
  ASSERT_EQ(channel.calls.size(), 1u);
  const Call& call = channel.calls[0];
  EXPECT_EQ(call.kind, Call::Kind::media);
  ASSERT_TRUE(call.part.has_value());
  EXPECT_EQ(call.shown_text(), "Look at this");
  EXPECT_FALSE(call.use_fallback);
  ASSERT_TRUE(call.media.has_value());
  EXPECT_EQ(call.media->bytes, "\x89PNG-bytes");
  EXPECT_EQ(call.media->file_name, "photo.png");
  EXPECT_EQ(call.media->content_type, "image/png");
  EXPECT_EQ(call.target.chat_id, "chat-1");
  EXPECT_TRUE(queued_rows().empty());
}

// A file without text goes out alone, with no caption and no empty text message.
TEST_F(OutboundQueueMediaTest, FileWithoutTextHasNoCaption) {
  SpooledFile doc = spool("%PDF", "report.pdf");
  Delivery d = deliver(row_with("", {doc}));
  ASSERT_TRUE(d.finished);
  ASSERT_EQ(channel.calls.size(), 1u);
  EXPECT_EQ(channel.calls[0].kind, Call::Kind::media);
  EXPECT_FALSE(channel.calls[0].part.has_value());
  EXPECT_EQ(channel.calls[0].media->bytes, "%PDF");
}

// A text longer than a caption goes first as its own message; the file follows without one.
TEST_F(OutboundQueueMediaTest, TextLongerThanACaptionGoesFirst) {
  channel.max_caption_ = 20;
  SpooledFile photo = spool("img", "photo.jpg");
  std::string text = "This text is longer than twenty characters.";
  Delivery d = deliver(row_with(text, {photo}));
  ASSERT_TRUE(d.finished);
  EXPECT_EQ(d.first_id, "m1");
  ASSERT_EQ(channel.calls.size(), 2u);
  EXPECT_EQ(channel.calls[0].kind, Call::Kind::send);
  EXPECT_EQ(channel.calls[0].shown_text(), text);
  EXPECT_EQ(channel.calls[1].kind, Call::Kind::media);
  EXPECT_FALSE(channel.calls[1].part.has_value());
  EXPECT_EQ(channel.calls[1].media->file_name, "photo.jpg");
}

// A text cut into several messages is never a caption: all parts first, then the file.
TEST_F(OutboundQueueMediaTest, MultiPartTextGoesBeforeTheFile) {
  channel.capabilities_.max_text_length = 40;
  SpooledFile photo = spool("img", "photo.jpg");
  std::string text =
      "First paragraph that is long enough.\n\nSecond paragraph that is long too.\n\n"
      "Third paragraph closes the text.";
  Delivery d = deliver(row_with(text, {photo}));
  ASSERT_TRUE(d.finished);
  ASSERT_GE(channel.calls.size(), 3u);
  std::string joined;
  for (std::size_t i = 0; i + 1 < channel.calls.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(channel.calls[i].kind, Call::Kind::send);
    EXPECT_LE(channel.calls[i].shown_text().size(), 40u);
    joined += channel.calls[i].shown_text();
  }
  EXPECT_NE(joined.find("First paragraph"), std::string::npos);
  EXPECT_NE(joined.find("Third paragraph"), std::string::npos);
  const Call& last = channel.calls.back();
  EXPECT_EQ(last.kind, Call::Kind::media);
  EXPECT_FALSE(last.part.has_value());
}

// Several files go in the order given; only the first carries the caption and the reply-to.
TEST_F(OutboundQueueMediaTest, MultipleFilesInOrder) {
  std::vector<SpooledFile> files = {spool("1", "one.png"), spool("22", "two.pdf"),
                                    spool("333", "three.txt")};
  store::OutboundRow row = row_with("Three files", files);
  row.reply_to = "77";
  Delivery d = deliver(row);
  ASSERT_TRUE(d.finished);
  EXPECT_EQ(d.first_id, "m1");
  ASSERT_EQ(channel.calls.size(), 3u);
  const char* names[] = {"one.png", "two.pdf", "three.txt"};
  const char* bytes[] = {"1", "22", "333"};
  for (std::size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    ASSERT_EQ(channel.calls[i].kind, Call::Kind::media);
    EXPECT_EQ(channel.calls[i].media->file_name, names[i]);
    EXPECT_EQ(channel.calls[i].media->bytes, bytes[i]);
    EXPECT_EQ(channel.calls[i].part.has_value(), i == 0);
    EXPECT_EQ(channel.calls[i].target.reply_to_message_id, i == 0 ? "77" : "");
  }
  EXPECT_EQ(channel.calls[0].shown_text(), "Three files");
  EXPECT_EQ(channel.calls[1].media->content_type, "application/pdf");
}

// A retryable failure on the second file reschedules the row with its progress; the next run
// (after the 1 s backoff) resumes at that file and does not send the first one again.
TEST_F(OutboundQueueMediaTest, RetryResumesAtTheFailedFile) {
  std::vector<SpooledFile> files = {spool("1", "one.png"), spool("2", "two.png")};
  channel.fail = [](std::size_t index, const Call&) -> std::optional<SendError> {
    if (index == 1) {
      return SendError{SendError::Kind::retry, "network down", {}};
    }
    return std::nullopt;
  };
  store::OutboundRow row = row_with("caption", files);
  queue->start();
  std::optional<int64_t> id;
  auto enqueue = [&]() -> asio::awaitable<void> {
    auto queued = co_await queue->enqueue(row, std::nullopt);
    EXPECT_TRUE(queued);
    id = queued.value_or(-1);
  };
  asio::co_spawn(io, enqueue, asio::detached);
  ASSERT_TRUE(run_until([&] { return channel.calls.size() >= 2; }, 2s));

  // Rescheduled with the first file recorded as sent (the write may still be on its way).
  auto rows = queued_rows();
  for (int i = 0; i < 50 && (rows.size() != 1 || rows[0].attempts == 0); ++i) {
    rows = queued_rows();
  }
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].id, id.value_or(-1));
  EXPECT_EQ(rows[0].parts_sent, 1);
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].last_error, "network down");
  EXPECT_TRUE(fs::exists(files[0].path));  // kept until the row leaves the queue
  EXPECT_TRUE(fs::exists(files[1].path));

  ASSERT_TRUE(run_until([&] { return channel.calls.size() >= 3; }, 2500ms));
  ASSERT_TRUE(run_until([&] { return !fs::exists(files[1].path); }, 1s));
  ASSERT_EQ(channel.calls.size(), 3u);
  EXPECT_EQ(channel.calls[0].media->file_name, "one.png");
  EXPECT_EQ(channel.calls[1].media->file_name, "two.png");
  EXPECT_FALSE(channel.calls[1].ok);
  EXPECT_EQ(channel.calls[2].media->file_name, "two.png");
  EXPECT_TRUE(channel.calls[2].ok);
  EXPECT_FALSE(channel.calls[2].part.has_value());  // the caption went with the first file
  EXPECT_TRUE(queued_rows().empty());
  EXPECT_FALSE(fs::exists(files[0].path));
}

// A spooled file that is gone drops the row: nothing is sent for it, and it is not retried.
TEST_F(OutboundQueueMediaTest, VanishedSpoolFileDropsTheRow) {
  SpooledFile photo = spool("img", "photo.png");
  fs::remove(photo.path);
  Delivery d = deliver(row_with("caption", {photo}));
  ASSERT_TRUE(d.finished);
  EXPECT_FALSE(d.first_id.has_value());
  EXPECT_TRUE(channel.calls.empty());
  EXPECT_TRUE(queued_rows().empty());
}

// When the second of two files is gone, the first is sent, the row is dropped at the second,
// and the first's spool copy is removed as well.
TEST_F(OutboundQueueMediaTest, VanishedSecondFileDropsTheRestOfTheRow) {
  std::vector<SpooledFile> files = {spool("1", "one.png"), spool("2", "two.png")};
  fs::remove(files[1].path);
  Delivery d = deliver(row_with("", files));
  ASSERT_TRUE(d.finished);
  EXPECT_FALSE(d.first_id.has_value());  // dropped rows settle without an id
  ASSERT_EQ(channel.calls.size(), 1u);
  EXPECT_EQ(channel.calls[0].media->file_name, "one.png");
  EXPECT_TRUE(queued_rows().empty());
  EXPECT_FALSE(fs::exists(files[0].path));
}

// A caption whose markup the app refuses is sent again with the plain fallback.
TEST_F(OutboundQueueMediaTest, BadMarkupCaptionIsResentPlain) {
  channel.capabilities_.markup = Markup::telegram_html;
  channel.fail = [](std::size_t, const Call& call) -> std::optional<SendError> {
    if (call.kind == Call::Kind::media && call.part && !call.use_fallback) {
      return SendError{SendError::Kind::bad_markup, "can't parse entities", {}};
    }
    return std::nullopt;
  };
  SpooledFile photo = spool("img", "photo.png");
  Delivery d = deliver(row_with("**bold** caption", {photo}));
  ASSERT_TRUE(d.finished);
  EXPECT_EQ(d.first_id, "m2");
  ASSERT_EQ(channel.calls.size(), 2u);
  EXPECT_FALSE(channel.calls[0].use_fallback);
  EXPECT_NE(channel.calls[0].shown_text().find("<b>bold</b>"), std::string::npos)
      << channel.calls[0].shown_text();
  EXPECT_TRUE(channel.calls[1].use_fallback);
  EXPECT_TRUE(channel.calls[1].ok);
  EXPECT_EQ(channel.calls[1].shown_text(), "bold caption");
  EXPECT_EQ(channel.calls[1].media->bytes, "img");
  EXPECT_TRUE(queued_rows().empty());
}

// bad_markup on a file without a caption has no fallback to try: the row is dropped.
TEST_F(OutboundQueueMediaTest, BadMarkupWithoutCaptionDropsTheRow) {
  channel.fail = [](std::size_t, const Call&) -> std::optional<SendError> {
    return SendError{SendError::Kind::bad_markup, "refused", {}};
  };
  SpooledFile photo = spool("img", "photo.png");
  Delivery d = deliver(row_with("", {photo}));
  ASSERT_TRUE(d.finished);
  EXPECT_FALSE(d.first_id.has_value());
  EXPECT_EQ(channel.calls.size(), 1u);
  EXPECT_TRUE(queued_rows().empty());
  EXPECT_FALSE(fs::exists(photo.path));
}

// Once the row is sent, its spool copies are deleted.
TEST_F(OutboundQueueMediaTest, SpoolFilesAreDeletedAfterDelivery) {
  std::vector<SpooledFile> files = {spool("1", "one.png"), spool("2", "two.png")};
  fs::path unrelated = dir / "media" / "outbound" / "unrelated";
  { std::ofstream(unrelated) << "keep"; }
  Delivery d = deliver(row_with("text", files));
  ASSERT_TRUE(d.finished);
  EXPECT_EQ(channel.calls.size(), 2u);
  EXPECT_FALSE(fs::exists(files[0].path));
  EXPECT_FALSE(fs::exists(files[1].path));
  EXPECT_TRUE(fs::exists(unrelated));
}

// A permanent error drops the row and removes its spool copies too.
TEST_F(OutboundQueueMediaTest, PermanentErrorDropsTheRowAndItsFiles) {
  channel.fail = [](std::size_t, const Call&) -> std::optional<SendError> {
    return SendError{SendError::Kind::permanent, "chat not found", {}};
  };
  SpooledFile photo = spool("img", "photo.png");
  Delivery d = deliver(row_with("caption", {photo}));
  ASSERT_TRUE(d.finished);
  EXPECT_FALSE(d.first_id.has_value());
  EXPECT_EQ(channel.calls.size(), 1u);
  EXPECT_TRUE(queued_rows().empty());
  EXPECT_FALSE(fs::exists(photo.path));
}

// The row's silent flag and each file's asDocument reach the channel.
TEST_F(OutboundQueueMediaTest, SilentAndAsDocumentReachTheChannel) {
  std::vector<SpooledFile> files = {spool("img", "photo.png", true), spool("img", "plain.png")};
  store::OutboundRow row = row_with("", files);
  row.silent = true;
  Delivery d = deliver(row);
  ASSERT_TRUE(d.finished);
  ASSERT_EQ(channel.calls.size(), 2u);
  EXPECT_TRUE(channel.calls[0].media->as_document);
  EXPECT_TRUE(channel.calls[0].media->silent);
  EXPECT_FALSE(channel.calls[1].media->as_document);
  EXPECT_TRUE(channel.calls[1].media->silent);

  channel.calls.clear();
  SpooledFile loud = spool("img", "loud.png");
  Delivery second = deliver(row_with("", {loud}));
  ASSERT_TRUE(second.finished);
  ASSERT_EQ(channel.calls.size(), 1u);
  EXPECT_FALSE(channel.calls[0].media->silent);
  EXPECT_FALSE(channel.calls[0].media->as_document);
}

// stop() returns promptly even when it is called while the worker awaits a database call: here
// right after a delivery settles, when the worker has moved on to next_due_at().
TEST_F(OutboundQueueMediaTest, StopWhileTheWorkerAwaitsTheDatabaseIsPrompt) {
  SpooledFile photo = spool("img", "photo.png");
  store::OutboundRow row = row_with("caption", {photo});
  queue->start();
  bool delivered = false;
  bool stopped = false;
  auto body = [&]() -> asio::awaitable<void> {
    auto queued = co_await queue->enqueue(row, std::nullopt);
    EXPECT_TRUE(queued);
    auto first_id = co_await queue->wait_delivered(queued.value_or(-1), 2s);
    delivered = first_id.has_value();
    co_await queue->stop();  // the worker is now awaiting next_due_at()
    stopped = true;
  };
  asio::co_spawn(io, body, asio::detached);
  EXPECT_TRUE(run_until([&] { return stopped; }, 2s));
  EXPECT_TRUE(delivered);
}

}  // namespace
}  // namespace pincer::channels
