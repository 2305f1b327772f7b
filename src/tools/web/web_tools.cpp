#include "tools/web/web_tools.hpp"

#include <chrono>

#include <boost/json/serialize.hpp>

#include "tools/tool_arguments.hpp"
#include "tools/web/charset.hpp"
#include "tools/web/page_fetcher.hpp"
#include "tools/web/readable_content.hpp"
#include "tools/web/search_providers.hpp"
#include "tools/web/web_settings.hpp"

// GCC 12 reports the coroutine frames below as freed by a mismatched operator delete: Asio's
// awaitable_frame_base defines both the operator new and the sized operator delete used, so this
// is a false positive of the warning's inlining analysis, not a real mismatch.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace pincer::tools::web {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kDefaultUserAgent =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 Pincer/web_fetch";

// The first `max_chars` code points of UTF-8 `text`.
std::string_view utf8_prefix(std::string_view text, std::size_t max_chars, bool& cut) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) {
      continue;
    }
    if (chars == max_chars) {
      cut = true;
      return text.substr(0, i);
    }
    ++chars;
  }
  return text;
}

std::size_t utf8_length(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string media_type(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  std::string type(content_type.substr(0, semicolon));
  std::transform(type.begin(), type.end(), type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!type.empty() && type.back() == ' ') {
    type.pop_back();
  }
  while (!type.empty() && type.front() == ' ') {
    type.erase(type.begin());
  }
  return type;
}

bool is_html(std::string_view type, std::string_view body) {
  if (type == "text/html" || type == "application/xhtml+xml") {
    return true;
  }
  if (!type.empty()) {
    return false;
  }
  std::string head(body.substr(0, 512));
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return head.find("<html") != std::string::npos ||
         head.find("<!doctype html") != std::string::npos;
}

bool is_textual(std::string_view type, std::string_view body) {
  if (type.starts_with("text/") || type.ends_with("+json") || type.ends_with("+xml") ||
      type == "application/json" || type == "application/xml" || type == "application/javascript" ||
      type == "application/x-javascript" || type == "application/ecmascript" ||
      type == "application/x-ndjson" || type == "application/yaml" ||
      type == "application/x-yaml" || type == "application/toml") {
    return true;
  }
  if (!type.empty() && type != "application/octet-stream") {
    return false;
  }
  // No useful type: text unless the first bytes hold a NUL.
  return body.substr(0, 1024).find('\0') == std::string_view::npos;
}

asio::awaitable<agent::ToolOutput> run_web_fetch(const json::object& arguments,
                                                 WebFetchSettings settings,
                                                 const WebToolOptions& options) {
  ToolArguments args(arguments);
  std::string url = args.required_string("url");
  auto mode_text = args.string("extractMode");
  auto max_chars_arg = args.integer("maxChars", 100, 1'000'000'000);
  if (mode_text && *mode_text != "markdown" && *mode_text != "text") {
    args.fail("extractMode: expected \"markdown\" or \"text\"");
  }
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  if (!settings.enabled) {
    co_return agent::ToolOutput::failure(
        "web_fetch is disabled (tools.web.fetch.enabled is false)");
  }
  ExtractMode mode = mode_text && *mode_text == "text" ? ExtractMode::text : ExtractMode::markdown;
  int64_t max_chars = std::min(max_chars_arg.value_or(settings.max_chars), settings.max_chars_cap);

  PageRequest request;
  request.url = url;
  request.policy = settings.policy;
  request.policy.allow_loopback_for_test = options.allow_loopback_for_test;
  request.timeout = settings.timeout;
  request.max_body_bytes = settings.max_response_bytes;
  request.max_redirects = settings.max_redirects;
  request.headers = settings.headers;
  request.headers.emplace_back("User-Agent", settings.user_agent.empty()
                                                 ? std::string(kDefaultUserAgent)
                                                 : settings.user_agent);
  request.headers.emplace_back("Accept",
                               "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.8");
  request.headers.emplace_back("Accept-Language", "en-US,en;q=0.9");

  auto started = std::chrono::steady_clock::now();
  auto page = co_await fetch_page(std::move(request));
  if (!page) {
    co_return agent::ToolOutput::failure("web_fetch failed: " + page.error().describe());
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  std::string type = media_type(page->content_type);
  json::object result;
  result["url"] = url;
  result["finalUrl"] = page->final_url;
  result["status"] = page->status;
  if (!page->content_type.empty()) {
    result["contentType"] = page->content_type.substr(0, 256);
  }
  result["extractMode"] = mode == ExtractMode::markdown ? "markdown" : "text";
  std::vector<std::string> warnings;
  if (page->truncated) {
    warnings.push_back("the page is larger than " + std::to_string(settings.max_response_bytes) +
                       " bytes (tools.web.fetch.maxResponseBytes); only its beginning was read");
  }

  std::string content;
  bool html = is_html(type, page->body);
  if (html) {
    std::string charset = detect_charset(page->content_type, page->body, true);
    std::string utf8 = to_utf8(page->body, charset);
    auto readable = extract_readable(utf8, mode, page->final_url);
    result["extractor"] = "html";
    if (!readable.title.empty()) {
      bool cut = false;
      result["title"] = std::string(utf8_prefix(readable.title, 256, cut));
    }
    content = std::move(readable.content);
  } else if (is_textual(type, page->body)) {
    std::string charset = detect_charset(page->content_type, page->body, false);
    content = to_utf8(page->body, charset);
    result["extractor"] = "raw";
  } else {
    result["extractor"] = "none";
    warnings.push_back("binary content (" + (type.empty() ? std::string("unknown type") : type) +
                       ") is not shown; web_fetch reads HTML and text only");
  }

  bool cut = false;
  std::string_view shown = utf8_prefix(content, static_cast<std::size_t>(max_chars), cut);
  if (cut) {
    warnings.push_back("content truncated to " + std::to_string(max_chars) +
                       " characters (maxChars); " + std::to_string(utf8_length(content)) +
                       " in all");
  }
  result["truncated"] = cut || page->truncated;
  result["rawLength"] = utf8_length(content);
  result["length"] = utf8_length(shown);
  result["tookMs"] = took.count();
  if (page->redirects > 0) {
    result["redirects"] = page->redirects;
  }
  if (!warnings.empty()) {
    std::string joined;
    for (const auto& warning : warnings) {
      joined += (joined.empty() ? "" : "; ") + warning;
    }
    result["warning"] = joined;
  }
  result["externalContent"] = json::object{{"untrusted", true}, {"source", "web_fetch"}};
  result["text"] = std::string(shown);
  bool failed = page->status >= 400;
  std::string text = json::serialize(result);
  if (failed) {
    co_return agent::ToolOutput{"web_fetch: HTTP " + std::to_string(page->status) + " from " +
                                    page->final_url + "\n" + text,
                                true,
                                {}};
  }
  co_return agent::ToolOutput{std::move(text), false, {}};
}

asio::awaitable<agent::ToolOutput> run_web_search(const json::object& arguments,
                                                  WebSearchSettings settings,
                                                  core::HttpClient& http) {
  ToolArguments args(arguments);
  SearchQuery query;
  query.query = args.required_string("query");
  query.count = args.integer("count", 1, 10).value_or(settings.max_results);
  query.country = args.string("country").value_or("");
  query.search_lang = args.string("search_lang").value_or(args.string("language").value_or(""));
  query.ui_lang = args.string("ui_lang").value_or("");
  auto freshness = args.string("freshness");
  auto date_after = args.string("date_after");
  auto date_before = args.string("date_before");
  if (freshness) {
    static const std::map<std::string, std::string, std::less<>> kFreshness{
        {"day", "pd"}, {"week", "pw"}, {"month", "pm"}, {"year", "py"}};
    auto it = kFreshness.find(*freshness);
    if (it == kFreshness.end()) {
      args.fail("freshness: expected day, week, month or year");
    } else {
      query.freshness = it->second;
    }
  }
  if (date_after || date_before) {
    if (!date_after || !date_before) {
      args.fail("date_after and date_before: give both (YYYY-MM-DD) or neither");
    } else {
      query.freshness = *date_after + "to" + *date_before;
    }
  }
  if (args.error()) {
    co_return agent::ToolOutput::failure(*args.error());
  }
  if (!settings.enabled) {
    co_return agent::ToolOutput::failure(
        "web_search is disabled (tools.web.search.enabled is false)");
  }
  std::string provider = settings.provider;
  if (provider.empty()) {
    if (settings.brave_api_key.empty()) {
      co_return agent::ToolOutput::failure(
          "web_search has no search provider configured: set a Brave Search API key in "
          "plugins.entries.brave.config.webSearch.apiKey (or the BRAVE_API_KEY environment "
          "variable of the gateway), or choose the key-free provider with "
          "tools.web.search.provider: \"duckduckgo\"");
    }
    provider = "brave";
  }
  auto started = std::chrono::steady_clock::now();
  Result<std::vector<SearchResult>> results;
  if (provider == "brave") {
    if (settings.brave_api_key.empty()) {
      co_return agent::ToolOutput::failure(
          "web_search: the Brave provider needs an API key: set "
          "plugins.entries.brave.config.webSearch.apiKey in the config or BRAVE_API_KEY in the "
          "gateway's environment (get one at https://brave.com/search/api/)");
    }
    results = co_await brave_search(http, settings, query);
  } else if (provider == "duckduckgo") {
    results = co_await duckduckgo_search(http, settings, query);
  } else {
    co_return agent::ToolOutput::failure(
        "web_search: unknown provider \"" + provider +
        "\" in tools.web.search.provider (supported: brave, duckduckgo)");
  }
  if (!results) {
    co_return agent::ToolOutput::failure("web_search (" + provider +
                                         ") failed: " + results.error().describe());
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  json::array list;
  for (const auto& item : *results) {
    json::object entry;
    entry["title"] = item.title;
    entry["url"] = item.url;
    if (!item.snippet.empty()) {
      entry["snippet"] = item.snippet;
    }
    if (!item.published.empty()) {
      entry["published"] = item.published;
    }
    if (!item.site_name.empty()) {
      entry["siteName"] = item.site_name;
    }
    list.push_back(std::move(entry));
  }
  json::object output;
  output["provider"] = provider;
  output["query"] = query.query;
  output["count"] = list.size();
  output["tookMs"] = took.count();
  output["results"] = std::move(list);
  output["externalContent"] =
      json::object{{"untrusted", true}, {"source", "web_search"}, {"provider", provider}};
  co_return agent::ToolOutput{json::serialize(output), false, {}};
}

json::object fetch_schema() {
  json::object url{{"type", "string"}, {"description", "The http(s) URL to fetch."}};
  json::object mode{{"type", "string"},
                    {"enum", json::array{"markdown", "text"}},
                    {"description", "Output format after extraction (default markdown)."}};
  json::object max_chars{{"type", "number"},
                         {"minimum", 100},
                         {"description", "Truncate the text to this many characters."}};
  return json::object{
      {"type", "object"},
      {"properties", json::object{{"url", url}, {"extractMode", mode}, {"maxChars", max_chars}}},
      {"required", json::array{"url"}},
      {"additionalProperties", false}};
}

json::object search_schema() {
  json::object properties;
  properties["query"] = json::object{{"type", "string"}, {"description", "Search query."}};
  properties["count"] = json::object{{"type", "number"},
                                     {"minimum", 1},
                                     {"maximum", 10},
                                     {"description", "Results to return (1-10)."}};
  properties["country"] =
      json::object{{"type", "string"}, {"description", "2-letter country code (e.g. US, DE)."}};
  properties["language"] =
      json::object{{"type", "string"}, {"description", "Language code for results (e.g. en)."}};
  properties["search_lang"] =
      json::object{{"type", "string"}, {"description", "Brave search language (e.g. en, en-gb)."}};
  properties["ui_lang"] =
      json::object{{"type", "string"}, {"description", "Brave UI language (e.g. en-US)."}};
  properties["freshness"] = json::object{{"type", "string"},
                                         {"enum", json::array{"day", "week", "month", "year"}},
                                         {"description", "Only results from this period."}};
  properties["date_after"] =
      json::object{{"type", "string"}, {"description", "Published after (YYYY-MM-DD)."}};
  properties["date_before"] =
      json::object{{"type", "string"}, {"description", "Published before (YYYY-MM-DD)."}};
  return json::object{{"type", "object"},
                      {"properties", std::move(properties)},
                      {"required", json::array{"query"}},
                      {"additionalProperties", false}};
}

}  // namespace

void register_web_tools(agent::ToolRegistry& registry, std::function<const core::Config&()> config,
                        core::HttpClient& http, WebToolOptions options) {
  auto shared_options = std::make_shared<const WebToolOptions>(std::move(options));

  agent::ToolSpec fetch;
  fetch.schema.name = "web_fetch";
  fetch.schema.description =
      "Fetch a public http(s) URL and return its readable content as markdown or text (no "
      "JavaScript; title and final URL included). Content is external and untrusted.";
  fetch.schema.parameters = fetch_schema();
  fetch.guidance = "web_fetch: read a web page by URL (HTML to markdown/text)";
  fetch.parallel_safe = true;
  fetch.handler = [config, shared_options](
                      const json::object& arguments,
                      agent::ToolContext&) -> asio::awaitable<agent::ToolOutput> {
    WebFetchSettings settings = read_web_fetch_settings(config().raw);
    auto output = co_await run_web_fetch(arguments, std::move(settings), *shared_options);
    co_return output;
  };
  registry.add(std::move(fetch));

  agent::ToolSpec search;
  search.schema.name = "web_search";
  search.schema.description =
      "Search the web (Brave Search, or DuckDuckGo when configured) and return titles, URLs "
      "and snippets. Results are external and untrusted.";
  search.schema.parameters = search_schema();
  search.guidance = "web_search: search the web for pages about a query";
  search.parallel_safe = true;
  search.handler = [config, shared_options, &http](
                       const json::object& arguments,
                       agent::ToolContext&) -> asio::awaitable<agent::ToolOutput> {
    WebSearchSettings settings = read_web_search_settings(config().raw, shared_options->env);
    if (!shared_options->brave_base_url.empty()) {
      settings.brave_base_url = shared_options->brave_base_url;
    }
    if (!shared_options->duckduckgo_base_url.empty()) {
      settings.duckduckgo_base_url = shared_options->duckduckgo_base_url;
    }
    auto output = co_await run_web_search(arguments, std::move(settings), http);
    co_return output;
  };
  registry.add(std::move(search));
}

}  // namespace pincer::tools::web

namespace pincer::tools {

void register_web_tools(agent::ToolRegistry& registry, const ToolDeps& deps,
                        core::HttpClient& http) {
  web::register_web_tools(registry, deps.config, http, web::WebToolOptions{});
}

}  // namespace pincer::tools
