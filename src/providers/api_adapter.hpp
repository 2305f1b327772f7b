#pragma once
// One adapter per API family. An adapter is pure translation, with no I/O: it turns a
// ModelRequest into an HTTP request for its API, reads the API's server-sent events back into a
// ModelResponse (reporting deltas to a StreamSink on the way), and reads its error bodies. The
// transport (model_stream.hpp) owns sockets, TLS, proxies, timeouts and cancellation, so every
// adapter gets them right the same way and can be tested on recorded streams alone.

#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/model_types.hpp"
#include "providers/provider_error.hpp"
#include "providers/stream_sink.hpp"

namespace pincer::providers {

// The `api` names of the reference's models.providers config.
enum class ApiKind {
  anthropic_messages,    // "anthropic-messages": POST {base}/v1/messages
  openai_completions,    // "openai-completions": POST {base}/chat/completions (also Ollama,
                         // llama.cpp server, vLLM, LM Studio, OpenRouter, Groq ...)
  openai_responses,      // "openai-responses": POST {base}/responses
  google_generative_ai,  // "google-generative-ai": POST {base}/models/{m}:streamGenerateContent
};

std::string_view to_string(ApiKind kind);
// Accepts the reference's names; "ollama" and "openai" read as openai-completions (Ollama serves
// the OpenAI-compatible API under /v1). nullopt for names Pincer does not speak.
std::optional<ApiKind> parse_api_kind(std::string_view name);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Where and as whom to call.
struct Endpoint {
  std::string base_url;  // e.g. "https://api.anthropic.com", "http://127.0.0.1:11434/v1"
  std::string api_key;   // empty for local servers that need none
  HeaderList headers;    // models.providers.<id>.headers, sent as given
};

struct HttpRequestSpec {
  std::string url;  // absolute
  HeaderList headers;
  std::string body;  // JSON
};

// Reads one response stream. Not reusable: one decoder per call.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  // One server-sent event (`event` is empty when the stream names none). An error the provider
  // reports inside the stream comes back as a ProviderError and ends the call.
  virtual std::expected<void, ProviderError> on_event(std::string_view event, std::string_view data,
                                                      StreamSink& sink) = 0;
  // True once the stream's terminal event arrived (message_stop, [DONE], response.completed ...).
  virtual bool complete() const = 0;
  // The stream ended (terminal event or EOF): the assembled reply, or an error when it ended
  // before the reply was whole (a dropped connection is a timeout-class error, partial = true).
  virtual std::expected<ModelResponse, ProviderError> finish() = 0;
};

class ApiAdapter {
 public:
  virtual ~ApiAdapter() = default;
  virtual ApiKind kind() const = 0;
  // The streaming request for `request` (stream: true, or the API's streaming path).
  virtual HttpRequestSpec build_request(const ModelRequest& request,
                                        const Endpoint& endpoint) const = 0;
  virtual std::unique_ptr<StreamDecoder> make_decoder() const = 0;
  // A non-2xx response. The default pulls the message out of the body and calls
  // classify_provider_error; adapters override it for error types of their own.
  virtual ProviderError read_error(int http_status, std::string_view body,
                                   std::optional<std::chrono::milliseconds> retry_after) const;
};

// The adapter for `kind`; adapters are stateless singletons.
const ApiAdapter& adapter_for(ApiKind kind);

}  // namespace pincer::providers
