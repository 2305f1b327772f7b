#include <gtest/gtest.h>

#include <chrono>

#include "fake_web_server.hpp"
#include "tools/web/charset.hpp"
#include "tools/web/readable_content.hpp"
#include "web_tool_harness.hpp"

namespace pincer::tools::web {
namespace {

using testing::FakeWebReply;
using testing::FakeWebServer;
using testing::WebToolHarness;

WebToolOptions loopback_allowed() {
  WebToolOptions options;
  options.allow_loopback_for_test = true;  // explicit: the fake lives on 127.0.0.1
  return options;
}

FakeWebReply html(std::string body, std::string content_type = "text/html; charset=utf-8") {
  return FakeWebReply{.headers = {{"Content-Type", std::move(content_type)}},
                      .body = std::move(body)};
}

std::string fetch_args(const std::string& url, std::string extra = "") {
  return R"({"url":")" + url + "\"" + extra + "}";
}

constexpr std::string_view kArticle = R"(<!doctype html>
<html><head><title>The  Test   Page</title><style>body{color:red}</style>
<script>var secret = "do not show";</script></head>
<body><nav><a href="/home">Home</a> | <a href="/about">About</a></nav>
<main>
<h1>Main heading</h1>
<p>First <strong>bold</strong> and <em>soft</em> paragraph with a <a href="/docs/x?y=1">relative link</a>.</p>
<h2>Lists</h2>
<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul>
<ol><li>first</li><li>second</li></ol>
<pre><code>int main() {
  return 0;
}</code></pre>
<p>Inline <code>x = 1</code> code &amp; entities &eacute; &#233; &#x263A;</p>
<table><tr><th>Name</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
<blockquote><p>Quoted words</p></blockquote>
<div hidden>invisible</div>
</main>
<footer>Copyright footer</footer></body></html>)";

// An HTML page becomes markdown: structure kept, boilerplate and scripts dropped.
TEST(WebFetch, ConvertsHtmlPageToMarkdown) {
  FakeWebServer server;
  server.route("/article", html(std::string(kArticle)));
  WebToolHarness harness(loopback_allowed());
  auto output = harness.call("web_fetch", fetch_args(server.url("/article")));
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_EQ(result.at("title").as_string(), "The Test Page");
  EXPECT_EQ(result.at("finalUrl").as_string(), server.url("/article"));
  EXPECT_EQ(result.at("status").as_int64(), 200);
  std::string text(result.at("text").as_string());
  EXPECT_NE(text.find("# Main heading"), std::string::npos) << text;
  EXPECT_NE(text.find("## Lists"), std::string::npos) << text;
  EXPECT_NE(text.find("First **bold** and *soft* paragraph"), std::string::npos) << text;
  EXPECT_NE(text.find("[relative link](" + server.url("/docs/x?y=1") + ")"), std::string::npos)
      << text;
  EXPECT_NE(text.find("- one\n- two\n  - nested"), std::string::npos) << text;
  EXPECT_NE(text.find("1. first\n2. second"), std::string::npos) << text;
  EXPECT_NE(text.find("```\nint main() {\n  return 0;\n}\n```"), std::string::npos) << text;
  EXPECT_NE(text.find("`x = 1`"), std::string::npos) << text;
  EXPECT_NE(text.find("& entities é é ☺"), std::string::npos) << text;
  EXPECT_NE(text.find("| Name | Value |\n| --- | --- |\n| a | 1 |"), std::string::npos) << text;
  EXPECT_NE(text.find("> Quoted words"), std::string::npos) << text;
  for (std::string_view gone : {"secret", "color:red", "Home", "footer", "invisible"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone << " in:\n" << text;
  }
  // A real browser-like request: a User-Agent, and no compressed bodies.
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_NE(requests[0].headers["user-agent"].find("Mozilla"), std::string::npos);
  EXPECT_EQ(requests[0].headers["accept-encoding"], "identity");
}

// extractMode "text" gives the words without markdown syntax.
TEST(WebFetch, TextModeHasNoMarkup) {
  FakeWebServer server;
  server.route("/article", html(std::string(kArticle)));
  WebToolHarness harness(loopback_allowed());
  auto output =
      harness.call("web_fetch", fetch_args(server.url("/article"), R"(,"extractMode":"text")"));
  ASSERT_FALSE(output.is_error) << output.text;
  std::string text(WebToolHarness::result(output).at("text").as_string());
  EXPECT_NE(text.find("Main heading"), std::string::npos);
  EXPECT_NE(text.find("First bold and soft paragraph with a relative link."), std::string::npos)
      << text;
  EXPECT_EQ(text.find("**"), std::string::npos);
  EXPECT_EQ(text.find("# "), std::string::npos);
}

// Redirects are followed (relative Location too) and the final URL is reported.
TEST(WebFetch, FollowsRedirects) {
  FakeWebServer server;
  server.route("/start", {.status = 301, .headers = {{"Location", server.url("/middle")}}});
  server.route("/middle", {.status = 302, .headers = {{"Location", "/final?x=1"}}});
  server.route("/final", html("<html><head><title>Arrived</title></head><body>ok</body></html>"));
  WebToolHarness harness(loopback_allowed());
  auto output = harness.call("web_fetch", fetch_args(server.url("/start")));
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_EQ(result.at("finalUrl").as_string(), server.url("/final?x=1"));
  EXPECT_EQ(result.at("url").as_string(), server.url("/start"));
  EXPECT_EQ(result.at("title").as_string(), "Arrived");
  EXPECT_EQ(result.at("redirects").as_int64(), 2);
}

// Each hop goes through the guard: a redirect to a private or metadata address is refused.
TEST(WebFetch, RefusesRedirectToPrivateAddress) {
  FakeWebServer server;
  server.route("/meta", {.status = 302,
                         .headers = {{"Location", "http://169.254.169.254/latest/meta-data/"}}});
  server.route("/lan", {.status = 307, .headers = {{"Location", "http://10.0.0.1/admin"}}});
  WebToolHarness harness(loopback_allowed());
  for (const char* path : {"/meta", "/lan"}) {
    auto output = harness.call("web_fetch", fetch_args(server.url(path)));
    EXPECT_TRUE(output.is_error) << path;
    EXPECT_NE(output.text.find("refused"), std::string::npos) << output.text;
  }
}

// More hops than tools.web.fetch.maxRedirects fail with a clear error.
TEST(WebFetch, StopsAfterMaxRedirects) {
  FakeWebServer server;
  server.route("/loop", {.status = 302, .headers = {{"Location", "/loop"}}});
  WebToolHarness harness(loopback_allowed(), R"({"tools":{"web":{"fetch":{"maxRedirects":2}}}})");
  auto output = harness.call("web_fetch", fetch_args(server.url("/loop")));
  EXPECT_TRUE(output.is_error);
  EXPECT_NE(output.text.find("too many redirects"), std::string::npos) << output.text;
  EXPECT_EQ(server.requests().size(), 3u);
}

// A latin1 page (header charset, or <meta charset>) comes back as UTF-8.
TEST(WebFetch, ConvertsLatin1ToUtf8) {
  FakeWebServer server;
  server.route("/header", html("<p>caf\xE9 \x80 na\xEFve</p>", "text/html; charset=ISO-8859-1"));
  server.route("/meta", html("<html><head><meta charset=\"windows-1252\"></head>"
                             "<body><p>Gr\xFC\xDF Gott</p></body></html>",
                             "text/html"));
  WebToolHarness harness(loopback_allowed());
  auto header = harness.call("web_fetch", fetch_args(server.url("/header")));
  ASSERT_FALSE(header.is_error) << header.text;
  EXPECT_EQ(WebToolHarness::result(header).at("text").as_string(), "café € naïve");
  auto meta = harness.call("web_fetch", fetch_args(server.url("/meta")));
  ASSERT_FALSE(meta.is_error) << meta.text;
  EXPECT_EQ(WebToolHarness::result(meta).at("text").as_string(), "Grüß Gott");
}

// Charset detection order: BOM, header, meta; invalid UTF-8 is replaced, not passed on.
TEST(WebFetch, DetectsCharsets) {
  EXPECT_EQ(detect_charset("text/html; charset=\"Shift_JIS\"", "", true), "shift_jis");
  EXPECT_EQ(detect_charset("text/html", "\xEF\xBB\xBF<p>x</p>", true), "utf-8");
  EXPECT_EQ(
      detect_charset("text/html",
                     R"(<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">)",
                     true),
      "windows-1252");
  EXPECT_EQ(detect_charset("", "<p>plain</p>", true), "utf-8");
  EXPECT_EQ(to_utf8("ok \xFF\xFE end", "utf-8"), "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
}

// Binary content is summarised, not dumped into the model's context.
TEST(WebFetch, SummarisesBinaryContent) {
  FakeWebServer server;
  server.route("/logo.png", {.headers = {{"Content-Type", "image/png"}},
                             .body = std::string("\x89PNG\r\n\x1a\n\0\0", 10)});
  WebToolHarness harness(loopback_allowed());
  auto output = harness.call("web_fetch", fetch_args(server.url("/logo.png")));
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_EQ(result.at("text").as_string(), "");
  EXPECT_NE(result.at("warning").as_string().find("binary content (image/png)"), std::string::npos);
}

// A 50 MB page is cut off at maxResponseBytes while it streams: the download stops early and
// the beginning comes back marked truncated.
TEST(WebFetch, CapsHugePageWhileStreaming) {
  FakeWebServer server;
  std::string chunk = "<p>" + std::string(65536 - 7, 'a') + "</p>\n";
  server.route("/huge", {.headers = {{"Content-Type", "text/html"}},
                         .body = chunk,
                         .stream_bytes = std::size_t{50} * 1024 * 1024});
  WebToolHarness harness(loopback_allowed(),
                         R"({"tools":{"web":{"fetch":{"maxResponseBytes":100000}}}})");
  auto started = std::chrono::steady_clock::now();
  auto output = harness.call("web_fetch", fetch_args(server.url("/huge"), R"(,"maxChars":1000)"));
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_TRUE(result.at("truncated").as_bool());
  EXPECT_NE(result.at("warning").as_string().find("maxResponseBytes"), std::string::npos);
  EXPECT_LE(result.at("length").as_int64(), 1000);
  EXPECT_LT(result.at("rawLength").as_int64(), 100'001);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  // The fake could not push the whole 50 MB: the client hung up (socket buffers hold a few MB).
  EXPECT_LT(server.streamed_bytes(), std::size_t{40} * 1024 * 1024);
}

// maxChars cuts the text and says so.
TEST(WebFetch, TruncatesToMaxChars) {
  FakeWebServer server;
  server.route("/long",
               {.headers = {{"Content-Type", "text/plain"}}, .body = std::string(5000, 'x')});
  WebToolHarness harness(loopback_allowed());
  auto output = harness.call("web_fetch", fetch_args(server.url("/long"), R"(,"maxChars":300)"));
  ASSERT_FALSE(output.is_error) << output.text;
  auto result = WebToolHarness::result(output);
  EXPECT_EQ(result.at("text").as_string().size(), 300u);
  EXPECT_TRUE(result.at("truncated").as_bool());
  EXPECT_EQ(result.at("rawLength").as_int64(), 5000);
  EXPECT_NE(result.at("warning").as_string().find("maxChars"), std::string::npos);
}

// A server that accepts and never answers is given up on at timeoutSeconds.
TEST(WebFetch, TimesOutOnHangingServer) {
  FakeWebServer server;
  server.route("/hang", {.hang = true});
  WebToolHarness harness(loopback_allowed(), R"({"tools":{"web":{"fetch":{"timeoutSeconds":1}}}})");
  auto started = std::chrono::steady_clock::now();
  auto output = harness.call("web_fetch", fetch_args(server.url("/hang")));
  EXPECT_TRUE(output.is_error);
  EXPECT_NE(output.text.find("timed out"), std::string::npos) << output.text;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// An HTTP error status is an error result that still shows what the server said.
TEST(WebFetch, HttpErrorStatusIsAnError) {
  FakeWebServer server;
  WebToolHarness harness(loopback_allowed());
  auto output = harness.call("web_fetch", fetch_args(server.url("/missing")));
  EXPECT_TRUE(output.is_error);
  EXPECT_NE(output.text.find("HTTP 404"), std::string::npos) << output.text;
}

// Bad arguments name the argument and the problem.
TEST(WebFetch, RejectsBadArguments) {
  WebToolHarness harness(loopback_allowed());
  auto missing = harness.call("web_fetch", "{}");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("url"), std::string::npos);
  auto scheme = harness.call("web_fetch", R"({"url":"ftp://example.com/file"})");
  EXPECT_TRUE(scheme.is_error);
  EXPECT_NE(scheme.text.find("only http and https"), std::string::npos) << scheme.text;
  auto junk = harness.call("web_fetch", R"({"url":"not a url"})");
  EXPECT_TRUE(junk.is_error);
  auto mode = harness.call("web_fetch", R"({"url":"http://example.com","extractMode":"pdf"})");
  EXPECT_TRUE(mode.is_error);
  EXPECT_NE(mode.text.find("extractMode"), std::string::npos);
  auto chars = harness.call("web_fetch", R"({"url":"http://example.com","maxChars":"lots"})");
  EXPECT_TRUE(chars.is_error);
  EXPECT_NE(chars.text.find("maxChars"), std::string::npos);
}

// Without <main>/<article> the body is used; a page without <title> takes its first <h1>.
TEST(WebFetch, ReadableFallsBackToBodyAndH1) {
  auto page = extract_readable("<body><h1>Only &lt;h1&gt;</h1><p>Body text.</p></body>",
                               ExtractMode::markdown, "https://example.com/a/b");
  EXPECT_EQ(page.title, "Only <h1>");
  EXPECT_EQ(page.content, "# Only <h1>\n\nBody text.");
}

}  // namespace
}  // namespace pincer::tools::web
