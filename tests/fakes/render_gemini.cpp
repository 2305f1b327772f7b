// Gemini's streamGenerateContent?alt=sse, as the Gemini API documents it: every event is one
// `data:` line holding a whole GenerateContentResponse (candidates[0].content.parts, usageMetadata,
// modelVersion, responseId), with no event names and no [DONE] sentinel; the chunk that carries
// finishReason is the last. Google's servers end events with CRLF pairs, so the fake does too.
// Thought summaries are parts with "thought": true; function calls arrive whole (name + args
// object, no call id) in a single chunk. Errors use Google's {"error":{code,message,status}}.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "fakes/fake_reply.hpp"

namespace pincer::fakes {
namespace {

namespace json = boost::json;

// Pieces of at most `max_bytes`, never splitting a UTF-8 sequence.
std::vector<std::string> split_utf8(std::string_view text, std::size_t max_bytes) {
  std::vector<std::string> pieces;
  if (max_bytes == 0) {
    max_bytes = 1;
  }
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + max_bytes);
    while (end < text.size() && end > start &&
           (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
      --end;
    }
    if (end == start) {  // one sequence longer than max_bytes: take it whole
      end = start + 1;
      while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0U) == 0x80U) {
        ++end;
      }
    }
    pieces.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

std::string sse(const json::object& chunk) {
  return "data: " + json::serialize(chunk) + "\r\n\r\n";
}

}  // namespace

std::vector<std::string> render_gemini_stream(const FakeReply& reply) {
  // promptTokenCount includes the cached tokens; thoughts are billed apart from candidates.
  int64_t prompt = reply.input_tokens + reply.cache_read_tokens;
  int64_t thoughts = reply.thinking.empty() ? 0 : reply.output_tokens / 2;
  int64_t candidates = reply.output_tokens - thoughts;

  std::vector<json::array> chunk_parts;
  for (const std::string& piece : split_utf8(reply.thinking, reply.delta_bytes)) {
    chunk_parts.push_back(json::array{json::object{{"text", piece}, {"thought", true}}});
  }
  for (const std::string& piece : split_utf8(reply.text, reply.delta_bytes)) {
    chunk_parts.push_back(json::array{json::object{{"text", piece}}});
  }
  if (!reply.tool_calls.empty()) {
    json::array calls;
    for (const FakeToolCall& call : reply.tool_calls) {
      calls.push_back(json::object{
          {"functionCall", json::object{{"name", call.name}, {"args", call.arguments}}}});
    }
    chunk_parts.push_back(std::move(calls));
  }
  if (chunk_parts.empty()) {
    chunk_parts.push_back(json::array{json::object{{"text", ""}}});
  }

  std::vector<std::string> events;
  for (std::size_t i = 0; i < chunk_parts.size(); ++i) {
    bool last = i + 1 == chunk_parts.size();
    json::object candidate{
        {"content", json::object{{"parts", std::move(chunk_parts[i])}, {"role", "model"}}}};
    json::object usage{{"promptTokenCount", prompt}};
    if (last) {
      candidate["finishReason"] = reply.max_tokens ? "MAX_TOKENS" : "STOP";
      usage["candidatesTokenCount"] = candidates;
      usage["totalTokenCount"] = prompt + reply.output_tokens;
      if (reply.cache_read_tokens > 0) {
        usage["cachedContentTokenCount"] = reply.cache_read_tokens;
      }
      if (thoughts > 0) {
        usage["thoughtsTokenCount"] = thoughts;
      }
    } else {
      usage["totalTokenCount"] = prompt;
    }
    candidate["index"] = 0;
    json::object chunk{{"candidates", json::array{std::move(candidate)}},
                       {"usageMetadata", std::move(usage)},
                       {"modelVersion", reply.model},
                       {"responseId", "fake-gemini-response-1"}};
    events.push_back(sse(chunk));
  }
  return events;
}

std::string render_gemini_error(int http_status, std::string_view status,
                                std::string_view message) {
  json::object error{{"code", http_status}, {"message", message}, {"status", status}};
  return json::serialize(json::object{{"error", std::move(error)}});
}

}  // namespace pincer::fakes
