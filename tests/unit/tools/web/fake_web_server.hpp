#pragma once
// A fake web server on 127.0.0.1 (port 0) for the web tool tests: each path answers with a
// scripted reply (status, headers, body), a reply that streams a huge body until the client
// hangs up, or one that hangs after reading the request. Blocking sockets on its own threads,
// so tests may run the code under test on their own io_context. Header-only: the test glob
// compiles *_test.cpp files only.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

namespace pincer::testing {

struct FakeWebReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // > 0: declare this Content-Length and stream that many bytes of `body` repeated, stopping
  // when the client closes.
  std::size_t stream_bytes = 0;
  bool hang = false;  // read the request, answer nothing until the server stops
};

class FakeWebServer {
 public:
  FakeWebServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }

  ~FakeWebServer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    stopped_.notify_all();
    // Wake the blocking accept with a connection of our own.
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket waker(io_);
    waker.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    accept_thread_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      workers.swap(workers_);
    }
    for (auto& worker : workers) {
      worker.join();
    }
  }

  FakeWebServer(const FakeWebServer&) = delete;
  FakeWebServer& operator=(const FakeWebServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  void route(std::string path, FakeWebReply reply) {
    std::lock_guard lock(mutex_);
    routes_[std::move(path)] = std::move(reply);
  }

  struct Seen {
    std::string target;
    std::map<std::string, std::string> headers;  // names lower-case
  };
  std::vector<Seen> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Bytes of streamed bodies actually written (the client hung up after these).
  std::size_t streamed_bytes() const { return streamed_.load(); }

 private:
  void accept_loop() {
    for (;;) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      std::lock_guard lock(mutex_);
      if (stopping_) {
        return;
      }
      if (ec) {
        continue;
      }
      workers_.emplace_back([this, s = std::make_shared<boost::asio::ip::tcp::socket>(
                                       std::move(socket))] { serve(*s); });
    }
  }

  void serve(boost::asio::ip::tcp::socket& socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> request;
    boost::system::error_code ec;
    http::read(socket, buffer, request, ec);
    if (ec) {
      return;
    }
    std::string target(request.target());
    std::string path = target.substr(0, target.find('?'));
    FakeWebReply reply;
    {
      std::lock_guard lock(mutex_);
      Seen seen{target, {}};
      for (const auto& field : request) {
        std::string name(field.name_string());
        for (auto& c : name) {
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        seen.headers[name] = std::string(field.value());
      }
      requests_.push_back(std::move(seen));
      auto it = routes_.find(path);
      if (it == routes_.end()) {
        reply.status = 404;
        reply.body = "not found";
      } else {
        reply = it->second;
      }
    }
    if (reply.hang) {
      std::unique_lock lock(mutex_);
      stopped_.wait(lock, [this] { return stopping_; });
      return;
    }
    std::size_t length = reply.stream_bytes > 0 ? reply.stream_bytes : reply.body.size();
    std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " Fake\r\n";
    for (const auto& [name, value] : reply.headers) {
      head += name + ": " + value + "\r\n";
    }
    head += "Content-Length: " + std::to_string(length) + "\r\nConnection: close\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(head), ec);
    if (ec) {
      return;
    }
    if (reply.stream_bytes == 0) {
      boost::asio::write(socket, boost::asio::buffer(reply.body), ec);
    } else {
      std::size_t sent = 0;
      while (sent < reply.stream_bytes && !ec) {
        std::size_t n = std::min(reply.body.size(), reply.stream_bytes - sent);
        sent += boost::asio::write(socket, boost::asio::buffer(reply.body.data(), n), ec);
        streamed_ = sent;
      }
    }
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  mutable std::mutex mutex_;  // guards routes_, requests_, workers_, stopping_
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::map<std::string, FakeWebReply> routes_;
  std::vector<Seen> requests_;
  std::vector<std::thread> workers_;
  std::atomic<std::size_t> streamed_{0};
};

}  // namespace pincer::testing
