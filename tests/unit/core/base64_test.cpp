#include "core/base64.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pincer::core {
namespace {

using namespace std::string_literals;

struct Vector {
  std::string_view plain;
  std::string_view encoded;
};

// RFC 4648 §10 test vectors.
constexpr Vector kRfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

// Encoding gives the RFC's padded text for every vector.
TEST(Base64, EncodesRfc4648Vectors) {
  for (const auto& v : kRfc4648) {
    SCOPED_TRACE(std::string(v.plain));
    EXPECT_EQ(base64_encode(v.plain), v.encoded);
  }
}

// Decoding gives back exactly the RFC's bytes (padding is not turned into extra zero bytes).
TEST(Base64, DecodesRfc4648Vectors) {
  for (const auto& v : kRfc4648) {
    SCOPED_TRACE(std::string(v.encoded));
    auto decoded = base64_decode(v.encoded);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, v.plain);
  }
}

// Binary data, NUL bytes and all 256 byte values, survives a round trip at every length mod 3.
TEST(Base64, RoundTripsBinaryBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all += static_cast<char>(i);
  }
  for (std::size_t length : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{254},
                             std::size_t{255}, std::size_t{256}}) {
    std::string bytes = all.substr(0, length);
    SCOPED_TRACE(length);
    auto decoded = base64_decode(base64_encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_EQ(base64_encode("\0\0\0"s), "AAAA");
  EXPECT_EQ(base64_decode("AAAA"), "\0\0\0"s);
  EXPECT_EQ(base64_decode("AA=="), "\0"s);
  EXPECT_EQ(base64_encode("\xff\xfe\xfd"s), "//79");
  EXPECT_EQ(base64_decode("//79"), "\xff\xfe\xfd"s);
}

// Line breaks of wrapped base64 (MIME's 76 columns, PEM's 64) and stray spaces are ignored.
TEST(Base64, IgnoresWhitespaceWhenDecoding) {
  EXPECT_EQ(base64_decode("Zm9v\nYmFy\n"), "foobar");
  EXPECT_EQ(base64_decode("Zm9v\r\nYmE=\r\n"), "fooba");
  EXPECT_EQ(base64_decode("  Zm 9v\tYg ==  "), "foob");
  EXPECT_EQ(base64_decode("\n\n"), "");

  std::string long_text(200, 'x');
  std::string wrapped;
  std::string encoded = base64_encode(long_text);
  for (std::size_t i = 0; i < encoded.size(); i += 76) {
    wrapped += encoded.substr(i, 76) + "\r\n";
  }
  EXPECT_EQ(base64_decode(wrapped), long_text);
}

// Text whose length (without whitespace) is not a multiple of 4 is not base64.
TEST(Base64, RejectsWrongLength) {
  for (std::string_view text : {"Z", "Zg", "Zg=", "Zm9", "Zm9vY", "Zm9v=", "Zm9vYg="}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(base64_decode(text).has_value());
  }
}

// Characters outside the standard alphabet (including base64url's - and _) are refused.
TEST(Base64, RejectsCharactersOutsideTheAlphabet) {
  for (std::string_view text : {"Zm-v", "Zm_v", "Zm9v!!!!", "Zm9\x80"}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(base64_decode(text).has_value());
  }
  EXPECT_FALSE(base64_decode("Zm9v\0AAA"s).has_value());  // an embedded NUL
}

// "=" only pads the end, at most twice: anything else is not base64.
TEST(Base64, RejectsMisplacedPadding) {
  for (std::string_view text : {"====", "A===", "Z===", "=AAA", "Zg=a", "Zg==Zg=="}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(base64_decode(text).has_value());
  }
}

}  // namespace
}  // namespace pincer::core
