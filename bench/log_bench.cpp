// Cost of one log call on the caller's thread: format, redact, write one JSON line to the
// page cache (synchronous; see core/log.hpp for why not async).

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/log.hpp"

namespace {

namespace core = pincer::core;
namespace log = pincer::log;

std::filesystem::path bench_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pincer-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return {};
  }
  return pattern;
}

void BM_LogLineToFile(benchmark::State& state) {
  auto dir = bench_dir();
  core::LogOptions options;
  options.console = false;
  options.dir = dir;
  options.max_file_bytes = 64 * 1024 * 1024;
  if (dir.empty() || !core::init_logging(options)) {
    state.SkipWithError("init_logging failed");
    return;
  }
  int port = 51234;
  for (auto _ : state) {
    log::info("gateway", "ws client 127.0.0.1:{} connected: client={} role={} scopes={} {}ms", port,
              "control-ui/1.4.2", "operator", "admin,chat", 12);
  }
  core::shutdown_logging();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LogLineToFile);

// A debug call when the level is info: the cost of leaving debug logging in hot code.
void BM_LogLineFilteredOut(benchmark::State& state) {
  core::LogOptions options;
  options.console = false;
  if (!core::init_logging(options)) {
    state.SkipWithError("init_logging failed");
    return;
  }
  int port = 51234;
  for (auto _ : state) {
    log::debug("gateway", "ws client 127.0.0.1:{} frame {}", port, 7);
  }
  core::shutdown_logging();
}
BENCHMARK(BM_LogLineFilteredOut);

}  // namespace
