// libFuzzer target for the gateway's frame parser: every byte sequence a client can send must
// parse to a request or a FrameError without crashing, and whatever parses must survive the
// serializers and a round trip. Built by -DPINCER_BUILD_FUZZERS=ON with clang (fuzz/CMakeLists).

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

// Everything the gateway sends must be a JSON object.
json::object parse_sent(const std::string& text) {
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  require(!ec && value.is_object());
  return value.as_object();
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
  require(reparsed->params == request.params && reparsed->traceparent == request.traceparent);
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
