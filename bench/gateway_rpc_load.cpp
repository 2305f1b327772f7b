// pincer_gateway_bench: RPC figures of a running gateway, measured with GatewayClient.
//   pincer_gateway_bench --url ws://127.0.0.1:PORT --token T --pid PID [--calls N] [--sockets N]
// Prints table rows ("figure  value") for bench/run:
//   - `health` round trip p50/p99 over one socket (10 000 sequential calls after 1 000 warm-up);
//   - memory flatness: gateway RSS after the first 1 000 RPCs (10 connects x 100 calls) and after
//     100 000 RPCs over 1 000 connects/disconnects (100 rounds of 10 sockets x 100 calls);
//   - throughput: 1 000 sockets x 100 calls, each socket one call in flight at a time.
// One thread, one io_context for all sockets: the figures are the gateway's, the client is cheap.

#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "gateway/gateway_client.hpp"

namespace {

namespace gateway = pincer::gateway;
using Clock = std::chrono::steady_clock;

void row(const std::string& figure, const std::string& value) {
  fmt::print("{:<44} {}\n", figure, value);
  std::fflush(stdout);
}

[[noreturn]] void die(const std::string& what) {
  fmt::print(stderr, "pincer_gateway_bench: {}\n", what);
  std::exit(1);
}

// VmRSS of `pid` in KiB.
long rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stol(line.substr(6));
    }
  }
  die("cannot read /proc/" + std::to_string(pid) + "/status");
}

gateway::GatewayClient connect(gateway::ClientOptions options) {
  auto client = gateway::GatewayClient::connect(options);
  if (!client) {
    die("connect: " + client.error().describe());
  }
  return std::move(*client);
}

// Each client makes `calls` health calls, one in flight at a time; all clients run at once.
void run_closed_loop(std::vector<gateway::GatewayClient>& clients, int calls) {
  struct Loop {
    gateway::GatewayClient* client;
    int left;
  };
  std::vector<Loop> loops;
  loops.reserve(clients.size());
  for (auto& client : clients) {
    loops.push_back({&client, calls});
  }
  std::function<void(Loop&)> next = [&next](Loop& loop) {
    if (loop.left-- == 0) {
      return;
    }
    loop.client->call_async("health", nullptr,
                            [&next, &loop](pincer::Result<boost::json::value> r) {
                              if (!r) {
                                die("health: " + r.error().describe());
                              }
                              next(loop);
                            });
  };
  for (auto& loop : loops) {
    next(loop);
  }
  for (auto& client : clients) {
    if (!client.wait(std::chrono::seconds(120))) {
      die("calls did not finish within 120 s");
    }
  }
}

std::string micros(double us) {
  return fmt::format("{:.1f} µs", us);
}

}  // namespace

int main(int argc, char** argv) {
  gateway::ClientOptions options;
  int pid = 0;
  int latency_calls = 10'000;
  int sockets = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--url") {
      options.url = value;
    } else if (flag == "--token") {
      options.token = value;
    } else if (flag == "--pid") {
      pid = std::stoi(value);
    } else if (flag == "--sockets") {
      sockets = std::stoi(value);
    } else if (flag == "--calls") {
      latency_calls = std::stoi(value);
    } else {
      die("unknown flag " + flag);
    }
  }
  if (pid == 0) {
    die("usage: pincer_gateway_bench --url ws://127.0.0.1:PORT --token T --pid PID");
  }
  // A thousand sockets need more descriptors than the usual soft limit of 1 024.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  boost::asio::io_context io(1);
  options.io = &io;

  // Latency: one socket, sequential calls.
  {
    auto client = connect(options);
    for (int i = 0; i < 1000; ++i) {
      if (!client.call("health")) {
        die("warm-up call failed");
      }
    }
    std::vector<double> samples;
    samples.reserve(static_cast<std::size_t>(latency_calls));
    for (int i = 0; i < latency_calls; ++i) {
      auto start = Clock::now();
      auto result = client.call("health");
      auto end = Clock::now();
      if (!result) {
        die("health: " + result.error().describe());
      }
      samples.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    }
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) {
      return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))];
    };
    row(fmt::format("health round trip p50 / p99 (C++, {} calls)", latency_calls),
        micros(at(0.5)) + " / " + micros(at(0.99)));
    client.close();
  }

  // Memory flatness: connect, call, disconnect, over and over.
  {
    constexpr int kRounds = 100;
    constexpr int kSocketsPerRound = 10;
    constexpr int kCallsPerSocket = 100;
    long first = 0;
    for (int round = 0; round < kRounds; ++round) {
      std::vector<gateway::GatewayClient> clients;
      for (int i = 0; i < kSocketsPerRound; ++i) {
        clients.push_back(connect(options));
      }
      run_closed_loop(clients, kCallsPerSocket);
      for (auto& client : clients) {
        client.close();
      }
      if (round == 0) {
        first = rss_kib(pid);
      }
    }
    long last = rss_kib(pid);
    row("gateway RSS after 1k RPCs (10 connects)", fmt::format("{} KiB", first));
    row("gateway RSS after 100k RPCs (1k connects)",
        fmt::format("{} KiB (delta {:+} KiB)", last, last - first));
  }

  // Throughput: 1 000 sockets at once.
  {
    const int kSockets = sockets;
    constexpr int kCalls = 100;
    auto connect_start = Clock::now();
    std::vector<gateway::GatewayClient> clients;
    clients.reserve(kSockets);
    for (int i = 0; i < kSockets; ++i) {
      clients.push_back(connect(options));
    }
    auto start = Clock::now();
    run_closed_loop(clients, kCalls);
    auto end = Clock::now();
    double seconds = std::chrono::duration<double>(end - start).count();
    row(fmt::format("{} sockets connect (sequential handshakes)", kSockets),
        fmt::format("{:.0f} ms",
                    std::chrono::duration<double, std::milli>(start - connect_start).count()));
    row(fmt::format("throughput {} sockets x 100 health calls", kSockets),
        fmt::format("{:.0f} calls/s ({:.0f} ms wall)", kSockets * kCalls / seconds,
                    seconds * 1000));
    row(fmt::format("gateway RSS with {} sockets open", kSockets),
        fmt::format("{} KiB", rss_kib(pid)));
    for (auto& client : clients) {
      client.close();
    }
  }
  return 0;
}
