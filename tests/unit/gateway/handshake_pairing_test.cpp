// The connect handshake with device identities: pairing decisions and device-token auth,
// driven through accept_connect() with a real state.db and hand-made PeerInfo (the remote,
// non-loopback case cannot be produced from a test client on this host).

#include <gtest/gtest.h>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>

#include "gateway/device_pairing.hpp"
#include "gateway/gateway.hpp"
#include "gateway/handshake.hpp"
#include "store/pairing_store.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"
#include "test_device.hpp"

namespace pincer::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Outcome = std::expected<ConnectAccepted, ConnectRejection>;

constexpr std::string_view kSecret = "shared-secret";

class HandshakePairingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
    core::Config config;
    config.gateway.auth.mode = core::AuthMode::token;
    config.gateway.auth.token = std::string(kSecret);
    core::StatePaths paths{dir_.path(), dir_ / "pincer.json", dir_ / "workspace", dir_ / "logs",
                           dir_ / "state.db"};
    gateway_.emplace(io_, pool_, *db_, paths, config);
  }

  // Connect params signed by `device` over `nonce`, authenticating with `auth`.
  json::value params(const testing::TestDevice& device, json::object auth,
                     std::string_view role = "operator",
                     std::vector<std::string> scopes = {"operator.read"}) {
    DeviceAuthContext context{"cli", "cli", std::string(role), scopes, "", "linux", ""};
    if (auto* token = auth.if_contains("token")) {
      context.token = std::string(token->get_string());
    } else if (auto* device_token = auth.if_contains("deviceToken")) {
      context.token = std::string(device_token->get_string());
    }
    auto proof = device.proof(context, challenge_.nonce, false, unix_ms());
    json::array scope_list;
    for (const auto& scope : scopes) {
      scope_list.emplace_back(scope);
    }
    return json::object{
        {"minProtocol", 4},
        {"maxProtocol", 4},
        {"client", {{"id", "cli"}, {"version", "1"}, {"platform", "linux"}, {"mode", "cli"}}},
        {"role", role},
        {"scopes", std::move(scope_list)},
        {"auth", std::move(auth)},
        {"device",
         {{"id", proof.id},
          {"publicKey", proof.public_key},
          {"signature", proof.signature},
          {"signedAt", proof.signed_at_ms},
          {"nonce", proof.nonce}}},
    };
  }

  Outcome connect(const json::value& connect_params, bool loopback) {
    PeerInfo peer;
    peer.remote_address = loopback ? "127.0.0.1" : "192.168.1.20";
    peer.loopback = loopback;
    std::optional<Outcome> out;
    asio::co_spawn(io_, accept_connect(*gateway_, connect_params, peer, challenge_),
                   [&](std::exception_ptr error, Outcome outcome) {
                     if (error) {
                       std::rethrow_exception(error);
                     }
                     out = std::move(outcome);
                   });
    io_.restart();
    io_.run();
    return std::move(*out);
  }

  store::PairingStore pairing() { return store::PairingStore(*db_); }

  static std::string detail_code(const Outcome& outcome) {
    if (outcome) {
      return "accepted";
    }
    const auto* details = outcome.error().error.details.if_object();
    return details ? std::string(details->at("code").as_string()) : std::string("none");
  }

  pincer::testing::TempDir dir_;
  std::optional<store::Database> db_;
  asio::io_context io_;
  asio::thread_pool pool_{1};
  std::optional<Gateway> gateway_;
  Challenge challenge_{"nonce-1", 0};
  testing::TestDevice device_;
};

// A remote device with the right shared secret still needs approval: the connect is refused with
// NOT_PAIRED / PAIRING_REQUIRED, a pending request is recorded, and a retry keeps its id.
TEST_F(HandshakePairingTest, RemoteUnknownDeviceBecomesPendingRequest) {
  auto first = connect(params(device_, {{"token", kSecret}}), false);
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().error.code, "NOT_PAIRED");
  EXPECT_EQ(first.error().close_code, kClosePolicyViolation);
  const auto& details = first.error().error.details.as_object();
  EXPECT_EQ(details.at("code").as_string(), "PAIRING_REQUIRED");
  EXPECT_EQ(details.at("reason").as_string(), "not-paired");
  std::string request_id(details.at("requestId").as_string());
  EXPECT_NE(first.error().error.message.find("pincer devices approve " + request_id),
            std::string::npos);

  auto pending = pairing().list_requests();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().request_id, request_id);
  EXPECT_EQ(pending->front().remote_ip, "192.168.1.20");

  auto second = connect(params(device_, {{"token", kSecret}}), false);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().error.details.as_object().at("requestId").as_string(), request_id);
}

// After approval the same remote device is accepted and receives a device token; the token then
// authenticates on its own, and a revoked token does not.
TEST_F(HandshakePairingTest, ApprovedDeviceGetsTokenThatAuthenticatesAlone) {
  auto refused = connect(params(device_, {{"token", kSecret}}), false);
  ASSERT_FALSE(refused);
  std::string request_id(refused.error().error.details.as_object().at("requestId").as_string());
  ASSERT_TRUE(pairing().approve_request(request_id, unix_ms()));

  auto accepted = connect(params(device_, {{"token", kSecret}}), false);
  ASSERT_TRUE(accepted) << accepted.error().error.message;
  EXPECT_EQ(accepted->principal.device_id, device_.id());
  ASSERT_TRUE(accepted->auth.contains("deviceToken"));
  std::string token(accepted->auth.at("deviceToken").as_string());

  auto by_token = connect(params(device_, {{"token", token}, {"deviceToken", token}}), false);
  ASSERT_TRUE(by_token) << by_token.error().error.message;
  EXPECT_EQ(by_token->principal.auth_method, AuthMethod::device_token);
  EXPECT_FALSE(by_token->auth.contains("deviceToken"));
  EXPECT_EQ(by_token->principal.scopes, std::vector<std::string>{"operator.read"});

  ASSERT_TRUE(pairing().revoke_token(device_.id(), "operator", unix_ms()));
  auto revoked = connect(params(device_, {{"token", token}, {"deviceToken", token}}), false);
  EXPECT_EQ(detail_code(revoked), "AUTH_DEVICE_TOKEN_MISMATCH");
}

// A device token is bound to its device: another device presenting it is refused.
TEST_F(HandshakePairingTest, DeviceTokenOfAnotherDeviceIsRefused) {
  auto first = connect(params(device_, {{"token", kSecret}}), true);
  ASSERT_TRUE(first);
  std::string token(first->auth.at("deviceToken").as_string());
  testing::TestDevice other;
  auto stolen = connect(params(other, {{"deviceToken", token}}), false);
  EXPECT_EQ(detail_code(stolen), "AUTH_DEVICE_TOKEN_MISMATCH");
}

// A direct loopback connect with the shared secret pairs the device on the spot.
TEST_F(HandshakePairingTest, LoopbackSharedSecretAutoApproves) {
  auto accepted = connect(params(device_, {{"token", kSecret}}), true);
  ASSERT_TRUE(accepted) << accepted.error().error.message;
  EXPECT_TRUE(accepted->auth.contains("deviceToken"));
  auto device = pairing().find_device(device_.id());
  ASSERT_TRUE(device && *device);
  EXPECT_EQ((*device)->roles, std::vector<std::string>{"operator"});
  auto again = connect(params(device_, {{"token", kSecret}}), true);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->auth.contains("deviceToken"));  // it already holds one
}

// A paired operator asking remotely for more scopes than approved gets a scope-upgrade request.
TEST_F(HandshakePairingTest, RemoteScopeUpgradeNeedsApproval) {
  ASSERT_TRUE(connect(params(device_, {{"token", kSecret}}), true));
  auto upgrade = connect(
      params(device_, {{"token", kSecret}}, "operator", {"operator.read", "operator.admin"}),
      false);
  ASSERT_FALSE(upgrade);
  EXPECT_EQ(upgrade.error().error.details.as_object().at("reason").as_string(), "scope-upgrade");
}

// Nodes must bring a device identity, and a remote node becomes a node pairing request.
TEST_F(HandshakePairingTest, NodesNeedDeviceIdentityAndPairing) {
  json::value no_device = params(device_, {{"token", kSecret}}, "node", {});
  no_device.as_object().erase("device");
  EXPECT_EQ(detail_code(connect(no_device, true)), "DEVICE_IDENTITY_REQUIRED");

  auto node = params(device_, {{"token", kSecret}}, "node", {});
  node.as_object()["commands"] = json::array{"system.run"};
  auto refused = connect(node, false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().error.details.as_object().at("requestedRole").as_string(), "node");
  auto pending = pairing().list_requests();
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().role, "node");
  EXPECT_EQ(pending->front().commands, std::vector<std::string>{"system.run"});
}

// Without the shared secret or a device token, an unknown device learns nothing new: the usual
// token error, and no pending request is created.
TEST_F(HandshakePairingTest, WrongSecretCreatesNoRequest) {
  auto refused = connect(params(device_, {{"token", "wrong"}}), false);
  EXPECT_EQ(detail_code(refused), "AUTH_TOKEN_MISMATCH");
  auto pending = pairing().list_requests();
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
}

// A bad signature is refused before any pairing state is touched.
TEST_F(HandshakePairingTest, BadSignatureIsRefused) {
  auto connect_params = params(device_, {{"token", kSecret}});
  connect_params.as_object()["scopes"] = json::array{"operator.admin"};  // not what was signed
  EXPECT_EQ(detail_code(connect(connect_params, true)), "DEVICE_AUTH_SIGNATURE_INVALID");
  challenge_.nonce = "nonce-2";
  EXPECT_EQ(detail_code(connect(params(device_, {{"token", kSecret}}), true)), "accepted");
  auto stale = params(device_, {{"token", kSecret}});
  challenge_.nonce = "nonce-3";
  EXPECT_EQ(detail_code(connect(stale, true)), "DEVICE_AUTH_NONCE_MISMATCH");
}

}  // namespace
}  // namespace pincer::gateway
