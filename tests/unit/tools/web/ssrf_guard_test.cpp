#include "tools/web/ssrf_guard.hpp"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "fake_web_server.hpp"
#include "web_tool_harness.hpp"

namespace pincer::tools::web {
namespace {

std::string reason(std::string_view address, const SsrfPolicy& policy = {}) {
  return blocked_address_reason(boost::asio::ip::make_address(address), policy);
}

// Every private, local and special-purpose range is refused by default.
TEST(SsrfGuard, RefusesPrivateAndSpecialAddresses) {
  for (std::string_view address : {"127.0.0.1",
                                   "127.8.9.10",
                                   "10.0.0.1",
                                   "172.16.5.4",
                                   "192.168.1.1",
                                   "169.254.169.254",
                                   "100.64.0.1",
                                   "0.0.0.0",
                                   "224.0.0.1",
                                   "255.255.255.255",
                                   "::1",
                                   "::",
                                   "fe80::1",
                                   "fc00::1",
                                   "fd12:3456::1",
                                   "ff02::1",
                                   "::ffff:127.0.0.1",
                                   "::ffff:10.1.2.3",
                                   "::ffff:169.254.169.254",
                                   "::127.0.0.1",
                                   "64:ff9b::a00:1",
                                   "2002:7f00:1::",
                                   "198.18.0.1"}) {
    EXPECT_FALSE(reason(address).empty()) << address;
  }
}

// Public addresses pass, including the public half of embedding forms.
TEST(SsrfGuard, AllowsPublicAddresses) {
  for (std::string_view address : {"8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111",
                                   "::ffff:8.8.8.8", "172.32.0.1", "100.128.0.1"}) {
    EXPECT_TRUE(reason(address).empty()) << address << ": " << reason(address);
  }
}

// Local names are refused before any DNS lookup; ordinary names are left to the address check.
TEST(SsrfGuard, RefusesLocalHostNames) {
  SsrfPolicy policy;
  EXPECT_FALSE(blocked_host_reason("localhost", policy).empty());
  EXPECT_FALSE(blocked_host_reason("LOCALHOST.", policy).empty());
  EXPECT_FALSE(blocked_host_reason("app.localhost", policy).empty());
  EXPECT_FALSE(blocked_host_reason("metadata.google.internal", policy).empty());
  EXPECT_TRUE(blocked_host_reason("example.com", policy).empty());
}

// The operator opt-ins: all private networks, or a narrow range; blocked names always win.
TEST(SsrfGuard, PolicyOptInsAndBlockList) {
  SsrfPolicy open;
  open.allow_private_network = true;
  EXPECT_TRUE(reason("10.0.0.1", open).empty());
  EXPECT_TRUE(blocked_host_reason("localhost", open).empty());
  open.blocked_hostnames = {"*.ads.example.com", "tracker.example.com"};
  EXPECT_FALSE(blocked_host_reason("x.ads.example.com", open).empty());
  EXPECT_TRUE(blocked_host_reason("ads.example.com", open).empty());  // not the apex
  EXPECT_FALSE(blocked_host_reason("Tracker.Example.com.", open).empty());

  SsrfPolicy narrow;
  narrow.allow_rfc2544_benchmark_range = true;
  narrow.allow_ipv6_unique_local_range = true;
  EXPECT_TRUE(reason("198.18.3.4", narrow).empty());
  EXPECT_TRUE(reason("fd00::1", narrow).empty());
  EXPECT_FALSE(reason("10.0.0.1", narrow).empty());

  SsrfPolicy loopback;
  loopback.allow_loopback_for_test = true;
  EXPECT_TRUE(reason("127.0.0.1", loopback).empty());
  EXPECT_FALSE(reason("10.0.0.1", loopback).empty());
  EXPECT_FALSE(reason("169.254.169.254", loopback).empty());
}

// web_fetch refuses loopback, private and metadata targets by default, before connecting.
TEST(SsrfWebFetch, RefusesPrivateTargetsByDefault) {
  testing::FakeWebServer server;
  server.route("/", {.headers = {{"Content-Type", "text/html"}}, .body = "<p>secret</p>"});
  testing::WebToolHarness harness(WebToolOptions{});  // no test switch: the default policy
  std::string port = std::to_string(server.port());
  for (const std::string& url : std::vector<std::string>{
           "http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/",
           "http://[::1]:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/",
           "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
           "http://2130706433:" + port + "/"}) {
    auto output = harness.call("web_fetch", R"({"url":")" + url + R"("})");
    EXPECT_TRUE(output.is_error) << url;
    EXPECT_NE(output.text.find("refused"), std::string::npos) << url << ": " << output.text;
  }
  EXPECT_TRUE(server.requests().empty());
}

// The operator's dangerouslyAllowPrivateNetwork lets a fetch reach the private network.
TEST(SsrfWebFetch, ConfigAllowsPrivateNetwork) {
  testing::FakeWebServer server;
  server.route("/", {.headers = {{"Content-Type", "text/plain"}}, .body = "hello"});
  testing::WebToolHarness harness(
      WebToolOptions{},
      R"({"tools":{"web":{"fetch":{"ssrfPolicy":{"dangerouslyAllowPrivateNetwork":true}}}}})");
  auto output = harness.call("web_fetch", R"({"url":")" + server.url("/") + R"("})");
  ASSERT_FALSE(output.is_error) << output.text;
  EXPECT_EQ(testing::WebToolHarness::result(output).at("text").as_string(), "hello");
}

}  // namespace
}  // namespace pincer::tools::web
