#pragma once
// Feeds recorded server-sent-event bytes to an adapter's decoder, the way the transport does,
// so adapter tests need no sockets. The SSE split here is deliberately minimal (events end at a
// blank line; `event:` and `data:` fields; multi-line data joined with "\n"); the real parser
// lives with the transport and has its own tests.

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "providers/api_adapter.hpp"

namespace pincer::providers::testing {

struct SseEvent {
  std::string event;
  std::string data;
};

inline std::vector<SseEvent> split_sse(std::string_view bytes) {
  std::vector<SseEvent> events;
  SseEvent current;
  bool has_data = false;
  while (!bytes.empty()) {
    std::size_t end = bytes.find('\n');
    std::string_view line = bytes.substr(0, end);
    bytes.remove_prefix(end == std::string_view::npos ? bytes.size() : end + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      if (has_data) {
        events.push_back(std::move(current));
      }
      current = {};
      has_data = false;
      continue;
    }
    if (line.starts_with(':')) {
      continue;  // comment / keep-alive
    }
    std::string_view field = line.substr(0, line.find(':'));
    std::string_view value =
        field.size() < line.size() ? line.substr(field.size() + 1) : std::string_view{};
    if (value.starts_with(' ')) {
      value.remove_prefix(1);
    }
    if (field == "event") {
      current.event = std::string(value);
    } else if (field == "data") {
      if (has_data) {
        current.data += '\n';
      }
      current.data += value;
      has_data = true;
    }
  }
  if (has_data) {
    events.push_back(std::move(current));  // a stream cut without its final blank line
  }
  return events;
}

inline std::string join_chunks(const std::vector<std::string>& chunks) {
  std::string out;
  for (const std::string& chunk : chunks) {
    out += chunk;
  }
  return out;
}

// What the sink saw, in order.
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

// Every event through one decoder, then finish(); the first in-stream error ends it.
inline std::expected<ModelResponse, ProviderError> replay_sse(const ApiAdapter& adapter,
                                                              std::string_view bytes,
                                                              StreamSink& sink) {
  auto decoder = adapter.make_decoder();
  for (const SseEvent& event : split_sse(bytes)) {
    if (auto fed = decoder->on_event(event.event, event.data, sink); !fed) {
      return std::unexpected(fed.error());
    }
  }
  return decoder->finish();
}

}  // namespace pincer::providers::testing
