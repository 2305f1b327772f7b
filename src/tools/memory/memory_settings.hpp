#pragma once
// The memory settings a memory tool call uses, read from the config document with the
// reference's key names:
//   memory.search.enabled                       (true)
//   memory.search.provider / model              embeddings provider ("none": keyword only)
//   memory.search.remote.baseUrl / apiKey / headers
//   memory.search.query.maxResults / minScore   (6 / 0.35)
//   agents.defaults.contextLimits.memoryGetMaxChars (12000)
// Layering, later wins: legacy agents.defaults.memorySearch, memory.search, then the agent's own
// agents.entries.<id>.memory.search (and its contextLimits). Values of the wrong type are
// ignored here (the config reader reports them).

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pincer::core {
struct Config;
}

namespace pincer::tools::memory {

struct MemorySettings {
  bool enabled = true;
  std::string provider;  // empty: not configured (keyword search only)
  std::string model;
  std::string remote_base_url;
  std::string remote_api_key;
  std::vector<std::pair<std::string, std::string>> remote_headers;
  int64_t max_results = 6;
  double min_score = 0.35;
  int64_t get_max_chars = 12000;
};

MemorySettings read_memory_settings(const core::Config& config, std::string_view agent_id);

}  // namespace pincer::tools::memory
