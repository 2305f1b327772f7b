#include "gateway/proxy_identity.hpp"

#include <gtest/gtest.h>

#include <map>

namespace pincer::gateway {
namespace {

HeaderLookup headers(std::map<std::string, std::string> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

core::GatewayConfig proxy_config() {
  core::GatewayConfig config;
  config.auth.mode = core::AuthMode::trusted_proxy;
  config.auth.trusted_proxy.user_header = "X-Forwarded-User";
  config.trusted_proxies = {"10.0.0.1", "172.16.0.0/12"};
  return config;
}

// Ranges and mapped addresses match; native IPv6 never matches an IPv4 range.
TEST(ProxyIdentity, TrustedProxyMatchesIpsAndCidrs) {
  std::vector<std::string> proxies{"10.0.0.1", "172.16.0.0/12", "::ffff:192.168.0.0/112",
                                   "fd00::/8"};
  EXPECT_TRUE(is_trusted_proxy("10.0.0.1", proxies));
  EXPECT_TRUE(is_trusted_proxy("::ffff:10.0.0.1", proxies));
  EXPECT_TRUE(is_trusted_proxy("172.20.1.1", proxies));
  EXPECT_TRUE(is_trusted_proxy("192.168.3.4", proxies));
  EXPECT_TRUE(is_trusted_proxy("fd12::1", proxies));
  EXPECT_FALSE(is_trusted_proxy("10.0.0.2", proxies));
  EXPECT_FALSE(is_trusted_proxy("not-an-ip", proxies));
}

// Anyone can send forwarding and identity headers; only a configured proxy is believed.
TEST(ProxyIdentity, HeadersFromUntrustedPeerAreIgnored) {
  auto identity = resolve_proxy_identity(
      proxy_config(), "203.0.113.9",
      headers({{"x-forwarded-for", "1.2.3.4"}, {"x-forwarded-user", "mallory@example.com"}}));
  EXPECT_EQ(identity.client_address, "203.0.113.9");
  EXPECT_FALSE(identity.via_trusted_proxy);
  EXPECT_EQ(identity.user, "");
  EXPECT_EQ(identity.problem, "trusted_proxy_untrusted_source");
}

// The client is the right-most hop that is not one of our proxies.
TEST(ProxyIdentity, TrustedProxySuppliesClientAndUser) {
  auto identity =
      resolve_proxy_identity(proxy_config(), "10.0.0.1",
                             headers({{"x-forwarded-for", "6.6.6.6, 198.51.100.7, 172.16.0.5"},
                                      {"x-forwarded-user", " nick@example.com "}}));
  EXPECT_TRUE(identity.via_trusted_proxy);
  EXPECT_EQ(identity.client_address, "198.51.100.7");
  EXPECT_FALSE(identity.client_loopback);
  EXPECT_EQ(identity.user, "nick@example.com");
  EXPECT_EQ(identity.problem, "");
}

// requiredHeaders and allowUsers gate the asserted identity.
TEST(ProxyIdentity, RequiredHeadersAndAllowUsers) {
  auto config = proxy_config();
  config.auth.trusted_proxy.required_headers = {"X-Forwarded-Proto"};
  config.auth.trusted_proxy.allow_users = {"nick@example.com"};
  auto missing = resolve_proxy_identity(
      config, "10.0.0.1",
      headers({{"x-forwarded-for", "198.51.100.7"}, {"x-forwarded-user", "nick@example.com"}}));
  EXPECT_EQ(missing.user, "");
  EXPECT_EQ(missing.problem, "trusted_proxy_missing_header_x-forwarded-proto");
  auto stranger = resolve_proxy_identity(config, "10.0.0.1",
                                         headers({{"x-forwarded-for", "198.51.100.7"},
                                                  {"x-forwarded-proto", "https"},
                                                  {"x-forwarded-user", "eve@example.com"}}));
  EXPECT_EQ(stranger.problem, "trusted_proxy_user_not_allowed");
  auto nick = resolve_proxy_identity(config, "10.0.0.1",
                                     headers({{"x-forwarded-for", "198.51.100.7"},
                                              {"x-forwarded-proto", "https"},
                                              {"x-forwarded-user", "nick@example.com"}}));
  EXPECT_EQ(nick.user, "nick@example.com");
}

// A proxy on this host is trusted only with allowLoopback, and never vouches for a loopback
// client (that would make a proxied request look local).
TEST(ProxyIdentity, LoopbackProxyNeedsOptIn) {
  auto config = proxy_config();
  config.trusted_proxies.push_back("127.0.0.1");
  auto request = headers({{"x-forwarded-for", "198.51.100.7"}, {"x-forwarded-user", "nick"}});
  EXPECT_EQ(resolve_proxy_identity(config, "127.0.0.1", request).problem,
            "trusted_proxy_loopback_source");
  config.auth.trusted_proxy.allow_loopback = true;
  auto ok = resolve_proxy_identity(config, "127.0.0.1", request);
  EXPECT_EQ(ok.user, "nick");
  EXPECT_FALSE(ok.client_loopback);
  auto local = resolve_proxy_identity(
      config, "127.0.0.1", headers({{"x-forwarded-for", "127.0.0.1"}, {"x-forwarded-user", "n"}}));
  EXPECT_EQ(local.problem, "proxy_attribution_required");
}

// Outside trusted-proxy mode a trusted proxy still supplies the client address (rate limits).
TEST(ProxyIdentity, TokenModeUsesForwardedAddressOnly) {
  auto config = proxy_config();
  config.auth.mode = core::AuthMode::token;
  auto identity = resolve_proxy_identity(
      config, "10.0.0.1",
      headers({{"x-forwarded-for", "198.51.100.7"}, {"x-forwarded-user", "nick"}}));
  EXPECT_EQ(identity.client_address, "198.51.100.7");
  EXPECT_EQ(identity.user, "");
  EXPECT_EQ(identity.problem, "");
  config.allow_real_ip_fallback = true;
  auto real_ip =
      resolve_proxy_identity(config, "10.0.0.1", headers({{"x-real-ip", "198.51.100.8"}}));
  EXPECT_EQ(real_ip.client_address, "198.51.100.8");
}

// A local proxy nobody configured relays remote users: its connections are not local.
TEST(ProxyIdentity, ForwardingHeadersOnLoopbackAreNotLocal) {
  core::GatewayConfig config;
  EXPECT_TRUE(resolve_proxy_identity(config, "127.0.0.1", headers({})).client_loopback);
  auto relayed =
      resolve_proxy_identity(config, "127.0.0.1", headers({{"x-forwarded-for", "1.2.3.4"}}));
  EXPECT_FALSE(relayed.client_loopback);
  EXPECT_EQ(relayed.client_address, "127.0.0.1");
}

}  // namespace
}  // namespace pincer::gateway
