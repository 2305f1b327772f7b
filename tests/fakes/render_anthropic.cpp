// FakeReply as the Anthropic Messages API streams it (stream: true): message_start, a ping, one
// content block per thinking/text/tool_use part (content_block_start, content_block_delta with
// thinking_delta + signature_delta / text_delta / input_json_delta, content_block_stop),
// message_delta with stop_reason and the cumulative output usage, message_stop. Every event is
// named (`event:` line) and its data carries the same `type`, as the API sends them.

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

std::string sse(std::string_view event, const json::object& data) {
  std::string out = "event: ";
  out += event;
  out += "\ndata: ";
  out += json::serialize(data);
  out += "\n\n";
  return out;
}

json::object block_event(std::string_view type, int64_t index) {
  return json::object{{"type", type}, {"index", index}};
}

void add_delta(std::vector<std::string>& out, int64_t index, json::object delta) {
  json::object event = block_event("content_block_delta", index);
  event["delta"] = std::move(delta);
  out.push_back(sse("content_block_delta", event));
}

void add_start(std::vector<std::string>& out, int64_t index, json::object block) {
  json::object event = block_event("content_block_start", index);
  event["content_block"] = std::move(block);
  out.push_back(sse("content_block_start", event));
}

void add_stop(std::vector<std::string>& out, int64_t index) {
  out.push_back(sse("content_block_stop", block_event("content_block_stop", index)));
}

}  // namespace

std::vector<std::string> render_anthropic_stream(const FakeReply& reply) {
  std::vector<std::string> out;
  json::object usage{{"input_tokens", reply.input_tokens},
                     {"cache_creation_input_tokens", reply.cache_write_tokens},
                     {"cache_read_input_tokens", reply.cache_read_tokens},
                     {"output_tokens", 1}};
  json::object message{{"id", "msg_fake_01"},      {"type", "message"},    {"role", "assistant"},
                       {"content", json::array{}}, {"model", reply.model}, {"stop_reason", nullptr},
                       {"stop_sequence", nullptr}, {"usage", usage}};
  out.push_back(sse("message_start", {{"type", "message_start"}, {"message", message}}));
  out.push_back(sse("ping", {{"type", "ping"}}));

  int64_t index = 0;
  if (!reply.thinking.empty()) {
    add_start(out, index, {{"type", "thinking"}, {"thinking", ""}});
    for (std::string_view piece : split_utf8(reply.thinking, reply.delta_bytes)) {
      add_delta(out, index, {{"type", "thinking_delta"}, {"thinking", piece}});
    }
    add_delta(out, index, {{"type", "signature_delta"}, {"signature", "ZmFrZS1zaWduYXR1cmU="}});
    add_stop(out, index);
    ++index;
  }
  if (!reply.text.empty()) {
    add_start(out, index, {{"type", "text"}, {"text", ""}});
    for (std::string_view piece : split_utf8(reply.text, reply.delta_bytes)) {
      add_delta(out, index, {{"type", "text_delta"}, {"text", piece}});
    }
    add_stop(out, index);
    ++index;
  }
  for (std::size_t i = 0; i < reply.tool_calls.size(); ++i) {
    const FakeToolCall& call = reply.tool_calls[i];
    std::string id = call.id.empty() ? "toolu_fake_" + std::to_string(i + 1) : call.id;
    add_start(out, index,
              {{"type", "tool_use"}, {"id", id}, {"name", call.name}, {"input", json::object{}}});
    // The API opens every tool block with an empty partial_json before the arguments.
    add_delta(out, index, {{"type", "input_json_delta"}, {"partial_json", ""}});
    std::string arguments = json::serialize(call.arguments);
    for (std::string_view piece : split_utf8(arguments, reply.delta_bytes)) {
      add_delta(out, index, {{"type", "input_json_delta"}, {"partial_json", piece}});
    }
    add_stop(out, index);
    ++index;
  }

  std::string_view stop_reason = reply.max_tokens            ? "max_tokens"
                                 : !reply.tool_calls.empty() ? "tool_use"
                                                             : "end_turn";
  out.push_back(
      sse("message_delta", {{"type", "message_delta"},
                            {"delta", {{"stop_reason", stop_reason}, {"stop_sequence", nullptr}}},
                            {"usage", {{"output_tokens", reply.output_tokens}}}}));
  out.push_back(sse("message_stop", {{"type", "message_stop"}}));
  return out;
}

std::string render_anthropic_error(std::string_view type, std::string_view message) {
  json::object body{{"type", "error"},
                    {"error", {{"type", type}, {"message", message}}},
                    {"request_id", "req_fake_01"}};
  return json::serialize(body);
}

}  // namespace pincer::fakes
