// SSE parsing throughput on an Anthropic-like stream: the per-byte cost every streamed reply
// pays before its adapter sees an event. Reported as bytes/s (MB/s).

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "providers/sse_parser.hpp"

namespace {

// A Messages API stream: message_start, ~2000 small text deltas with pings, message_stop.
std::string anthropic_like_stream() {
  std::string stream =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\","
      "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4\",\"content\":[],"
      "\"usage\":{\"input_tokens\":2048,\"output_tokens\":1}}}\n\n"
      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
      "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
  for (int i = 0; i < 2000; ++i) {
    stream +=
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"token " +
        std::to_string(i) + " of the reply \"}}\n\n";
    if (i % 100 == 0) {
      stream += "event: ping\ndata: {\"type\": \"ping\"}\n\n";
    }
  }
  stream +=
      "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"end_turn\"},\"usage\":{\"output_tokens\":2000}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  return stream;
}

// The stream as the network delivers it: pieces of `piece` bytes cutting events anywhere.
void BM_SseParseAnthropicStream(benchmark::State& state) {
  const std::string stream = anthropic_like_stream();
  const auto piece = static_cast<std::size_t>(state.range(0));
  std::size_t events = 0;
  auto count = [&](const pincer::providers::SseEvent& event) {
    events += event.data.size() > 0 ? 1 : 0;
  };
  for (auto _ : state) {
    pincer::providers::SseParser parser;
    for (std::size_t offset = 0; offset < stream.size(); offset += piece) {
      auto status = parser.feed(std::string_view(stream).substr(offset, piece), count);
      benchmark::DoNotOptimize(status);
    }
    auto status = parser.finish(count);
    benchmark::DoNotOptimize(status);
  }
  benchmark::DoNotOptimize(events);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_SseParseAnthropicStream)->Arg(1400)->Arg(16384)->Arg(64);

}  // namespace
