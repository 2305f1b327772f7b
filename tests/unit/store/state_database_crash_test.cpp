// Crash and restart: a child process writes state.db in a loop and is killed with SIGKILL at a
// random moment; the parent reopens the file and checks that everything the child saw committed
// is there, that no multi-row transaction is half there, and that the file is intact.
//
// The random delay (0-30 ms) counts from the child's "opened" report, so a loaded machine still
// kills mid-write; every fifth round counts from fork() instead, to kill during open and WAL
// recovery as well.
//
// Set PINCER_CRASH_SEED to replay a run; the seed in use is printed.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/state_database.hpp"
#include "store/transaction.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

namespace fs = std::filesystem;

constexpr int kRounds = 100;
constexpr int kMaxKillDelayUs = 30'000;
constexpr int kOpenDeadlineMs = 10'000;
constexpr int64_t kOpenedMarker = 0;  // sent once the database is open; row ids start at 1

// Child exit codes, so a failure in the child is told apart from the kill.
constexpr int kChildOpenFailed = 10;
constexpr int kChildWriteFailed = 11;
constexpr int kChildPipeFailed = 12;

// Writes rows until killed: every fourth transaction holds three rows (one batch), the others
// one. After each commit returns, the committed ids go down the pipe. Never returns.
[[noreturn]] void child_write_until_killed(const fs::path& file, int report_fd) {
  // 8 bytes < PIPE_BUF: each write is atomic, so a kill cannot leave half an id in the pipe.
  auto report = [report_fd](int64_t id) {
    if (::write(report_fd, &id, sizeof id) != static_cast<ssize_t>(sizeof id)) {
      ::_exit(kChildPipeFailed);
    }
  };
  auto db = open_state_database(file);
  if (!db) {
    ::_exit(kChildOpenFailed);
  }
  report(kOpenedMarker);
  int64_t next_id = 0;
  {
    auto max = db->prepare("SELECT coalesce(max(id), 0) + 1 FROM crash_rows");
    if (!max || !max->step().value_or(false)) {
      ::_exit(kChildOpenFailed);
    }
    next_id = max->column_int64(0);
  }
  const std::string payload(300, 'p');  // a few rows per page, so checkpoints come often
  for (int iteration = 0; iteration < 1'000'000; ++iteration) {
    const int batch_size = iteration % 4 == 3 ? 3 : 1;
    auto tx = Transaction::begin(*db);
    if (!tx) {
      ::_exit(kChildWriteFailed);
    }
    for (int i = 0; i < batch_size; ++i) {
      auto insert = db->prepare(
          "INSERT INTO crash_rows (id, batch, batch_size, payload) VALUES (?, ?, ?, ?)");
      if (!insert || !insert->bind(1, next_id + i) || !insert->bind(2, next_id) ||
          !insert->bind(3, batch_size) || !insert->bind(4, std::string_view(payload)) ||
          !insert->run()) {
        ::_exit(kChildWriteFailed);
      }
    }
    if (!tx->commit()) {
      ::_exit(kChildWriteFailed);
    }
    for (int i = 0; i < batch_size; ++i) {
      report(next_id + i);
    }
    next_id += batch_size;
  }
  ::_exit(0);
}

// Reads ids from the pipe until the (dead) child's end closes.
std::vector<int64_t> read_reported_ids(int fd) {
  std::vector<int64_t> ids;
  std::vector<char> buffer;
  char chunk[4096];
  while (true) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    buffer.insert(buffer.end(), chunk, chunk + n);
  }
  EXPECT_EQ(buffer.size() % sizeof(int64_t), 0u) << "a torn id in the pipe";
  for (std::size_t at = 0; at + sizeof(int64_t) <= buffer.size(); at += sizeof(int64_t)) {
    int64_t id = 0;
    std::memcpy(&id, buffer.data() + at, sizeof id);
    if (id != kOpenedMarker) {
      ids.push_back(id);
    }
  }
  return ids;
}

// Waits for the child's "opened" report. False if it died or hung instead.
bool wait_until_opened(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, kOpenDeadlineMs) != 1) {
    return false;
  }
  int64_t marker = -1;
  return ::read(fd, &marker, sizeof marker) == static_cast<ssize_t>(sizeof marker) &&
         marker == kOpenedMarker;
}

uint64_t crash_seed() {
  if (const char* env = std::getenv("PINCER_CRASH_SEED")) {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}();
}

// Every commit the child saw return survives SIGKILL at any moment; no batch is half there;
// integrity_check stays "ok" — over many kills of the same file.
TEST(StateDatabaseCrash, CommittedRowsSurviveSigkillAtRandomMoments) {
  pincer::testing::TempDir dir;
  const fs::path file = dir / "state" / "state.db";
  {
    auto db = open_state_database(file);
    ASSERT_TRUE(db) << db.error().describe();
    ASSERT_TRUE(
        db->exec("CREATE TABLE crash_rows (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, "
                 "batch_size INTEGER NOT NULL, payload TEXT NOT NULL)"));
  }  // closed: the child must not inherit an open connection

  const uint64_t seed = crash_seed();
  std::cout << "[ crash    ] PINCER_CRASH_SEED=" << seed << "\n";
  RecordProperty("crash_seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_us(0, kMaxKillDelayUs);

  std::set<int64_t> reported;
  int rounds_with_commits = 0;
  int children_killed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_write_until_killed(file, fds[1]);
    }
    ::close(fds[1]);
    const bool from_fork = round % 5 == 0;
    const int delay = delay_us(rng);
    if (!from_fork && !wait_until_opened(fds[0])) {
      ::kill(pid, SIGKILL);
      int status = 0;
      ::waitpid(pid, &status, 0);
      FAIL() << "child did not open state.db within " << kOpenDeadlineMs << " ms in round " << round
             << " (exit code " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1) << ")";
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay));  // the kill moment itself
    ::kill(pid, SIGKILL);
    const std::vector<int64_t> ids = read_reported_ids(fds[0]);
    ::close(fds[0]);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(pid, &wait_status, 0), pid);
    if (WIFSIGNALED(wait_status)) {
      ASSERT_EQ(WTERMSIG(wait_status), SIGKILL);
      ++children_killed;
    } else {
      ASSERT_TRUE(WIFEXITED(wait_status));
      ASSERT_EQ(WEXITSTATUS(wait_status), 0) << "child failed in round " << round;
    }
    reported.insert(ids.begin(), ids.end());
    rounds_with_commits += ids.empty() ? 0 : 1;

    auto db = open_state_database(file);
    ASSERT_TRUE(db) << "round " << round << ": " << db.error().describe();
    auto check = db->integrity_check();
    ASSERT_TRUE(check) << check.error().describe();
    ASSERT_EQ(*check, "ok") << "round " << round << ", delay " << delay << " us";

    std::set<int64_t> present;
    auto all = db->prepare("SELECT id FROM crash_rows");
    ASSERT_TRUE(all);
    while (all->step().value_or(false)) {
      present.insert(all->column_int64(0));
    }
    for (int64_t id : reported) {
      ASSERT_TRUE(present.contains(id))
          << "committed id " << id << " lost after round " << round << ", delay " << delay << " us";
    }
    auto partial = db->prepare(
        "SELECT batch, batch_size, count(*) FROM crash_rows GROUP BY batch, batch_size "
        "HAVING count(*) <> batch_size");
    ASSERT_TRUE(partial);
    auto row = partial->step();
    ASSERT_TRUE(row);
    ASSERT_FALSE(*row) << "batch " << partial->column_int64(0) << " has "
                       << partial->column_int64(2) << " of " << partial->column_int64(1)
                       << " rows after round " << round;
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::cout << "[ crash    ] " << kRounds << " rounds (" << children_killed << " killed, "
            << rounds_with_commits << " after a commit), " << reported.size()
            << " committed ids verified, " << elapsed.count() << " ms\n";
  // The kills must land while the child writes, or the test proves nothing.
  EXPECT_GE(rounds_with_commits, kRounds / 4);
}

}  // namespace
}  // namespace pincer::store
