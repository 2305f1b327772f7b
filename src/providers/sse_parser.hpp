#pragma once
// An incremental reader of server-sent events (the WHATWG "text/event-stream" format): feed it
// the response body in whatever pieces the network delivers and it calls back once per event.
//
// - Lines end in \n, \r\n or \r, also when a \r ends one piece and its \n starts the next.
// - `event:`, `data:` (several lines joined with \n), `id:` and `retry:` fields; lines starting
//   with `:` are comments; one space after the colon is dropped; a leading BOM is skipped; a
//   blank line dispatches the event (an event without data lines is dropped, as the spec says).
// - finish() dispatches an event the stream left without its closing blank line.
// - A line (or an event's data) longer than the limit fails the stream with a clear error
//   rather than growing without bound.
//
// The event passed to the callback views the caller's bytes or the parser's buffers and is valid
// only during the call. Events whose data sits on one line inside one fed piece are not copied.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/result.hpp"

namespace pincer::providers {

struct SseEvent {
  std::string_view type;  // empty when the stream named none ("message" to a browser)
  std::string_view data;
  std::string_view last_event_id;
};

class SseParser {
 public:
  static constexpr std::size_t kDefaultMaxLineBytes = std::size_t{8} * 1024 * 1024;

  explicit SseParser(std::size_t max_line_bytes = kDefaultMaxLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Parses `bytes`, calling `on_event(const SseEvent&)` for each complete event. The callback
  // may return bool: false stops parsing at once (feed returns success; the parser must not be
  // fed again). Fails with Errc::parse when a line or an event exceeds the limit.
  template <class OnEvent>
  Status feed(std::string_view bytes, OnEvent&& on_event) {
    return feed_impl(bytes, Callback(on_event));
  }

  // The stream ended: treats an unterminated last line as complete and dispatches a pending
  // event.
  template <class OnEvent>
  Status finish(OnEvent&& on_event) {
    return finish_impl(Callback(on_event));
  }

  // The server's last `retry:` value, when it sent one.
  std::optional<std::chrono::milliseconds> retry() const { return retry_; }
  std::string_view last_event_id() const { return last_event_id_; }

 private:
  // A non-owning reference to the caller's callable, so the parsing loop is compiled once.
  class Callback {
   public:
    template <class F>
    explicit Callback(F& f)
        : object_(&f), call_([](void* object, const SseEvent& event) -> bool {
            F& fn = *static_cast<F*>(object);
            if constexpr (std::is_same_v<std::invoke_result_t<F&, const SseEvent&>, bool>) {
              return fn(event);
            } else {
              fn(event);
              return true;
            }
          }) {}
    bool operator()(const SseEvent& event) const { return call_(object_, event); }

   private:
    void* object_;
    bool (*call_)(void*, const SseEvent&);
  };

  Status feed_impl(std::string_view bytes, Callback on_event);
  Status finish_impl(Callback on_event);
  // One complete line (without its terminator). Sets stopped_ when the callback says stop.
  Status process_line(std::string_view line, Callback& on_event);
  Status append_data(std::string_view value);
  // Copies data that still views bytes about to go away (the fed piece or the line buffer).
  void own_pending_data();
  Status line_too_long() const;

  std::size_t max_line_bytes_;
  std::string line_;   // a line split across fed pieces
  std::string event_;  // the `event:` field of the event being read
  std::string data_;   // owned data, used once data_view_ cannot view the input
  std::string_view data_view_;
  bool has_data_ = false;
  bool data_owned_ = false;
  bool skip_lf_ = false;  // the previous piece ended in \r: a \n starting this one is its pair
  std::size_t bom_matched_ = 0;
  bool bom_done_ = false;
  bool stopped_ = false;
  std::string last_event_id_;
  std::optional<std::chrono::milliseconds> retry_;
};

}  // namespace pincer::providers
