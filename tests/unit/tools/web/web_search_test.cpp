#include <gtest/gtest.h>

#include "fake_web_server.hpp"
#include "support/fake_env.hpp"
#include "tools/web/search_providers.hpp"
#include "web_tool_harness.hpp"

namespace pincer::tools::web {
namespace {

using testing::FakeWebReply;
using testing::FakeWebServer;
using testing::WebToolHarness;

constexpr std::string_view kBraveAnswer = R"json({
  "type": "search",
  "query": {"original": "pincer crab"},
  "web": {"type": "search", "results": [
    {"title": "All about <strong>crabs</strong>", "url": "https://crabs.example/pincers",
     "description": "Crabs use their <strong>pincers</strong> &amp; claws.",
     "page_age": "2024-05-01T10:00:00", "profile": {"name": "Crab Facts"},
     "meta_url": {"hostname": "crabs.example"}},
    {"title": "Second", "url": "https://second.example/", "description": "More."},
    {"title": "Not a web URL", "url": "javascript:alert(1)", "description": "dropped"}
  ]}
})json";

constexpr std::string_view kDuckDuckGoPage = R"html(<!DOCTYPE html><html><body>
<div class="results">
 <div class="result results_links results_links_deep web-result">
  <h2 class="result__title"><a rel="nofollow" class="result__a"
   href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.com%2Fcrabs%3Fa%3D1&amp;rut=abc">Crab <b>pincers</b> explained</a></h2>
  <a class="result__snippet" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fexample.com%2Fcrabs">How <b>crabs</b> use
   their claws.</a>
 </div>
 <div class="result results_links web-result">
  <h2 class="result__title"><a class="result__a" href="https://direct.example/page">Direct link</a></h2>
  <div class="result__snippet">Second snippet</div>
 </div>
 <div class="result result--ad"><a class="result__a" href="https://duckduckgo.com/y.js?ad_domain=x">Ad</a></div>
</div></body></html>)html";

WebToolOptions options_for(const FakeWebServer& server, std::map<std::string, std::string> env) {
  WebToolOptions options;
  options.env = testing::fake_env(std::move(env));
  options.brave_base_url = server.url("");
  options.duckduckgo_base_url = server.url("");
  return options;
}

// Brave's JSON becomes normalized results; the key goes in X-Subscription-Token.
TEST(WebSearch, ParsesBraveResults) {
  FakeWebServer server;
  server.route("/res/v1/web/search", {.headers = {{"Content-Type", "application/json"}},
                                      .body = std::string(kBraveAnswer)});
  WebToolHarness harness(options_for(server, {{"BRAVE_API_KEY", "env-key"}}));
  auto output = harness.call(
      "web_search", R"({"query":"pincer crab","count":3,"country":"DE","freshness":"week"})");
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_EQ(result.at("provider").as_string(), "brave");
  EXPECT_EQ(result.at("query").as_string(), "pincer crab");
  const auto& results = result.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  const auto& first = results[0].as_object();
  EXPECT_EQ(first.at("title").as_string(), "All about crabs");
  EXPECT_EQ(first.at("url").as_string(), "https://crabs.example/pincers");
  EXPECT_EQ(first.at("snippet").as_string(), "Crabs use their pincers & claws.");
  EXPECT_EQ(first.at("published").as_string(), "2024-05-01T10:00:00");
  EXPECT_EQ(first.at("siteName").as_string(), "Crab Facts");
  EXPECT_TRUE(result.at("externalContent").as_object().at("untrusted").as_bool());

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers["x-subscription-token"], "env-key");
  EXPECT_NE(requests[0].target.find("q=pincer%20crab"), std::string::npos) << requests[0].target;
  EXPECT_NE(requests[0].target.find("count=3"), std::string::npos);
  EXPECT_NE(requests[0].target.find("country=DE"), std::string::npos);
  EXPECT_NE(requests[0].target.find("freshness=pw"), std::string::npos);
}

// The config key wins over the environment.
TEST(WebSearch, ConfigApiKeyWinsOverEnvironment) {
  FakeWebServer server;
  server.route("/res/v1/web/search", {.body = R"({"web":{"results":[]}})"});
  WebToolHarness harness(
      options_for(server, {{"BRAVE_API_KEY", "env-key"}}),
      R"({"plugins":{"entries":{"brave":{"config":{"webSearch":{"apiKey":"config-key"}}}}}})");
  auto output = harness.call("web_search", R"({"query":"x"})");
  ASSERT_FALSE(output.is_error) << output.text;
  EXPECT_EQ(WebToolHarness::result(output).at("count").as_int64(), 0);
  EXPECT_EQ(server.requests().at(0).headers["x-subscription-token"], "config-key");
}

// A rejected key says which settings hold it.
TEST(WebSearch, BraveRejectedKeyNamesTheSetting) {
  FakeWebServer server;
  server.route("/res/v1/web/search", {.status = 401, .body = R"({"error":"bad key"})"});
  WebToolHarness harness(options_for(server, {{"BRAVE_API_KEY", "wrong"}}));
  auto output = harness.call("web_search", R"({"query":"x"})");
  EXPECT_TRUE(output.is_error);
  EXPECT_NE(output.text.find("BRAVE_API_KEY"), std::string::npos) << output.text;
  EXPECT_NE(output.text.find("HTTP 401"), std::string::npos) << output.text;
}

// No key and no provider: the error tells the user what to set.
TEST(WebSearch, MissingApiKeyExplainsWhatToSet) {
  FakeWebServer server;
  WebToolHarness harness(options_for(server, {}));
  auto output = harness.call("web_search", R"({"query":"x"})");
  EXPECT_TRUE(output.is_error);
  EXPECT_NE(output.text.find("plugins.entries.brave.config.webSearch.apiKey"), std::string::npos);
  EXPECT_NE(output.text.find("BRAVE_API_KEY"), std::string::npos);
  EXPECT_NE(output.text.find("duckduckgo"), std::string::npos);
  harness.set_config(R"({"tools":{"web":{"search":{"provider":"brave"}}}})");
  auto explicit_brave = harness.call("web_search", R"({"query":"x"})");
  EXPECT_TRUE(explicit_brave.is_error);
  EXPECT_NE(explicit_brave.text.find("BRAVE_API_KEY"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

// The key-free DuckDuckGo provider parses the HTML results page.
TEST(WebSearch, ParsesDuckDuckGoHtml) {
  FakeWebServer server;
  server.route("/html/", {.headers = {{"Content-Type", "text/html; charset=utf-8"}},
                          .body = std::string(kDuckDuckGoPage)});
  WebToolHarness harness(options_for(server, {}),
                         R"({"tools":{"web":{"search":{"provider":"duckduckgo"}}},
                             "plugins":{"entries":{"duckduckgo":{"config":{"webSearch":
                               {"region":"de-de","safeSearch":"strict"}}}}}})");
  auto output = harness.call("web_search", R"({"query":"crab pincers"})");
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_EQ(result.at("provider").as_string(), "duckduckgo");
  const auto& results = result.at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].as_object().at("title").as_string(), "Crab pincers explained");
  EXPECT_EQ(results[0].as_object().at("url").as_string(), "https://example.com/crabs?a=1");
  EXPECT_EQ(results[0].as_object().at("snippet").as_string(), "How crabs use their claws.");
  EXPECT_EQ(results[1].as_object().at("url").as_string(), "https://direct.example/page");
  EXPECT_EQ(results[1].as_object().at("snippet").as_string(), "Second snippet");
  auto target = server.requests().at(0).target;
  EXPECT_NE(target.find("q=crab%20pincers"), std::string::npos) << target;
  EXPECT_NE(target.find("kl=de-de"), std::string::npos) << target;
  EXPECT_NE(target.find("kp=1"), std::string::npos) << target;
}

// A bot-challenge page is reported as such, not as "no results".
TEST(WebSearch, DuckDuckGoChallengeIsAnError) {
  auto parsed = parse_duckduckgo_html(
      R"(<html><body><form id="challenge-form" action="/anomaly"></form></body></html>)");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message.find("bot challenge"), std::string::npos);
}

// Bad arguments name the argument; an unknown provider names the config key.
TEST(WebSearch, RejectsBadArguments) {
  FakeWebServer server;
  WebToolHarness harness(options_for(server, {{"BRAVE_API_KEY", "k"}}));
  auto missing = harness.call("web_search", "{}");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("query"), std::string::npos);
  auto count = harness.call("web_search", R"({"query":"x","count":50})");
  EXPECT_TRUE(count.is_error);
  EXPECT_NE(count.text.find("count"), std::string::npos);
  auto freshness = harness.call("web_search", R"({"query":"x","freshness":"decade"})");
  EXPECT_TRUE(freshness.is_error);
  EXPECT_NE(freshness.text.find("freshness"), std::string::npos);
  auto dates = harness.call("web_search", R"({"query":"x","date_before":"2024-01-01"})");
  EXPECT_TRUE(dates.is_error);
  harness.set_config(R"({"tools":{"web":{"search":{"provider":"brvae"}}}})");
  auto provider = harness.call("web_search", R"({"query":"x"})");
  EXPECT_TRUE(provider.is_error);
  EXPECT_NE(provider.text.find("tools.web.search.provider"), std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace pincer::tools::web
