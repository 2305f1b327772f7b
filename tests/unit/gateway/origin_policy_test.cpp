#include "gateway/origin_policy.hpp"

#include <gtest/gtest.h>

namespace pincer::gateway {
namespace {

core::GatewayConfig config_with(std::vector<std::string> allowed = {}) {
  core::GatewayConfig config;
  config.control_ui_allowed_origins = std::move(allowed);
  return config;
}

// CLI and node clients send no Origin: nothing to check.
TEST(OriginPolicy, NoOriginIsAllowed) {
  EXPECT_TRUE(check_origin("", "127.0.0.1:18789", config_with(), true).allowed);
}

// A page from another site must not drive the gateway with the user's browser.
TEST(OriginPolicy, CrossOriginIsRefusedWithAHint) {
  auto decision = check_origin("http://evil.example", "127.0.0.1:18789", config_with(), true);
  EXPECT_FALSE(decision.allowed);
  EXPECT_NE(decision.reason.find("origin not allowed: http://evil.example"), std::string::npos);
  EXPECT_NE(decision.reason.find("gateway.controlUi.allowedOrigins"), std::string::npos);
}

// The Control UI served by the gateway itself connects back to the same host:port.
TEST(OriginPolicy, PrivateSameOriginIsAllowed) {
  auto config = config_with();
  EXPECT_TRUE(check_origin("http://192.168.1.5:18789", "192.168.1.5:18789", config, false).allowed);
  EXPECT_TRUE(check_origin("http://box.local:18789", "box.local:18789", config, false).allowed);
  EXPECT_TRUE(
      check_origin("https://box.tail1234.ts.net", "box.tail1234.ts.net", config, false).allowed);
  EXPECT_FALSE(check_origin("http://192.168.1.5:9999", "192.168.1.5:18789", config, false).allowed);
}

// DNS rebinding makes Origin and Host agree for any public name, so that alone is not enough.
TEST(OriginPolicy, PublicSameOriginNeedsAllowlistOrFallback) {
  auto config = config_with();
  EXPECT_FALSE(
      check_origin("http://rebind.example:18789", "rebind.example:18789", config, false).allowed);
  config.control_ui_allow_host_header_origin_fallback = true;
  EXPECT_TRUE(
      check_origin("http://rebind.example:18789", "rebind.example:18789", config, false).allowed);
}

// Listed origins match scheme, host and port, with default ports filled in.
TEST(OriginPolicy, AllowlistMatchesExactOrigin) {
  auto config = config_with({"https://control.example.com"});
  EXPECT_TRUE(check_origin("https://control.example.com", "10.0.0.2:18789", config, false).allowed);
  EXPECT_TRUE(
      check_origin("https://Control.Example.com:443", "10.0.0.2:18789", config, false).allowed);
  EXPECT_FALSE(check_origin("http://control.example.com", "10.0.0.2:18789", config, false).allowed);
  EXPECT_TRUE(check_origin("http://anything.example", "x", config_with({"*"}), false).allowed);
}

// Loopback pages may connect to a loopback-only gateway, on any port.
TEST(OriginPolicy, LoopbackOriginNeedsLoopbackListener) {
  auto config = config_with();
  EXPECT_TRUE(check_origin("http://localhost:5173", "127.0.0.1:18789", config, true).allowed);
  EXPECT_TRUE(check_origin("http://[::1]:5173", "127.0.0.1:18789", config, true).allowed);
  EXPECT_FALSE(check_origin("http://localhost:5173", "10.0.0.2:18789", config, false).allowed);
}

// Sandboxed iframes and file:// pages send "null"; they are not an origin anyone can list.
TEST(OriginPolicy, MalformedOriginIsRefused) {
  EXPECT_FALSE(check_origin("null", "127.0.0.1:18789", config_with(), true).allowed);
  EXPECT_FALSE(check_origin("http://a.example/path", "a.example", config_with(), true).allowed);
}

}  // namespace
}  // namespace pincer::gateway
