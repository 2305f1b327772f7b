// GatewayClient without a gateway: URL checks, the error-code mapping, and "nothing listens".
// Talking to a real gateway is covered by tests/integration/gateway_client_cli_test.cpp.

#include "gateway/gateway_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace pincer::gateway {
namespace {

// wss:// is refused up front with what to do instead, not with a TLS failure later.
TEST(GatewayClient, RefusesWssWithAHint) {
  ClientOptions options;
  options.url = "wss://example.com:443";
  auto client = GatewayClient::connect(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, Errc::invalid_argument);
  EXPECT_EQ(client.error().message, "wss:// gateway URLs are not supported yet");
  EXPECT_FALSE(client.error().hint.empty());
}

// Anything but ws:// is an invalid URL for a gateway.
TEST(GatewayClient, RefusesOtherSchemes) {
  for (const char* url : {"http://127.0.0.1:1", "127.0.0.1:18789", "not a url"}) {
    ClientOptions options;
    options.url = url;
    auto client = GatewayClient::connect(options);
    ASSERT_FALSE(client) << url;
    EXPECT_EQ(client.error().code, Errc::invalid_argument) << url;
  }
}

// A closed port is Errc::io ("no gateway answers"), which `pincer status` reads as not running.
TEST(GatewayClient, ClosedPortIsIoError) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto port = probe.local_endpoint().port();
  probe.close();
  ClientOptions options;
  options.url = "ws://127.0.0.1:" + std::to_string(port);
  auto client = GatewayClient::connect(options);
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, Errc::io);
  EXPECT_TRUE(client.error().message.starts_with("no gateway answers at " + options.url))
      << client.error().message;
}

// The gateway's error codes map onto Errc by what the caller can do about them.
TEST(GatewayClient, MapsGatewayErrorCodes) {
  EXPECT_EQ(errc_for_gateway_code("INVALID_REQUEST"), Errc::invalid_argument);
  EXPECT_EQ(errc_for_gateway_code("FORBIDDEN"), Errc::invalid_argument);
  EXPECT_EQ(errc_for_gateway_code("NOT_FOUND"), Errc::not_found);
  EXPECT_EQ(errc_for_gateway_code("UNAVAILABLE"), Errc::unavailable);
  EXPECT_EQ(errc_for_gateway_code("TIMEOUT"), Errc::unavailable);
  EXPECT_EQ(errc_for_gateway_code("SOMETHING_NEW"), Errc::internal);
}

}  // namespace
}  // namespace pincer::gateway
