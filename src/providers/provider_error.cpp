#include "providers/provider_error.hpp"

#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "core/text.hpp"

namespace pincer::providers {
namespace {

constexpr std::size_t kMaxMessage = 300;

bool contains_any(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (std::string_view needle : needles) {
    if (text.find(needle) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Phrases providers use for each condition, lowercased. Checked before the status code because
// providers disagree on codes (billing as 400/401/402/403, overflow as 400/413, quota as 403).
std::optional<FailoverReason> reason_from_text(std::string_view lowered) {
  if (contains_any(lowered,
                   {"prompt is too long", "context length", "context_length", "maximum context",
                    "context window", "too many tokens", "input is too long", "input too long",
                    "request_too_large", "exceeds the maximum number of", "reduce the length",
                    "context length exceeded"})) {
    return FailoverReason::context_overflow;
  }
  if (contains_any(lowered, {"insufficient credit", "credit balance", "insufficient_quota",
                             "billing", "payment required", "insufficient funds", "out of credits",
                             "exceeded your current quota"})) {
    return FailoverReason::billing;
  }
  if (contains_any(lowered,
                   {"rate limit", "rate_limit", "too many requests", "too many concurrent",
                    "resource exhausted", "resource_exhausted", "throttl", "quota exceeded",
                    "concurrency limit", "usage limit", "limit reached"})) {
    return FailoverReason::rate_limit;
  }
  if (contains_any(lowered, {"overloaded", "model is busy", "modelnotready", "capacity"})) {
    return FailoverReason::overloaded;
  }
  if (contains_any(lowered, {"invalid api key", "invalid x-api-key", "invalid_api_key",
                             "incorrect api key", "authentication", "unauthorized",
                             "permission denied", "api key not valid", "revoked"})) {
    return FailoverReason::auth;
  }
  return std::nullopt;
}

FailoverReason reason_from_status(int status) {
  switch (status) {
    case 401:
    case 403:
      return FailoverReason::auth;
    case 402:
      return FailoverReason::billing;
    case 404:
      return FailoverReason::model_not_found;
    case 408:
    case 499:
    case 504:
    case 522:
    case 524:
      return FailoverReason::timeout;
    case 413:
      return FailoverReason::context_overflow;
    case 429:
      return FailoverReason::rate_limit;
    case 529:
      return FailoverReason::overloaded;
    default:
      break;
  }
  if (status >= 500) {
    return FailoverReason::server_error;
  }
  if (status == 400 || status == 422) {
    return FailoverReason::format;
  }
  return FailoverReason::other;
}

std::string clip(std::string_view text) {
  text = core::trim(text);
  std::string out;
  out.reserve(std::min(text.size(), kMaxMessage + 3));
  for (char c : text) {
    if (out.size() >= kMaxMessage) {
      // Do not end inside a UTF-8 sequence.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0U) == 0x80U) {
        out.pop_back();
      }
      if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80U) != 0) {
        out.pop_back();
      }
      out += "...";
      break;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  return out;
}

const boost::json::value* find_message(const boost::json::value& value) {
  if (const auto* array = value.if_array(); array != nullptr && !array->empty()) {
    return find_message(array->front());  // Gemini streams errors as [{"error":{...}}]
  }
  const auto* object = value.if_object();
  if (object == nullptr) {
    return nullptr;
  }
  if (const auto* error = object->if_contains("error")) {
    if (error->is_string()) {
      return error;
    }
    if (const auto* inner = error->if_object()) {
      if (const auto* message = inner->if_contains("message"); message && message->is_string()) {
        return message;
      }
    }
  }
  if (const auto* message = object->if_contains("message"); message && message->is_string()) {
    return message;
  }
  if (const auto* detail = object->if_contains("detail"); detail && detail->is_string()) {
    return detail;
  }
  return nullptr;
}

}  // namespace

std::string_view to_string(FailoverReason reason) {
  switch (reason) {
    case FailoverReason::auth:
      return "auth";
    case FailoverReason::rate_limit:
      return "rate_limit";
    case FailoverReason::billing:
      return "billing";
    case FailoverReason::timeout:
      return "timeout";
    case FailoverReason::overloaded:
      return "overloaded";
    case FailoverReason::server_error:
      return "server_error";
    case FailoverReason::context_overflow:
      return "context_overflow";
    case FailoverReason::model_not_found:
      return "model_not_found";
    case FailoverReason::format:
      return "format";
    case FailoverReason::aborted:
      return "aborted";
    case FailoverReason::other:
      return "other";
  }
  return "other";
}

bool is_failover_worthy(FailoverReason reason) {
  switch (reason) {
    case FailoverReason::auth:
    case FailoverReason::rate_limit:
    case FailoverReason::billing:
    case FailoverReason::timeout:
    case FailoverReason::overloaded:
    case FailoverReason::server_error:
    case FailoverReason::model_not_found:
    case FailoverReason::other:
      return true;
    case FailoverReason::context_overflow:
    case FailoverReason::format:
    case FailoverReason::aborted:
      return false;
  }
  return false;
}

ProviderError classify_provider_error(int http_status, std::string_view message,
                                      std::optional<std::chrono::milliseconds> retry_after) {
  ProviderError error;
  error.http_status = http_status;
  error.retry_after = retry_after;
  error.message = clip(message);
  std::string lowered = core::to_lower_ascii(message);
  FailoverReason by_status = reason_from_status(http_status);
  std::optional<FailoverReason> by_text = reason_from_text(lowered);
  if (http_status == 429 || http_status == 529) {
    // The status is unambiguous; text only refines 429 into billing ("insufficient_quota").
    error.reason = by_text == FailoverReason::billing ? FailoverReason::billing : by_status;
  } else if (by_text) {
    error.reason = *by_text;
  } else {
    error.reason = by_status;
  }
  if (error.message.empty()) {
    error.message = http_status > 0 ? "HTTP " + std::to_string(http_status) : "unknown error";
  }
  return error;
}

std::string error_message_from_body(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (!ec) {
    if (const auto* message = find_message(parsed)) {
      return clip(message->as_string());
    }
  }
  return clip(body);
}

}  // namespace pincer::providers
