#pragma once
// How a failed model call is classified, which decides what the runner does next
// (docs: concepts/model-failover.md): rotate to another auth profile, fall back to another model,
// compact the context, or stop and tell the user.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace pincer::providers {

enum class FailoverReason {
  auth,              // 401/403, invalid or revoked key: cool the profile down, rotate
  rate_limit,        // 429, quota / usage windows, "too many requests": cooldown, rotate
  billing,           // out of credits: disable the profile for a while, rotate
  timeout,           // connect/idle timeouts, 408/504/522/524, dropped streams
  overloaded,        // 529, "overloaded", provider busy
  server_error,      // other 5xx
  context_overflow,  // the prompt does not fit: compact, never rotate
  model_not_found,   // 404 for the model: fall back to the next model
  format,            // 400 invalid request: retrying the same payload fails the same way
  aborted,           // the user (or a newer message) cancelled the run
  other,
};

std::string_view to_string(FailoverReason reason);

struct ProviderError {
  FailoverReason reason = FailoverReason::other;
  int http_status = 0;  // 0 when the failure was not an HTTP status (network, stream, abort)
  std::optional<std::chrono::milliseconds> retry_after;  // from retry-after(-ms) headers
  // One line, safe to log and show: the provider's own message, cut to ~300 characters, never a
  // request header or key.
  std::string message;
  bool partial = false;  // part of a reply had streamed before the failure
};

// Whether the runner may try another auth profile or fallback model after this error.
bool is_failover_worthy(FailoverReason reason);

// The provider-neutral reading of an error response: HTTP status first, then well-known phrases
// in the body ("insufficient credits", "prompt is too long", "overloaded" ...). Adapters call it
// after pulling the provider's message out of its error JSON.
ProviderError classify_provider_error(int http_status, std::string_view message,
                                      std::optional<std::chrono::milliseconds> retry_after = {});

// The message of the usual error bodies ({"error":{"message":...}}, {"error":"..."},
// {"message":...}, Gemini's [{"error":{...}}]), or the body itself cut short when it is not JSON.
std::string error_message_from_body(std::string_view body);

}  // namespace pincer::providers
