#pragma once
// A fake model server on 127.0.0.1 for tests: it answers each request with the next scripted
// step (raw chunks with pacing, cuts and hangs, or a FakeReply rendered in the wire format of the
// API the request path names), or with a default reply once the script runs out, and records
// every request. Runs its own io_context thread, so tests may block on the code under test.
//
// Control over HTTP (for pincer_fake_llm, the standalone binary): POST /__fake/script (a JSON
// array of steps, see script_step_from_json), GET /__fake/requests, POST /__fake/reset,
// POST /__fake/default (a FakeReply as JSON).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "fakes/fake_reply.hpp"

namespace pincer::fakes {

struct ScriptStep {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> chunks;              // the body, written one chunk at a time
  std::chrono::milliseconds delay{0};           // before each chunk
  std::optional<std::size_t> disconnect_after;  // close the socket after this many chunks
  bool hang = false;                            // send the headers, then nothing
  bool chunked = true;                          // false: Content-Length framing
  std::optional<FakeReply> reply;               // when set, chunks come from the path's renderer

  static ScriptStep of(FakeReply reply) {
    ScriptStep step;
    step.reply = std::move(reply);
    return step;
  }
};

struct RecordedRequest {
  std::string method;
  std::string target;                                        // path and query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  // When the request's first byte was read. steady_clock is CLOCK_MONOTONIC, so benchmarks may
  // compare it with times taken in other processes on the same machine.
  std::chrono::steady_clock::time_point first_byte_at;

  std::string header(std::string_view name) const;  // "" when absent
};

// {status, headers:{name:value}, chunks:[...], delay_ms, disconnect_after, hang, chunked,
//  reply:{thinking, text, tool_calls:[{id,name,arguments}], model, input_tokens, output_tokens,
//         cache_read_tokens, cache_write_tokens, max_tokens, delta_bytes}}
Result<ScriptStep> script_step_from_json(const boost::json::value& value);
Result<FakeReply> fake_reply_from_json(const boost::json::value& value);
boost::json::value to_json(const RecordedRequest& request);

// The chunks of `reply` in the format of the API that `path` belongs to (/v1/messages,
// /chat/completions, /responses, :streamGenerateContent; Chat Completions otherwise).
std::vector<std::string> render_for_path(std::string_view path, const FakeReply& reply);

class FakeLlmServer {
 public:
  explicit FakeLlmServer(std::uint16_t port = 0);  // 0: any free port
  ~FakeLlmServer();
  FakeLlmServer(const FakeLlmServer&) = delete;
  FakeLlmServer& operator=(const FakeLlmServer&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"

  void push(ScriptStep step);
  void set_default_reply(FakeReply reply);
  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;  // requests().size() without the copy
  std::size_t pending_steps() const;
  void reset();  // drops the script and the recorded requests

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pincer::fakes
