// `pincer sessions list|show|reset|delete|export` run as a user runs them, against a state.db
// filled through the store (as the daemon would have filled it).

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"
#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;
using namespace pincer::sessions;

class SessionsCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = store::open_state_database(state_ / "state.db");
    ASSERT_TRUE(db) << db.error().describe();
    SessionStore sessions(*db);
    TranscriptStore transcripts(*db);
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    auto main = sessions.ensure({.key = "agent:main:main",
                                 .agent_id = "main",
                                 .chat_type = ChatType::direct,
                                 .channel = "telegram"},
                                now - 1000);
    ASSERT_TRUE(main);
    main_id_ = main->session.session_id;
    std::vector<NewTranscriptEntry> entries;
    for (int i = 1; i <= 30; ++i) {
      NewTranscriptEntry e;
      e.kind = i % 2 ? EntryKind::user : EntryKind::assistant;
      e.role = i % 2 ? "user" : "assistant";
      e.content = "[{\"type\":\"text\",\"text\":\"message " + std::to_string(i) + "\"}]";
      e.created_at_ms = now;
      entries.push_back(e);
    }
    ASSERT_TRUE(transcripts.append(main_id_, entries, now - 500));
    ASSERT_TRUE(sessions.ensure({.key = "agent:work:main", .agent_id = "work"}, now - 3'600'000));
  }

  RunResult run(const std::vector<std::string>& args) {
    return run_pincer(args, isolated_env(state_.path()));
  }

  TempDir state_;
  std::string main_id_;
};

// list shows active sessions; --json carries SessionRow field names and totals.
TEST_F(SessionsCommand, ListShowsSessionsAsTableAndJson) {
  auto table = run({"sessions", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("agent:main:main"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("agent:work:main"), std::string::npos);

  auto listed = run({"sessions", "list", "--json", "--agent", "main"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  auto value = json::parse(listed.out).as_object();
  EXPECT_EQ(value.at("totalCount").as_int64(), 1);
  const auto& row = value.at("sessions").as_array().at(0).as_object();
  EXPECT_EQ(row.at("key").as_string(), "agent:main:main");
  EXPECT_EQ(row.at("sessionId").as_string(), main_id_);
  EXPECT_EQ(row.at("kind").as_string(), "direct");
  EXPECT_EQ(row.at("entryCount").as_int64(), 30);

  auto recent = run({"sessions", "list", "--json", "--active", "10"});
  ASSERT_EQ(recent.exit_code, 0);
  EXPECT_EQ(json::parse(recent.out).at("totalCount").as_int64(), 1);
}

// show prints the record and the last entries, oldest first.
TEST_F(SessionsCommand, ShowPrintsRecordAndLastEntries) {
  auto shown = run({"sessions", "show", "agent:main:main", "--limit", "5", "--json"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  auto value = json::parse(shown.out).as_object();
  const auto& entries = value.at("entries").as_array();
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].at("seq").as_int64(), 26);
  EXPECT_EQ(entries[4].at("seq").as_int64(), 30);
  EXPECT_EQ(entries[4].at("content").at(0).at("text").as_string(), "message 30");

  auto human = run({"sessions", "show", "agent:main:main"});
  ASSERT_EQ(human.exit_code, 0);
  EXPECT_NE(human.out.find("message 30"), std::string::npos) << human.out;
}

// An unknown key says so and how to find the right one.
TEST_F(SessionsCommand, UnknownKeyIsAClearError) {
  auto missing = run({"sessions", "show", "agent:main:nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no session with key agent:main:nope"), std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("pincer sessions list"), std::string::npos);
}

// reset archives the old generation (still listed under --archived) and starts a new one.
TEST_F(SessionsCommand, ResetArchivesAndStartsANewSession) {
  auto reset = run({"sessions", "reset", "agent:main:main"});
  ASSERT_EQ(reset.exit_code, 0) << reset.err;
  EXPECT_NE(reset.out.find(main_id_), std::string::npos);
  auto listed = run({"sessions", "list", "--json", "--agent", "main"});
  auto row = json::parse(listed.out).at("sessions").at(0).as_object();
  EXPECT_NE(row.at("sessionId").as_string(), main_id_);
  EXPECT_EQ(row.at("previousSessionId").as_string(), main_id_);
  auto archived = run({"sessions", "list", "--archived", "--json"});
  auto old = json::parse(archived.out).at("sessions").at(0).as_object();
  EXPECT_EQ(old.at("sessionId").as_string(), main_id_);
  EXPECT_EQ(old.at("archiveReason").as_string(), "reset");
}

// delete archives the session (transcript kept); --purge removes it for good.
TEST_F(SessionsCommand, DeleteArchivesOrPurges) {
  auto kept = run({"sessions", "delete", "agent:work:main"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  auto archived = run({"sessions", "list", "--archived", "--json"});
  EXPECT_EQ(json::parse(archived.out).at("totalCount").as_int64(), 1);

  auto deleted = run({"sessions", "delete", "agent:main:main", "--purge"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  auto listed = run({"sessions", "list", "--json"});
  EXPECT_EQ(json::parse(listed.out).at("totalCount").as_int64(), 0);
  auto everything = run({"sessions", "list", "--archived", "--json"});
  EXPECT_EQ(json::parse(everything.out).at("totalCount").as_int64(), 1)
      << "the purge removed only agent:main:main; agent:work:main stays archived";
  auto again = run({"sessions", "delete", "agent:main:main"});
  EXPECT_EQ(again.exit_code, 1);
}

// export writes a header line and every entry in order, one JSON object per line.
TEST_F(SessionsCommand, ExportWritesJsonLines) {
  auto file = state_ / "export.jsonl";
  auto exported = run({"sessions", "export", "agent:main:main", "--output", file.string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  std::ifstream in(file);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto header = json::parse(line).as_object();
  EXPECT_EQ(header.at("type").as_string(), "session");
  EXPECT_EQ(header.at("session").at("sessionId").as_string(), main_id_);
  int64_t seq = 0;
  while (std::getline(in, line)) {
    auto entry = json::parse(line).as_object();
    EXPECT_EQ(entry.at("type").as_string(), "entry");
    EXPECT_EQ(entry.at("seq").as_int64(), ++seq);
  }
  EXPECT_EQ(seq, 30);

  auto to_stdout = run({"sessions", "export", "agent:main:main"});
  ASSERT_EQ(to_stdout.exit_code, 0);
  EXPECT_EQ(std::count(to_stdout.out.begin(), to_stdout.out.end(), '\n'), 31);
}

}  // namespace
}  // namespace pincer::testing
