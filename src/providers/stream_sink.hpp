#pragma once
// Where a streaming model call reports progress while it runs. The agent runner turns these into
// gateway `agent`/`chat` events and channel draft updates; the final, assembled reply comes back
// separately as a ModelResponse, so a sink may ignore anything it does not show.
//
// Calls arrive on the I/O thread in stream order and must not block.

#include <string_view>

#include "providers/model_types.hpp"

namespace pincer::providers {

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void on_text_delta(std::string_view /*text*/) {}
  virtual void on_thinking_delta(std::string_view /*text*/) {}
  // A tool call whose arguments are complete (adapters buffer partial JSON until then).
  virtual void on_tool_call(const ToolCallPart& /*call*/) {}
};

// A sink that shows nothing (compaction summaries, tests).
class NullStreamSink final : public StreamSink {};

}  // namespace pincer::providers
