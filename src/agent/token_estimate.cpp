#include "agent/token_estimate.hpp"

#include <boost/json/serialize.hpp>

namespace pincer::agent {

namespace json = boost::json;

int64_t estimate_tokens(std::string_view text) {
  // Counted in quarter tokens so ASCII (1/4 token per byte) stays exact in integers.
  int64_t quarters = 0;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      quarters += 1;
    } else if (byte >= 0xE0) {
      quarters += 4;  // lead byte of a 3- or 4-byte character; continuation bytes cost nothing
    } else if (byte >= 0xC0) {
      quarters += 2;
    }
  }
  return (quarters + 3) / 4;
}

int64_t estimate_tokens(const providers::Part& part) {
  struct Visitor {
    int64_t operator()(const providers::TextPart& p) const { return estimate_tokens(p.text); }
    int64_t operator()(const providers::ImagePart&) const { return kImageTokens; }
    int64_t operator()(const providers::ThinkingPart& p) const {
      return estimate_tokens(p.text) + estimate_tokens(p.signature);
    }
    int64_t operator()(const providers::ToolCallPart& p) const {
      return kToolBlockOverheadTokens + estimate_tokens(p.id) + estimate_tokens(p.name) +
             estimate_tokens(json::serialize(p.arguments));
    }
    int64_t operator()(const providers::ToolResultPart& p) const {
      return kToolBlockOverheadTokens + estimate_tokens(p.call_id) + estimate_tokens(p.text) +
             static_cast<int64_t>(p.images.size()) * kImageTokens;
    }
  };
  return std::visit(Visitor{}, part);
}

int64_t estimate_tokens(const providers::Message& message) {
  int64_t total = kMessageOverheadTokens;
  for (const auto& part : message.parts) {
    total += estimate_tokens(part);
  }
  return total;
}

int64_t estimate_tokens(const std::vector<providers::Message>& messages) {
  int64_t total = 0;
  for (const auto& message : messages) {
    total += estimate_tokens(message);
  }
  return total;
}

int64_t estimate_tokens(const providers::ToolSchema& tool) {
  return kToolBlockOverheadTokens + estimate_tokens(tool.name) + estimate_tokens(tool.description) +
         estimate_tokens(json::serialize(tool.parameters));
}

int64_t estimate_tokens(const std::vector<providers::ToolSchema>& tools) {
  int64_t total = 0;
  for (const auto& tool : tools) {
    total += estimate_tokens(tool);
  }
  return total;
}

int64_t estimate_tokens(const providers::ModelRequest& request) {
  return estimate_tokens(request.system) + estimate_tokens(request.system_suffix) +
         estimate_tokens(request.tools) + estimate_tokens(request.messages);
}

}  // namespace pincer::agent
