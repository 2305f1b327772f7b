#include "core/base64.hpp"

#include <openssl/evp.h>

#include <cctype>

namespace pincer::core {

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) == 0) {
      compact += c;
    }
  }
  if (compact.size() % 4 != 0) {
    return std::nullopt;
  }
  // OpenSSL reads "=" as zero bits wherever it stands; only one or two at the very end are
  // padding, anything else is not base64.
  std::size_t data_end = compact.find('=');
  if (data_end != std::string::npos &&
      (compact.size() - data_end > 2 ||
       compact.find_first_not_of('=', data_end) != std::string::npos)) {
    return std::nullopt;
  }
  std::string out(compact.size() / 4 * 3, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(compact.data()),
                                static_cast<int>(compact.size()));
  if (written < 0) {
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  std::size_t padding = 0;
  for (std::size_t i = compact.size(); i > 0 && compact[i - 1] == '=' && padding < 2; --i) {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(written) - padding);
  return out;
}

}  // namespace pincer::core
