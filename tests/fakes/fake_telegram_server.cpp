// The fake Telegram server's transport: one coroutine per connection on the server's own io
// thread, long polls held on a timer, one webhook sender that posts the oldest pending update
// until it is taken, and the /__fake/ control endpoints. The Bot API data and methods live in
// TelegramState (fake_telegram_state.cpp); every touch of it holds `mutex`.
//
// Ordering: a call is recorded before its answer is written, so a test that saw the client get
// an answer also sees the call. A held getUpdates is recorded when it arrives (status 0) and
// completed when answered. Only one getUpdates is held at a time; a newer one ends it with 409,
// as Telegram does.
//
// Control bodies (JSON):
//   POST /__fake/updates  an Update object or an array of them (update_id assigned when missing)
//   POST /__fake/private  {user_id, first_name, text}
//   POST /__fake/group    {chat_id, user_id, text, topic_id?, mention_bot?}
//   POST /__fake/faults   a TelegramFault as JSON (see telegram_fault_from_json) or an array
//   POST /__fake/files    {file_id, file_path, bytes_base64}
//   POST /__fake/bot      {id, username, first_name}
//   POST /__fake/reset
//   GET  /__fake/calls[?method=m], /__fake/chats/<chat_id>, /__fake/state

#include "fakes/fake_telegram_server.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

#include "core/text.hpp"
#include "fakes/fake_telegram_request.hpp"
#include "fakes/fake_telegram_state.hpp"

namespace pincer::fakes {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr auto kDropPollDelay = std::chrono::milliseconds(100);
constexpr auto kWebhookTimeout = std::chrono::seconds(5);
constexpr std::string_view kPollConflict =
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running";
constexpr std::string_view kBadGatewayHtml =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
    "Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";

constexpr std::pair<TelegramFault::Kind, std::string_view> kFaultNames[] = {
    {TelegramFault::Kind::rate_limit, "rate_limit"},
    {TelegramFault::Kind::conflict, "conflict"},
    {TelegramFault::Kind::server_error, "server_error"},
    {TelegramFault::Kind::bad_gateway, "bad_gateway"},
    {TelegramFault::Kind::parse_entities, "parse_entities"},
    {TelegramFault::Kind::drop_connection, "drop_connection"},
    {TelegramFault::Kind::hang, "hang"},
};

std::string http_answer(int status, std::string_view content_type, std::string_view body,
                        bool keep_alive) {
  return "HTTP/1.1 " + std::to_string(status) + " " +
         std::string(http::obsolete_reason(static_cast<http::status>(status))) +
         "\r\nServer: nginx/1.18.0\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         (keep_alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close") + "\r\n\r\n" +
         std::string(body);
}

std::string json_answer(int status, const json::value& body, bool keep_alive) {
  return http_answer(status, "application/json", json::serialize(body), keep_alive);
}

// A well-formed token: "<digits>:<letters, digits, _ and ->".
bool token_shaped(std::string_view token) {
  std::size_t colon = token.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == token.size()) {
    return false;
  }
  for (std::size_t i = 0; i < token.size(); ++i) {
    auto c = static_cast<unsigned char>(token[i]);
    bool ok = i < colon ? std::isdigit(c) != 0
                        : (i == colon || std::isalnum(c) != 0 || c == '_' || c == '-');
    if (!ok) {
      return false;
    }
  }
  return true;
}

ApiAnswer fault_answer(const TelegramFault& fault) {
  switch (fault.kind) {
    case TelegramFault::Kind::rate_limit:
      return api_error(429, "Too Many Requests: retry after " + std::to_string(fault.retry_after),
                       {{"retry_after", fault.retry_after}});
    case TelegramFault::Kind::conflict:
      return api_error(409, std::string(kPollConflict));
    case TelegramFault::Kind::parse_entities:
      return api_error(400,
                       "Bad Request: can't parse entities: Can't find end tag corresponding to "
                       "start tag \"b\"");
    case TelegramFault::Kind::server_error:
    case TelegramFault::Kind::bad_gateway:
    case TelegramFault::Kind::drop_connection:
    case TelegramFault::Kind::hang:
      break;
  }
  return api_error(500, "Internal Server Error");
}

bool same_method(std::string_view a, std::string_view b) {
  return core::to_lower_ascii(a) == core::to_lower_ascii(b);
}

std::optional<int64_t> json_int(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_number()) {
    return v->to_number<int64_t>();
  }
  if (v->is_string()) {
    try {
      return std::stoll(std::string(v->get_string()));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string json_text(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

Result<TelegramFault> telegram_fault_from_json(const json::value& value) {
  const json::object* object = value.if_object();
  if (object == nullptr) {
    return fail(Errc::parse, "a fault must be a JSON object");
  }
  TelegramFault fault;
  fault.method = json_text(*object, "method");
  fault.count = static_cast<int>(json_int(*object, "count").value_or(1));
  fault.retry_after = static_cast<int>(json_int(*object, "retry_after").value_or(1));
  std::string kind = json_text(*object, "kind");
  if (!kind.empty()) {
    auto found = std::find_if(std::begin(kFaultNames), std::end(kFaultNames),
                              [&](const auto& entry) { return entry.second == kind; });
    if (found == std::end(kFaultNames)) {
      return fail(Errc::parse, "unknown fault kind \"" + kind + "\"",
                  "use rate_limit, conflict, server_error, bad_gateway, parse_entities, "
                  "drop_connection or hang");
    }
    fault.kind = found->first;
  }
  return fault;
}

json::value to_json(const TelegramCall& call) {
  json::array uploads;
  for (const auto& upload : call.uploads) {
    uploads.push_back(json::object{{"field", upload.field},
                                   {"filename", upload.filename},
                                   {"content_type", upload.content_type},
                                   {"size", upload.bytes.size()}});
  }
  return json::object{{"method", call.method},
                      {"params", call.params},
                      {"uploads", std::move(uploads)},
                      {"status", call.status},
                      {"response", call.response}};
}

json::value to_json(const FakeChatMessage& message) {
  json::object out{
      {"message_id", message.message_id}, {"chat_id", message.chat_id},   {"text", message.text},
      {"parse_mode", message.parse_mode}, {"edited", message.edited},     {"edits", message.edits},
      {"plain_text", message.plain_text}, {"entities", message.entities}, {"media", message.media},
      {"file_id", message.file_id}};
  if (message.thread_id) {
    out["thread_id"] = *message.thread_id;
  }
  if (message.reply_to) {
    out["reply_to"] = *message.reply_to;
  }
  json::array reactions;
  for (const auto& reaction : message.reactions) {
    reactions.push_back(json::string(reaction));
  }
  out["reactions"] = std::move(reactions);
  return out;
}

struct FakeTelegramServer::Impl {
  explicit Impl(std::string bot_token) : token(std::move(bot_token)) {}

  // What a connection does after a request.
  struct Outcome {
    enum class Kind { answer, close, hang };
    Kind kind = Kind::answer;
    std::string bytes;
  };
  // The held getUpdates; `terminated` is the 409 description once a newer call ended it.
  struct Poll {
    asio::steady_timer timer;
    std::string terminated;
  };

  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer webhook_wake{io};  // cancelled when there may be something to deliver
  std::thread thread;
  const std::string token;

  // guards state, calls, call_counts, calls_epoch, sent_at, faults, webhook_retry_delay
  mutable std::mutex mutex;
  mutable std::condition_variable calls_changed;  // notified with mutex held when calls change
  TelegramState state;
  std::vector<TelegramCall> calls;
  std::map<std::string, std::size_t, std::less<>> call_counts;  // by lower-cased method
  // update_id -> when it first went out in a getUpdates answer or a webhook POST.
  std::unordered_map<int64_t, std::chrono::steady_clock::time_point> sent_at;
  std::uint64_t calls_epoch = 0;  // bumped by reset, so a held poll does not write a stale slot
  std::vector<TelegramFault> faults;
  std::chrono::milliseconds webhook_retry_delay{50};

  Poll* active_poll = nullptr;  // io thread only

  // ---- shared with the public API (any thread) ----

  void record_locked(TelegramCall call) {
    ++call_counts[core::to_lower_ascii(call.method)];
    calls.push_back(std::move(call));
    calls_changed.notify_all();
  }

  std::size_t count_locked(std::string_view method) const {
    if (method.empty()) {
      return calls.size();
    }
    auto found = call_counts.find(core::to_lower_ascii(method));
    return found == call_counts.end() ? 0 : found->second;
  }

  void note_sent_locked(int64_t update_id, std::chrono::steady_clock::time_point when) {
    sent_at.try_emplace(update_id, when);
  }

  void wake_soon() {
    asio::post(io, [this] { wake(); });
  }

  int64_t push(json::object update) {
    int64_t id = 0;
    {
      std::lock_guard lock(mutex);
      id = state.push_update(std::move(update));
    }
    wake_soon();
    return id;
  }

  void reset_all() {
    {
      std::lock_guard lock(mutex);
      state.reset();
      calls.clear();
      call_counts.clear();
      sent_at.clear();
      ++calls_epoch;
      faults.clear();
      calls_changed.notify_all();
    }
    wake_soon();
  }

  std::optional<TelegramFault> take_fault(std::string_view method) {
    std::lock_guard lock(mutex);
    for (auto it = faults.begin(); it != faults.end(); ++it) {
      if (it->method.empty() || same_method(it->method, method)) {
        TelegramFault hit = *it;
        if (--it->count <= 0) {
          faults.erase(it);
        }
        return hit;
      }
    }
    return std::nullopt;
  }

  // ---- io thread ----

  void wake() {
    if (active_poll != nullptr) {
      active_poll->timer.cancel();
    }
    webhook_wake.cancel();
  }

  void terminate_poll(std::string_view reason) {
    if (active_poll != nullptr) {
      active_poll->terminated = std::string(reason);
      active_poll->timer.cancel();
      active_poll = nullptr;
    }
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

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{64} * 1024 * 1024);
      auto [ec, n] = co_await http::async_read(socket, buffer, parser, kTuple);
      if (ec) {
        co_return;
      }
      http::request<http::string_body> request = parser.release();
      Outcome outcome = co_await handle(request);
      boost::system::error_code ignored;
      if (outcome.kind == Outcome::Kind::close) {
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        socket.close(ignored);
        co_return;
      }
      if (outcome.kind == Outcome::Kind::hang) {
        char byte = 0;  // returns when the client gives up and closes
        for (;;) {
          auto [rec, r] = co_await socket.async_read_some(asio::buffer(&byte, 1), kTuple);
          if (rec) {
            co_return;
          }
        }
      }
      auto [wec, w] = co_await asio::async_write(socket, asio::buffer(outcome.bytes), kTuple);
      if (wec || !request.keep_alive()) {
        socket.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  asio::awaitable<Outcome> handle(const http::request<http::string_body>& request) {
    std::string_view target = request.target();
    std::size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    bool keep_alive = request.keep_alive();
    if (path.starts_with("/__fake/")) {
      co_return Outcome{Outcome::Kind::answer, control(request, path, query)};
    }
    if (path.starts_with("/file/bot")) {
      co_return Outcome{Outcome::Kind::answer, download(path.substr(9), keep_alive)};
    }
    if (!path.starts_with("/bot")) {
      co_return Outcome{Outcome::Kind::answer,
                        json_answer(404, api_error(404, "Not Found").body, keep_alive)};
    }
    co_return co_await bot_api(request, path.substr(4), query);
  }

  std::string download(std::string_view rest, bool keep_alive) {
    std::size_t slash = rest.find('/');
    std::string_view given = rest.substr(0, slash);
    if (slash == std::string_view::npos || !token_shaped(given)) {
      return json_answer(404, api_error(404, "Not Found").body, keep_alive);
    }
    if (given != token) {
      return json_answer(401, api_error(401, "Unauthorized").body, keep_alive);
    }
    std::string path = percent_decode(rest.substr(slash + 1));
    std::lock_guard lock(mutex);
    const std::string* bytes = state.file_bytes(path);
    if (bytes == nullptr) {
      return json_answer(404, api_error(404, "Not Found").body, keep_alive);
    }
    return http_answer(200, "application/octet-stream", *bytes, keep_alive);
  }

  asio::awaitable<Outcome> bot_api(const http::request<http::string_body>& request,
                                   std::string_view rest, std::string_view query) {
    bool keep_alive = request.keep_alive();
    std::size_t slash = rest.find('/');
    std::string_view given = rest.substr(0, slash);
    std::string_view method =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    auto answer_with = [&](TelegramCall call, const ApiAnswer& answer) {
      call.status = answer.status;
      call.response = answer.body;
      {
        std::lock_guard lock(mutex);
        record_locked(std::move(call));
      }
      return Outcome{Outcome::Kind::answer, json_answer(answer.status, answer.body, keep_alive)};
    };

    TelegramCall call;
    call.method = std::string(method);
    call.received_at = std::chrono::steady_clock::now();
    auto parsed = parse_bot_request(query, request[http::field::content_type], request.body());
    if (parsed) {
      call.params = parsed->params;
      call.uploads = parsed->uploads;
    }
    if (method.empty() || method.find('/') != std::string_view::npos || !token_shaped(given)) {
      co_return answer_with(std::move(call), api_error(404, "Not Found"));
    }
    if (given != token) {
      co_return answer_with(std::move(call), api_error(401, "Unauthorized"));
    }
    if (!parsed) {
      co_return answer_with(std::move(call), api_error(400, parsed.error()));
    }
    std::string lower = core::to_lower_ascii(method);

    if (auto fault = take_fault(lower)) {
      switch (fault->kind) {
        case TelegramFault::Kind::drop_connection: {
          call.status = 0;
          {
            std::lock_guard lock(mutex);
            record_locked(std::move(call));
          }
          if (lower == "getupdates") {
            asio::steady_timer hold(io, kDropPollDelay);
            co_await hold.async_wait(kTuple);
          }
          co_return Outcome{Outcome::Kind::close, {}};
        }
        case TelegramFault::Kind::hang: {
          call.status = 0;
          std::lock_guard lock(mutex);
          record_locked(std::move(call));
          co_return Outcome{Outcome::Kind::hang, {}};
        }
        case TelegramFault::Kind::bad_gateway: {
          call.status = 502;
          call.response = json::string(kBadGatewayHtml);
          {
            std::lock_guard lock(mutex);
            record_locked(std::move(call));
          }
          co_return Outcome{Outcome::Kind::answer,
                            http_answer(502, "text/html", kBadGatewayHtml, keep_alive)};
        }
        default:
          co_return answer_with(std::move(call), fault_answer(*fault));
      }
    }

    if (lower == "getupdates") {
      ApiAnswer answer = co_await get_updates(std::move(call));
      co_return Outcome{Outcome::Kind::answer, json_answer(answer.status, answer.body, keep_alive)};
    }
    ApiAnswer answer;
    bool webhook_set = false;
    {
      std::lock_guard lock(mutex);
      answer = state.call(lower, call.params, call.uploads);
      webhook_set = !state.webhook_url().empty();
      call.status = answer.status;
      call.response = answer.body;
      record_locked(std::move(call));
    }
    if ((lower == "setwebhook" || lower == "deletewebhook") && answer.status == 200) {
      if (webhook_set) {
        terminate_poll("Conflict: terminated by setWebhook request");
      }
      webhook_wake.cancel();
    }
    co_return Outcome{Outcome::Kind::answer, json_answer(answer.status, answer.body, keep_alive)};
  }

  asio::awaitable<ApiAnswer> get_updates(TelegramCall call) {
    PollPlan plan;
    std::size_t slot = 0;
    std::uint64_t epoch = 0;
    {
      std::lock_guard lock(mutex);
      auto started = state.start_get_updates(call.params);
      if (!started) {
        call.status = started.error().status;
        call.response = started.error().body;
        record_locked(std::move(call));
        co_return started.error();
      }
      plan = *started;
      call.status = 0;  // held until answered
      slot = calls.size();
      epoch = calls_epoch;
      record_locked(std::move(call));
    }
    terminate_poll(kPollConflict);

    Poll poll{asio::steady_timer(io), {}};
    if (plan.timeout.count() > 0) {
      active_poll = &poll;
    }
    auto deadline = std::chrono::steady_clock::now() + plan.timeout;
    json::array updates;
    for (;;) {
      if (!poll.terminated.empty()) {
        break;
      }
      {
        std::lock_guard lock(mutex);
        updates = state.peek_updates(plan.limit);
      }
      if (!updates.empty() || std::chrono::steady_clock::now() >= deadline) {
        break;
      }
      poll.timer.expires_at(deadline);
      co_await poll.timer.async_wait(kTuple);
    }
    if (active_poll == &poll) {
      active_poll = nullptr;
    }
    if (poll.terminated.empty() && !updates.empty()) {
      auto now = std::chrono::steady_clock::now();
      std::lock_guard lock(mutex);
      for (const auto& update : updates) {
        if (const json::value* id = update.get_object().if_contains("update_id")) {
          note_sent_locked(id->to_number<int64_t>(), now);
        }
      }
    }
    ApiAnswer answer =
        poll.terminated.empty() ? api_result(std::move(updates)) : api_error(409, poll.terminated);
    {
      std::lock_guard lock(mutex);
      if (epoch == calls_epoch && slot < calls.size()) {
        calls[slot].status = answer.status;
        calls[slot].response = answer.body;
        calls_changed.notify_all();
      }
    }
    co_return answer;
  }

  // Posts pending updates to the webhook one at a time, oldest first; a failure is reported in
  // getWebhookInfo and retried after webhook_retry_delay.
  asio::awaitable<void> webhook_loop() {
    asio::steady_timer pause(io);
    for (;;) {
      std::optional<WebhookJob> job;
      std::chrono::milliseconds delay{0};
      {
        std::lock_guard lock(mutex);
        job = state.next_webhook_job();
        delay = webhook_retry_delay;
      }
      if (!job) {
        webhook_wake.expires_at(asio::steady_timer::time_point::max());
        co_await webhook_wake.async_wait(kTuple);
        continue;
      }
      {
        std::lock_guard lock(mutex);
        note_sent_locked(job->update_id, std::chrono::steady_clock::now());
      }
      std::string error = co_await deliver(*job);
      {
        std::lock_guard lock(mutex);
        state.finish_webhook_job(*job, error);
      }
      if (!error.empty()) {
        pause.expires_after(delay);
        co_await pause.async_wait(kTuple);
      }
    }
  }

  // "" when the webhook answered 2xx; otherwise the last_error_message Telegram would report.
  asio::awaitable<std::string> deliver(const WebhookJob& job) {
    auto url = parse_http_url(job.url);
    if (!url) {
      co_return "Wrong webhook URL";
    }
    beast::tcp_stream stream(io);
    stream.expires_after(kWebhookTimeout);
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), url->port);
    if (auto [ec] = co_await stream.async_connect(endpoint, kTuple); ec) {
      co_return ec == asio::error::connection_refused ? "Connection refused"
                                                      : "Connection timed out";
    }
    http::request<http::string_body> request{http::verb::post, url->target, 11};
    request.set(http::field::host, url->host + ":" + std::to_string(url->port));
    request.set(http::field::content_type, "application/json");
    if (!job.secret.empty()) {
      request.set("X-Telegram-Bot-Api-Secret-Token", job.secret);
    }
    request.keep_alive(false);
    request.body() = job.body;
    request.prepare_payload();
    if (auto [ec, n] = co_await http::async_write(stream, request, kTuple); ec) {
      co_return "Connection reset by peer";
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    if (auto [ec, n] = co_await http::async_read(stream, buffer, response, kTuple); ec) {
      co_return ec == beast::error::timeout ? "Read timeout expired" : "Connection reset by peer";
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    int status = static_cast<int>(response.result_int());
    if (status < 200 || status >= 300) {
      co_return "Wrong response from the webhook: " + std::to_string(status) + " " +
          std::string(response.reason().empty() ? http::obsolete_reason(response.result())
                                                : response.reason());
    }
    answer_in_webhook_reply(response.body());
    co_return "";
  }

  // A webhook may answer with a Bot API call: {"method":"sendMessage", ...params}.
  void answer_in_webhook_reply(std::string_view body) {
    boost::system::error_code ec;
    json::value reply = json::parse(body, ec);
    if (ec || !reply.is_object() || json_text(reply.get_object(), "method").empty()) {
      return;
    }
    TelegramCall call;
    call.received_at = std::chrono::steady_clock::now();
    call.params = reply.get_object();
    call.method = json_text(call.params, "method");
    call.params.erase("method");
    std::lock_guard lock(mutex);
    ApiAnswer answer = state.call(core::to_lower_ascii(call.method), call.params, {});
    call.status = answer.status;
    call.response = answer.body;
    record_locked(std::move(call));
  }

  std::string control(const http::request<http::string_body>& request, std::string_view path,
                      std::string_view query) {
    auto ok = [](json::value body) { return json_answer(200, body, true); };
    auto bad = [](std::string message) {
      return json_answer(400, json::object{{"error", std::move(message)}}, true);
    };
    if (path == "/__fake/calls") {
      std::string method;
      for (auto& [name, value] : parse_form(query)) {
        if (name == "method") {
          method = value;
        }
      }
      json::array list;
      std::lock_guard lock(mutex);
      for (const auto& call : calls) {
        if (method.empty() || same_method(call.method, method)) {
          list.push_back(to_json(call));
        }
      }
      return ok(std::move(list));
    }
    if (path == "/__fake/state") {
      std::lock_guard lock(mutex);
      return ok(json::object{{"confirmed_offset", state.confirmed_offset()},
                             {"pending_updates", state.pending_updates()},
                             {"webhook_url", state.webhook_url()}});
    }
    if (path.starts_with("/__fake/chats/")) {
      std::string id_text(path.substr(14));
      int64_t chat_id = 0;
      try {
        chat_id = std::stoll(id_text);
      } catch (const std::exception&) {
        return bad("chat id must be an integer");
      }
      json::array list;
      std::lock_guard lock(mutex);
      for (const auto& message : state.chat_messages(chat_id)) {
        list.push_back(to_json(message));
      }
      return ok(std::move(list));
    }
    if (path == "/__fake/reset") {
      reset_all();
      return ok(json::object{{"ok", true}});
    }

    boost::system::error_code ec;
    json::value body = json::parse(request.body(), ec);
    if (ec) {
      return bad("the body is not JSON: " + ec.message());
    }
    if (path == "/__fake/updates") {
      json::array list = body.is_array() ? body.get_array() : json::array{body};
      for (const auto& update : list) {
        if (!update.is_object()) {
          return bad("an update must be a JSON object");
        }
      }
      json::array ids;
      for (const auto& update : list) {
        ids.push_back(push(update.get_object()));
      }
      return ok(json::object{{"update_ids", std::move(ids)}});
    }
    if (!body.is_object() && path != "/__fake/faults") {
      return bad("the body must be a JSON object");
    }
    if (path == "/__fake/private") {
      const json::object& o = body.get_object();
      json::object update;
      {
        std::lock_guard lock(mutex);
        update = state.private_text_update(json_int(o, "user_id").value_or(0),
                                           json_text(o, "first_name"), json_text(o, "text"));
      }
      return ok(json::object{{"update_id", push(std::move(update))}});
    }
    if (path == "/__fake/group") {
      const json::object& o = body.get_object();
      bool mention = o.contains("mention_bot") && o.at("mention_bot").is_bool() &&
                     o.at("mention_bot").get_bool();
      json::object update;
      {
        std::lock_guard lock(mutex);
        update = state.group_text_update(json_int(o, "chat_id").value_or(0),
                                         json_int(o, "user_id").value_or(0), json_text(o, "text"),
                                         json_int(o, "topic_id"), mention);
      }
      return ok(json::object{{"update_id", push(std::move(update))}});
    }
    if (path == "/__fake/faults") {
      json::array list = body.is_array() ? body.get_array() : json::array{body};
      std::vector<TelegramFault> parsed;
      for (const auto& entry : list) {
        auto fault = telegram_fault_from_json(entry);
        if (!fault) {
          return bad(fault.error().describe());
        }
        parsed.push_back(std::move(*fault));
      }
      std::lock_guard lock(mutex);
      for (auto& fault : parsed) {
        faults.push_back(std::move(fault));
      }
      return ok(json::object{{"queued", faults.size()}});
    }
    if (path == "/__fake/files") {
      const json::object& o = body.get_object();
      auto bytes = base64_decode(json_text(o, "bytes_base64"));
      if (!bytes || json_text(o, "file_id").empty() || json_text(o, "file_path").empty()) {
        return bad("need file_id, file_path and bytes_base64 (base64)");
      }
      std::lock_guard lock(mutex);
      state.add_file(json_text(o, "file_id"), json_text(o, "file_path"), std::move(*bytes));
      return ok(json::object{{"ok", true}});
    }
    if (path == "/__fake/bot") {
      const json::object& o = body.get_object();
      std::lock_guard lock(mutex);
      state.set_bot(json_int(o, "id").value_or(777000111), json_text(o, "username"),
                    json_text(o, "first_name"));
      return ok(json::object{{"ok", true}});
    }
    return json_answer(404, json::object{{"error", "unknown control path"}}, true);
  }
};

FakeTelegramServer::FakeTelegramServer(std::string token, std::uint16_t port)
    : impl_(std::make_unique<Impl>(std::move(token))) {
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  asio::co_spawn(impl_->io, impl_->webhook_loop(), asio::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

FakeTelegramServer::~FakeTelegramServer() {
  // Test teardown: dropping held polls and connections is what a dying server does anyway.
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t FakeTelegramServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string FakeTelegramServer::api_root() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

const std::string& FakeTelegramServer::token() const {
  return impl_->token;
}

void FakeTelegramServer::set_bot(int64_t id, std::string username, std::string first_name) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.set_bot(id, std::move(username), std::move(first_name));
}

int64_t FakeTelegramServer::push_update(json::object update) {
  return impl_->push(std::move(update));
}

int64_t FakeTelegramServer::push_private_text(int64_t user_id, std::string first_name,
                                              std::string text) {
  json::object update;
  {
    std::lock_guard lock(impl_->mutex);
    update = impl_->state.private_text_update(user_id, first_name, text);
  }
  return impl_->push(std::move(update));
}

int64_t FakeTelegramServer::push_group_text(int64_t chat_id, int64_t user_id, std::string text,
                                            std::optional<int64_t> topic_id, bool mention_bot) {
  json::object update;
  {
    std::lock_guard lock(impl_->mutex);
    update = impl_->state.group_text_update(chat_id, user_id, text, topic_id, mention_bot);
  }
  return impl_->push(std::move(update));
}

void FakeTelegramServer::inject_fault(TelegramFault fault) {
  std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

std::vector<TelegramCall> FakeTelegramServer::calls() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->calls;
}

std::vector<TelegramCall> FakeTelegramServer::calls(std::string_view method) const {
  std::lock_guard lock(impl_->mutex);
  std::vector<TelegramCall> out;
  for (const auto& call : impl_->calls) {
    if (same_method(call.method, method)) {
      out.push_back(call);
    }
  }
  return out;
}

bool FakeTelegramServer::wait_for_calls(std::string_view method, std::size_t count,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->calls_changed.wait_for(lock, timeout,
                                       [&] { return impl_->count_locked(method) >= count; });
}

std::size_t FakeTelegramServer::call_count(std::string_view method) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->count_locked(method);
}

std::vector<FakeChatMessage> FakeTelegramServer::chat_messages(int64_t chat_id) const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.chat_messages(chat_id);
}

void FakeTelegramServer::add_file(std::string file_id, std::string file_path, std::string bytes) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.add_file(std::move(file_id), std::move(file_path), std::move(bytes));
}

int64_t FakeTelegramServer::confirmed_offset() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.confirmed_offset();
}

std::size_t FakeTelegramServer::pending_updates() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.pending_updates();
}

void FakeTelegramServer::reset() {
  impl_->reset_all();
}

void FakeTelegramServer::set_webhook_retry_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->webhook_retry_delay = delay;
}

void FakeTelegramServer::set_strict_html_entities(bool strict) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.set_strict_html_entities(strict);
}

void FakeTelegramServer::migrate_chat(int64_t chat_id, int64_t new_chat_id) {
  std::lock_guard lock(impl_->mutex);
  impl_->state.migrate_chat(chat_id, new_chat_id);
}

std::string FakeTelegramServer::webhook_url() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->state.webhook_url();
}

std::optional<std::chrono::steady_clock::time_point> FakeTelegramServer::update_sent_at(
    int64_t update_id) const {
  std::lock_guard lock(impl_->mutex);
  auto found = impl_->sent_at.find(update_id);
  if (found == impl_->sent_at.end()) {
    return std::nullopt;
  }
  return found->second;
}

}  // namespace pincer::fakes
