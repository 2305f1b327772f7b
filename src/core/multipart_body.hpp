#pragma once
// MultipartBody: a multipart/form-data request body (RFC 7578) built in memory, for uploads to
// JSON APIs (Telegram's sendDocument / sendPhoto). Parts keep the order they were added in.
//
// The boundary is 32 random hex characters from OpenSSL's generator, so it cannot be guessed
// and (at 128 bits) never occurs inside the parts by accident; the builder does not scan for it.
// Names and filenames are quoted; '"', CR and LF in them are percent-encoded as browsers do.

#include <string>
#include <string_view>

namespace pincer::core {

class MultipartBody {
 public:
  MultipartBody();  // a random boundary
  // A fixed boundary, for tests that compare bytes. Must not occur in any part.
  explicit MultipartBody(std::string boundary);

  // A text field: Content-Disposition: form-data; name="<name>".
  MultipartBody& add_field(std::string_view name, std::string_view value);
  // A file part: name, filename and Content-Type (application/octet-stream when empty).
  MultipartBody& add_file(std::string_view name, std::string_view filename,
                          std::string_view content_type, std::string_view bytes);

  const std::string& boundary() const { return boundary_; }
  // "multipart/form-data; boundary=<boundary>", for the Content-Type header.
  std::string content_type() const;
  // The encoded body: every part, then the closing delimiter.
  std::string body() const;

 private:
  std::string boundary_;
  std::string parts_;  // every part so far, each starting with its delimiter line
};

}  // namespace pincer::core
