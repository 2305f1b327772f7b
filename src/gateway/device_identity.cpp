#include "gateway/device_identity.hpp"

#include <fmt/core.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <array>
#include <memory>

#include "core/files.hpp"

namespace pincer::gateway {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kEd25519SignatureBytes = 64;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

int decode_char(char c) {
  auto pos = kAlphabet.find(c);
  if (pos != std::string_view::npos) {
    return static_cast<int>(pos);
  }
  // Standard base64 characters: some clients send the key unconverted.
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

// The client's normalization of platform/deviceFamily: trimmed, ASCII letters lowercased.
std::string normalize_metadata(std::string_view value) {
  auto begin = value.find_first_not_of(" \t\r\n\f\v");
  if (begin == std::string_view::npos) {
    return {};
  }
  auto end = value.find_last_not_of(" \t\r\n\f\v");
  std::string out(value.substr(begin, end - begin + 1));
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += scopes[i];
  }
  return out;
}

std::string raw_public_key(EVP_PKEY* key) {
  std::string raw(kEd25519KeyBytes, '\0');
  std::size_t length = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &length) !=
      1) {
    return {};
  }
  raw.resize(length);
  return raw;
}

Result<GatewayIdentity> identity_from_pem(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return fail(Errc::store, "the gateway identity file does not hold an Ed25519 private key",
                "move the file aside and restart the gateway to generate a new identity "
                "(paired devices keep working; clients pinning the gateway identity must re-pin)");
  }
  auto raw = raw_public_key(key.get());
  return GatewayIdentity{device_id_for_public_key(raw), base64url_encode(raw), pem};
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) {
    out += kAlphabet[(buffer << (6 - bits)) & 0x3F];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;  // no byte count leaves a single trailing character
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int value = decode_char(c);
    if (value < 0) {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
  std::string out;
  out.reserve(digest.size() * 2);
  for (unsigned char b : digest) {
    out += fmt::format("{:02x}", b);
  }
  return out;
}

std::string device_id_for_public_key(std::string_view raw_public_key) {
  return sha256_hex(raw_public_key);
}

bool ed25519_verify(std::string_view raw_public_key, std::string_view message,
                    std::string_view signature) {
  if (raw_public_key.size() != kEd25519KeyBytes || signature.size() != kEd25519SignatureBytes) {
    return false;
  }
  Pkey key(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw_public_key.data()),
      raw_public_key.size()));
  if (!key) {
    return false;
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string build_device_auth_payload_v3(const DeviceProof& device,
                                         const DeviceAuthContext& context) {
  return fmt::format(
      "v3|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", device.id, context.client_id, context.client_mode,
      context.role, join_scopes(context.scopes), device.signed_at_ms, context.token, device.nonce,
      normalize_metadata(context.platform), normalize_metadata(context.device_family));
}

std::string build_device_auth_payload_v2(const DeviceProof& device,
                                         const DeviceAuthContext& context) {
  return fmt::format("v2|{}|{}|{}|{}|{}|{}|{}|{}", device.id, context.client_id,
                     context.client_mode, context.role, join_scopes(context.scopes),
                     device.signed_at_ms, context.token, device.nonce);
}

std::expected<std::string, DeviceAuthFailure> verify_device_proof(const DeviceProof& device,
                                                                  const DeviceAuthContext& context,
                                                                  std::string_view challenge_nonce,
                                                                  int64_t now_ms) {
  if (device.nonce.empty()) {
    return std::unexpected(DeviceAuthFailure{"DEVICE_AUTH_NONCE_REQUIRED", "device-nonce-missing",
                                             "device nonce required"});
  }
  if (device.nonce != challenge_nonce) {
    return std::unexpected(DeviceAuthFailure{"DEVICE_AUTH_NONCE_MISMATCH", "device-nonce-mismatch",
                                             "device nonce mismatch"});
  }
  auto raw_key = base64url_decode(device.public_key);
  if (!raw_key || raw_key->size() != kEd25519KeyBytes) {
    return std::unexpected(DeviceAuthFailure{"DEVICE_AUTH_PUBLIC_KEY_INVALID", "device-public-key",
                                             "device public key invalid"});
  }
  if (device.id != device_id_for_public_key(*raw_key)) {
    return std::unexpected(DeviceAuthFailure{"DEVICE_AUTH_DEVICE_ID_MISMATCH", "device-id-mismatch",
                                             "device identity mismatch"});
  }
  auto signature = base64url_decode(device.signature);
  bool valid =
      signature &&
      (ed25519_verify(*raw_key, build_device_auth_payload_v3(device, context), *signature) ||
       ed25519_verify(*raw_key, build_device_auth_payload_v2(device, context), *signature));
  if (!valid) {
    return std::unexpected(DeviceAuthFailure{"DEVICE_AUTH_SIGNATURE_INVALID", "device-signature",
                                             "device signature invalid"});
  }
  int64_t skew = now_ms - device.signed_at_ms;
  if (skew > kDeviceSignatureSkewMs || skew < -kDeviceSignatureSkewMs) {
    return std::unexpected(DeviceAuthFailure{"DEVICE_AUTH_SIGNATURE_EXPIRED",
                                             "device-signature-stale", "device signature expired"});
  }
  return *raw_key;
}

Result<GatewayIdentity> load_or_create_gateway_identity(const std::filesystem::path& path) {
  auto existing = core::read_file(path);
  if (existing) {
    return identity_from_pem(*existing);
  }
  if (existing.error().code != Errc::not_found) {
    return std::unexpected(existing.error());
  }

  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) {
    return fail(Errc::internal, "could not generate the gateway's Ed25519 identity key");
  }
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(Errc::internal, "could not encode the gateway's identity key");
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<std::size_t>(length));
  if (auto written = core::write_file_atomically(path, pem); !written) {
    return std::unexpected(written.error());
  }
  auto raw = raw_public_key(key.get());
  return GatewayIdentity{device_id_for_public_key(raw), base64url_encode(raw), std::move(pem)};
}

}  // namespace pincer::gateway
