#include "gateway/device_identity.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>

#include "support/temp_dir.hpp"
#include "test_device.hpp"

namespace pincer::gateway {
namespace {

using testing::kNow;
using testing::TestDevice;

DeviceAuthContext context() {
  return {"cli", "cli",     "operator", {"operator.admin", "operator.read"},
          "tok", " Linux ", "Desktop"};
}

std::string failure_code(const std::expected<std::string, DeviceAuthFailure>& result) {
  return result ? std::string("ok") : std::string(result.error().code);
}

// base64url round-trips arbitrary bytes without padding and rejects foreign characters.
TEST(Base64Url, RoundTripsAndRejectsGarbage) {
  for (std::string bytes : {std::string(), std::string("f"), std::string("fo"), std::string("foo"),
                            std::string("\xff\xfe\x00\x01", 4)}) {
    auto encoded = base64url_encode(bytes);
    EXPECT_EQ(encoded.find('='), std::string::npos);
    auto decoded = base64url_decode(encoded);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("Zm9v="), "foo");
  EXPECT_FALSE(base64url_decode("Zm9v!"));
  EXPECT_FALSE(base64url_decode("Z"));
}

// The v3 payload normalizes platform and deviceFamily (trim, ASCII lowercase) like the client.
TEST(DeviceAuthPayload, MatchesTheReferenceClientFormat) {
  DeviceProof proof{"dev", "key", "sig", 123, "n1"};
  EXPECT_EQ(build_device_auth_payload_v3(proof, context()),
            "v3|dev|cli|cli|operator|operator.admin,operator.read|123|tok|n1|linux|desktop");
  EXPECT_EQ(build_device_auth_payload_v2(proof, context()),
            "v2|dev|cli|cli|operator|operator.admin,operator.read|123|tok|n1");
}

// A correctly signed v3 proof is accepted and yields the raw key.
TEST(VerifyDeviceProof, AcceptsV3) {
  TestDevice device;
  auto result = verify_device_proof(device.proof(context(), "n1"), context(), "n1", kNow);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(*result, device.raw_public_key());
}

// Older clients sign v2; it is still accepted.
TEST(VerifyDeviceProof, AcceptsV2) {
  TestDevice device;
  auto result = verify_device_proof(device.proof(context(), "n1", true), context(), "n1", kNow);
  EXPECT_EQ(failure_code(result), "ok");
}

// Checks run in the reference's order, each with its own detail code.
TEST(VerifyDeviceProof, ReportsEachFailure) {
  TestDevice device;
  auto good = device.proof(context(), "n1");

  auto missing_nonce = good;
  missing_nonce.nonce = "";
  EXPECT_EQ(failure_code(verify_device_proof(missing_nonce, context(), "n1", kNow)),
            "DEVICE_AUTH_NONCE_REQUIRED");
  EXPECT_EQ(failure_code(verify_device_proof(good, context(), "other", kNow)),
            "DEVICE_AUTH_NONCE_MISMATCH");

  auto bad_key = good;
  bad_key.public_key = "not*base64";
  EXPECT_EQ(failure_code(verify_device_proof(bad_key, context(), "n1", kNow)),
            "DEVICE_AUTH_PUBLIC_KEY_INVALID");
  bad_key.public_key = base64url_encode("short");
  EXPECT_EQ(failure_code(verify_device_proof(bad_key, context(), "n1", kNow)),
            "DEVICE_AUTH_PUBLIC_KEY_INVALID");

  auto wrong_id = good;
  wrong_id.id = std::string(64, 'a');
  EXPECT_EQ(failure_code(verify_device_proof(wrong_id, context(), "n1", kNow)),
            "DEVICE_AUTH_DEVICE_ID_MISMATCH");

  auto other_scopes = context();
  other_scopes.scopes = {"operator.read"};
  EXPECT_EQ(failure_code(verify_device_proof(good, other_scopes, "n1", kNow)),
            "DEVICE_AUTH_SIGNATURE_INVALID");
  auto garbage_signature = good;
  garbage_signature.signature = "@@";
  EXPECT_EQ(failure_code(verify_device_proof(garbage_signature, context(), "n1", kNow)),
            "DEVICE_AUTH_SIGNATURE_INVALID");

  EXPECT_EQ(failure_code(verify_device_proof(good, context(), "n1", kNow + 2 * 60 * 1000)), "ok");
  EXPECT_EQ(failure_code(verify_device_proof(good, context(), "n1", kNow + 2 * 60 * 1000 + 1)),
            "DEVICE_AUTH_SIGNATURE_EXPIRED");
  EXPECT_EQ(failure_code(verify_device_proof(good, context(), "n1", kNow - 2 * 60 * 1000 - 1)),
            "DEVICE_AUTH_SIGNATURE_EXPIRED");
}

// The detail reasons are the reference's stable strings.
TEST(VerifyDeviceProof, FailureReasonsAreStable) {
  TestDevice device;
  auto proof = device.proof(context(), "n1");
  auto result = verify_device_proof(proof, context(), "n2", kNow);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().reason, "device-nonce-mismatch");
  EXPECT_EQ(result.error().message, "device nonce mismatch");
}

// The gateway identity is created once, kept private, and the same on the next start.
TEST(GatewayIdentity, PersistsAcrossLoads) {
  pincer::testing::TempDir dir;
  auto path = dir / "gateway-identity.pem";
  auto first = load_or_create_gateway_identity(path);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->device_id.size(), 64u);
  auto raw = base64url_decode(first->public_key);
  ASSERT_TRUE(raw);
  EXPECT_EQ(device_id_for_public_key(*raw), first->device_id);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto second = load_or_create_gateway_identity(path);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->device_id, first->device_id);
  EXPECT_EQ(second->public_key, first->public_key);
}

// A damaged identity file is an error, not a silent new identity.
TEST(GatewayIdentity, DamagedFileIsAnError) {
  pincer::testing::TempDir dir;
  auto path = dir / "gateway-identity.pem";
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    std::fputs("not a key", file);
    std::fclose(file);
  }
  EXPECT_FALSE(load_or_create_gateway_identity(path));
}

}  // namespace
}  // namespace pincer::gateway
