// Several processes appending to state.db at once — as the daemon and a CLI command do — lose
// nothing: four writer processes (three on one shared session, one on its own) each commit their
// entries one transaction at a time; afterwards every entry is there exactly once, seqs run
// 1..N without gaps, and each writer's entries keep their order.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::sessions {
namespace {

namespace json = boost::json;
using pincer::testing::TempDir;

constexpr int kEntriesPerWriter = 120;

pid_t start_writer(const std::string& db, const std::string& key, const std::string& tag) {
  pid_t pid = ::fork();
  if (pid == 0) {
    // The writer's "opened" line is not needed here.
    FILE* null = std::freopen("/dev/null", "w", stdout);
    (void)null;
    std::string count = std::to_string(kEntriesPerWriter);
    ::execl(PINCER_TRANSCRIPT_WRITER_PATH, "pincer_transcript_writer", db.c_str(), key.c_str(),
            count.c_str(), tag.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

TEST(TranscriptProcesses, ConcurrentWriterProcessesLoseNothing) {
  TempDir dir;
  std::string db_path = (dir / "state.db").string();
  {
    auto db = store::open_state_database(db_path);  // create and migrate once, up front
    ASSERT_TRUE(db) << db.error().describe();
  }
  std::vector<pid_t> writers = {start_writer(db_path, "agent:main:shared", "a"),
                                start_writer(db_path, "agent:main:shared", "b"),
                                start_writer(db_path, "agent:main:shared", "c"),
                                start_writer(db_path, "agent:main:own", "d")};
  for (pid_t pid : writers) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer failed: " << status;
  }

  auto db = store::open_state_database(db_path);
  ASSERT_TRUE(db);
  SessionStore sessions(*db);
  TranscriptStore transcripts(*db);
  for (auto [key, tags] : std::vector<std::pair<std::string, std::string>>{
           {"agent:main:shared", "abc"}, {"agent:main:own", "d"}}) {
    auto session = sessions.find_active(key);
    ASSERT_TRUE(session && *session) << key << ": one session, created by whichever came first";
    std::map<std::string, int> next_i;
    int64_t expected_seq = 1;
    auto visit = [&](const TranscriptEntry& entry) -> Status {
      EXPECT_EQ(entry.seq, expected_seq++) << "seqs run without gaps";
      auto content = json::parse(entry.content).as_object();
      std::string writer(content.at("writer").as_string());
      EXPECT_EQ(content.at("i").as_int64(), next_i[writer]++) << "writer " << writer << " order";
      return {};
    };
    ASSERT_TRUE(transcripts.for_each((*session)->session_id, visit));
    EXPECT_EQ(expected_seq - 1, static_cast<int64_t>(tags.size()) * kEntriesPerWriter) << key;
    for (char tag : tags) {
      EXPECT_EQ(next_i[std::string(1, tag)], kEntriesPerWriter) << "writer " << tag;
    }
    EXPECT_EQ((*session)->entry_count, static_cast<int64_t>(tags.size()) * kEntriesPerWriter);
  }
}

}  // namespace
}  // namespace pincer::sessions
