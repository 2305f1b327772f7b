#pragma once
// What the fake model server should answer, independent of wire format, and the renderers that
// turn it into each provider's documented streaming bytes. The fake LLM server
// (fake_llm_server.hpp) serves these to the real adapters over HTTP on 127.0.0.1.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace pincer::fakes {

struct FakeToolCall {
  std::string id;  // empty: the renderer makes one up
  std::string name;
  boost::json::object arguments;
};

struct FakeReply {
  std::string thinking;  // streamed first when set
  std::string text;
  std::vector<FakeToolCall> tool_calls;
  std::string model = "fake-model";
  int64_t input_tokens = 10;
  int64_t output_tokens = 5;
  int64_t cache_read_tokens = 0;
  int64_t cache_write_tokens = 0;
  bool max_tokens = false;  // stop because the output limit was hit
  // Text is split into deltas of at most this many bytes (UTF-8 sequences are kept whole).
  std::size_t delta_bytes = 8;
};

// Each returns the response body as a list of chunks, one complete SSE event (or line) per
// chunk, so the server can pace, cut or corrupt the stream between them.
std::vector<std::string> render_anthropic_stream(const FakeReply& reply);
std::vector<std::string> render_openai_completions_stream(const FakeReply& reply);
std::vector<std::string> render_openai_responses_stream(const FakeReply& reply);
std::vector<std::string> render_gemini_stream(const FakeReply& reply);

// Each API's documented error body for an HTTP error (`type` is the API's error type string,
// e.g. "rate_limit_error" for Anthropic, "rate_limit_exceeded" for OpenAI, "RESOURCE_EXHAUSTED"
// for Gemini).
std::string render_anthropic_error(std::string_view type, std::string_view message);
std::string render_openai_error(std::string_view type, std::string_view message);
std::string render_gemini_error(int http_status, std::string_view status, std::string_view message);

}  // namespace pincer::fakes
