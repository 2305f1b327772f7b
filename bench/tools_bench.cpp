// Built-in tool hot paths, against real processes and a real state.db in $TMPDIR.
//
// Exec: one `exec` tool call running `true` (argument parsing, the gate, the scrubbed
// environment, /bin/sh -c with its output pipes, the wait, the result text), driven on an
// io_context the way the agent drives it, next to the floor it cannot beat: posix_spawn of
// `sh -c true` and waitpid. The difference is what the tool adds per call.
//
// Memory: memory_search over 10 000 small notes (memory/notes/NNNNN.md), indexed once; search
// alone (FTS5 bm25 query and snippets), and sync + search, which is what every memory_search
// call does (a stat of each memory file to find changes, then the query).

#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "store/database.hpp"
#include "store/database_access.hpp"
#include "store/state_database.hpp"
#include "tools/exec/exec_tools.hpp"
#include "tools/memory/memory_index.hpp"
#include "tools/tool_deps.hpp"

extern char** environ;

namespace pincer::tools {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;

// A scratch directory for one benchmark run, removed afterwards.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "pincer-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The exec tools on a real io_context, pool and state folder, with an allow-all gate.
class ExecBench {
 public:
  ExecBench()
      : database_(*store::Database::open(dir_.path() / "state.db")), access_(pool_, database_) {
    fs::create_directories(workspace());
    core::StatePaths paths{dir_.path(), dir_.path() / "pincer.json", workspace(),
                           dir_.path() / "logs", dir_.path() / "state.db"};
    ToolDeps deps{io_, pool_, access_, paths, [this]() -> const core::Config& { return config_; }};
    register_exec_tools(registry_, deps, allow_all_exec_gate());
    context_ = agent::ToolContext{"main", "agent:main:main", "run1", "call1", workspace(), nullptr};
  }

  fs::path workspace() const { return dir_.path() / "workspace"; }

  // Calls exec with `arguments` and runs the I/O thread until it answers.
  agent::ToolOutput call(const json::object& arguments) {
    const agent::ToolSpec* spec = registry_.find("exec");
    auto future = asio::co_spawn(io_, spec->handler(arguments, context_), asio::use_future);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io_.run_one_for(std::chrono::milliseconds(20));
      if (io_.stopped()) {
        io_.restart();
      }
    }
    return future.get();
  }

 private:
  ScratchDir dir_;
  asio::io_context io_;
  asio::thread_pool pool_{2};
  store::Database database_;
  store::DatabaseAccess access_;
  core::Config config_;
  agent::ToolRegistry registry_;
  agent::ToolContext context_;
};

void BM_ExecToolTrue(benchmark::State& state) {
  ExecBench bench;
  json::object arguments{{"command", "true"}};
  for (auto _ : state) {
    agent::ToolOutput out = bench.call(arguments);
    if (out.is_error) {
      state.SkipWithError(out.text.c_str());
      break;
    }
  }
}
BENCHMARK(BM_ExecToolTrue)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ExecPosixSpawnShTrue(benchmark::State& state) {
  std::string shell = "/bin/sh";
  std::string flag = "-c";
  std::string command = "true";
  for (auto _ : state) {
    std::array<char*, 4> argv{shell.data(), flag.data(), command.data(), nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, shell.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      state.SkipWithError("cannot spawn /bin/sh");
      break;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("sh -c true failed");
      break;
    }
  }
}
BENCHMARK(BM_ExecPosixSpawnShTrue)->Unit(benchmark::kMicrosecond)->UseRealTime();

constexpr int kNotes = 10'000;
constexpr std::array<const char*, 16> kWords{
    "garden", "kayak",  "invoice", "meeting", "router", "recipe", "travel",  "birthday",
    "deploy", "backup", "dentist", "budget",  "violin", "tennis", "library", "printer"};

// A workspace with kNotes notes, indexed once and shared by the memory benchmarks (Google
// Benchmark calls each function several times; indexing 10 000 files every time would dominate).
struct MemoryCorpus {
  ScratchDir dir;
  std::optional<store::Database> db;
  std::unique_ptr<memory::MemoryIndex> index;
  std::string error;

  MemoryCorpus() {
    fs::path notes = dir.path() / "workspace" / "memory" / "notes";
    fs::create_directories(notes);
    for (int i = 0; i < kNotes; ++i) {
      std::string name = std::to_string(100000 + i).substr(1) + ".md";
      std::ofstream(notes / name) << "# Note " << i << "\n\nTalked about the "
                                  << kWords[i % kWords.size()] << " and the "
                                  << kWords[(i * 7 + 3) % kWords.size()]
                                  << ".\nFollow up next week; reference code n" << i << ".\n";
    }
    auto opened = store::open_state_database(dir.path() / "state.db");
    if (!opened) {
      error = opened.error().describe();
      return;
    }
    db.emplace(std::move(*opened));
    index = std::make_unique<memory::MemoryIndex>(*db, dir.path() / "workspace");
    auto synced = index->sync(1000);
    if (!synced) {
      error = synced.error().describe();
    } else if (synced->indexed != kNotes) {
      error = "indexed " + std::to_string(synced->indexed) + " notes, expected " +
              std::to_string(kNotes);
    }
  }
};

MemoryCorpus& memory_corpus() {
  static MemoryCorpus corpus;
  return corpus;
}

// Arg 0: a query matching one note in 16 ("violin tennis"); arg 1: one matching a single note.
std::string memory_query(int64_t which) {
  return which == 0 ? "violin tennis" : "n4711";
}

void BM_MemorySearch10kNotes(benchmark::State& state) {
  MemoryCorpus& corpus = memory_corpus();
  if (!corpus.error.empty()) {
    state.SkipWithError(corpus.error.c_str());
    return;
  }
  std::string query = memory_query(state.range(0));
  for (auto _ : state) {
    auto hits = corpus.index->search(query);
    if (!hits || hits->empty()) {
      state.SkipWithError(hits ? "no hits" : hits.error().describe().c_str());
      break;
    }
    benchmark::DoNotOptimize(hits);
  }
}
BENCHMARK(BM_MemorySearch10kNotes)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_MemorySyncAndSearch10kNotes(benchmark::State& state) {
  MemoryCorpus& corpus = memory_corpus();
  if (!corpus.error.empty()) {
    state.SkipWithError(corpus.error.c_str());
    return;
  }
  std::string query = memory_query(state.range(0));
  for (auto _ : state) {
    auto synced = corpus.index->sync(2000);
    if (!synced || synced->indexed != 0) {
      state.SkipWithError(synced ? "sync re-read files" : synced.error().describe().c_str());
      break;
    }
    auto hits = corpus.index->search(query);
    if (!hits || hits->empty()) {
      state.SkipWithError(hits ? "no hits" : hits.error().describe().c_str());
      break;
    }
    benchmark::DoNotOptimize(hits);
  }
}
BENCHMARK(BM_MemorySyncAndSearch10kNotes)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pincer::tools
