#pragma once
// Feeds recorded SSE bytes to an adapter's decoder, so adapter tests need no sockets and no
// dependency on the transport's SSE parser: events are split at blank lines (LF or CRLF),
// `event:` and `data:` fields read, multi-line data joined with "\n", comments skipped.

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "providers/api_adapter.hpp"
#include "providers/stream_sink.hpp"

namespace pincer::providers::testing {

struct SseEventForTest {
  std::string event;
  std::string data;
};

inline std::vector<SseEventForTest> split_sse_for_test(std::string_view bytes) {
  std::string text;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r') {
      text.push_back('\n');
      if (i + 1 < bytes.size() && bytes[i + 1] == '\n') {
        ++i;
      }
    } else {
      text.push_back(bytes[i]);
    }
  }
  std::vector<SseEventForTest> events;
  SseEventForTest current;
  bool has_data = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line(text.data() + start, end - start);
    if (line.empty()) {
      if (has_data) {
        events.push_back(std::move(current));
      }
      current = {};
      has_data = false;
    } else if (line.front() != ':') {
      std::size_t colon = line.find(':');
      std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
      }
      if (field == "event") {
        current.event = value;
      } else if (field == "data") {
        if (has_data) {
          current.data += '\n';
        }
        current.data += value;
        has_data = true;
      }
    }
    start = end + 1;
  }
  return events;  // an event without its closing blank line was cut off: not dispatched
}

class RecordingSink final : public StreamSink {
 public:
  void on_text_delta(std::string_view text) override {
    text_ += text;
    ++text_deltas_;
  }
  void on_thinking_delta(std::string_view text) override { thinking_ += text; }
  void on_tool_call(const ToolCallPart& call) override { calls_.push_back(call); }

  std::string text_;
  std::string thinking_;
  int text_deltas_ = 0;
  std::vector<ToolCallPart> calls_;
};

inline std::string join_chunks_for_test(const std::vector<std::string>& chunks) {
  std::string joined;
  for (const std::string& chunk : chunks) {
    joined += chunk;
  }
  return joined;
}

// Runs the whole stream through a fresh decoder: the first in-stream error, or finish().
inline std::expected<ModelResponse, ProviderError> replay_sse_for_test(const ApiAdapter& adapter,
                                                                       std::string_view bytes,
                                                                       StreamSink& sink) {
  auto decoder = adapter.make_decoder();
  for (const SseEventForTest& event : split_sse_for_test(bytes)) {
    if (auto handled = decoder->on_event(event.event, event.data, sink); !handled) {
      return std::unexpected(handled.error());
    }
  }
  return decoder->finish();
}

}  // namespace pincer::providers::testing
