#include "core/redact.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <boost/json.hpp>

namespace pincer::core {
namespace {

namespace json = boost::json;

std::string redacted(std::string_view text) {
  Redactor redactor;
  return redactor.redact(text);
}

// The secret is gone from the output, and the rest of the line is kept.
void expect_masked(std::string_view text, std::string_view secret, std::string_view kept = {}) {
  std::string out = redacted(text);
  EXPECT_EQ(out.find(secret), std::string::npos) << out;
  if (!kept.empty()) {
    EXPECT_NE(out.find(kept), std::string::npos) << out;
  }
}

// Long matches keep the first 6 and last 4 characters, as the reference system does.
TEST(Redactor, MaskKeepsHintOnlyForLongAsciiValues) {
  EXPECT_EQ(Redactor::mask("abcdefghijklmnopqrstuvwxyz"), "abcdef\u2026wxyz");
  EXPECT_EQ(Redactor::mask("abcdefghijklmnopq"), "***");  // 17 chars: too short for a hint
  EXPECT_EQ(Redactor::mask("abcdefghijklmnopqr"), "abcdef\u2026opqr");
  EXPECT_EQ(Redactor::mask("p\xc3\xa4sswortp\xc3\xa4sswortp\xc3\xa4sswort"), "***");
}

// OpenAI, Anthropic and Stripe style keys.
TEST(Redactor, MasksSkKeys) {
  const std::string key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123";
  EXPECT_EQ(redacted("using key " + key + " for anthropic"),
            "using key sk-ant\u2026" + key.substr(key.size() - 4) + " for anthropic");
  expect_masked("openai sk-proj-abcdefghijklmnopqrstuvwx done", "abcdefghijklmnopqrstuvwx", "done");
  expect_masked("stripe=sk_live_51HqLyjWDarjtT1zdp7dc", "51HqLyjWDarjtT1zdp7dc");
}

TEST(Redactor, MasksBearerTokenButKeepsScheme) {
  EXPECT_EQ(redacted("sent Bearer abcdefghijklmnop1234 upstream"),
            "sent Bearer abcdef\u20261234 upstream");
  EXPECT_EQ(redacted("bearer\tabcdefghijklmnopqrst.uvw"), "bearer\tabcdef\u2026.uvw");
}

TEST(Redactor, MasksTelegramBotToken) {
  expect_masked("GET /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq/getUpdates",
                "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq", "/getUpdates");
  // The bot's own token, as set in channels.telegram.botToken, on its own.
  EXPECT_EQ(redacted("7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq"), "701234\u2026sawq");
}

TEST(Redactor, MasksSlackTokens) {
  expect_masked("bot xoxb-1234567890-0987654321-AbCdEfGhIjKl ok", "0987654321-AbCdEfGhIjKl", "ok");
  expect_masked("app xapp-1-A0123456789-1234567890-abcdef0123", "A0123456789-1234567890");
}

TEST(Redactor, MasksGitHubTokens) {
  expect_masked("gh ghp_0123456789abcdefghijABCDEFGHIJ012345 x", "0123456789abcdefghij");
  expect_masked("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnop");
}

TEST(Redactor, MasksGoogleAndAwsKeys) {
  expect_masked("key AIzaSyA-1234567890abcdefghijklmnopqrstu end", "1234567890abcdefghij", "end");
  expect_masked("aws AKIAIOSFODNN7EXAMPLE region", "IOSFODNN7EXAMPLE", "region");
}

TEST(Redactor, MasksJwt) {
  expect_masked(
      "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlF",
      "eyJzdWIiOiIxMjM0NTY3ODkwIn0");
}

// The body of a private key goes; the armour lines stay so the reader sees what it was.
TEST(Redactor, MasksPrivateKeyBlock) {
  std::string text =
      "loaded -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\nxyz+/abc==\n"
      "-----END RSA PRIVATE KEY----- from disk";
  EXPECT_EQ(redacted(text),
            "loaded -----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY----- from disk");
  // Cut off before its END line: everything after BEGIN goes.
  EXPECT_EQ(redacted("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg"),
            "-----BEGIN PRIVATE KEY-----***");
  // A public key or certificate is not a secret.
  std::string cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----";
  EXPECT_EQ(redacted(cert), cert);
}

TEST(Redactor, MasksUrlCredentials) {
  EXPECT_EQ(redacted("proxy https://alice:s3cretPass@proxy.example.com:8080/x"),
            "proxy https://alice:***@proxy.example.com:8080/x");
  std::string plain = "see https://example.com:8443/path?q=1 and mailto:bob@example.com";
  EXPECT_EQ(redacted(plain), plain);
}

// key=value, key: value, JSON fragments, query strings and CLI flags in free text.
TEST(Redactor, MasksValuesOfSensitiveKeysInText) {
  EXPECT_EQ(redacted("login password=hunter2 user=bob"), "login password=*** user=bob");
  EXPECT_EQ(redacted("gateway.auth.token = abc123 ok"), "gateway.auth.token = *** ok");
  EXPECT_EQ(redacted(R"(body {"botToken":"12345:abc","chat":1})"),
            R"(body {"botToken":"***","chat":1})");
  EXPECT_EQ(redacted(R"(raw {\"api_key\":\"k-123\"})"), R"(raw {\"api_key\":\"***\"})");
  EXPECT_EQ(redacted("GET /cb?access_token=abc.def&state=42"), "GET /cb?access_token=***&state=42");
  EXPECT_EQ(redacted("exec tool --api-key abc123 --verbose"), "exec tool --api-key *** --verbose");
  EXPECT_EQ(redacted("X-Api-Key: 0123abcd"), "X-Api-Key: ***");
  EXPECT_EQ(redacted("clientSecret='two words'"), "clientSecret='***'");
  EXPECT_EQ(redacted("PRIVATE_KEY=abc"), "PRIVATE_KEY=***");
}

// Header-style values run to the end of the line; the auth scheme stays visible.
TEST(Redactor, MasksAuthorizationAndCookieHeaders) {
  EXPECT_EQ(redacted("Authorization: Basic dXNlcjpwYXNz\nHost: x"),
            "Authorization: Basic ***\nHost: x");
  EXPECT_EQ(redacted("authorization=Bearer abc next"), "authorization=Bearer *** next");
  EXPECT_EQ(redacted("Cookie: sid=abc; theme=dark\nAccept: */*"), "Cookie: ***\nAccept: */*");
  EXPECT_EQ(redacted(R"({"authorization":"Bearer xyz"})"), R"({"authorization":"Bearer ***"})");
}

// Ordinary log lines come back untouched and without a copy.
TEST(Redactor, LeavesOrdinaryTextAlone) {
  Redactor redactor;
  for (std::string_view text : {
           "tokenizer loaded in 12 ms",
           "usage maxTokens=4096 input_tokens: 532 token_count=7",
           "run 123e4567-e89b-12d3-a456-426614174000 finished at 12:34:56.789",
           "session agent:main:telegram:dm:123456789 routed",
           "disk-usage 93% on /var, task-skipped",
           "the password is wrong, try again",
           "hasToken=true secret=false token=null",
           "Bearer tokens are checked by the gateway",
           "listening on ws://127.0.0.1:18789",
           "sha 9fceb02d0ae598e95dc970b74767f19372d61af8 deployed",
       }) {
    EXPECT_FALSE(redactor.redact_if_needed(text)) << text;
  }
}

// Exact values registered at runtime are masked wherever they appear, in every mode.
TEST(Redactor, MasksRegisteredValues) {
  Redactor redactor;
  redactor.add_secret("correct-horse-battery-staple");
  redactor.add_secret("short");  // under 6 characters: ignored
  EXPECT_EQ(redactor.redact("tok correct-horse-battery-staple, again:correct-horse-battery-staple"),
            "tok correc\u2026aple, again:correc\u2026aple");
  EXPECT_EQ(redactor.redact("a short word"), "a short word");

  ASSERT_TRUE(redactor.configure({.mode = RedactMode::off, .patterns = {}}));
  EXPECT_EQ(redactor.redact("x correct-horse-battery-staple password=hunter2"),
            "x correc\u2026aple password=hunter2");
}

// Mode "off" turns off shapes, key names and user patterns, not registered values.
TEST(Redactor, OffModeKeepsPatternsOut) {
  Redactor redactor;
  ASSERT_TRUE(redactor.configure({.mode = RedactMode::off, .patterns = {"internal"}}));
  std::string text = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz internal token=abc";
  EXPECT_EQ(redactor.redact(text), text);
}

TEST(Redactor, ParsesModes) {
  EXPECT_EQ(parse_redact_mode("off"), RedactMode::off);
  EXPECT_EQ(parse_redact_mode("tools"), RedactMode::tools);
  auto bad = parse_redact_mode("all");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::config);
  EXPECT_NE(bad.error().message.find("logging.redactSensitive"), std::string::npos);
}

// User patterns add to the built-ins; a capture group selects what is masked.
TEST(Redactor, AppliesUserPatterns) {
  Redactor redactor;
  ASSERT_TRUE(redactor.configure(
      {.patterns = {R"(db-[0-9]+\.corp)", R"(/ticket=(\w+)/)", "/CaseSensitive/g"}}));
  EXPECT_EQ(redactor.redact("connect DB-42.corp"), "connect ***");
  // Long matches keep the same hint as built-in matches.
  ASSERT_TRUE(redactor.configure({.patterns = {R"(db-[0-9]+\.internal\.example\.com)"}}));
  EXPECT_EQ(redactor.redact("connect db-42.internal.example.com"), "connect db-42.\u2026.com");
  ASSERT_TRUE(redactor.configure(
      {.patterns = {R"(db-[0-9]+\.corp)", R"(/ticket=(\w+)/)", "/CaseSensitive/g"}}));
  EXPECT_EQ(redactor.redact("ticket=abc123 TICKET=xyz"), "ticket=*** TICKET=xyz");
  EXPECT_EQ(redactor.redact("casesensitive CaseSensitive"), "casesensitive ***");
  // The built-ins still apply.
  EXPECT_EQ(redactor.redact("password=x ticket=abc"), "password=*** ticket=***");
  // Patterns run per line: '.' never swallows the next line.
  EXPECT_EQ(redactor.redact("db-1.corp\nok"), "***\nok");
}

TEST(Redactor, RejectsInvalidUserPatternAndKeepsPrevious) {
  Redactor redactor;
  ASSERT_TRUE(redactor.configure({.patterns = {"secretword"}}));
  auto status = redactor.configure({.patterns = {"fine", "(unclosed"}});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, Errc::config);
  EXPECT_NE(status.error().message.find("logging.redactPatterns[1]"), std::string::npos)
      << status.error().message;
  EXPECT_NE(status.error().message.find("(unclosed"), std::string::npos);
  EXPECT_FALSE(status.error().hint.empty());
  EXPECT_EQ(redactor.redact("a secretword b"), "a *** b");  // the old pattern still applies

  auto flag = redactor.configure({.patterns = {"/abc/x"}});
  ASSERT_FALSE(flag);
  EXPECT_NE(flag.error().message.find("flag 'x'"), std::string::npos);
}

// A pattern that backtracks catastrophically would stall every log call: refused up front.
TEST(Redactor, RejectsCatastrophicUserPattern) {
  Redactor redactor;
  auto status = redactor.configure({.patterns = {"((a+)+)+b"}});
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("too expensive"), std::string::npos);
}

TEST(Redactor, RedactsJsonByKeyAndByValue) {
  Redactor redactor;
  redactor.add_secret("registered-secret-value");
  json::value doc = json::parse(R"({
    "channels": {"telegram": {"botToken": "123:abc", "enabled": true}},
    "gateway": {"auth": {"token": 12345, "mode": "token"}},
    "providers": [{"name": "a", "apiKey": null}, {"name": "b", "headers": {"Authorization": "Bearer x"}}],
    "credentials": {"user": "bob", "list": ["p1", 2]},
    "usage": {"maxTokens": 4096, "input_tokens": 12},
    "note": "key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz and registered-secret-value",
    "tokenizer": "cl100k"
  })");
  redactor.redact_json(doc);
  json::value want = json::parse(R"({
    "channels": {"telegram": {"botToken": "***", "enabled": true}},
    "gateway": {"auth": {"token": "***", "mode": "token"}},
    "providers": [{"name": "a", "apiKey": "***"}, {"name": "b", "headers": {"Authorization": "***"}}],
    "credentials": {"user": "***", "list": ["***", "***"]},
    "usage": {"maxTokens": 4096, "input_tokens": 12},
    "note": "key sk-ant\u2026WxYz and regist\u2026alue",
    "tokenizer": "cl100k"
  })");
  EXPECT_EQ(doc, want) << json::serialize(doc);
}

TEST(Redactor, SensitiveKeyNames) {
  for (std::string_view key : {"token", "botToken", "api_key", "apiKey", "X-Api-Key", "PASSWORD",
                               "clientSecret", "set-cookie", "privateKey", "Authorization",
                               "gateway.auth.token", "aws_secret_access_key", "credentials"}) {
    EXPECT_TRUE(Redactor::is_sensitive_key(key)) << key;
  }
  for (std::string_view key : {"tokens", "maxTokens", "tokenizer", "token_count", "passwordless",
                               "secretRef", "keyId", "accessKeyId", "author", ""}) {
    EXPECT_FALSE(Redactor::is_sensitive_key(key)) << key;
  }
}

// Redacting twice changes nothing more: masks are not themselves matched.
TEST(Redactor, IsIdempotent) {
  Redactor redactor;
  std::string once = redactor.redact(
      "k=sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz password=hunter2 Bearer abcdefghijklmnop1234");
  EXPECT_FALSE(redactor.redact_if_needed(once)) << once;
}

// add_secret may run while other threads log.
TEST(Redactor, RegistersSecretsWhileRedactingConcurrently) {
  Redactor redactor;
  std::atomic<bool> stop = false;
  std::thread reader([&] {
    while (!stop) {
      (void)redactor.redact("value secret-num-0042 here");
    }
  });
  for (int i = 0; i < 100; ++i) {
    redactor.add_secret("secret-number-" + std::to_string(1000 + i));
  }
  redactor.add_secret("secret-num-0042");
  stop = true;
  reader.join();
  EXPECT_EQ(redactor.redact("value secret-num-0042 here"), "value *** here");
}

// Log text is untrusted: no input may crash the scanner or read past its end.
TEST(Redactor, SurvivesArbitraryText) {
  Redactor redactor;
  redactor.add_secret("registered");
  ASSERT_TRUE(redactor.configure({.patterns = {"(x)?y", "/a|/"}}));
  const std::string alphabet =
      "sk-_:=/\\\"' \n\tBbearer xoxb-ghp_AIzaAKIA eyJ.-----BEGIN PRIVATE KEY-----END@0123456789"
      "token password authorization cookie \x01\xff\xc3";
  std::mt19937 rng(42);  // fixed: a failure must reproduce
  for (int round = 0; round < 3000; ++round) {
    std::string text(rng() % 300, ' ');
    for (char& c : text) {
      c = alphabet[rng() % alphabet.size()];
    }
    std::string once = redactor.redact(text);
    EXPECT_LE(once.size(), text.size() * 4 + 16);
  }
}

}  // namespace
}  // namespace pincer::core
