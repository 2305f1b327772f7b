#include "store/pairing_store.hpp"

#include <gtest/gtest.h>

#include "store/database.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

using pincer::testing::TempDir;
using Strings = std::vector<std::string>;

class PairingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  PairingStore pairing() { return PairingStore(*db_); }

  static PairingRequest request(std::string device_id, std::string role,
                                Strings scopes = {"operator.read"}) {
    PairingRequest r;
    r.request_id = "req-" + device_id + "-" + role;
    r.device_id = std::move(device_id);
    r.public_key = "key-" + r.device_id;
    r.role = std::move(role);
    r.scopes = std::move(scopes);
    r.client = {"cli", "cli", "linux", "", "Laptop"};
    r.remote_ip = "10.0.0.2";
    r.created_at_ms = 1000;
    return r;
  }

  TempDir dir_;
  std::optional<Database> db_;
};

// A reconnect refreshes the pending request for the same device and role; its id stays.
TEST_F(PairingStoreTest, RefreshedRequestKeepsItsIdAndCreationTime) {
  auto first = pairing().put_request(request("dev1", "operator"));
  ASSERT_TRUE(first);
  auto again = request("dev1", "operator", {"operator.admin"});
  again.request_id = "req-other";
  again.created_at_ms = 5000;
  auto second = pairing().put_request(again);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->request_id, first->request_id);
  EXPECT_EQ(second->created_at_ms, 1000);
  auto all = pairing().list_requests();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().scopes, Strings{"operator.admin"});
}

// Approval merges the requested role and scopes into the device and consumes the request.
TEST_F(PairingStoreTest, ApproveCreatesDeviceThenMergesRoles) {
  ASSERT_TRUE(pairing().put_request(request("dev1", "operator")));
  auto device = pairing().approve_request("req-dev1-operator", 2000);
  ASSERT_TRUE(device) << device.error().describe();
  EXPECT_EQ(device->roles, Strings{"operator"});
  EXPECT_EQ(device->approved_at_ms, 2000);
  EXPECT_EQ(device->client.display_name, "Laptop");

  auto node = request("dev1", "node", {});
  node.commands = {"system.run"};
  ASSERT_TRUE(pairing().put_request(node));
  auto merged = pairing().approve_request("req-dev1-node", 3000);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->roles, (Strings{"operator", "node"}));
  EXPECT_EQ(merged->scopes, Strings{"operator.read"});
  EXPECT_EQ(merged->commands, Strings{"system.run"});
  EXPECT_EQ(merged->created_at_ms, 2000);

  auto pending = pairing().list_requests();
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
}

// Approving a request that is gone is not_found, not a crash or an empty device.
TEST_F(PairingStoreTest, ApproveUnknownRequestIsNotFound) {
  auto device = pairing().approve_request("missing", 1);
  ASSERT_FALSE(device);
  EXPECT_EQ(device.error().code, Errc::not_found);
}

// Tokens are stored by hash, replaced on rotation, and revocation is recorded.
TEST_F(PairingStoreTest, TokenLifecycle) {
  ASSERT_TRUE(pairing().put_request(request("dev1", "operator")));
  ASSERT_TRUE(pairing().approve_request("req-dev1-operator", 2000));
  DeviceToken token{"dev1", "operator", "hash1", {"operator.read"}, 2000, {}, {}};
  ASSERT_TRUE(pairing().put_token(token));
  auto found = pairing().find_token("dev1", "operator");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->token_hash, "hash1");
  EXPECT_FALSE((*found)->revoked_at_ms);

  token.token_hash = "hash2";
  token.rotated_at_ms = 3000;
  ASSERT_TRUE(pairing().put_token(token));
  auto revoked = pairing().revoke_token("dev1", "operator", 4000);
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  found = pairing().find_token("dev1", "operator");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->token_hash, "hash2");
  EXPECT_EQ((*found)->rotated_at_ms, 3000);
  EXPECT_EQ((*found)->revoked_at_ms, 4000);

  auto missing = pairing().revoke_token("dev1", "node", 4000);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

// A token needs a paired device: the foreign key refuses an orphan.
TEST_F(PairingStoreTest, TokenForUnpairedDeviceIsRefused) {
  EXPECT_FALSE(pairing().put_token({"ghost", "operator", "h", {}, 1, {}, {}}));
}

// Removing a device takes its tokens and pending requests with it.
TEST_F(PairingStoreTest, RemoveDeviceRemovesTokensAndRequests) {
  ASSERT_TRUE(pairing().put_request(request("dev1", "operator")));
  ASSERT_TRUE(pairing().approve_request("req-dev1-operator", 2000));
  ASSERT_TRUE(pairing().put_token({"dev1", "operator", "h", {}, 1, {}, {}}));
  ASSERT_TRUE(pairing().put_request(request("dev1", "node")));

  auto removed = pairing().remove_device("dev1");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  auto device = pairing().find_device("dev1");
  ASSERT_TRUE(device);
  EXPECT_FALSE(*device);
  auto token = pairing().find_token("dev1", "operator");
  ASSERT_TRUE(token);
  EXPECT_FALSE(*token);
  auto pending = pairing().list_requests();
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());

  auto again = pairing().remove_device("dev1");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

// The operator label is kept separately from the client-reported name.
TEST_F(PairingStoreTest, RenameSetsLabel) {
  ASSERT_TRUE(pairing().put_request(request("dev1", "operator")));
  ASSERT_TRUE(pairing().approve_request("req-dev1-operator", 2000));
  auto renamed = pairing().rename_device("dev1", "Kitchen iPad");
  ASSERT_TRUE(renamed);
  EXPECT_TRUE(*renamed);
  auto device = pairing().find_device("dev1");
  ASSERT_TRUE(device && *device);
  EXPECT_EQ((*device)->label, "Kitchen iPad");
  EXPECT_EQ((*device)->client.display_name, "Laptop");
  auto unknown = pairing().rename_device("nope", "x");
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

}  // namespace
}  // namespace pincer::store
