// FakeReply as OpenAI Chat Completions streams it (stream: true, stream_options.include_usage):
// unnamed `data:` events, each a chat.completion.chunk whose choices[0].delta carries the role,
// then content pieces (reasoning as `reasoning_content`, the field DeepSeek, vLLM and others
// use), then tool_calls fragments (the first one of a call with index, id, type and name, the
// rest with index and an arguments piece); a chunk with finish_reason; a usage chunk with empty
// choices; and `data: [DONE]`. Also the API's error body, shared with the Responses API.

#include <algorithm>
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

constexpr int64_t kCreated = 1700000000;

// Pieces of at most `max_bytes` bytes that never split a UTF-8 sequence.
std::vector<std::string_view> split_utf8(std::string_view text, std::size_t max_bytes) {
  std::vector<std::string_view> pieces;
  if (max_bytes == 0) {
    max_bytes = 1;
  }
  while (!text.empty()) {
    std::size_t cut = std::min(max_bytes, text.size());
    while (cut < text.size() && cut > 0 &&
           (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
      --cut;
    }
    if (cut == 0) {  // one sequence longer than max_bytes: keep it whole
      cut = 1;
      while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
        ++cut;
      }
    }
    pieces.push_back(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  return pieces;
}

class ChunkWriter {
 public:
  explicit ChunkWriter(const FakeReply& reply) : model_(reply.model) {}

  // A chunk with one choice; `finish_reason` null unless given.
  void choice(json::object delta, std::string_view finish_reason = {}) {
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr}};
    if (finish_reason.empty()) {
      choice["finish_reason"] = nullptr;
    } else {
      choice["finish_reason"] = finish_reason;
    }
    json::object chunk = base();
    chunk["choices"] = json::array{std::move(choice)};
    chunk["usage"] = nullptr;
    emit(chunk);
  }

  void usage(json::object usage) {
    json::object chunk = base();
    chunk["choices"] = json::array{};
    chunk["usage"] = std::move(usage);
    emit(chunk);
  }

  void done() { out_.push_back("data: [DONE]\n\n"); }

  std::vector<std::string> take() { return std::move(out_); }

 private:
  json::object base() const {
    return json::object{{"id", "chatcmpl-fake01"},
                        {"object", "chat.completion.chunk"},
                        {"created", kCreated},
                        {"model", model_},
                        {"system_fingerprint", "fp_fake"}};
  }

  void emit(const json::object& chunk) {
    out_.push_back("data: " + json::serialize(chunk) + "\n\n");
  }

  std::string model_;
  std::vector<std::string> out_;
};

}  // namespace

std::vector<std::string> render_openai_completions_stream(const FakeReply& reply) {
  ChunkWriter writer(reply);
  writer.choice({{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}});
  for (std::string_view piece : split_utf8(reply.thinking, reply.delta_bytes)) {
    writer.choice({{"reasoning_content", piece}});
  }
  for (std::string_view piece : split_utf8(reply.text, reply.delta_bytes)) {
    writer.choice({{"content", piece}});
  }
  for (std::size_t i = 0; i < reply.tool_calls.size(); ++i) {
    const FakeToolCall& call = reply.tool_calls[i];
    auto index = static_cast<int64_t>(i);
    std::string id = call.id.empty() ? "call_fake_" + std::to_string(i + 1) : call.id;
    json::object first{{"index", index},
                       {"id", id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", ""}}}};
    writer.choice({{"tool_calls", json::array{std::move(first)}}});
    std::string arguments = json::serialize(call.arguments);
    for (std::string_view piece : split_utf8(arguments, reply.delta_bytes)) {
      json::object fragment{{"index", index}, {"function", {{"arguments", piece}}}};
      writer.choice({{"tool_calls", json::array{std::move(fragment)}}});
    }
  }
  std::string_view finish = reply.max_tokens            ? "length"
                            : !reply.tool_calls.empty() ? "tool_calls"
                                                        : "stop";
  writer.choice(json::object{}, finish);
  // prompt_tokens counts cached tokens too; OpenAI reports no cache writes.
  writer.usage(
      {{"prompt_tokens", reply.input_tokens + reply.cache_read_tokens},
       {"completion_tokens", reply.output_tokens},
       {"total_tokens", reply.input_tokens + reply.cache_read_tokens + reply.output_tokens},
       {"prompt_tokens_details", {{"cached_tokens", reply.cache_read_tokens}}},
       {"completion_tokens_details", {{"reasoning_tokens", 0}}}});
  writer.done();
  return writer.take();
}

std::string render_openai_error(std::string_view type, std::string_view message) {
  json::object body{
      {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", type}}}};
  return json::serialize(body);
}

}  // namespace pincer::fakes
