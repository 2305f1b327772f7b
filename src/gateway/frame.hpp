#pragma once
// Text frames of the gateway protocol. Inbound, clients only send requests:
//   {type:"req", id, method, params?, traceparent?, expectedProfileId?}
// Outbound, the gateway sends responses and events:
//   {type:"res", id, ok, payload|error}    {type:"event", event, payload?, seq?, stateVersion?}
// parse_request() never throws: any byte sequence yields a request or a FrameError saying what
// was wrong (and the request id when one could be read, so the error can be answered).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "gateway/rpc_error.hpp"

namespace pincer::gateway {

struct RequestFrame {
  std::string id;
  std::string method;
  boost::json::value params;  // null when absent
  std::string traceparent;
};

struct FrameError {
  std::optional<std::string> id;  // the request id, when the frame had a usable one
  RpcError error;
};

std::expected<RequestFrame, FrameError> parse_request(std::string_view text);

struct StateVersion {
  int64_t presence = 0;
  int64_t health = 0;
};

std::string serialize_response(std::string_view id, const boost::json::value& payload);
std::string serialize_error(std::string_view id, const RpcError& error);
// seq is per connection; stateVersion rides on presence/health events.
std::string serialize_event(std::string_view event, const boost::json::value& payload,
                            std::optional<int64_t> seq,
                            std::optional<StateVersion> state_version = std::nullopt);

// The same, with the payload already serialized: a broadcast serializes its payload once and
// only the per-connection envelope (seq) is written per recipient.
std::string serialize_event_text(std::string_view event, std::string_view payload_json,
                                 std::optional<int64_t> seq,
                                 std::optional<StateVersion> state_version = std::nullopt);

}  // namespace pincer::gateway
