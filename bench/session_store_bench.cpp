// Session store figures (issue 5): transcript append throughput — one entry per transaction
// (each a durable commit: WAL fsync) and batches of 32 — and the time to load the last 50
// entries of a 100 000-entry session (target < 1 ms), against a real state.db in $TMPDIR.

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"

namespace pincer::sessions {
namespace {

namespace fs = std::filesystem;

class BenchDir {
 public:
  BenchDir() {
    std::string pattern = (fs::temp_directory_path() / "pincer-sessions-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) {
      path_ = pattern;
    }
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  ~BenchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A typical chat message: a content array holding a few hundred characters of text.
NewTranscriptEntry message(int64_t i) {
  NewTranscriptEntry e;
  e.kind = i % 2 == 0 ? EntryKind::user : EntryKind::assistant;
  e.role = i % 2 == 0 ? "user" : "assistant";
  e.content = "[{\"type\":\"text\",\"text\":\"" + std::string(300, 'x') + "\"}]";
  e.created_at_ms = i;
  return e;
}

struct Fixture {
  BenchDir dir;
  std::optional<store::Database> db;
  std::string session_id;

  bool open(benchmark::State& state) {
    auto opened = store::open_state_database(dir.path() / "state.db");
    if (!opened) {
      state.SkipWithError(opened.error().describe().c_str());
      return false;
    }
    db.emplace(std::move(*opened));
    auto made = SessionStore(*db).ensure({.key = "agent:main:main", .agent_id = "main"}, 1);
    if (!made) {
      state.SkipWithError(made.error().describe().c_str());
      return false;
    }
    session_id = made->session.session_id;
    return true;
  }
};

void BM_TranscriptAppend(benchmark::State& state) {
  const auto batch_size = static_cast<int64_t>(state.range(0));
  Fixture f;
  if (!f.open(state)) {
    return;
  }
  TranscriptStore transcripts(*f.db);
  std::vector<NewTranscriptEntry> batch;
  for (int64_t i = 0; i < batch_size; ++i) {
    batch.push_back(message(i));
  }
  for (auto _ : state) {
    auto appended = transcripts.append(f.session_id, batch, 1);
    if (!appended) {
      state.SkipWithError(appended.error().describe().c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * batch_size);
  state.counters["entries_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * batch_size), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TranscriptAppend)->Arg(1)->Arg(32)->UseRealTime();

void BM_TranscriptLast50Of100k(benchmark::State& state) {
  Fixture f;
  if (!f.open(state)) {
    return;
  }
  TranscriptStore transcripts(*f.db);
  std::vector<NewTranscriptEntry> batch;
  for (int64_t i = 0; i < 1000; ++i) {
    batch.push_back(message(i));
  }
  for (int round = 0; round < 100; ++round) {
    if (!transcripts.append(f.session_id, batch, 1)) {
      state.SkipWithError("filling the transcript failed");
      return;
    }
  }
  // Other sessions in the same table, so the range scan has neighbours to skip.
  auto other = SessionStore(*f.db).ensure({.key = "agent:main:other", .agent_id = "main"}, 1);
  if (!other || !transcripts.append(other->session.session_id, batch, 1)) {
    state.SkipWithError("filling the second transcript failed");
    return;
  }
  for (auto _ : state) {
    auto last = transcripts.last(f.session_id, 50);
    if (!last || last->size() != 50 || last->back().seq != 100'000) {
      state.SkipWithError("wrong page");
      return;
    }
    benchmark::DoNotOptimize(last->front().content.data());
  }
}
BENCHMARK(BM_TranscriptLast50Of100k)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace pincer::sessions
