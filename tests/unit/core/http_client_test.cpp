#include "core/http_client.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "core/multipart_body.hpp"
#include "core/text.hpp"

namespace pincer::core {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Outcome = std::expected<HttpResponse, HttpError>;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct SeenRequest {
  std::string method;
  std::string target;
  std::string content_type;
  std::string connection_header;
  std::string proxy_authorization;
  std::string body;
  int connection = 0;  // 1-based accept order
};

struct Reply {
  int status = 200;
  std::string body = "ok";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // before answering
  bool close_after = false;            // answer with Connection: close, then close
  bool drop = false;                   // close without answering
  bool hang = false;                   // never answer
};

// index: the request's position on its connection (0 for the first).
using Handler = std::function<Reply(const SeenRequest&, int index)>;

// A small HTTP/1.1 server on 127.0.0.1 with its own thread: keep-alive, scripted replies, and
// a count of accepted connections.
class TestServer {
 public:
  explicit TestServer(Handler handler = {})
      : handler_(std::move(handler)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    asio::post(io_, [this] {
      acceptor_.close();
      for (auto& socket : sockets_) {
        boost::system::error_code ignored;
        socket->close(ignored);
      }
      io_.stop();
    });
    thread_.join();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + std::string(path);
  }
  int accepted() const { return accepted_; }
  std::vector<SeenRequest> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // Closes every open connection on the server side, as an idle timeout would, and returns once
  // the sockets are closed.
  void close_connections() {
    std::promise<void> done;
    asio::post(io_, [&] {
      for (auto& socket : sockets_) {
        boost::system::error_code ignored;
        socket->shutdown(tcp::socket::shutdown_both, ignored);
        socket->close(ignored);
      }
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) {
        co_return;
      }
      int id = ++accepted_;
      auto shared = std::make_shared<tcp::socket>(std::move(socket));
      sockets_.push_back(shared);
      asio::co_spawn(io_, serve(shared, id), asio::detached);
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket, int id) {
    beast::flat_buffer buffer;
    for (int index = 0;; ++index) {
      http::request<http::string_body> request;
      auto [ec, n] = co_await http::async_read(*socket, buffer, request, kTuple);
      if (ec) {  // the client left, or sent something that is not HTTP
        boost::system::error_code ignored;
        socket->close(ignored);
        co_return;
      }
      SeenRequest seen{std::string(request.method_string()),
                       std::string(request.target()),
                       std::string(request[http::field::content_type]),
                       std::string(request[http::field::connection]),
                       std::string(request[http::field::proxy_authorization]),
                       request.body(),
                       id};
      {
        std::lock_guard lock(mutex_);
        seen_.push_back(seen);
      }
      Reply reply = handler_ ? handler_(seen, index) : Reply{};
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(io_, reply.delay);
        co_await timer.async_wait(kTuple);
      }
      boost::system::error_code ignored;
      if (reply.drop) {
        socket->shutdown(tcp::socket::shutdown_both, ignored);
        socket->close(ignored);
        co_return;
      }
      if (reply.hang) {  // until the client goes away
        char byte = 0;
        co_await socket->async_read_some(asio::buffer(&byte, 1), kTuple);
        co_return;
      }
      http::response<http::string_body> response{static_cast<http::status>(reply.status), 11};
      for (const auto& [name, value] : reply.headers) {
        response.set(name, value);
      }
      response.body() = reply.body;
      response.keep_alive(request.keep_alive() && !reply.close_after);
      response.prepare_payload();
      auto [write_ec, written] = co_await http::async_write(*socket, response, kTuple);
      if (write_ec || !response.keep_alive()) {
        socket->close(ignored);
        co_return;
      }
    }
  }

  Handler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::list<std::shared_ptr<tcp::socket>> sockets_;  // server thread only
  std::atomic<int> accepted_{0};
  mutable std::mutex mutex_;  // guards seen_
  std::vector<SeenRequest> seen_;
  std::thread thread_;
};

struct Timed {
  Outcome outcome;
  Clock::duration elapsed{};
};

// Runs one request on `io` to completion; cancels it (terminal) after `cancel_after` if set.
Timed run(asio::io_context& io, HttpClient& client, HttpRequest request,
          std::optional<Clock::duration> cancel_after = std::nullopt) {
  asio::cancellation_signal signal;
  std::optional<Outcome> outcome;
  auto started = Clock::now();
  auto call = [&]() -> asio::awaitable<void> {
    outcome = co_await client.request(std::move(request));
  };
  asio::co_spawn(io, call(), asio::bind_cancellation_slot(signal.slot(), asio::detached));
  asio::steady_timer timer(io);
  if (cancel_after) {
    timer.expires_after(*cancel_after);
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) {
        signal.emit(asio::cancellation_type::terminal);
      }
    });
  }
  io.restart();
  while (!outcome && io.run_one_for(10s) > 0) {
  }
  timer.cancel();
  io.restart();
  io.poll();
  EXPECT_TRUE(outcome.has_value()) << "the request never completed";
  if (!outcome) {
    return {std::unexpected(HttpError{HttpErrorKind::protocol, "did not complete"}), {}};
  }
  return {std::move(*outcome), Clock::now() - started};
}

HttpRequest get(std::string url) {
  HttpRequest request;
  request.url = std::move(url);
  request.timeout = 5s;
  return request;
}

HttpRequest post(std::string url, std::string body) {
  HttpRequest request = get(std::move(url));
  request.verb = http::verb::post;
  request.body = std::move(body);
  request.content_type = "application/json";
  return request;
}

// A URL whose path and query hold a secret, as Telegram's do.
constexpr std::string_view kSecretPath = "/bot123456:SECRET-token/getMe?key=SECRET-query";

void expect_no_secret(const HttpError& error) {
  EXPECT_EQ(error.message.find("SECRET"), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find("/bot"), std::string::npos) << error.message;
}

// A GET returns status, lower-cased headers and the body; header() ignores case.
TEST(HttpClient, GetReturnsStatusHeadersAndBody) {
  TestServer server([](const SeenRequest& seen, int) {
    Reply reply;
    reply.status = 201;
    reply.body = "hello " + seen.target;
    reply.headers = {{"X-Test", "yes"}};
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  auto result = run(io, client, get(server.url("/path?q=1")));
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(result.outcome->status, 201);
  EXPECT_EQ(result.outcome->body, "hello /path?q=1");
  EXPECT_EQ(result.outcome->header("X-TEST"), "yes");
  EXPECT_EQ(result.outcome->header("x-test"), "yes");
  EXPECT_EQ(result.outcome->header("missing"), "");
  for (const auto& [name, value] : result.outcome->headers) {
    EXPECT_EQ(name, to_lower_ascii(name));
  }
  ASSERT_EQ(server.seen().size(), 1u);
  EXPECT_EQ(server.seen()[0].method, "GET");
}

// A POST carries its body and content type; a 4xx status is a response, not an error.
TEST(HttpClient, PostSendsBodyAndContentType) {
  TestServer server([](const SeenRequest& seen, int) {
    Reply reply;
    reply.status = 400;
    reply.body = seen.method + " " + seen.content_type + " " + seen.body;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  auto result = run(io, client, post(server.url("/api"), R"({"a":1})"));
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  EXPECT_EQ(result.outcome->status, 400);
  EXPECT_EQ(result.outcome->body, R"(POST application/json {"a":1})");
}

// Sequential requests to one origin share one kept-alive connection.
TEST(HttpClient, ReusesIdleConnections) {
  TestServer server;
  asio::io_context io;
  HttpClient client(io.get_executor());
  for (int i = 0; i < 3; ++i) {
    auto result = run(io, client, i == 1 ? post(server.url("/p"), "{}") : get(server.url("/g")));
    ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client.idle_connections(), 1u);
  for (const auto& seen : server.seen()) {
    EXPECT_EQ(seen.connection, 1);
  }
}

// Two requests in flight at once never share a connection; both go back to the pool after,
// up to max_idle_per_origin.
TEST(HttpClient, ConcurrentRequestsUseSeparateConnections) {
  TestServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.delay = 100ms;
    return reply;
  });
  asio::io_context io;
  HttpClientOptions options;
  options.max_idle_per_origin = 1;
  HttpClient client(io.get_executor(), options);
  ASSERT_TRUE(run(io, client, get(server.url("/warm"))).outcome);
  ASSERT_EQ(client.idle_connections(), 1u);

  std::vector<Outcome> outcomes;
  auto call = [&]() -> asio::awaitable<void> {
    outcomes.push_back(co_await client.request(get(server.url("/both"))));
  };
  asio::co_spawn(io, call(), asio::detached);
  asio::co_spawn(io, call(), asio::detached);
  io.restart();
  io.run_for(10s);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE(outcome) << outcome.error().message;
  }
  EXPECT_EQ(server.accepted(), 2);
  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NE(seen[1].connection, seen[2].connection);
  EXPECT_EQ(client.idle_connections(), 1u);  // the cap
}

// With max_idle_per_origin 0 every request asks for Connection: close and opens its own.
TEST(HttpClient, KeepAliveOffClosesEachConnection) {
  TestServer server;
  asio::io_context io;
  HttpClientOptions options;
  options.max_idle_per_origin = 0;
  HttpClient client(io.get_executor(), options);
  ASSERT_TRUE(run(io, client, get(server.url("/a"))).outcome);
  ASSERT_TRUE(run(io, client, get(server.url("/b"))).outcome);
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(client.idle_connections(), 0u);
  EXPECT_EQ(to_lower_ascii(server.seen()[0].connection_header), "close");
}

// A response with Connection: close is not pooled.
TEST(HttpClient, ServerConnectionCloseIsHonoured) {
  TestServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.close_after = true;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  ASSERT_TRUE(run(io, client, get(server.url("/a"))).outcome);
  EXPECT_EQ(client.idle_connections(), 0u);
  ASSERT_TRUE(run(io, client, get(server.url("/b"))).outcome);
  EXPECT_EQ(server.accepted(), 2);
}

// The server closing an idle connection (its keep-alive timeout) costs nothing: the next
// request goes out on a new connection and succeeds.
TEST(HttpClient, ServerClosedIdleConnectionIsReplaced) {
  TestServer server;
  asio::io_context io;
  HttpClient client(io.get_executor());
  ASSERT_TRUE(run(io, client, get(server.url("/a"))).outcome);
  server.close_connections();
  for (auto request : {get(server.url("/b")), post(server.url("/c"), "{}")}) {
    auto result = run(io, client, request);
    ASSERT_TRUE(result.outcome) << result.outcome.error().message;
    EXPECT_EQ(result.outcome->status, 200);
  }
  EXPECT_EQ(server.accepted(), 2);
}

// Replay rule: a reused connection that dies before any response byte is retried once on a new
// connection for idempotent verbs and replay_safe requests; a plain POST fails as `closed`.
TEST(HttpClient, StaleConnectionReplayRule) {
  // The second request on any connection is dropped unanswered, as a connection the server
  // closed a moment before the request arrived.
  TestServer server([](const SeenRequest&, int index) {
    Reply reply;
    reply.drop = index == 1;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());

  ASSERT_TRUE(run(io, client, get(server.url("/1"))).outcome);
  auto replayed = run(io, client, get(server.url("/2")));
  ASSERT_TRUE(replayed.outcome) << replayed.outcome.error().message;
  EXPECT_EQ(server.accepted(), 2);

  auto plain_post = run(io, client, post(server.url("/3"), "{}"));
  ASSERT_FALSE(plain_post.outcome);
  EXPECT_EQ(plain_post.outcome.error().kind, HttpErrorKind::closed);
  EXPECT_EQ(server.accepted(), 2);  // not sent again

  ASSERT_TRUE(run(io, client, get(server.url("/4"))).outcome);  // a new connection (3)
  HttpRequest safe_post = post(server.url("/5"), "{}");
  safe_post.replay_safe = true;
  auto replayed_post = run(io, client, safe_post);
  ASSERT_TRUE(replayed_post.outcome) << replayed_post.outcome.error().message;
  EXPECT_EQ(server.accepted(), 4);
}

// A fresh connection dropped before answering is not retried.
TEST(HttpClient, FreshConnectionDropIsNotRetried) {
  TestServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.drop = true;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  auto result = run(io, client, get(server.url(kSecretPath)));
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpErrorKind::closed);
  EXPECT_EQ(server.accepted(), 1);
  expect_no_secret(result.outcome.error());
}

// The deadline covers the whole exchange: a server that never answers fails as `timeout`.
TEST(HttpClient, TimesOutWhenTheServerNeverAnswers) {
  TestServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.hang = true;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  HttpRequest request = get(server.url(kSecretPath));
  request.timeout = 200ms;
  auto result = run(io, client, request);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpErrorKind::timeout);
  EXPECT_LT(result.elapsed, 3s);
  EXPECT_NE(
      result.outcome.error().message.find("http://127.0.0.1:" + std::to_string(server.port())),
      std::string::npos)
      << result.outcome.error().message;
  expect_no_secret(result.outcome.error());
  EXPECT_EQ(client.idle_connections(), 0u);
}

// A body over max_response_bytes fails as `too_large` and the connection is not kept.
TEST(HttpClient, ResponseOverTheCapIsTooLarge) {
  TestServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.body = std::string(10'000, 'x');
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  HttpRequest request = get(server.url(kSecretPath));
  request.max_response_bytes = 1000;
  auto result = run(io, client, request);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpErrorKind::too_large);
  expect_no_secret(result.outcome.error());
  EXPECT_EQ(client.idle_connections(), 0u);

  request.max_response_bytes = 10'000;
  ASSERT_TRUE(run(io, client, request).outcome);
}

// Terminal cancellation of the awaiting coroutine ends the call at once as `aborted`.
TEST(HttpClient, CancellationAbortsPromptly) {
  TestServer server([](const SeenRequest&, int) {
    Reply reply;
    reply.hang = true;
    return reply;
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  HttpRequest request = get(server.url(kSecretPath));
  request.timeout = 30s;
  auto result = run(io, client, request, 100ms);
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpErrorKind::aborted);
  EXPECT_LT(result.elapsed, 5s);
  expect_no_secret(result.outcome.error());
  EXPECT_EQ(client.idle_connections(), 0u);
}

// Connection failures and bad URLs name scheme://host:port at most, never path or query.
TEST(HttpClient, ErrorMessagesNeverContainThePath) {
  std::uint16_t closed_port = 0;
  {
    asio::io_context scratch;
    tcp::acceptor acceptor(scratch, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    closed_port = acceptor.local_endpoint().port();
  }
  asio::io_context io;
  HttpClient client(io.get_executor());
  std::string origin = "http://127.0.0.1:" + std::to_string(closed_port);
  auto refused = run(io, client, get(origin + std::string(kSecretPath)));
  ASSERT_FALSE(refused.outcome);
  EXPECT_EQ(refused.outcome.error().kind, HttpErrorKind::connect);
  EXPECT_NE(refused.outcome.error().message.find(origin), std::string::npos)
      << refused.outcome.error().message;
  expect_no_secret(refused.outcome.error());

  for (std::string url :
       {"ftp://example.com" + std::string(kSecretPath), "not a url" + std::string(kSecretPath),
        "http://" + std::string(kSecretPath)}) {
    auto bad = run(io, client, get(url));
    ASSERT_FALSE(bad.outcome) << url;
    EXPECT_EQ(bad.outcome.error().kind, HttpErrorKind::bad_url) << url;
    expect_no_secret(bad.outcome.error());
  }
}

// A non-HTTP answer is a protocol error.
TEST(HttpClient, GarbageAnswerIsAProtocolError) {
  asio::io_context server_io;
  tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::thread server_thread([&] {
    tcp::socket socket = acceptor.accept();
    std::array<char, 1024> buffer{};
    boost::system::error_code ec;
    socket.read_some(asio::buffer(buffer), ec);
    asio::write(socket, asio::buffer(std::string_view("SSH-2.0-OpenSSH_9.2\r\n\r\n")), ec);
    socket.read_some(asio::buffer(buffer), ec);  // until the client closes
  });
  asio::io_context io;
  HttpClient client(io.get_executor());
  auto result = run(io, client,
                    get("http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) +
                        std::string(kSecretPath)));
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpErrorKind::protocol) << result.outcome.error().message;
  expect_no_secret(result.outcome.error());
  server_thread.join();
}

// Plain http:// through a proxy: absolute-form targets, with the proxy's credentials.
TEST(HttpClient, PlainHttpThroughProxyUsesAbsoluteForm) {
  TestServer proxy;  // answers the proxied request itself
  asio::io_context io;
  HttpClientOptions options;
  options.proxy = "http://user:pass@127.0.0.1:" + std::to_string(proxy.port());
  options.proxy_loopback_for_test = true;
  HttpClient client(io.get_executor(), options);
  auto result = run(io, client, get("http://api.example.test:8081/bot1:SECRET/getMe"));
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;
  auto seen = proxy.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "http://api.example.test:8081/bot1:SECRET/getMe");
  EXPECT_EQ(seen[0].proxy_authorization, "Basic dXNlcjpwYXNz");
}

// https:// to a server that speaks plain HTTP fails in the handshake, as `tls`.
TEST(HttpClient, TlsHandshakeFailureIsTls) {
  TestServer server;
  asio::io_context io;
  HttpClient client(io.get_executor());
  std::string origin = "https://127.0.0.1:" + std::to_string(server.port());
  auto result = run(io, client, get(origin + std::string(kSecretPath)));
  ASSERT_FALSE(result.outcome);
  EXPECT_EQ(result.outcome.error().kind, HttpErrorKind::tls) << result.outcome.error().message;
  EXPECT_NE(result.outcome.error().message.find(origin), std::string::npos);
  expect_no_secret(result.outcome.error());
}

struct Part {
  std::string headers;
  std::string body;
};

// Splits a multipart/form-data body the way a server would (RFC 7578).
std::vector<Part> parse_multipart(std::string_view body, std::string_view boundary) {
  std::vector<Part> parts;
  std::string delimiter = "--" + std::string(boundary);
  std::size_t at = body.find(delimiter);
  while (at != std::string_view::npos) {
    std::size_t start = at + delimiter.size();
    if (body.substr(start, 2) == "--") {
      break;
    }
    start += 2;  // CRLF after the delimiter
    std::size_t next = body.find("\r\n" + delimiter, start);
    if (next == std::string_view::npos) {
      break;
    }
    std::string_view part = body.substr(start, next - start);
    std::size_t split = part.find("\r\n\r\n");
    parts.push_back({std::string(part.substr(0, split)), std::string(part.substr(split + 4))});
    at = next + 2;
  }
  return parts;
}

// A multipart body with a field and a binary file arrives intact and parses back into its parts.
TEST(HttpClient, MultipartBodyParses) {
  TestServer server;
  asio::io_context io;
  HttpClient client(io.get_executor());
  std::string bytes("line one\r\n--not-the-boundary\r\n\0\x01\xff end", 40);
  MultipartBody multipart;
  multipart.add_field("chat_id", "42")
      .add_file("document", "notes \"v2\".txt", "text/plain", bytes);
  HttpRequest request = post(server.url("/upload"), multipart.body());
  request.content_type = multipart.content_type();
  auto result = run(io, client, request);
  ASSERT_TRUE(result.outcome) << result.outcome.error().message;

  auto seen = server.seen();
  ASSERT_EQ(seen.size(), 1u);
  const std::string prefix = "multipart/form-data; boundary=";
  ASSERT_TRUE(seen[0].content_type.starts_with(prefix)) << seen[0].content_type;
  std::string boundary = seen[0].content_type.substr(prefix.size());
  EXPECT_EQ(boundary, multipart.boundary());
  EXPECT_GE(boundary.size(), 32u);

  auto parts = parse_multipart(seen[0].body, boundary);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].headers, "Content-Disposition: form-data; name=\"chat_id\"");
  EXPECT_EQ(parts[0].body, "42");
  EXPECT_EQ(parts[1].headers,
            "Content-Disposition: form-data; name=\"document\"; filename=\"notes %22v2%22.txt\"\r\n"
            "Content-Type: text/plain");
  EXPECT_EQ(parts[1].body, bytes);

  EXPECT_NE(MultipartBody().boundary(), MultipartBody().boundary());
}

// A header-injecting content type falls back to application/octet-stream.
TEST(HttpClient, MultipartRejectsLineBreaksInContentType) {
  MultipartBody multipart("b");
  multipart.add_file("f", "a\r\nb", "text/plain\r\nX-Evil: 1", "x");
  EXPECT_EQ(multipart.body(),
            "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a%0D%0Ab\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\nx\r\n--b--\r\n");
}

}  // namespace
}  // namespace pincer::core
