// pincer_agent_bench: figures for the agent runtime, in-process (AgentService + real adapters and
// transport + state.db), against the fake model server in a forked child process so its memory
// and CPU are not counted here.
//
//   1. Turn overhead: sequential one-step turns against a fake that answers at once; wall time
//      from submit to outcome includes the loopback HTTP round trip and SSE parsing, so it is an
//      upper bound on Pincer's own per-turn cost (model time is zero).
//   2. Memory under load: `--concurrent` turns (100) streaming at once, each reply paced over
//      about a second; RSS before, peak during (sampled every 5 ms), and after.
//
// Prints one row per figure in bench/run's table format.

#include <fmt/core.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agent/agent_service.hpp"
#include "core/json5.hpp"
#include "fakes/fake_llm_server.hpp"
#include "store/state_database.hpp"

namespace asio = boost::asio;
using namespace pincer;

namespace {

int64_t rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) {
      return std::stoll(line.substr(6));
    }
  }
  return 0;
}

// The fake model server in a child process; returns its port. The child exits with the parent.
// With `paced` > 0, the first `paced` replies stream one chunk per `chunk_delay_ms`.
pid_t start_fake(uint16_t& port, int chunk_delay_ms, int chunks, int paced) {
  std::array<int, 2> fds{};
  if (::pipe(fds.data()) != 0) {
    std::fprintf(stderr, "pipe failed\n");
    std::exit(1);
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    fakes::FakeLlmServer server;
    fakes::FakeReply reply;
    reply.text = std::string(static_cast<std::size_t>(chunks) * 8, 'x');
    reply.delta_bytes = 8;
    reply.input_tokens = 1000;
    reply.output_tokens = static_cast<int64_t>(chunks) * 2;
    server.set_default_reply(reply);
    for (int i = 0; i < paced; ++i) {
      auto step = fakes::ScriptStep::of(reply);
      step.delay = std::chrono::milliseconds(chunk_delay_ms);
      server.push(std::move(step));
    }
    uint16_t p = server.port();
    [[maybe_unused]] auto written = ::write(fds[1], &p, sizeof p);
    ::close(fds[1]);
    ::pause();
    ::_exit(0);
  }
  ::close(fds[1]);
  if (::read(fds[0], &port, sizeof port) != sizeof port) {
    std::fprintf(stderr, "fake server did not start\n");
    std::exit(1);
  }
  ::close(fds[0]);
  return pid;
}

struct Fixture {
  std::filesystem::path dir;
  core::Config config;
  core::StatePaths paths;
  asio::io_context io;
  asio::thread_pool pool{2};
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::DatabaseAccess> access;
  sessions::LaneRegistry lanes;
  std::unique_ptr<agent::AgentService> service;

  Fixture(uint16_t port, int max_concurrent) {
    // $TMPDIR decides the disk: fsync cost dominates on real disks (state.db is synchronous=FULL).
    std::string pattern = (std::filesystem::temp_directory_path() / "pincer-agent-bench-XXXXXX");
    dir = ::mkdtemp(pattern.data());
    std::string text = fmt::format(
        R"({{ agents: {{ defaults: {{ model: {{ primary: "anthropic/claude-sonnet-4-5" }},
               maxConcurrent: {} }} }},
             models: {{ providers: {{ anthropic: {{ baseUrl: "http://127.0.0.1:{}",
               apiKey: "bench-key" }} }} }} }})",
        max_concurrent, port);
    auto document = core::json5::parse(text);
    core::read_config(*document, config);
    paths.state_dir = dir;
    paths.workspace_dir = dir / "workspace";
    std::filesystem::create_directories(paths.workspace_dir);
    db =
        std::make_unique<store::Database>(std::move(*store::open_state_database(dir / "state.db")));
    access = std::make_unique<store::DatabaseAccess>(pool, *db);
    sessions::LaneCaps caps;
    caps.main = static_cast<std::size_t>(max_concurrent);
    lanes.apply(caps);
    service = std::make_unique<agent::AgentService>(io, *access, lanes, paths, config);
  }
  ~Fixture() {
    service.reset();
    pool.join();
    std::filesystem::remove_all(dir);
  }
};

void row(std::string_view name, const std::string& value) {
  fmt::print("{:<44} {}\n", name, value);
}

void turn_overhead(int turns) {
  uint16_t port = 0;
  pid_t fake = start_fake(port, 0, 4, 0);
  Fixture fixture(port, 4);
  std::vector<double> micros;
  auto body = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < turns; ++i) {
      agent::ChatRequest request;
      request.session_key = fmt::format("agent:main:bench-{}", i % 20);
      request.text = "hi";
      auto start = std::chrono::steady_clock::now();
      auto outcome = co_await fixture.service->run(request, nullptr);
      auto took = std::chrono::steady_clock::now() - start;
      if (outcome.status != agent::RunStatus::ok) {
        std::fprintf(stderr, "turn failed: %s\n", outcome.error.c_str());
        std::exit(1);
      }
      if (i >= 10) {  // warm-up: connections, statement cache, prompt cache
        micros.push_back(std::chrono::duration<double, std::micro>(took).count());
      }
    }
  };
  asio::co_spawn(fixture.io, body, asio::detached);
  fixture.io.run();
  ::kill(fake, SIGKILL);
  ::waitpid(fake, nullptr, 0);
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<std::size_t>(q * (micros.size() - 1))]; };
  row("agent turn, instant model: p50 / p99",
      fmt::format("{:.0f} µs / {:.0f} µs ({} turns, loopback HTTP + SSE + state.db)", at(0.5),
                  at(0.99), micros.size()));
}

void concurrent_turns(int count) {
  uint16_t port = 0;
  pid_t fake = start_fake(port, 5, 200, count);
  Fixture fixture(port, count);
  int64_t before = rss_kib();
  int64_t peak = before;
  int done = 0;
  int failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    auto body = [&, i]() -> asio::awaitable<void> {
      agent::ChatRequest request;
      request.session_key = fmt::format("agent:main:load-{}", i);
      request.text = "stream me a long answer";
      auto outcome = co_await fixture.service->run(request, nullptr);
      failed += outcome.status == agent::RunStatus::ok ? 0 : 1;
      ++done;
    };
    asio::co_spawn(fixture.io, body, asio::detached);
  }
  asio::steady_timer sampler(fixture.io);
  std::function<void()> sample = [&] {
    peak = std::max(peak, rss_kib());
    if (done < count) {
      sampler.expires_after(std::chrono::milliseconds(5));
      sampler.async_wait([&](boost::system::error_code) { sample(); });
    }
  };
  sample();
  fixture.io.run();
  auto took = std::chrono::steady_clock::now() - start;
  int64_t after = rss_kib();
  ::kill(fake, SIGKILL);
  ::waitpid(fake, nullptr, 0);
  row(fmt::format("RSS, {} concurrent streaming turns", count),
      fmt::format("{} KiB before, {} KiB peak (+{} KiB), {} KiB after; {} failed, {:.0f} ms",
                  before, peak, peak - before, after, failed,
                  std::chrono::duration<double, std::milli>(took).count()));
}

}  // namespace

int main(int argc, char** argv) {
  int turns = 300;
  int concurrent = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--turns") == 0) {
      turns = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--concurrent") == 0) {
      concurrent = std::atoi(argv[i + 1]);
    }
  }
  turn_overhead(std::max(turns, 20));
  concurrent_turns(concurrent);
  return 0;
}
