#include "core/multipart_body.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstdlib>
#include <utility>

namespace pincer::core {
namespace {

std::string random_boundary() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // OpenSSL's generator failing means the process cannot make keys either; nothing sensible
    // can continue.
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string boundary = "pincer-";
  for (unsigned char byte : bytes) {
    boundary += kHex[byte >> 4];
    boundary += kHex[byte & 0x0f];
  }
  return boundary;
}

// A quoted-string for Content-Disposition parameters (WHATWG form-data encoding).
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "%22";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      default:
        out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace

MultipartBody::MultipartBody() : boundary_(random_boundary()) {}

MultipartBody::MultipartBody(std::string boundary) : boundary_(std::move(boundary)) {}

MultipartBody& MultipartBody::add_field(std::string_view name, std::string_view value) {
  parts_ += "--" + boundary_ + "\r\n";
  parts_ += "Content-Disposition: form-data; name=" + quoted(name) + "\r\n\r\n";
  parts_ += value;
  parts_ += "\r\n";
  return *this;
}

MultipartBody& MultipartBody::add_file(std::string_view name, std::string_view filename,
                                       std::string_view content_type, std::string_view bytes) {
  parts_ += "--" + boundary_ + "\r\n";
  parts_ += "Content-Disposition: form-data; name=" + quoted(name) +
            "; filename=" + quoted(filename) + "\r\n";
  // A line break would end the header early and let the type write headers of its own.
  bool usable = !content_type.empty() && content_type.find_first_of("\r\n") == content_type.npos;
  parts_ += "Content-Type: ";
  parts_ += usable ? content_type : std::string_view("application/octet-stream");
  parts_ += "\r\n\r\n";
  parts_ += bytes;
  parts_ += "\r\n";
  return *this;
}

std::string MultipartBody::content_type() const {
  return "multipart/form-data; boundary=" + boundary_;
}

std::string MultipartBody::body() const {
  return parts_ + "--" + boundary_ + "--\r\n";
}

}  // namespace pincer::core
