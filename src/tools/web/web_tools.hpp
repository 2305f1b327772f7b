#pragma once
// The web tools (docs: tools/web.md, tools/web-fetch.md in the reference):
//   web_fetch  {url, extractMode: markdown|text, maxChars}: GET a public http(s) page, follow
//              redirects, turn HTML into readable markdown or text. Guarded against SSRF.
//   web_search {query, count, country, search_lang, ui_lang, freshness}: Brave Search API, or
//              DuckDuckGo's HTML page when tools.web.search.provider is "duckduckgo".
// Both answer with a JSON object as the tool text; page and result text is marked as external,
// untrusted content. Settings are read from the config on every call (web_settings.hpp).

#include <string>

#include "agent/tool_registry.hpp"
#include "core/config.hpp"
#include "core/http_client.hpp"
#include "core/paths.hpp"
#include "tools/tool_deps.hpp"

namespace pincer::tools::web {

// What the daemon's config cannot say and tests must: explicit test switches and base URLs.
struct WebToolOptions {
  core::EnvLookup env = core::process_env();  // BRAVE_API_KEY
  // Non-empty: replaces the configured Brave / DuckDuckGo base URL ("http://127.0.0.1:port").
  std::string brave_base_url;
  std::string duckduckgo_base_url;
  // Tests only: web_fetch may reach loopback addresses (127.0.0.0/8, ::1, localhost), so a fake
  // server on 127.0.0.1 is reachable; every other private range stays refused.
  bool allow_loopback_for_test = false;
};

// Registers web_fetch and web_search with settings from `config` (read per call).
void register_web_tools(agent::ToolRegistry& registry, std::function<const core::Config&()> config,
                        core::HttpClient& http, WebToolOptions options);

}  // namespace pincer::tools::web

namespace pincer::tools {

// The daemon's entry point: deps.config() for settings, the process environment for keys.
void register_web_tools(agent::ToolRegistry& registry, const ToolDeps& deps,
                        core::HttpClient& http);

}  // namespace pincer::tools
