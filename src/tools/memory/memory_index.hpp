#pragma once
// MemoryIndex: the full-text index of one workspace's memory files in state.db (migration 7,
// "memory_index"), used by the memory_search tool, and meant for a `pincer memory` CLI and the
// bench.
//
// Scope: rows are keyed by the workspace's absolute path, so agents sharing a workspace share
// one index and agents with their own workspaces never see each other's notes.
//
// Freshness: sync() lists the memory files (memory_files.hpp) and compares each file's mtime
// and size with what memory_files recorded when it was indexed. Only files that changed are
// read and re-chunked; files that are gone lose their passages. When nothing changed, sync()
// only reads (no write transaction). All changes of one sync are one transaction, so a search
// never sees half a file. memory_search calls sync() before every search, so an edit is found
// by the next search without a file watcher.
//
// Ranking: FTS5 bm25 over passages (tokenizer "porter unicode61 remove_diacritics 2": unicode61
// folds case for all scripts and drops diacritics, so "cafe" finds "Café"; porter stems English,
// so "deploying" finds "deployed"; it passes non-English words through unchanged). A bm25 rank
// r (negative: better is lower) becomes the score |r| / (1 + |r|) in [0, 1).
//
// Threading: blocking (files and SQLite). Use it on the blocking pool, e.g. inside
// DatabaseAccess::with(); it borrows the Database for its lifetime.
//
// Not here: embeddings (see PROGRESS.md), CJK segmentation (unicode61 keeps a run of CJK text as
// one token, so CJK is found by whole runs only; the reference adds a trigram index).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tools/memory/memory_chunker.hpp"

namespace pincer::store {
class Database;
}

namespace pincer::tools::memory {

struct MemorySyncStats {
  int64_t files = 0;    // memory files on disk
  int64_t indexed = 0;  // files (re)read and chunked
  int64_t removed = 0;  // files dropped from the index
  int64_t chunks = 0;   // passages written
};

struct MemorySearchOptions {
  int64_t max_results = 6;  // memory.search.query.maxResults
  double min_score = 0.35;  // memory.search.query.minScore
  std::size_t snippet_max_chars = 700;
};

struct MemoryHit {
  std::string path;  // relative to the workspace
  int64_t start_line = 0;
  int64_t end_line = 0;
  double score = 0;
  std::string snippet;

  // "memory/2025-01-02.md#L3-L9" (one line: "#L3").
  std::string citation() const;
};

struct MemoryIndexStatus {
  int64_t files = 0;
  int64_t chunks = 0;
};

class MemoryIndex {
 public:
  // `workspace` is made absolute; it is the scope key.
  MemoryIndex(store::Database& db, const std::filesystem::path& workspace,
              ChunkingOptions chunking = {});

  const std::string& scope() const { return scope_; }

  // Brings the index up to date with the files (see Freshness). `force` re-reads every file.
  // `now_ms` is recorded as the files' indexing time.
  Result<MemorySyncStats> sync(int64_t now_ms, bool force = false);

  // Passages matching `query`, best first. Only passages scoring at least min_score are kept,
  // unless none does: then the best keyword matches are returned anyway (as the reference does,
  // so a small index whose bm25 scores are low still answers). Fails with
  // Errc::invalid_argument when the query has no words. Does not sync.
  Result<std::vector<MemoryHit>> search(std::string_view query,
                                        const MemorySearchOptions& options = {});

  Result<MemoryIndexStatus> status();

  // Drops this scope's rows; the next sync() rebuilds them.
  Status reset();

 private:
  Status reindex_file(std::string_view path, const std::filesystem::path& absolute,
                      int64_t mtime_ns, int64_t size, int64_t now_ms, MemorySyncStats& stats);
  Status drop_file(std::string_view path);

  store::Database& db_;
  std::filesystem::path workspace_;
  std::string scope_;
  ChunkingOptions chunking_;
};

// Hex SHA-256 of `text`: the key of a passage's cached embedding.
std::string text_hash(std::string_view text);

}  // namespace pincer::tools::memory
