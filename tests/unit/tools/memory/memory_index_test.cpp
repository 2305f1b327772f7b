#include "tools/memory/memory_index.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "store/state_database.hpp"
#include "support/temp_dir.hpp"
#include "tools/memory/memory_files.hpp"

namespace pincer::tools::memory {
namespace {

namespace fs = std::filesystem;

class MemoryIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    workspace_ = dir_ / "workspace";
    fs::create_directories(workspace_ / "memory");
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  void write(const std::string& relative, const std::string& text) {
    auto path = workspace_ / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }

  MemorySyncStats sync(MemoryIndex& index, bool force = false) {
    auto stats = index.sync(1000, force);
    EXPECT_TRUE(stats) << stats.error().describe();
    return stats.value_or(MemorySyncStats{});
  }

  std::vector<MemoryHit> search(MemoryIndex& index, std::string_view query,
                                MemorySearchOptions options = {}) {
    auto hits = index.search(query, options);
    EXPECT_TRUE(hits) << hits.error().describe();
    return hits.value_or(std::vector<MemoryHit>{});
  }

  store::Database& db() { return *db_; }

  testing::TempDir dir_;
  fs::path workspace_;
  std::optional<store::Database> db_;
};

// The default roots are indexed; other workspace files, dot-dirs and non-.md files are not.
TEST_F(MemoryIndexTest, IndexesMemoryFilesOnly) {
  write("MEMORY.md", "# Facts\nThe router password lives in the vault.\n");
  write("USER.md", "Prefers short answers.\n");
  write("memory/2025-01-02.md", "Met Alice about the garden.\n");
  write("memory/imports/codex/notes.md", "Nested note about kayaks.\n");
  write("memory/.dreams/state.md", "machine state kayaks\n");
  write("memory/data.json", "{\"kayaks\": 1}\n");
  write("AGENTS.md", "kayaks everywhere\n");
  fs::create_symlink(workspace_ / "AGENTS.md", workspace_ / "memory" / "link.md");

  auto files = list_memory_files(workspace_);
  ASSERT_TRUE(files);
  std::vector<std::string> paths;
  for (const auto& file : *files) {
    paths.push_back(file.path);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"MEMORY.md", "USER.md", "memory/2025-01-02.md",
                                             "memory/imports/codex/notes.md"}));

  MemoryIndex index(db(), workspace_);
  auto stats = sync(index);
  EXPECT_EQ(stats.files, 4);
  EXPECT_EQ(stats.indexed, 4);
  auto hits = search(index, "kayaks");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].path, "memory/imports/codex/notes.md");
}

// The passage that holds the rare words ranks first, and its citation names its lines.
TEST_F(MemoryIndexTest, RanksTheRightNoteFirstWithLineRange) {
  write("MEMORY.md",
        "# Preferences\nLikes tea in the morning.\nWorks from home on Fridays.\n\n"
        "# Infrastructure\nThe home server runs Proxmox.\nBackups go to the NAS nightly.\n");
  write("memory/2025-03-01.md", "# Groceries\nBuy tea, milk and bread.\n");
  write("memory/2025-03-02.md", "# Travel\nFlight to Lisbon on the 14th.\n");
  MemoryIndex index(db(), workspace_);
  sync(index);

  auto hits = search(index, "where do backups of the home server go?");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0].path, "MEMORY.md");
  EXPECT_EQ(hits[0].start_line, 5);
  EXPECT_EQ(hits[0].end_line, 7);
  EXPECT_EQ(hits[0].citation(), "MEMORY.md#L5-L7");
  EXPECT_NE(hits[0].snippet.find("Backups go to the NAS"), std::string::npos);

  auto lisbon = search(index, "Lisbon flight");
  ASSERT_FALSE(lisbon.empty());
  EXPECT_EQ(lisbon[0].citation(), "memory/2025-03-02.md#L1-L2");
  EXPECT_GT(lisbon[0].score, 0.0);
  EXPECT_LT(lisbon[0].score, 1.0);

  // Porter stemming: "backup" finds "Backups", "flights" finds "Flight".
  EXPECT_EQ(search(index, "backup")[0].path, "MEMORY.md");
  EXPECT_EQ(search(index, "flights")[0].path, "memory/2025-03-02.md");
  EXPECT_TRUE(search(index, "zeppelin").empty());
}

// maxResults caps the answer; minScore drops weak hits unless none would be left.
TEST_F(MemoryIndexTest, MaxResultsAndMinScore) {
  for (int i = 0; i < 10; ++i) {
    write("memory/n" + std::to_string(i) + ".md", "note about apples number " + std::to_string(i));
  }
  MemoryIndex index(db(), workspace_);
  sync(index);
  MemorySearchOptions options;
  options.max_results = 3;
  options.min_score = 0.0;
  EXPECT_EQ(search(index, "apples", options).size(), 3u);
  // Every score is below 0.99: the keyword matches are kept anyway.
  options.min_score = 0.99;
  EXPECT_EQ(search(index, "apples", options).size(), 3u);
}

// Editing a file replaces its passages; deleting it removes them; untouched files are not
// re-read.
TEST_F(MemoryIndexTest, ChangeDetection) {
  write("MEMORY.md", "The wifi password is hunter2.\n");
  write("memory/a.md", "Alpha note.\n");
  MemoryIndex index(db(), workspace_);
  EXPECT_EQ(sync(index).indexed, 2);

  auto unchanged = sync(index);
  EXPECT_EQ(unchanged.indexed, 0);
  EXPECT_EQ(unchanged.removed, 0);

  write("MEMORY.md", "The wifi password is correcthorse now.\n");
  auto edited = sync(index);
  EXPECT_EQ(edited.indexed, 1);
  EXPECT_TRUE(search(index, "hunter2").empty());
  ASSERT_EQ(search(index, "correcthorse").size(), 1u);

  // Same size, new content: the mtime tells.
  auto path = workspace_ / "memory/a.md";
  write("memory/a.md", "Omega note.\n");
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
  EXPECT_EQ(sync(index).indexed, 1);
  EXPECT_TRUE(search(index, "alpha").empty());
  EXPECT_EQ(search(index, "omega").size(), 1u);

  fs::remove(path);
  auto removed = sync(index);
  EXPECT_EQ(removed.removed, 1);
  EXPECT_TRUE(search(index, "omega").empty());
  auto status = index.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->files, 1);
  EXPECT_EQ(status->chunks, 1);
  // The external-content FTS index stays consistent with its rows.
  EXPECT_TRUE(db().exec("INSERT INTO memory_fts (memory_fts) VALUES ('integrity-check')"));
}

// Each workspace has its own index in the one database.
TEST_F(MemoryIndexTest, WorkspacesAreScoped) {
  write("MEMORY.md", "Shared word: pelican.\n");
  auto other = dir_ / "other";
  fs::create_directories(other);
  std::ofstream(other / "MEMORY.md") << "Other pelican note.\n";
  MemoryIndex mine(db(), workspace_);
  MemoryIndex theirs(db(), other);
  sync(mine);
  sync(theirs);
  auto hits = search(mine, "pelican");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NE(hits[0].snippet.find("Shared"), std::string::npos);
  ASSERT_TRUE(theirs.reset());
  EXPECT_TRUE(search(theirs, "pelican").empty());
  EXPECT_EQ(search(mine, "pelican").size(), 1u);
}

// FTS5 syntax in the query never reaches the MATCH parser.
TEST_F(MemoryIndexTest, QuerySyntaxInjectionIsSafe) {
  write("MEMORY.md", "foo bar baz\nnear the lake\n");
  MemoryIndex index(db(), workspace_);
  sync(index);
  for (std::string_view query :
       {R"(foo" OR ")", "NEAR(", "NEAR(foo bar, 1)", "\"", "foo*", "text:foo", "^foo", "-foo",
        "foo AND", "(((", "{foo}", "foo'bar", "a;DROP TABLE memory_chunks;--", "“foo”", "—"}) {
    // Either results or "no words" — never an FTS5 syntax error.
    auto hits = index.search(query);
    ASSERT_TRUE(hits || hits.error().code == Errc::invalid_argument)
        << query << ": " << hits.error().describe();
  }
  EXPECT_FALSE(search(index, R"(foo" OR ")").empty());
  auto empty = index.search("*** ()");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
  EXPECT_EQ(search(index, "memory_chunks").size(), 0u);
}

// Case folding and diacritics for non-English text; whole CJK runs are found.
TEST_F(MemoryIndexTest, UnicodeText) {
  write(
      "memory/unicode.md",
      "Réunion au Café de Flore.\n\n# Москва\nВстреча с Иваном в пятницу.\n\n# 日本\n東京 出張\n");
  MemoryIndex index(db(), workspace_);
  sync(index);
  EXPECT_EQ(search(index, "cafe").size(), 1u);
  EXPECT_EQ(search(index, "CAFÉ").size(), 1u);
  auto russian = search(index, "иваном");
  ASSERT_EQ(russian.size(), 1u);
  EXPECT_EQ(russian[0].start_line, 3);
  EXPECT_EQ(russian[0].end_line, 4);
  auto tokyo = search(index, "東京");
  ASSERT_EQ(tokyo.size(), 1u);
  EXPECT_EQ(tokyo[0].citation(), "memory/unicode.md#L6-L7");
}

// Long passages come back as a bounded snippet.
TEST_F(MemoryIndexTest, LongPassageSnippetIsBounded) {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += "filler words about nothing in particular line " + std::to_string(i) + "\n";
  }
  text += "the secret ingredient is cardamom\n";
  write("MEMORY.md", text);
  MemoryIndex index(db(), workspace_);
  sync(index);
  MemorySearchOptions options;
  options.snippet_max_chars = 200;
  auto hits = search(index, "cardamom", options);
  ASSERT_FALSE(hits.empty());
  EXPECT_LE(hits[0].snippet.size(), 200u + 3);
  EXPECT_NE(hits[0].snippet.find("cardamom"), std::string::npos);
}

// Timing for the bench figure: printed, not asserted.
TEST_F(MemoryIndexTest, TenThousandNotesTiming) {
  constexpr int kNotes = 10000;
  for (int i = 0; i < kNotes; ++i) {
    write("memory/notes/" + std::to_string(i / 100) + "/note-" + std::to_string(i) + ".md",
          "# Note " + std::to_string(i) + "\nTopic t" + std::to_string(i % 97) + " with keyword k" +
              std::to_string(i) + " and some common words about the day.\n");
  }
  MemoryIndex index(db(), workspace_);
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  auto t0 = Clock::now();
  auto first = sync(index);
  auto t1 = Clock::now();
  EXPECT_EQ(first.indexed, kNotes);
  auto again = sync(index);
  auto t2 = Clock::now();
  EXPECT_EQ(again.indexed, 0);
  constexpr int kQueries = 50;
  for (int q = 0; q < kQueries; ++q) {
    auto hits = search(index, "keyword k" + std::to_string(q * 37) + " common day");
    ASSERT_FALSE(hits.empty());
  }
  auto t3 = Clock::now();
  for (int q = 0; q < kQueries / 5; ++q) {
    sync(index);
    search(index, "topic t" + std::to_string(q));
  }
  auto t4 = Clock::now();
  auto listed = list_memory_files(workspace_);
  auto t5 = Clock::now();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), static_cast<std::size_t>(kNotes));
  std::cout << "[ timing ] listing " << kNotes << " files: " << ms(t5 - t4) << " ms\n";
  std::cout << "[ timing ] " << kNotes << " notes: full index " << ms(t1 - t0)
            << " ms; no-change sync " << ms(t2 - t1) << " ms; search " << ms(t3 - t2) / kQueries
            << " ms/query; sync+search " << ms(t4 - t3) / (kQueries / 5) << " ms/query\n";
}

}  // namespace
}  // namespace pincer::tools::memory
