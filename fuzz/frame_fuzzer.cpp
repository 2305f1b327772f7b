// libFuzzer target for the gateway's frame parser: every byte sequence a client can send must
// parse to a request or a FrameError without crashing, and whatever parses must survive the
// serializers and a round trip. Built by -DPINCER_BUILD_FUZZERS=ON with clang (fuzz/CMakeLists).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <boost/json.hpp>

#include "gateway/frame.hpp"
#include "gateway/rpc_error.hpp"

namespace {

namespace json = boost::json;
using namespace pincer::gateway;

// Invariant broken: abort so libFuzzer records the input as a crash.
void require(bool condition) {
  if (!condition) {
    std::abort();
  }
}

// Everything the gateway sends must be a JSON object. Read it the way clients do (JSON.parse has
// no depth limit): Boost.JSON's default of 32 is shallower than the 64 levels frames may carry.
json::object parse_sent(const std::string& text) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = 1024;
  json::value value = json::parse(text, ec, {}, options);
  require(!ec && value.is_object());
  return value.as_object();
}

// JSON equality, except that doubles may differ by rounding: Boost.JSON 1.81 parses decimal
// numbers longer than ~17 digits approximately, so serialize→parse of such a double may land a
// few ulps away. That is the JSON library's precision, not a frame-handling bug.
bool same_json(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    if (!a.is_number() || !b.is_number()) {
      return false;
    }
    double x = a.to_number<double>();
    double y = b.to_number<double>();
    if (x == y) {
      return true;
    }
    double scale = std::max(std::fabs(x), std::fabs(y));
    return std::fabs(x - y) <= scale * 1e-12;
  }
  if (a.is_array() && b.is_array()) {
    const auto& left = a.get_array();
    const auto& right = b.get_array();
    if (left.size() != right.size()) {
      return false;
    }
    for (std::size_t i = 0; i < left.size(); ++i) {
      if (!same_json(left[i], right[i])) {
        return false;
      }
    }
    return true;
  }
  if (a.is_object() && b.is_object()) {
    const auto& left = a.get_object();
    const auto& right = b.get_object();
    if (left.size() != right.size()) {
      return false;
    }
    for (const auto& [key, value] : left) {
      const auto* other = right.if_contains(key);
      if (other == nullptr || !same_json(value, *other)) {
        return false;
      }
    }
    return true;
  }
  return a == b;
}

void check_request(const RequestFrame& request) {
  require(!request.id.empty() && !request.method.empty());

  auto response = parse_sent(serialize_response(request.id, request.params));
  require(response.at("id").as_string() == request.id);

  RpcError error = invalid_request("unknown method: " + request.method, request.params);
  error.retry_after_ms = 1;
  auto error_frame = parse_sent(serialize_error(request.id, error));
  require(error_frame.at("ok").as_bool() == false);

  parse_sent(serialize_event(request.method, request.params, 1, StateVersion{1, 2}));

  // A response is not a request: the parser refuses it but still reads its id.
  auto echoed = parse_request(serialize_response(request.id, request.params));
  require(!echoed && echoed.error().id == request.id);

  // Re-serializing the request gives the same request back.
  json::object again{{"type", "req"}, {"id", request.id}, {"method", request.method}};
  if (!request.params.is_null()) {
    again["params"] = request.params;
  }
  if (!request.traceparent.empty()) {
    again["traceparent"] = request.traceparent;
  }
  auto reparsed = parse_request(json::serialize(again));
  require(reparsed.has_value());
  require(reparsed->id == request.id && reparsed->method == request.method);
  require(same_json(reparsed->params, request.params) &&
          reparsed->traceparent == request.traceparent);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto request = parse_request(text);
  if (request) {
    check_request(*request);
  } else {
    const FrameError& problem = request.error();
    require(problem.error.code == "INVALID_REQUEST" && !problem.error.message.empty());
    parse_sent(serialize_error(problem.id.value_or(""), problem.error));
  }
  return 0;
}
