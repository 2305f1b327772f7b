#include "tools/memory/memory_tools.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <string>

#include <boost/json.hpp>

#include "core/executor.hpp"
#include "store/database.hpp"
#include "tools/memory/memory_files.hpp"
#include "tools/memory/memory_index.hpp"
#include "tools/memory/memory_settings.hpp"
#include "tools/tool_arguments.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;
using memory::MemoryHit;
using memory::MemorySettings;

namespace {

constexpr int64_t kMaxResultsCap = 50;
constexpr int64_t kDefaultGetLines = 120;  // the reference's window when `lines` is omitted

int64_t now_unix_ms() {
  // Only recorded as the time a file was indexed (metadata, never compared).
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object search_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "query": {"type": "string", "description": "Words to look for in the memory notes"},
      "maxResults": {"type": "integer", "minimum": 1, "maximum": 50,
                     "description": "Most passages to return (default 6)"},
      "minScore": {"type": "number", "minimum": 0, "maximum": 1,
                   "description": "Lowest relevance to keep, 0..1 (default 0.35)"}
    },
    "required": ["query"]
  })json")
      .as_object();
}

json::object get_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "path": {"type": "string",
               "description": "Memory file relative to the workspace: MEMORY.md or memory/..."},
      "from": {"type": "integer", "minimum": 1, "description": "First line to read (1-based)"},
      "lines": {"type": "integer", "minimum": 1, "description": "How many lines to read"}
    },
    "required": ["path"]
  })json")
      .as_object();
}

struct SearchRequest {
  std::string query;
  memory::MemorySearchOptions options;
};

json::object hit_json(const MemoryHit& hit) {
  json::object out;
  out["path"] = hit.path;
  out["startLine"] = hit.start_line;
  out["endLine"] = hit.end_line;
  out["score"] = std::round(hit.score * 1000.0) / 1000.0;
  out["snippet"] = hit.snippet;
  out["source"] = "memory";
  out["citation"] = hit.citation();
  return out;
}

asio::awaitable<agent::ToolOutput> run_search(ToolDeps deps, const json::object& arguments,
                                              agent::ToolContext& context) {
  const MemorySettings settings = memory::read_memory_settings(deps.config(), context.agent_id);
  if (!settings.enabled) {
    co_return agent::ToolOutput::failure(
        "memory search is disabled (memory.search.enabled is false); read MEMORY.md or "
        "memory/ files with memory_get instead");
  }
  ToolArguments args(arguments);
  SearchRequest request;
  request.query = args.required_string("query");
  request.options.max_results = settings.max_results;
  request.options.min_score = settings.min_score;
  auto max_results = args.integer("maxResults", 1, kMaxResultsCap);
  if (!max_results && !args.error()) {
    max_results = args.integer("limit", 1, kMaxResultsCap);  // a common spelling
  }
  auto min_score = args.number("minScore", 0.0, 1.0);
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  if (max_results) {
    request.options.max_results = *max_results;
  }
  if (min_score) {
    request.options.min_score = *min_score;
  }

  const std::filesystem::path workspace = context.workspace;
  const int64_t now_ms = now_unix_ms();
  auto work = [&](store::Database& db) -> Result<std::vector<MemoryHit>> {
    memory::MemoryIndex index(db, workspace);
    if (auto synced = index.sync(now_ms); !synced) {
      return std::unexpected(synced.error());
    }
    return index.search(request.query, request.options);
  };
  auto hits = co_await deps.database.with(work);
  if (!hits) {
    co_return agent::ToolOutput::failure("memory_search failed: " + hits.error().describe());
  }

  json::array results;
  for (const auto& hit : *hits) {
    results.push_back(hit_json(hit));
  }
  json::object out;
  out["results"] = std::move(results);
  out["mode"] = "fts";
  if (!settings.provider.empty() && settings.provider != "none") {
    out["note"] = "embeddings (memory.search.provider " + settings.provider +
                  ") are not supported yet; keyword ranking only";
  }
  co_return agent::ToolOutput{json::serialize(out)};
}

struct GetResult {
  std::string path;
  int64_t from = 1;
  int64_t to = 0;
  int64_t total_lines = 0;
  std::string text;
  bool truncated = false;
  int64_t next_from = 0;  // 0: nothing left
};

Result<GetResult> read_range(const std::filesystem::path& workspace, std::string_view requested,
                             int64_t from, int64_t lines, int64_t max_chars) {
  auto file = memory::resolve_memory_path(workspace, requested);
  if (!file) {
    return std::unexpected(file.error());
  }
  std::ifstream in(file->absolute, std::ios::binary);
  if (!in) {
    return fail(Errc::io, "cannot open " + file->path);
  }
  GetResult out;
  out.path = file->path;
  out.from = from;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (number < from) {
      continue;
    }
    if (number >= from + lines) {
      if (out.next_from == 0) {
        out.next_from = number;
      }
      continue;  // keep counting for totalLines
    }
    if (out.truncated) {
      continue;
    }
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    std::size_t cost = line.size() + (out.text.empty() ? 0 : 1);
    if (static_cast<int64_t>(out.text.size() + cost) > max_chars && number > from) {
      if (!out.truncated) {
        out.next_from = number;
      }
      out.truncated = true;
      continue;
    }
    if (number > from) {
      out.text += '\n';
    }
    out.text += line;
    out.to = number;
  }
  out.total_lines = number;
  if (out.next_from != 0 && out.next_from <= out.to) {
    out.next_from = out.to + 1;
  }
  if (out.next_from > number) {
    out.next_from = 0;
  }
  // A single line longer than the cap is cut.
  if (static_cast<int64_t>(out.text.size()) > max_chars) {
    std::size_t cut = static_cast<std::size_t>(max_chars);
    while (cut > 0 && (static_cast<unsigned char>(out.text[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    out.text.resize(cut);
    out.truncated = true;
  }
  return out;
}

asio::awaitable<agent::ToolOutput> run_get(ToolDeps deps, const json::object& arguments,
                                           agent::ToolContext& context) {
  const MemorySettings settings = memory::read_memory_settings(deps.config(), context.agent_id);
  ToolArguments args(arguments);
  const std::string path = args.required_string("path");
  auto from = args.integer("from", 1, INT64_MAX / 2);
  auto lines = args.integer("lines", 1, INT64_MAX / 2);
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  const std::filesystem::path workspace = context.workspace;
  const int64_t first = from.value_or(1);
  const int64_t count = lines.value_or(kDefaultGetLines);
  const int64_t max_chars = settings.get_max_chars;
  auto work = [&]() { return read_range(workspace, path, first, count, max_chars); };
  auto result = co_await core::run_blocking(deps.pool, work);
  if (!result) {
    co_return agent::ToolOutput::failure("memory_get: " + result.error().describe());
  }
  json::object out;
  out["path"] = result->path;
  out["from"] = result->from;
  out["to"] = result->to;
  out["totalLines"] = result->total_lines;
  out["text"] = result->text;
  if (result->truncated) {
    out["truncated"] = true;
  }
  if (result->next_from != 0) {
    out["nextFrom"] = result->next_from;
    out["note"] =
        "more lines follow: call memory_get with from=" + std::to_string(result->next_from);
  }
  co_return agent::ToolOutput{json::serialize(out)};
}

}  // namespace

void register_memory_tools(agent::ToolRegistry& registry, const ToolDeps& deps) {
  registry.add(agent::ToolSpec{
      providers::ToolSchema{
          "memory_search",
          "Search the memory notes (MEMORY.md, USER.md, memory/*.md) for passages about a "
          "topic. Returns the best passages with a citation path#Lstart-Lend; open more with "
          "memory_get.",
          search_schema()},
      "memory_search: recall prior facts, decisions and notes before answering about them", true,
      [deps](const json::object& arguments, agent::ToolContext& context) {
        return run_search(deps, arguments, context);
      }});
  registry.add(agent::ToolSpec{
      providers::ToolSchema{
          "memory_get",
          "Read a memory file (MEMORY.md, USER.md or memory/...) or the line range `from`.. "
          "`from+lines-1` of it, e.g. around a memory_search citation.",
          get_schema()},
      "memory_get: read a memory file or the lines a memory_search result cites", true,
      [deps](const json::object& arguments, agent::ToolContext& context) {
        return run_get(deps, arguments, context);
      }});
}

}  // namespace pincer::tools
