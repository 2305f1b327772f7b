#include "fakes/fake_llm_server.hpp"

#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json.hpp>

#include "core/text.hpp"

namespace pincer::fakes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string http_head(int status, const std::vector<std::pair<std::string, std::string>>& headers,
                      std::string_view default_type, std::string_view framing) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " +
                     std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : headers) {
    has_type = has_type || core::to_lower_ascii(name) == "content-type";
    head += name + ": " + value + "\r\n";
  }
  if (!has_type) {
    head += "Content-Type: " + std::string(default_type) + "\r\n";
  }
  return head + std::string(framing) + "\r\n";
}

std::string json_response(int status, const json::value& body) {
  std::string text = json::serialize(body);
  return http_head(status, {}, "application/json",
                   "Content-Length: " + std::to_string(text.size()) + "\r\n") +
         text;
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  std::string lowered = core::to_lower_ascii(name);
  for (const auto& [key, value] : headers) {
    if (key == lowered) {
      return value;
    }
  }
  return {};
}

Result<FakeReply> fake_reply_from_json(const json::value& value) {
  const json::object* object = value.if_object();
  if (object == nullptr) {
    return fail(Errc::parse, "a fake reply must be a JSON object");
  }
  FakeReply reply;
  auto text = [&](std::string_view key, std::string& out) {
    if (auto* v = object->if_contains(key); v != nullptr && v->is_string()) {
      out = std::string(v->get_string());
    }
  };
  auto number = [&](std::string_view key, auto& out) {
    if (auto* v = object->if_contains(key); v != nullptr && v->is_number()) {
      out = v->to_number<std::remove_reference_t<decltype(out)>>();
    }
  };
  text("thinking", reply.thinking);
  text("text", reply.text);
  text("model", reply.model);
  number("input_tokens", reply.input_tokens);
  number("output_tokens", reply.output_tokens);
  number("cache_read_tokens", reply.cache_read_tokens);
  number("cache_write_tokens", reply.cache_write_tokens);
  number("delta_bytes", reply.delta_bytes);
  if (auto* v = object->if_contains("max_tokens"); v != nullptr && v->is_bool()) {
    reply.max_tokens = v->get_bool();
  }
  if (auto* calls = object->if_contains("tool_calls"); calls != nullptr && calls->is_array()) {
    for (const auto& call : calls->get_array()) {
      if (!call.is_object()) {
        return fail(Errc::parse, "tool_calls entries must be objects");
      }
      FakeToolCall tool;
      if (auto* id = call.get_object().if_contains("id"); id != nullptr && id->is_string()) {
        tool.id = std::string(id->get_string());
      }
      if (auto* name = call.get_object().if_contains("name");
          name != nullptr && name->is_string()) {
        tool.name = std::string(name->get_string());
      }
      if (auto* args = call.get_object().if_contains("arguments");
          args != nullptr && args->is_object()) {
        tool.arguments = args->get_object();
      }
      reply.tool_calls.push_back(std::move(tool));
    }
  }
  return reply;
}

Result<ScriptStep> script_step_from_json(const json::value& value) {
  const json::object* object = value.if_object();
  if (object == nullptr) {
    return fail(Errc::parse, "a script step must be a JSON object");
  }
  ScriptStep step;
  if (auto* v = object->if_contains("status"); v != nullptr && v->is_number()) {
    step.status = v->to_number<int>();
  }
  if (auto* v = object->if_contains("headers"); v != nullptr && v->is_object()) {
    for (const auto& [name, header] : v->get_object()) {
      if (header.is_string()) {
        step.headers.emplace_back(std::string(name), std::string(header.get_string()));
      }
    }
  }
  if (auto* v = object->if_contains("chunks"); v != nullptr && v->is_array()) {
    for (const auto& chunk : v->get_array()) {
      if (chunk.is_string()) {
        step.chunks.emplace_back(chunk.get_string());
      }
    }
  }
  if (auto* v = object->if_contains("delay_ms"); v != nullptr && v->is_number()) {
    step.delay = std::chrono::milliseconds(v->to_number<std::int64_t>());
  }
  if (auto* v = object->if_contains("disconnect_after"); v != nullptr && v->is_number()) {
    step.disconnect_after = v->to_number<std::size_t>();
  }
  if (auto* v = object->if_contains("hang"); v != nullptr && v->is_bool()) {
    step.hang = v->get_bool();
  }
  if (auto* v = object->if_contains("chunked"); v != nullptr && v->is_bool()) {
    step.chunked = v->get_bool();
  }
  if (auto* v = object->if_contains("reply")) {
    auto reply = fake_reply_from_json(*v);
    if (!reply) {
      return std::unexpected(reply.error());
    }
    step.reply = std::move(*reply);
  }
  return step;
}

json::value to_json(const RecordedRequest& request) {
  json::object headers;
  for (const auto& [name, value] : request.headers) {
    headers[name] = value;
  }
  return {{"method", request.method},
          {"target", request.target},
          {"headers", std::move(headers)},
          {"body", request.body}};
}

std::vector<std::string> render_for_path(std::string_view path, const FakeReply& reply) {
  path = path.substr(0, path.find('?'));
  if (path.ends_with("/v1/messages") || path.ends_with("/messages")) {
    return render_anthropic_stream(reply);
  }
  if (path.find(":streamGenerateContent") != std::string_view::npos) {
    return render_gemini_stream(reply);
  }
  if (path.ends_with("/responses")) {
    return render_openai_responses_stream(reply);
  }
  return render_openai_completions_stream(reply);
}

struct FakeLlmServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
  mutable std::mutex mutex;  // guards script, default_reply and requests (test thread vs io)
  std::deque<ScriptStep> script;
  FakeReply default_reply;
  std::vector<RecordedRequest> requests;

  ScriptStep next_step() {
    std::lock_guard lock(mutex);
    if (script.empty()) {
      return ScriptStep::of(default_reply);
    }
    ScriptStep step = std::move(script.front());
    script.pop_front();
    return step;
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        co_return;
      }
      asio::co_spawn(io, serve(std::move(socket)), asio::detached);
    }
  }

  // The answer to a /__fake/ control request.
  std::string control(const http::request<http::string_body>& request) {
    std::string_view target = request.target();
    if (target == "/__fake/requests") {
      json::array list;
      for (const auto& recorded : requests_copy()) {
        list.push_back(to_json(recorded));
      }
      return json_response(200, list);
    }
    if (target == "/__fake/reset") {
      std::lock_guard lock(mutex);
      script.clear();
      requests.clear();
      return json_response(200, {{"ok", true}});
    }
    boost::system::error_code ec;
    json::value body = json::parse(request.body(), ec);
    if (ec) {
      return json_response(400, {{"error", "the body is not JSON: " + ec.message()}});
    }
    if (target == "/__fake/default") {
      auto reply = fake_reply_from_json(body);
      if (!reply) {
        return json_response(400, {{"error", reply.error().message}});
      }
      std::lock_guard lock(mutex);
      default_reply = std::move(*reply);
      return json_response(200, {{"ok", true}});
    }
    if (target == "/__fake/script") {
      json::array steps = body.is_array() ? body.get_array() : json::array{body};
      std::vector<ScriptStep> parsed;
      for (const auto& step : steps) {
        auto one = script_step_from_json(step);
        if (!one) {
          return json_response(400, {{"error", one.error().message}});
        }
        parsed.push_back(std::move(*one));
      }
      std::lock_guard lock(mutex);
      for (auto& step : parsed) {
        script.push_back(std::move(step));
      }
      return json_response(200, {{"queued", script.size()}});
    }
    return json_response(404, {{"error", "unknown control path"}});
  }

  std::vector<RecordedRequest> requests_copy() const {
    std::lock_guard lock(mutex);
    return requests;
  }

  // Plays one step; false when the connection is finished.
  asio::awaitable<bool> play(tcp::socket& socket, const ScriptStep& step, std::string_view path) {
    std::vector<std::string> chunks = step.reply ? render_for_path(path, *step.reply) : step.chunks;
    std::size_t total = 0;
    for (const auto& chunk : chunks) {
      total += chunk.size();
    }
    bool ok = step.status >= 200 && step.status < 300;
    std::string head =
        http_head(step.status, step.headers, ok ? "text/event-stream" : "application/json",
                  step.chunked ? "Transfer-Encoding: chunked\r\n"
                               : "Content-Length: " + std::to_string(total) + "\r\n");
    if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(head), kTuple); ec) {
      co_return false;
    }
    if (step.hang) {
      char byte = 0;  // returns when the client gives up and closes
      co_await socket.async_read_some(asio::buffer(&byte, 1), kTuple);
      co_return false;
    }
    asio::steady_timer timer(io);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      if (step.disconnect_after && i == *step.disconnect_after) {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        co_return false;
      }
      if (step.delay.count() > 0) {
        timer.expires_after(step.delay);
        co_await timer.async_wait(kTuple);
      }
      std::string framed = chunks[i];
      if (step.chunked) {
        std::ostringstream size;
        size << std::hex << chunks[i].size();
        framed = size.str() + "\r\n" + chunks[i] + "\r\n";
      }
      if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(framed), kTuple); ec) {
        co_return false;
      }
    }
    if (step.disconnect_after && *step.disconnect_after >= chunks.size()) {
      boost::system::error_code ignored;
      socket.close(ignored);
      co_return false;
    }
    if (step.chunked) {
      std::string last = "0\r\n\r\n";
      if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(last), kTuple); ec) {
        co_return false;
      }
    }
    co_return true;
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      if (buffer.size() == 0) {
        // Wait for the first byte on its own, so first_byte_at excludes the rest of the upload.
        // An error here shows up again in the read below.
        co_await socket.async_wait(tcp::socket::wait_read, kTuple);
      }
      auto first_byte_at = std::chrono::steady_clock::now();
      http::request_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{64} * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(socket, buffer, parser, kTuple);
      if (ec) {
        co_return;
      }
      http::request<http::string_body> request = parser.release();
      std::string target(request.target());
      if (target.starts_with("/__fake/")) {
        std::string answer = control(request);
        if (auto [wec, w] = co_await asio::async_write(socket, asio::buffer(answer), kTuple); wec) {
          co_return;
        }
        continue;
      }
      RecordedRequest recorded{
          std::string(request.method_string()), target, {}, request.body(), first_byte_at};
      for (const auto& field : request) {
        recorded.headers.emplace_back(core::to_lower_ascii(field.name_string()),
                                      std::string(field.value()));
      }
      {
        std::lock_guard lock(mutex);
        requests.push_back(std::move(recorded));
      }
      ScriptStep step = next_step();
      if (!co_await play(socket, step, target)) {
        co_return;
      }
    }
  }
};

FakeLlmServer::FakeLlmServer(std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeLlmServer::~FakeLlmServer() {
  // Test teardown: dropping connections mid-write is what a dying server does anyway.
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t FakeLlmServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string FakeLlmServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void FakeLlmServer::push(ScriptStep step) {
  std::lock_guard lock(impl_->mutex);
  impl_->script.push_back(std::move(step));
}

void FakeLlmServer::set_default_reply(FakeReply reply) {
  std::lock_guard lock(impl_->mutex);
  impl_->default_reply = std::move(reply);
}

std::vector<RecordedRequest> FakeLlmServer::requests() const {
  return impl_->requests_copy();
}

std::size_t FakeLlmServer::request_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests.size();
}

std::size_t FakeLlmServer::pending_steps() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->script.size();
}

void FakeLlmServer::reset() {
  std::lock_guard lock(impl_->mutex);
  impl_->script.clear();
  impl_->requests.clear();
}

}  // namespace pincer::fakes
