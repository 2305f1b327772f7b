#pragma once
// The web tools' settings, read per call from the config document (hot reload applies to the
// next call). Keys follow the reference (docs: tools/web.md, tools/web-fetch.md,
// tools/brave-search.md, tools/duckduckgo-search.md):
//   tools.web.fetch.{enabled, maxChars, maxCharsCap, maxResponseBytes, timeoutSeconds,
//                    maxRedirects, userAgent, headers, ssrfPolicy.*}
//   tools.web.search.{enabled, provider, maxResults, timeoutSeconds, apiKey (legacy Brave key)}
//   plugins.entries.brave.config.webSearch.{apiKey, baseUrl}   (env: BRAVE_API_KEY)
//   plugins.entries.duckduckgo.config.webSearch.{region, safeSearch}

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "core/paths.hpp"
#include "tools/web/ssrf_guard.hpp"

namespace pincer::tools::web {

inline constexpr std::string_view kDefaultBraveBaseUrl = "https://api.search.brave.com";
inline constexpr std::string_view kDefaultDuckDuckGoBaseUrl = "https://html.duckduckgo.com";

struct WebFetchSettings {
  bool enabled = true;
  int64_t max_chars = 20'000;                // when the call gives none
  int64_t max_chars_cap = 20'000;            // upper bound for the maxChars argument
  std::size_t max_response_bytes = 750'000;  // clamped to 32000..10000000
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  int max_redirects = 3;
  std::string user_agent;
  std::vector<std::pair<std::string, std::string>> headers;  // valid extra headers only
  SsrfPolicy policy;
};

struct WebSearchSettings {
  bool enabled = true;
  std::string provider;  // "brave", "duckduckgo"; empty: brave when a key is set
  int64_t max_results = 5;
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::string brave_api_key;
  std::string brave_base_url{kDefaultBraveBaseUrl};
  std::string duckduckgo_base_url{kDefaultDuckDuckGoBaseUrl};
  std::string duckduckgo_region;       // "us-en" ...
  std::string duckduckgo_safe_search;  // strict | moderate | off
};

// Reads the settings from the config document `root`; bad values fall back to the defaults
// (config validation reports them). `env` supplies BRAVE_API_KEY.
WebFetchSettings read_web_fetch_settings(const boost::json::value& root);
WebSearchSettings read_web_search_settings(const boost::json::value& root,
                                           const core::EnvLookup& env);

}  // namespace pincer::tools::web
