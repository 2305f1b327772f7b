#include "tools/web/search_providers.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "tools/web/charset.hpp"
#include "tools/web/html_tokenizer.hpp"

namespace pincer::tools::web {

namespace json = boost::json;

namespace {

std::string string_at(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || !it->value().is_string()) {
    return {};
  }
  return std::string(it->value().get_string());
}

std::string collapse(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    out.push_back(c);
  }
  return out;
}

bool has_class(const HtmlToken& token, std::string_view name) {
  std::string_view classes = token.attribute("class");
  std::size_t pos = 0;
  while ((pos = classes.find(name, pos)) != std::string_view::npos) {
    bool starts = pos == 0 || classes[pos - 1] == ' ';
    bool ends = pos + name.size() == classes.size() || classes[pos + name.size()] == ' ';
    if (starts && ends) {
      return true;
    }
    pos += name.size();
  }
  return false;
}

// DuckDuckGo links go through //duckduckgo.com/l/?uddg=<target>; the target is what counts.
std::string unwrap_duckduckgo_link(std::string_view href) {
  std::string absolute(href);
  if (absolute.starts_with("//")) {
    absolute = "https:" + absolute;
  } else if (absolute.starts_with("/")) {
    absolute = "https://duckduckgo.com" + absolute;
  }
  auto parsed = boost::urls::parse_uri(absolute);
  if (!parsed) {
    return absolute;
  }
  if (parsed->encoded_path() == "/l/" || parsed->encoded_path() == "/l") {
    for (auto param : parsed->params()) {
      if (param.key == "uddg" && param.has_value) {
        return std::string(param.value);
      }
    }
  }
  return absolute;
}

std::string short_status_text(const core::HttpResponse& response) {
  return "HTTP " + std::to_string(response.status);
}

}  // namespace

std::string html_fragment_text(std::string_view fragment) {
  std::string text;
  for (const auto& token : tokenize_html(fragment)) {
    if (token.kind == HtmlToken::Kind::text) {
      text += token.text;
    }
  }
  return collapse(text);
}

Result<std::vector<SearchResult>> parse_brave_response(std::string_view body) {
  boost::system::error_code ec;
  json::value document = json::parse(body, ec);
  if (ec || !document.is_object()) {
    return fail(Errc::parse, "Brave Search answered with something other than JSON");
  }
  std::vector<SearchResult> results;
  const auto& root = document.get_object();
  auto web = root.find("web");
  if (web == root.end() || !web->value().is_object()) {
    return results;  // no web results for this query
  }
  auto list = web->value().get_object().find("results");
  if (list == web->value().get_object().end() || !list->value().is_array()) {
    return results;
  }
  for (const auto& item : list->value().get_array()) {
    if (!item.is_object()) {
      continue;
    }
    const auto& entry = item.get_object();
    SearchResult result;
    result.title = html_fragment_text(string_at(entry, "title"));
    result.url = string_at(entry, "url");
    result.snippet = html_fragment_text(string_at(entry, "description"));
    std::string page_age = string_at(entry, "page_age");
    if (page_age.size() >= 10 && page_age[4] == '-' && page_age[7] == '-') {
      result.published = page_age;
    }
    if (auto profile = entry.find("profile");
        profile != entry.end() && profile->value().is_object()) {
      result.site_name = string_at(profile->value().get_object(), "name");
    }
    if (result.site_name.empty()) {
      if (auto meta = entry.find("meta_url"); meta != entry.end() && meta->value().is_object()) {
        result.site_name = string_at(meta->value().get_object(), "hostname");
      }
    }
    if (result.url.starts_with("http://") || result.url.starts_with("https://")) {
      results.push_back(std::move(result));
    }
  }
  return results;
}

Result<std::vector<SearchResult>> parse_duckduckgo_html(std::string_view html) {
  auto tokens = tokenize_html(html);
  std::vector<SearchResult> results;
  enum class Capture { none, title, snippet };
  Capture capture = Capture::none;
  std::string capture_tag;
  int depth = 0;
  std::string buffer;
  bool challenge = false;
  for (const auto& token : tokens) {
    if (token.kind == HtmlToken::Kind::start_tag) {
      if (token.name == "form" && token.attribute("id") == "challenge-form") {
        challenge = true;
      }
      if (capture != Capture::none) {
        if (token.name == capture_tag && !is_void_element(token.name)) {
          ++depth;
        }
        continue;
      }
      if (token.name == "a" && has_class(token, "result__a")) {
        SearchResult result;
        result.url = unwrap_duckduckgo_link(token.attribute("href"));
        results.push_back(std::move(result));
        capture = Capture::title;
      } else if (has_class(token, "result__snippet") && !results.empty()) {
        capture = Capture::snippet;
      } else {
        continue;
      }
      capture_tag = token.name;
      depth = 1;
      buffer.clear();
    } else if (token.kind == HtmlToken::Kind::end_tag) {
      if (capture == Capture::none || token.name != capture_tag || --depth > 0) {
        continue;
      }
      (capture == Capture::title ? results.back().title : results.back().snippet) =
          collapse(buffer);
      capture = Capture::none;
    } else if (capture != Capture::none) {
      buffer += token.text;
    }
  }
  std::erase_if(results, [](const SearchResult& result) {
    return !(result.url.starts_with("http://") || result.url.starts_with("https://")) ||
           result.url.find("duckduckgo.com/y.js") != std::string::npos;  // ads
  });
  if (results.empty() && (challenge || html.find("anomaly-modal") != std::string_view::npos)) {
    return fail(Errc::unavailable, "DuckDuckGo answered with a bot challenge instead of results",
                "try again later, or configure Brave Search (BRAVE_API_KEY)");
  }
  return results;
}

boost::asio::awaitable<Result<std::vector<SearchResult>>> brave_search(
    core::HttpClient& http, const WebSearchSettings& settings, const SearchQuery& query) {
  std::string endpoint = settings.brave_base_url + "/res/v1/web/search";
  auto base = boost::urls::parse_uri(endpoint);  // a view: `endpoint` must outlive it
  if (!base) {
    co_return fail(Errc::config, "plugins.entries.brave.config.webSearch.baseUrl is not a URL: " +
                                     settings.brave_base_url);
  }
  boost::urls::url url(*base);
  url.params().append({"q", query.query});
  url.params().append({"count", std::to_string(query.count)});
  if (!query.country.empty()) {
    url.params().append({"country", query.country});
  }
  if (!query.search_lang.empty()) {
    url.params().append({"search_lang", query.search_lang});
  }
  if (!query.ui_lang.empty()) {
    url.params().append({"ui_lang", query.ui_lang});
  }
  if (!query.freshness.empty()) {
    url.params().append({"freshness", query.freshness});
  }
  core::HttpRequest request;
  request.url = std::string(url.buffer());
  request.headers = {{"Accept", "application/json"},
                     {"X-Subscription-Token", settings.brave_api_key}};
  request.timeout = settings.timeout;
  request.max_response_bytes = std::size_t{4} * 1024 * 1024;
  auto response = co_await http.request(std::move(request));
  if (!response) {
    co_return fail(Errc::unavailable, "Brave Search request failed: " + response.error().message);
  }
  if (response->status == 401 || response->status == 403) {
    co_return fail(Errc::config,
                   "Brave Search refused the API key (" + short_status_text(*response) + ")",
                   "check plugins.entries.brave.config.webSearch.apiKey or BRAVE_API_KEY");
  }
  if (response->status == 429) {
    co_return fail(Errc::unavailable, "Brave Search rate limit reached (HTTP 429)",
                   "wait a moment, or check the plan's limits in the Brave dashboard");
  }
  if (response->status < 200 || response->status >= 300) {
    co_return fail(Errc::unavailable, "Brave Search failed with " + short_status_text(*response));
  }
  auto results = parse_brave_response(response->body);
  if (results && static_cast<int64_t>(results->size()) > query.count) {
    results->resize(static_cast<std::size_t>(query.count));
  }
  co_return results;
}

boost::asio::awaitable<Result<std::vector<SearchResult>>> duckduckgo_search(
    core::HttpClient& http, const WebSearchSettings& settings, const SearchQuery& query) {
  std::string base_text = settings.duckduckgo_base_url;
  while (!base_text.empty() && base_text.back() == '/') {
    base_text.pop_back();
  }
  std::string endpoint = base_text + "/html/";
  auto base = boost::urls::parse_uri(endpoint);  // a view: `endpoint` must outlive it
  if (!base) {
    co_return fail(Errc::config, "the DuckDuckGo base URL is not a URL: " + base_text);
  }
  boost::urls::url url(*base);
  url.params().append({"q", query.query});
  if (!settings.duckduckgo_region.empty()) {
    url.params().append({"kl", settings.duckduckgo_region});
  }
  if (settings.duckduckgo_safe_search == "strict") {
    url.params().append({"kp", "1"});
  } else if (settings.duckduckgo_safe_search == "off") {
    url.params().append({"kp", "-2"});
  }
  core::HttpRequest request;
  request.url = std::string(url.buffer());
  request.headers = {{"Accept", "text/html"},
                     {"User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Pincer web_search"}};
  request.timeout = settings.timeout;
  request.max_response_bytes = std::size_t{4} * 1024 * 1024;
  auto response = co_await http.request(std::move(request));
  if (!response) {
    co_return fail(Errc::unavailable, "DuckDuckGo request failed: " + response.error().message);
  }
  if (response->status < 200 || response->status >= 300) {
    co_return fail(Errc::unavailable, "DuckDuckGo failed with " + short_status_text(*response),
                   "DuckDuckGo is an unofficial, key-free provider; try again later or "
                   "configure Brave Search");
  }
  auto charset = detect_charset(response->header("content-type"), response->body, true);
  auto results = parse_duckduckgo_html(to_utf8(response->body, charset));
  if (results && static_cast<int64_t>(results->size()) > query.count) {
    results->resize(static_cast<std::size_t>(query.count));
  }
  co_return results;
}

}  // namespace pincer::tools::web
