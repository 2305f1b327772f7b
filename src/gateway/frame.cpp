#include "gateway/frame.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

namespace pincer::gateway {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxIdLength = 256;
constexpr std::size_t kMaxMethodLength = 128;
constexpr std::size_t kMaxTraceparentLength = 128;

// A number too large for a double parses as infinity, which JSON cannot represent: echoing it
// back would put "Infinity" on the wire. Such frames are refused. Depth is bounded by the parse
// options (max_depth), so the recursion is too.
bool has_non_finite_number(const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_:
      return !std::isfinite(value.get_double());
    case json::kind::array:
      return std::ranges::any_of(value.get_array(), has_non_finite_number);
    case json::kind::object:
      return std::ranges::any_of(
          value.get_object(), [](const auto& item) { return has_non_finite_number(item.value()); });
    default:
      return false;
  }
}

std::unexpected<FrameError> reject(std::optional<std::string> id, std::string message) {
  return std::unexpected(FrameError{std::move(id), invalid_request(std::move(message))});
}

}  // namespace

std::expected<RequestFrame, FrameError> parse_request(std::string_view text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 64;
  json::value parsed = json::parse(text, ec, {}, options);
  if (ec) {
    return reject(std::nullopt, "frame is not valid JSON: " + ec.message());
  }
  auto* frame = parsed.if_object();
  if (frame == nullptr) {
    return reject(std::nullopt, "frame must be a JSON object");
  }
  if (has_non_finite_number(parsed)) {
    return reject(std::nullopt, "frame has a number outside the range of a double");
  }
  std::optional<std::string> id;
  if (auto* value = frame->if_contains("id")) {
    if (auto* s = value->if_string(); s != nullptr && !s->empty() && s->size() <= kMaxIdLength) {
      id = std::string(*s);
    }
  }
  auto* type = frame->if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return reject(id, "frame.type must be \"req\"");
  }
  if (type->get_string() != "req") {
    return reject(id, "clients may only send requests (type \"req\"), got type \"" +
                          std::string(type->get_string()) + "\"");
  }
  if (!id) {
    return reject(std::nullopt, "request id must be a non-empty string of at most 256 characters");
  }
  auto* method = frame->if_contains("method");
  if (method == nullptr || !method->is_string() || method->get_string().empty() ||
      method->get_string().size() > kMaxMethodLength) {
    return reject(id, "request method must be a non-empty string");
  }
  RequestFrame request;
  request.id = std::move(*id);
  request.method = std::string(method->get_string());
  if (auto* params = frame->if_contains("params")) {
    request.params = std::move(*params);
  }
  if (auto* trace = frame->if_contains("traceparent")) {
    if (!trace->is_string() || trace->get_string().size() > kMaxTraceparentLength) {
      return reject(request.id, "traceparent must be a string of at most 128 characters");
    }
    request.traceparent = std::string(trace->get_string());
  }
  return request;
}

std::string serialize_response(std::string_view id, const json::value& payload) {
  // Written directly rather than through a json::object: that would deep-copy the payload (one
  // allocation per node) on every response, the largest cost of a small RPC.
  std::string out = R"({"type":"res","id":)";
  out += json::serialize(json::string_view(id));
  out += R"(,"ok":true)";
  if (!payload.is_null()) {
    out += R"(,"payload":)";
    out += json::serialize(payload);
  }
  out += '}';
  return out;
}

std::string serialize_error(std::string_view id, const RpcError& error) {
  json::object frame;
  frame.reserve(4);
  frame["type"] = "res";
  frame["id"] = id.empty() ? std::string_view("invalid") : id;
  frame["ok"] = false;
  frame["error"] = error.to_json();
  return json::serialize(frame);
}

std::string serialize_event(std::string_view event, const json::value& payload,
                            std::optional<int64_t> seq, std::optional<StateVersion> state_version) {
  json::object frame;
  frame.reserve(5);
  frame["type"] = "event";
  frame["event"] = event;
  if (!payload.is_null()) {
    frame["payload"] = payload;
  }
  if (seq) {
    frame["seq"] = *seq;
  }
  if (state_version) {
    frame["stateVersion"] = {{"presence", state_version->presence},
                             {"health", state_version->health}};
  }
  return json::serialize(frame);
}

std::string serialize_event_text(std::string_view event, std::string_view payload_json,
                                 std::optional<int64_t> seq,
                                 std::optional<StateVersion> state_version) {
  std::string frame;
  frame.reserve(payload_json.size() + event.size() + 96);
  frame += R"({"type":"event","event":)";
  frame += json::serialize(json::string_view(event));
  frame += R"(,"payload":)";
  frame += payload_json;
  if (seq) {
    frame += R"(,"seq":)";
    frame += std::to_string(*seq);
  }
  if (state_version) {
    frame += R"(,"stateVersion":{"presence":)";
    frame += std::to_string(state_version->presence);
    frame += R"(,"health":)";
    frame += std::to_string(state_version->health);
    frame += '}';
  }
  frame += '}';
  return frame;
}

}  // namespace pincer::gateway
