#include "agent/transcript_codec.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "agent/context_guard.hpp"
#include "core/text.hpp"

namespace pincer::agent {
namespace {

namespace json = boost::json;
using providers::Message;
using providers::Part;
using providers::Role;

std::string string_of(const json::object& object, std::string_view key) {
  if (const auto* value = object.if_contains(key); value != nullptr && value->is_string()) {
    return std::string(value->get_string());
  }
  return {};
}

// Content parts of a stored message: text, image, thinking, toolCall.
void read_parts(const json::value& content, std::vector<Part>& out) {
  if (content.is_string()) {
    out.emplace_back(providers::TextPart{std::string(content.get_string())});
    return;
  }
  const auto* parts = content.if_array();
  if (parts == nullptr) {
    return;
  }
  for (const auto& item : *parts) {
    const auto* part = item.if_object();
    if (part == nullptr) {
      continue;
    }
    std::string type = string_of(*part, "type");
    if (type == "text") {
      out.emplace_back(providers::TextPart{string_of(*part, "text")});
    } else if (type == "image") {
      out.emplace_back(
          providers::ImagePart{string_of(*part, "mimeType"), string_of(*part, "data")});
    } else if (type == "thinking") {
      out.emplace_back(providers::ThinkingPart{string_of(*part, "thinking"),
                                               string_of(*part, "thinkingSignature"),
                                               part->contains("redacted")});
    } else if (type == "toolCall") {
      providers::ToolCallPart call;
      call.id = string_of(*part, "id");
      call.name = string_of(*part, "name");
      if (const auto* args = part->if_contains("arguments"); args && args->is_object()) {
        call.arguments = args->get_object();
      }
      call.signature = string_of(*part, "signature");
      out.emplace_back(std::move(call));
    }
  }
}

json::value parse_content(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  return ec ? json::value(text) : value;
}

}  // namespace

json::object assistant_entry_json(const Message& message, std::string_view stop_reason,
                                  std::string_view provider, std::string_view model,
                                  const providers::Usage& usage) {
  json::array content;
  for (const auto& part : message.parts) {
    if (const auto* text = std::get_if<providers::TextPart>(&part)) {
      content.push_back(json::object{{"type", "text"}, {"text", text->text}});
    } else if (const auto* thinking = std::get_if<providers::ThinkingPart>(&part)) {
      json::object block{{"type", "thinking"}, {"thinking", thinking->text}};
      if (!thinking->signature.empty()) {
        block["thinkingSignature"] = thinking->signature;
      }
      if (thinking->redacted) {
        block["redacted"] = true;
      }
      content.push_back(std::move(block));
    } else if (const auto* call = std::get_if<providers::ToolCallPart>(&part)) {
      json::object block{{"type", "toolCall"},
                         {"id", call->id},
                         {"name", call->name},
                         {"arguments", call->arguments}};
      if (!call->signature.empty()) {
        block["signature"] = call->signature;
      }
      content.push_back(std::move(block));
    }
  }
  return json::object{{"role", "assistant"},
                      {"content", std::move(content)},
                      {"stopReason", stop_reason},
                      {"provider", provider},
                      {"model", model},
                      {"usage", json::object{{"input", usage.input},
                                             {"output", usage.output},
                                             {"cacheRead", usage.cache_read},
                                             {"cacheWrite", usage.cache_write},
                                             {"totalTokens", usage.total()}}}};
}

json::object tool_result_entry_json(const providers::ToolResultPart& result) {
  json::array content{json::object{{"type", "text"}, {"text", result.text}}};
  for (const auto& image : result.images) {
    content.push_back(
        json::object{{"type", "image"}, {"data", image.data}, {"mimeType", image.media_type}});
  }
  return json::object{{"role", "toolResult"},
                      {"toolCallId", result.call_id},
                      {"toolName", result.name},
                      {"content", std::move(content)},
                      {"isError", result.is_error}};
}

json::object compaction_entry_json(std::string_view summary, int64_t first_kept_seq,
                                   int64_t tokens_before) {
  return json::object{{"role", "compactionSummary"},
                      {"summary", summary},
                      {"firstKeptSeq", first_kept_seq},
                      {"tokensBefore", tokens_before}};
}

bool is_session_command(std::string_view text) {
  std::string_view trimmed = core::trim(text);
  return trimmed.starts_with("/think") || trimmed.starts_with("/model") || trimmed == "/compact" ||
         trimmed.starts_with("/compact ");
}

int64_t history_start_seq(const sessions::TranscriptEntry& compaction) {
  int64_t start = compaction.seq;
  json::value content = parse_content(compaction.content);
  if (const auto* object = content.if_object()) {
    if (const auto* seq = object->if_contains("firstKeptSeq");
        seq != nullptr && seq->is_int64() && seq->get_int64() > 0) {
      start = std::min(start, seq->get_int64());
    }
  }
  return start;
}

std::vector<Message> history_from_entries(const std::vector<sessions::TranscriptEntry>& entries,
                                          std::vector<int64_t>* seqs) {
  using sessions::EntryKind;
  std::size_t start = 0;
  std::string summary;
  int64_t first_kept_seq = 0;
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (entries[i].kind == EntryKind::compaction) {
      json::value content = parse_content(entries[i].content);
      if (const auto* object = content.if_object()) {
        summary = string_of(*object, "summary");
        if (const auto* seq = object->if_contains("firstKeptSeq"); seq && seq->is_int64()) {
          first_kept_seq = seq->get_int64();
        }
      }
      start = i + 1;
      break;
    }
  }
  std::vector<Message> out;
  std::vector<int64_t> first_seqs;
  if (!summary.empty()) {
    out.push_back(Message{Role::user, {providers::TextPart{compaction_summary_text(summary)}}});
    first_seqs.push_back(entries[start - 1].seq);
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    bool kept = i >= start || (first_kept_seq > 0 && entry.seq >= first_kept_seq &&
                               entry.kind != EntryKind::compaction);
    if (!kept) {
      continue;
    }
    json::value content = parse_content(entry.content);
    std::size_t before = out.size();
    switch (entry.kind) {
      case EntryKind::user: {
        Message message{Role::user, {}};
        read_parts(content, message.parts);
        bool command =
            message.parts.size() == 1 &&
            std::holds_alternative<providers::TextPart>(message.parts.front()) &&
            is_session_command(std::get<providers::TextPart>(message.parts.front()).text);
        if (!message.parts.empty() && !command) {
          out.push_back(std::move(message));
        }
        break;
      }
      case EntryKind::assistant: {
        Message message{Role::assistant, {}};
        if (const auto* object = content.if_object()) {
          if (const auto* body = object->if_contains("content")) {
            read_parts(*body, message.parts);
          }
        } else {
          read_parts(content, message.parts);
        }
        if (!message.parts.empty()) {
          out.push_back(std::move(message));
        }
        break;
      }
      case EntryKind::tool_result: {
        const auto* object = content.if_object();
        if (object == nullptr) {
          break;
        }
        providers::ToolResultPart result;
        result.call_id = string_of(*object, "toolCallId");
        result.name = string_of(*object, "toolName");
        if (const auto* body = object->if_contains("content")) {
          std::vector<Part> parts;
          read_parts(*body, parts);
          for (auto& part : parts) {
            if (const auto* text = std::get_if<providers::TextPart>(&part)) {
              result.text += text->text;
            } else if (auto* image = std::get_if<providers::ImagePart>(&part)) {
              result.images.push_back(std::move(*image));
            }
          }
        }
        if (const auto* error = object->if_contains("isError"); error && error->is_bool()) {
          result.is_error = error->get_bool();
        }
        // Results of one step travel together in one user message.
        bool merge = !out.empty() && out.back().role == Role::user && !out.back().parts.empty() &&
                     std::holds_alternative<providers::ToolResultPart>(out.back().parts.back());
        if (merge) {
          out.back().parts.emplace_back(std::move(result));
        } else {
          out.push_back(Message{Role::user, {std::move(result)}});
        }
        break;
      }
      default:
        break;  // events, system notes and tool_call markers are not model history
    }
    if (out.size() > before) {
      first_seqs.push_back(entry.seq);
    }
  }
  if (seqs != nullptr) {
    *seqs = std::move(first_seqs);
  }
  return out;
}

std::string message_text(const Message& message) {
  std::string text;
  for (const auto& part : message.parts) {
    if (const auto* t = std::get_if<providers::TextPart>(&part)) {
      text += t->text;
    }
  }
  return text;
}

}  // namespace pincer::agent
