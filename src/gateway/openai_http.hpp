#pragma once
// The OpenAI-compatible HTTP surface on the gateway port (gateway.http.endpoints.
// chatCompletions.enabled; off by default): POST /v1/chat/completions runs one agent turn,
// GET /v1/models and /v1/models/{id} list the agent targets ("openclaw", "openclaw/default",
// "openclaw/<agentId>"). Reference: docs/gateway/openai-http-api.md.
//
// Design notes
// - Auth is the gateway's shared secret as `Authorization: Bearer <secret>` (token or password
//   mode; trusted-proxy accepts the proxy's user and falls back to the password; none needs
//   nothing). Failures count against the address in Gateway::rate_limiter(), as for the
//   WebSocket handshake; a locked-out address gets 429 with Retry-After.
// - The `model` field names an agent, not a provider model; `x-openclaw-model` overrides the
//   provider model for this run. Sampling fields (temperature, top_p, stop, ...) are validated
//   as documented and otherwise ignored: the agent runs with its configured model
//   settings. Client function tools are not offered to the agent (Pincer's runtime has no
//   client-tool loop yet); a tool_choice that demands a call is refused with 400.
// - The prompt: system/developer messages become extra system prompt text; the last user (or
//   tool) message is the turn's input, and the user/assistant/tool messages before it are folded
//   into that input as a labelled context block. Only data: URL images of that last user
//   message are accepted.
// - Sessions: a fresh `agent:<id>:openai:<uuid>` per request; a stable
//   `agent:<id>:openai-user:<user>` when the body has `user`; `x-openclaw-session-key` routes
//   explicitly (reserved namespaces subagent:/cron:/acp: are refused). Each request is its own
//   turn (queue mode followup): an HTTP caller waits for its own answer, so it never steers or
//   joins another run.
// - Streaming writes from one coroutine, one write at a time: the run's observer only appends
//   text to a buffer and wakes the writer; the writer never blocks the I/O thread. A client
//   that goes away (a write fails, or the socket reports end-of-stream while the run is going)
//   aborts the run. Every write has a deadline.
// - Does not do: client tool calls, URL-sourced images, HEIC conversion, /v1/embeddings,
//   /v1/responses, operator scopes for identity-bearing callers (x-openclaw-scopes).

#include <cstddef>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "core/config.hpp"

namespace pincer::gateway {

class Gateway;

// The documented request body limit for these endpoints (20 MB; images ride in the body).
inline constexpr std::size_t kOpenAiHttpMaxBodyBytes = std::size_t{20} * 1024 * 1024;

// True when the request target (path, optionally with a query) belongs to this endpoint and
// the config enables it; other requests stay with the regular HTTP routes (404 for /v1/...).
bool is_openai_http_target(const core::GatewayConfig& config, std::string_view target);

// Answers one request for which is_openai_http_target() holds: writes the whole response (a
// JSON document, or an SSE stream that lasts as long as the agent run). Runs on the I/O thread.
// Returns whether the connection may carry another request.
boost::asio::awaitable<bool> serve_openai_http(
    Gateway& gateway, boost::beast::tcp_stream& stream,
    const boost::beast::http::request<boost::beast::http::string_body>& request);

}  // namespace pincer::gateway
