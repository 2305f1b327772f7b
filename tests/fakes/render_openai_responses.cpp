// The OpenAI Responses API's streaming events (POST /responses with "stream": true), as the API
// reference documents them: each event is `event: <type>` plus `data: <json>`, where the JSON
// repeats the type and carries a sequence_number that grows by one per event. Output items come
// in order (reasoning, message, function calls), each opened by response.output_item.added and
// closed by response.output_item.done; the stream ends with response.completed, or with
// response.incomplete when max_output_tokens was hit. There is no [DONE] sentinel.

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

class ResponsesStream {
 public:
  explicit ResponsesStream(const FakeReply& reply) : reply_(reply) {}

  std::vector<std::string> render() {
    emit("response.created", {{"response", response_object("in_progress", {}, false)}});
    emit("response.in_progress", {{"response", response_object("in_progress", {}, false)}});
    int64_t index = 0;
    json::array output;
    if (!reply_.thinking.empty()) {
      output.push_back(reasoning_item(index++));
    }
    if (!reply_.text.empty()) {
      output.push_back(message_item(index++));
    }
    for (std::size_t i = 0; i < reply_.tool_calls.size(); ++i) {
      output.push_back(function_call_item(index++, i));
    }
    if (reply_.max_tokens) {
      json::object response = response_object("incomplete", output, true);
      response["incomplete_details"] = json::object{{"reason", "max_output_tokens"}};
      emit("response.incomplete", {{"response", std::move(response)}});
    } else {
      emit("response.completed", {{"response", response_object("completed", output, true)}});
    }
    return std::move(events_);
  }

 private:
  void emit(std::string_view type, json::object fields) {
    json::object event;
    event["type"] = type;
    for (auto& field : fields) {
      event[field.key()] = std::move(field.value());
    }
    event["sequence_number"] = sequence_++;
    events_.push_back("event: " + std::string(type) + "\ndata: " + json::serialize(event) + "\n\n");
  }

  json::object response_object(std::string_view status, json::array output, bool with_usage) {
    json::object response{{"id", "resp_fake_0001"},
                          {"object", "response"},
                          {"created_at", 1735689600},
                          {"status", status},
                          {"error", nullptr},
                          {"incomplete_details", nullptr},
                          {"model", reply_.model},
                          {"output", std::move(output)},
                          {"parallel_tool_calls", true},
                          {"store", false}};
    if (with_usage) {
      // input_tokens counts cached tokens too; input_tokens_details says how many were cached.
      int64_t input = reply_.input_tokens + reply_.cache_read_tokens;
      response["usage"] = json::object{
          {"input_tokens", input},
          {"input_tokens_details", json::object{{"cached_tokens", reply_.cache_read_tokens}}},
          {"output_tokens", reply_.output_tokens},
          {"output_tokens_details", json::object{{"reasoning_tokens", 0}}},
          {"total_tokens", input + reply_.output_tokens}};
    } else {
      response["usage"] = nullptr;
    }
    return response;
  }

  json::object reasoning_item(int64_t index) {
    std::string id = "rs_fake_" + std::to_string(index);
    emit("response.output_item.added",
         {{"output_index", index},
          {"item", json::object{{"id", id}, {"type", "reasoning"}, {"summary", json::array{}}}}});
    emit("response.reasoning_summary_part.added",
         {{"item_id", id},
          {"output_index", index},
          {"summary_index", 0},
          {"part", json::object{{"type", "summary_text"}, {"text", ""}}}});
    for (const std::string& piece : split_utf8(reply_.thinking, reply_.delta_bytes)) {
      emit("response.reasoning_summary_text.delta",
           {{"item_id", id}, {"output_index", index}, {"summary_index", 0}, {"delta", piece}});
    }
    emit("response.reasoning_summary_text.done", {{"item_id", id},
                                                  {"output_index", index},
                                                  {"summary_index", 0},
                                                  {"text", reply_.thinking}});
    json::object part{{"type", "summary_text"}, {"text", reply_.thinking}};
    emit("response.reasoning_summary_part.done",
         {{"item_id", id}, {"output_index", index}, {"summary_index", 0}, {"part", part}});
    json::object item{{"id", id}, {"type", "reasoning"}, {"summary", json::array{part}}};
    emit("response.output_item.done", {{"output_index", index}, {"item", item}});
    return item;
  }

  json::object message_item(int64_t index) {
    std::string id = "msg_fake_" + std::to_string(index);
    emit("response.output_item.added", {{"output_index", index},
                                        {"item", json::object{{"id", id},
                                                              {"type", "message"},
                                                              {"status", "in_progress"},
                                                              {"role", "assistant"},
                                                              {"content", json::array{}}}}});
    emit("response.content_part.added",
         {{"item_id", id},
          {"output_index", index},
          {"content_index", 0},
          {"part",
           json::object{{"type", "output_text"}, {"text", ""}, {"annotations", json::array{}}}}});
    for (const std::string& piece : split_utf8(reply_.text, reply_.delta_bytes)) {
      emit("response.output_text.delta", {{"item_id", id},
                                          {"output_index", index},
                                          {"content_index", 0},
                                          {"delta", piece},
                                          {"logprobs", json::array{}}});
    }
    emit("response.output_text.done", {{"item_id", id},
                                       {"output_index", index},
                                       {"content_index", 0},
                                       {"text", reply_.text},
                                       {"logprobs", json::array{}}});
    json::object part{
        {"type", "output_text"}, {"text", reply_.text}, {"annotations", json::array{}}};
    emit("response.content_part.done",
         {{"item_id", id}, {"output_index", index}, {"content_index", 0}, {"part", part}});
    json::object item{{"id", id},
                      {"type", "message"},
                      {"status", "completed"},
                      {"role", "assistant"},
                      {"content", json::array{part}}};
    emit("response.output_item.done", {{"output_index", index}, {"item", item}});
    return item;
  }

  json::object function_call_item(int64_t index, std::size_t call_number) {
    const FakeToolCall& call = reply_.tool_calls[call_number];
    std::string id = "fc_fake_" + std::to_string(index);
    std::string call_id =
        call.id.empty() ? "call_fake_" + std::to_string(call_number + 1) : call.id;
    std::string arguments = json::serialize(call.arguments);
    json::object item{{"id", id},        {"type", "function_call"}, {"status", "in_progress"},
                      {"arguments", ""}, {"call_id", call_id},      {"name", call.name}};
    emit("response.output_item.added", {{"output_index", index}, {"item", item}});
    for (const std::string& piece : split_utf8(arguments, reply_.delta_bytes)) {
      emit("response.function_call_arguments.delta",
           {{"item_id", id}, {"output_index", index}, {"delta", piece}});
    }
    emit("response.function_call_arguments.done",
         {{"item_id", id}, {"output_index", index}, {"name", call.name}, {"arguments", arguments}});
    item["status"] = "completed";
    item["arguments"] = arguments;
    emit("response.output_item.done", {{"output_index", index}, {"item", item}});
    return item;
  }

  const FakeReply& reply_;
  int64_t sequence_ = 0;
  std::vector<std::string> events_;
};

}  // namespace

std::vector<std::string> render_openai_responses_stream(const FakeReply& reply) {
  return ResponsesStream(reply).render();
}

}  // namespace pincer::fakes
