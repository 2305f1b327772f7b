#pragma once
// The web_search providers: Brave Search API (keyed, GET /res/v1/web/search with
// X-Subscription-Token) and DuckDuckGo's non-JavaScript HTML page (key-free, unofficial: it
// breaks when DuckDuckGo changes its markup or answers with a bot challenge). Both go through
// core::HttpClient: their base URLs are operator-configured, not model-chosen, so the web_fetch
// SSRF guard does not apply (a test points them at 127.0.0.1).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/http_client.hpp"
#include "core/result.hpp"
#include "tools/web/web_settings.hpp"

namespace pincer::tools::web {

struct SearchResult {
  std::string title;
  std::string url;
  std::string snippet;
  std::string published;  // ISO date when the provider gives one
  std::string site_name;
};

struct SearchQuery {
  std::string query;
  int64_t count = 5;        // 1..10
  std::string country;      // 2-letter code
  std::string search_lang;  // Brave search language ("en", "en-gb")
  std::string ui_lang;      // Brave UI language ("en-US")
  std::string freshness;    // day | week | month | year, or Brave's YYYY-MM-DDtoYYYY-MM-DD
};

// Brave's JSON answer (web.results[]) as results; Errc::parse when it is not that shape.
Result<std::vector<SearchResult>> parse_brave_response(std::string_view body);

// Result links and snippets of DuckDuckGo's HTML page; Errc::unavailable for a bot challenge.
Result<std::vector<SearchResult>> parse_duckduckgo_html(std::string_view html);

// The text of an HTML fragment (Brave marks matches with <strong>), whitespace collapsed.
std::string html_fragment_text(std::string_view fragment);

boost::asio::awaitable<Result<std::vector<SearchResult>>> brave_search(
    core::HttpClient& http, const WebSearchSettings& settings, const SearchQuery& query);

boost::asio::awaitable<Result<std::vector<SearchResult>>> duckduckgo_search(
    core::HttpClient& http, const WebSearchSettings& settings, const SearchQuery& query);

}  // namespace pincer::tools::web
