// Kill -9 during heavy appends: a real writer process (tests/support/transcript_writer.cpp)
// appends through TranscriptStore and prints each entry once its commit has returned; the test
// SIGKILLs it at a random moment, reopens state.db and checks that every acknowledged entry is
// there with its id and exact content, that seqs have no gaps, and that the file is intact.
// Several rounds run against the same file, so later writers also start from a crashed one.
//
// Set PINCER_CRASH_SEED to replay a run; the seed in use is printed.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"
#include "support/transcript_writer_content.hpp"

namespace pincer::sessions {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kRounds = 10;

struct WriterRun {
  std::string session_id;
  std::map<int64_t, std::string> acknowledged;  // seq -> entry id
  int exit_signal = 0;
  std::string stray;  // any unexpected output, for the failure message
};

// Starts the writer, lets it append for `run_for` after it reports "opened", kills it with
// SIGKILL and collects every complete line it printed.
WriterRun run_writer_and_kill(const std::string& db_path, std::chrono::microseconds run_for) {
  WriterRun run;
  int fds[2];
  if (::pipe(fds) != 0) {
    ADD_FAILURE() << "pipe failed";
    return run;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl(PINCER_TRANSCRIPT_WRITER_PATH, "pincer_transcript_writer", db_path.c_str(),
            "agent:main:crash", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string buffer;
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      return true;
    }
    char chunk[4096];
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) {
      return false;  // EOF: the writer is gone
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  };
  auto open_deadline = Clock::now() + std::chrono::seconds(10);
  while (buffer.find('\n') == std::string::npos && Clock::now() < open_deadline) {
    if (!read_some(50)) {
      break;
    }
  }
  auto kill_at = Clock::now() + run_for;
  while (Clock::now() < kill_at) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(kill_at - Clock::now());
    if (!read_some(static_cast<int>(std::max<int64_t>(left.count(), 0)))) {
      break;
    }
  }
  ::kill(pid, SIGKILL);
  while (read_some(1000)) {
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

  // Only complete lines count: a line cut by the kill was never acknowledged.
  std::istringstream lines(buffer.substr(0, buffer.rfind('\n') + 1));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("opened ")) {
      run.session_id = line.substr(7);
      continue;
    }
    std::istringstream fields(line);
    int64_t seq = 0;
    std::string entry_id;
    if (fields >> seq >> entry_id) {
      run.acknowledged[seq] = entry_id;
    } else {
      run.stray += line + "\n";
    }
  }
  return run;
}

// Every entry acknowledged before SIGKILL is present and intact after reopening.
TEST(TranscriptCrash, AcknowledgedEntriesSurviveSigkill) {
  unsigned seed = std::random_device{}();
  if (const char* fixed = std::getenv("PINCER_CRASH_SEED")) {
    seed = static_cast<unsigned>(std::strtoul(fixed, nullptr, 10));
  }
  std::cout << "PINCER_CRASH_SEED=" << seed << "\n";
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_us(2'000, 250'000);

  pincer::testing::TempDir dir;
  auto db_path = (dir / "state.db").string();
  std::map<int64_t, std::string> acknowledged;
  std::string session_id;
  for (int round = 0; round < kRounds; ++round) {
    auto run = run_writer_and_kill(db_path, std::chrono::microseconds(delay_us(random)));
    ASSERT_EQ(run.exit_signal, SIGKILL) << "the writer exited on its own (round " << round << ")";
    ASSERT_FALSE(run.session_id.empty()) << "the writer never opened the store";
    ASSERT_EQ(run.stray, "");
    if (!session_id.empty()) {
      EXPECT_EQ(run.session_id, session_id);  // one active generation, reused across crashes
    }
    session_id = run.session_id;
    acknowledged.insert(run.acknowledged.begin(), run.acknowledged.end());

    auto db = store::open_state_database(db_path);
    ASSERT_TRUE(db) << db.error().describe();
    auto integrity = db->integrity_check();
    ASSERT_TRUE(integrity);
    EXPECT_EQ(*integrity, "ok");
    TranscriptStore transcripts(*db);
    for (const auto& [seq, entry_id] : acknowledged) {
      auto entry = transcripts.get(entry_id);
      ASSERT_TRUE(entry) << entry.error().describe();
      ASSERT_TRUE(*entry) << "acknowledged seq " << seq << " lost (round " << round << ")";
      EXPECT_EQ((*entry)->seq, seq);
      EXPECT_EQ((*entry)->content, testing::content_for(seq));
    }
    // Whatever survived is a gap-free prefix, and the session's count agrees with it.
    int64_t expected = 1;
    ASSERT_TRUE(transcripts.for_each(session_id, [&](const TranscriptEntry& e) -> Status {
      EXPECT_EQ(e.seq, expected);
      EXPECT_EQ(e.content, testing::content_for(e.seq));
      ++expected;
      return {};
    }));
    auto session = SessionStore(*db).get(session_id);
    ASSERT_TRUE(session && *session);
    EXPECT_EQ((*session)->entry_count, expected - 1);
    if (!acknowledged.empty()) {
      EXPECT_GE(expected - 1, acknowledged.rbegin()->first);
    }
  }
  EXPECT_FALSE(acknowledged.empty()) << "no append was acknowledged in any round";
  std::cout << acknowledged.size() << " acknowledged entries checked\n";
}

}  // namespace
}  // namespace pincer::sessions
