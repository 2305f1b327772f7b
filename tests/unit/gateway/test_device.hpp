#pragma once
// Test helper: an Ed25519 device key made with OpenSSL that signs connect proofs the way the
// reference client does.

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/device_identity.hpp"

namespace pincer::gateway::testing {

inline constexpr int64_t kNow = 1'800'000'000'000;

// A test device: an Ed25519 key pair made with OpenSSL, signing like the reference client.
class TestDevice {
 public:
  TestDevice() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), EVP_PKEY_free) {
    std::string raw(32, '\0');
    std::size_t length = raw.size();
    EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()), &length);
    raw_public_key_ = raw;
  }

  std::string sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get());
    std::string signature(64, '\0');
    std::size_t length = signature.size();
    EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    signature.resize(length);
    return base64url_encode(signature);
  }

  DeviceProof proof(const DeviceAuthContext& context, std::string nonce, bool v2 = false,
                    int64_t signed_at_ms = kNow) const {
    DeviceProof proof{id(), public_key(), "", signed_at_ms, std::move(nonce)};
    proof.signature = sign(v2 ? build_device_auth_payload_v2(proof, context)
                              : build_device_auth_payload_v3(proof, context));
    return proof;
  }

  const std::string& raw_public_key() const { return raw_public_key_; }
  std::string id() const { return device_id_for_public_key(raw_public_key_); }
  std::string public_key() const { return base64url_encode(raw_public_key_); }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  std::string raw_public_key_;
};

}  // namespace pincer::gateway::testing
