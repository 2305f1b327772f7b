#pragma once
// The error half of a response frame: {code, message, details?, retryable?, retryAfterMs?}.
// Clients branch on code and details.code; message is for people and says what to do.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "gateway/protocol.hpp"

namespace pincer::gateway {

struct RpcError {
  std::string code;
  std::string message;
  boost::json::value details;  // null: omitted
  std::optional<bool> retryable;
  std::optional<int64_t> retry_after_ms;

  boost::json::object to_json() const;
};

// What a method handler returns: the response payload, or an error.
using RpcResult = std::expected<boost::json::value, RpcError>;

RpcError invalid_request(std::string message, boost::json::value details = nullptr);
RpcError not_found(std::string message);
RpcError unavailable(std::string message, std::optional<int64_t> retry_after_ms = std::nullopt);
// FORBIDDEN with MISSING_SCOPE details (and the legacy "missing scope: X" message).
RpcError missing_scope(std::string_view scope);
// Maps a subsystem Error onto the wire: invalid_argument/parse/config → INVALID_REQUEST,
// not_found → NOT_FOUND, unavailable → UNAVAILABLE (retryable), the rest → UNAVAILABLE.
RpcError from_error(const Error& error);

}  // namespace pincer::gateway
