#include "gateway/rpc_error.hpp"

#include <boost/json.hpp>

namespace pincer::gateway {

namespace json = boost::json;

json::object RpcError::to_json() const {
  json::object out;
  out["code"] = code;
  out["message"] = message.empty() ? std::string("error") : message;
  if (!details.is_null()) {
    out["details"] = details;
  }
  if (retryable) {
    out["retryable"] = *retryable;
  }
  if (retry_after_ms) {
    out["retryAfterMs"] = *retry_after_ms;
  }
  return out;
}

RpcError invalid_request(std::string message, json::value details) {
  return {std::string(error_code::kInvalidRequest), std::move(message), std::move(details), {}, {}};
}

RpcError not_found(std::string message) {
  return {std::string(error_code::kNotFound), std::move(message), nullptr, {}, {}};
}

RpcError unavailable(std::string message, std::optional<int64_t> retry_after_ms) {
  return {std::string(error_code::kUnavailable), std::move(message), nullptr, true, retry_after_ms};
}

RpcError missing_scope(std::string_view scope) {
  json::object details{{"code", "MISSING_SCOPE"},
                       {"missingScope", scope},
                       {"requiredScopes", json::array{json::string(scope)}}};
  return {std::string(error_code::kForbidden),
          "missing scope: " + std::string(scope),
          std::move(details),
          {},
          {}};
}

RpcError from_error(const Error& error) {
  std::string message = error.describe();
  switch (error.code) {
    case Errc::invalid_argument:
    case Errc::parse:
    case Errc::config:
      return invalid_request(std::move(message));
    case Errc::not_found:
      return not_found(std::move(message));
    case Errc::unavailable:
      return unavailable(std::move(message));
    case Errc::io:
    case Errc::store:
    case Errc::internal:
      break;
  }
  return {std::string(error_code::kUnavailable), std::move(message), nullptr, false, {}};
}

}  // namespace pincer::gateway
