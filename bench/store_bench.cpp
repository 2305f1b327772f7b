// State store hot paths: one durable write (one transaction, fsync of the WAL) and a point
// lookup through a cached prepared statement, against a real state.db in $TMPDIR.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>

#include "store/state_database.hpp"
#include "store/transaction.hpp"

namespace pincer::store {
namespace {

namespace fs = std::filesystem;

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

constexpr std::string_view kCreateTable =
    "CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, session TEXT NOT NULL, body TEXT NOT NULL)";
constexpr std::string_view kInsert = "INSERT INTO bench_rows (session, body) VALUES (?, ?)";

std::optional<Database> open_bench_db(benchmark::State& state, const ScratchDir& dir,
                                      const DatabaseOptions& options = {}) {
  auto db = open_state_database(dir.path() / "state.db", options);
  if (!db) {
    state.SkipWithError(db.error().describe().c_str());
    return std::nullopt;
  }
  if (auto status = db->exec(kCreateTable); !status) {
    state.SkipWithError(status.error().describe().c_str());
    return std::nullopt;
  }
  return std::move(*db);
}

Status insert_row(Database& db, std::string_view body) {
  auto insert = db.prepare(kInsert);
  if (!insert) {
    return std::unexpected(insert.error());
  }
  if (auto status = insert->bind(1, "agent:main:main"); !status) {
    return status;
  }
  if (auto status = insert->bind(2, body); !status) {
    return status;
  }
  return insert->run();
}

// One row per transaction: what a transcript append costs, fsync included.
void BM_InsertOneRowPerTransaction(benchmark::State& state) {
  ScratchDir dir;
  auto db = open_bench_db(state, dir);
  if (!db) {
    return;
  }
  const std::string body(200, 'x');
  for (auto _ : state) {
    auto tx = Transaction::begin(*db);
    Status status = tx ? insert_row(*db, body) : Status(std::unexpected(tx.error()));
    if (status) {
      status = tx->commit();
    }
    if (!status) {
      state.SkipWithError(status.error().describe().c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InsertOneRowPerTransaction)->Unit(benchmark::kMicrosecond);

// Point lookup by primary key among 10k rows. Arg 1: through the statement cache; arg 0: with
// the cache off, so every lookup compiles its SQL (what the cache saves).
void BM_PointLookup(benchmark::State& state) {
  constexpr int64_t kRows = 10'000;
  ScratchDir dir;
  const bool cached = state.range(0) != 0;
  auto db =
      open_bench_db(state, dir, DatabaseOptions{.statement_cache_capacity = cached ? 64u : 0u});
  if (!db) {
    return;
  }
  {
    auto tx = Transaction::begin(*db);
    const std::string body(200, 'x');
    for (int64_t i = 0; i < kRows && tx; ++i) {
      if (!insert_row(*db, body)) {
        state.SkipWithError("cannot fill the table");
        return;
      }
    }
    if (!tx || !tx->commit()) {
      state.SkipWithError("cannot fill the table");
      return;
    }
  }
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(1, kRows);
  int64_t found = 0;
  for (auto _ : state) {
    auto select = db->prepare("SELECT session, body FROM bench_rows WHERE id = ?");
    if (!select || !select->bind(1, pick(rng))) {
      state.SkipWithError("cannot prepare the lookup");
      break;
    }
    auto row = select->step();
    if (row && *row) {
      benchmark::DoNotOptimize(select->column_text_view(1).size());
      ++found;
    }
  }
  if (found != static_cast<int64_t>(state.iterations())) {
    state.SkipWithError("a lookup missed its row");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(cached ? "cached statement" : "compiled per lookup");
}
BENCHMARK(BM_PointLookup)->Arg(1)->Arg(0);

}  // namespace
}  // namespace pincer::store
