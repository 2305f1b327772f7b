#include "tools/memory/memory_index.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "store/database.hpp"
#include "store/rows.hpp"
#include "store/transaction.hpp"
#include "tools/memory/memory_files.hpp"
#include "tools/memory/memory_fts_query.hpp"

namespace pincer::tools::memory {

namespace fs = std::filesystem;

namespace {

struct IndexedFile {
  int64_t mtime_ns = 0;
  int64_t size = 0;
};

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    return std::nullopt;
  }
  return std::move(buffer).str();
}

double rank_to_score(double rank) {
  double magnitude = std::fabs(rank);
  return magnitude / (1.0 + magnitude);
}

// At most `max` bytes of `text`, cut on a UTF-8 boundary, with "…" when cut.
std::string clip(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return std::string(text);
  }
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return std::string(text.substr(0, cut)) + "…";
}

}  // namespace

std::string text_hash(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0F];
  }
  return out;
}

std::string MemoryHit::citation() const {
  std::string out = path + "#L" + std::to_string(start_line);
  if (end_line != start_line) {
    out += "-L" + std::to_string(end_line);
  }
  return out;
}

MemoryIndex::MemoryIndex(store::Database& db, const fs::path& workspace, ChunkingOptions chunking)
    : db_(db), chunking_(chunking) {
  std::error_code ec;
  auto absolute = fs::absolute(workspace, ec);
  workspace_ = (ec ? workspace : absolute).lexically_normal();
  scope_ = workspace_.string();
  // "/ws/" and "/ws" are one workspace.
  while (scope_.size() > 1 && scope_.ends_with('/')) {
    scope_.pop_back();
  }
}

Result<MemorySyncStats> MemoryIndex::sync(int64_t now_ms, bool force) {
  auto files = list_memory_files(workspace_);
  if (!files) {
    return std::unexpected(files.error());
  }
  using Row = std::pair<std::string, IndexedFile>;
  auto rows = store::query_rows<Row>(
      db_, "SELECT path, mtime_ns, size FROM memory_files WHERE scope = ?1",
      [](const store::Statement& row) {
        return Row{row.column_text(0), IndexedFile{row.column_int64(1), row.column_int64(2)}};
      },
      scope_);
  if (!rows) {
    return std::unexpected(rows.error());
  }
  std::map<std::string, IndexedFile, std::less<>> indexed(rows->begin(), rows->end());

  MemorySyncStats stats;
  stats.files = static_cast<int64_t>(files->size());
  std::vector<const MemoryFile*> changed;
  for (const auto& file : *files) {
    auto found = indexed.find(file.path);
    if (force || found == indexed.end() || found->second.mtime_ns != file.mtime_ns ||
        found->second.size != file.size) {
      changed.push_back(&file);
    }
    if (found != indexed.end()) {
      indexed.erase(found);
    }
  }
  if (changed.empty() && indexed.empty()) {
    return stats;  // nothing to write: no transaction
  }

  auto tx = store::Transaction::begin(db_);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  for (const auto& [path, unused] : indexed) {
    if (auto dropped = drop_file(path); !dropped) {
      return std::unexpected(dropped.error());
    }
    ++stats.removed;
  }
  for (const auto* file : changed) {
    if (auto done =
            reindex_file(file->path, file->absolute, file->mtime_ns, file->size, now_ms, stats);
        !done) {
      return std::unexpected(done.error());
    }
  }
  if (auto committed = tx->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return stats;
}

Status MemoryIndex::reindex_file(std::string_view path, const fs::path& absolute, int64_t mtime_ns,
                                 int64_t size, int64_t now_ms, MemorySyncStats& stats) {
  if (auto dropped = drop_file(path); !dropped) {
    return dropped;
  }
  auto content = read_file(absolute);
  if (!content) {
    // Gone or unreadable since it was listed: leave it out; the next sync looks again.
    ++stats.removed;
    return {};
  }
  auto insert = db_.prepare(
      "INSERT INTO memory_chunks (scope, path, start_line, end_line, text, text_hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) {
    return std::unexpected(insert.error());
  }
  for (const auto& chunk : chunk_markdown(*content, chunking_)) {
    auto hash = text_hash(chunk.text);
    if (auto bound = store::bind_all(*insert, scope_, path, chunk.start_line, chunk.end_line,
                                     chunk.text, hash);
        !bound) {
      return bound;
    }
    if (auto ran = insert->run(); !ran) {
      return ran;
    }
    insert->reset();
    ++stats.chunks;
  }
  ++stats.indexed;
  return store::run_sql(db_,
                        "INSERT INTO memory_files (scope, path, mtime_ns, size, indexed_at_ms) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
                        scope_, path, mtime_ns, size, now_ms);
}

Status MemoryIndex::drop_file(std::string_view path) {
  if (auto chunks = store::run_sql(db_, "DELETE FROM memory_chunks WHERE scope = ?1 AND path = ?2",
                                   scope_, path);
      !chunks) {
    return chunks;
  }
  return store::run_sql(db_, "DELETE FROM memory_files WHERE scope = ?1 AND path = ?2", scope_,
                        path);
}

Result<std::vector<MemoryHit>> MemoryIndex::search(std::string_view query,
                                                   const MemorySearchOptions& options) {
  auto expression = fts_match_expression(query);
  if (!expression) {
    return fail(Errc::invalid_argument, "query: no words to search for",
                "pass words that occur in the notes, e.g. a name, a topic or an id");
  }
  int64_t limit = std::max<int64_t>(options.max_results, 1);
  int64_t snippet_tokens =
      std::clamp<int64_t>(static_cast<int64_t>(options.snippet_max_chars / 8), 8, 64);
  auto hits = store::query_rows<MemoryHit>(
      db_,
      "SELECT c.path, c.start_line, c.end_line, bm25(memory_fts), "
      "CASE WHEN length(c.text) <= ?4 THEN c.text "
      "ELSE snippet(memory_fts, 0, '', '', '…', ?5) END "
      "FROM memory_fts JOIN memory_chunks c ON c.id = memory_fts.rowid "
      "WHERE memory_fts MATCH ?1 AND c.scope = ?2 "
      "ORDER BY bm25(memory_fts), c.path, c.start_line LIMIT ?3",
      [&](const store::Statement& row) {
        MemoryHit hit;
        hit.path = row.column_text(0);
        hit.start_line = row.column_int64(1);
        hit.end_line = row.column_int64(2);
        hit.score = rank_to_score(row.column_double(3));
        hit.snippet = clip(row.column_text_view(4), options.snippet_max_chars);
        return hit;
      },
      *expression, scope_, limit, static_cast<int64_t>(options.snippet_max_chars), snippet_tokens);
  if (!hits) {
    return std::unexpected(hits.error());
  }
  std::vector<MemoryHit> kept;
  for (auto& hit : *hits) {
    if (hit.score >= options.min_score) {
      kept.push_back(std::move(hit));
    }
  }
  // Keyword matches survive a minimum no match reaches (see the contract in the header).
  return kept.empty() ? std::move(*hits) : kept;
}

Result<MemoryIndexStatus> MemoryIndex::status() {
  auto files = store::query_int(db_, "SELECT COUNT(*) FROM memory_files WHERE scope = ?1", scope_);
  if (!files) {
    return std::unexpected(files.error());
  }
  auto chunks =
      store::query_int(db_, "SELECT COUNT(*) FROM memory_chunks WHERE scope = ?1", scope_);
  if (!chunks) {
    return std::unexpected(chunks.error());
  }
  return MemoryIndexStatus{*files, *chunks};
}

Status MemoryIndex::reset() {
  auto tx = store::Transaction::begin(db_);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  if (auto chunks = store::run_sql(db_, "DELETE FROM memory_chunks WHERE scope = ?1", scope_);
      !chunks) {
    return chunks;
  }
  if (auto files = store::run_sql(db_, "DELETE FROM memory_files WHERE scope = ?1", scope_);
      !files) {
    return files;
  }
  return tx->commit();
}

}  // namespace pincer::tools::memory
