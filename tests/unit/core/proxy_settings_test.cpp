#include "core/proxy_settings.hpp"

#include <gtest/gtest.h>

namespace pincer::core {
namespace {

ProxyChoice env_choice(std::string https_proxy, std::string http_proxy, std::string no_proxy) {
  ProxyChoice choice;
  choice.environment = {std::move(https_proxy), std::move(http_proxy), std::move(no_proxy)};
  return choice;
}

// HTTPS_PROXY serves https targets, HTTP_PROXY http ones.
TEST(ProxySettings, PicksTheProxyForTheScheme) {
  auto choice = env_choice("http://secure-proxy:3128", "http://plain-proxy:8080", "");
  auto https = select_proxy(choice, "https", "api.anthropic.com", 443);
  ASSERT_TRUE(https && *https);
  EXPECT_EQ((*https)->host, "secure-proxy");
  EXPECT_EQ((*https)->port, 3128);
  auto http = select_proxy(choice, "http", "models.internal", 80);
  ASSERT_TRUE(http && *http);
  EXPECT_EQ((*http)->host, "plain-proxy");
}

// Loopback targets never use the proxy unless a test asks for it.
TEST(ProxySettings, LoopbackGoesDirect) {
  auto choice = env_choice("http://proxy:3128", "http://proxy:3128", "");
  for (const char* host : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "a.localhost"}) {
    auto selected = select_proxy(choice, "http", host, 11434);
    ASSERT_TRUE(selected);
    EXPECT_FALSE(selected->has_value()) << host;
  }
  choice.bypass_loopback = false;
  auto forced = select_proxy(choice, "http", "127.0.0.1", 11434);
  ASSERT_TRUE(forced && *forced);
}

// NO_PROXY: "*", domains with their subdomains, leading dots, IPs, CIDR ranges and ports.
TEST(ProxySettings, NoProxyMatching) {
  EXPECT_TRUE(no_proxy_matches("*", "api.openai.com", 443));
  EXPECT_TRUE(no_proxy_matches("example.com", "example.com", 443));
  EXPECT_TRUE(no_proxy_matches("example.com", "api.example.com", 443));
  EXPECT_FALSE(no_proxy_matches("example.com", "badexample.com", 443));
  EXPECT_TRUE(no_proxy_matches(".example.com", "api.example.com", 443));
  EXPECT_TRUE(no_proxy_matches("foo, EXAMPLE.com ", "Api.Example.Com", 443));
  EXPECT_TRUE(no_proxy_matches("10.0.0.0/8", "10.1.2.3", 80));
  EXPECT_FALSE(no_proxy_matches("10.0.0.0/8", "11.1.2.3", 80));
  EXPECT_TRUE(no_proxy_matches("fd00::/8", "fd12::1", 80));
  EXPECT_TRUE(no_proxy_matches("192.168.1.5", "192.168.1.5", 80));
  EXPECT_TRUE(no_proxy_matches("internal:8080", "internal", 8080));
  EXPECT_FALSE(no_proxy_matches("internal:8080", "internal", 443));
  EXPECT_FALSE(no_proxy_matches("", "internal", 443));

  auto choice = env_choice("http://proxy:3128", "", "internal.corp");
  auto selected = select_proxy(choice, "https", "llm.internal.corp", 443);
  ASSERT_TRUE(selected);
  EXPECT_FALSE(selected->has_value());
}

// An explicit proxy wins over the environment; with neither, calls go direct.
TEST(ProxySettings, ExplicitProxyAndNone) {
  auto choice = env_choice("http://env-proxy:1", "", "");
  choice.explicit_proxy = "config-proxy:3128";
  auto selected = select_proxy(choice, "https", "api.anthropic.com", 443);
  ASSERT_TRUE(selected && *selected);
  EXPECT_EQ((*selected)->host, "config-proxy");
  choice = env_choice("", "", "");
  auto direct = select_proxy(choice, "https", "api.anthropic.com", 443);
  ASSERT_TRUE(direct);
  EXPECT_FALSE(direct->has_value());
  choice = env_choice("http://env-proxy:1", "", "");
  choice.use_environment = false;
  EXPECT_FALSE(select_proxy(choice, "https", "api.anthropic.com", 443)->has_value());
}

// Credentials in the proxy URL become a Basic Proxy-Authorization; https:// proxies are refused.
TEST(ProxySettings, ParsesProxyUrls) {
  auto with_auth = parse_proxy_url("http://user:pass@proxy.corp:8080");
  ASSERT_TRUE(with_auth);
  EXPECT_EQ(with_auth->host, "proxy.corp");
  EXPECT_EQ(with_auth->port, 8080);
  EXPECT_EQ(with_auth->authorization, "Basic dXNlcjpwYXNz");
  auto default_port = parse_proxy_url("http://proxy.corp");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->port, 80);
  auto tls = parse_proxy_url("https://proxy.corp:443");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("only http://"), std::string::npos);
}

}  // namespace
}  // namespace pincer::core
