#include "core/json_format.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <boost/json.hpp>

#include "core/json5.hpp"

namespace pincer::core {
namespace {

namespace json = boost::json;

// Members and elements go one per line, indented two spaces per level, in insertion order.
TEST(JsonFormat, PrintsOnePerLineInOrder) {
  json::value v = json::parse(R"({"z": 1, "a": {"list": [1, "two", null, true], "e": {}},
                                  "b": []})");
  EXPECT_EQ(to_pretty_json(v),
            "{\n"
            "  \"z\": 1,\n"
            "  \"a\": {\n"
            "    \"list\": [\n"
            "      1,\n"
            "      \"two\",\n"
            "      null,\n"
            "      true\n"
            "    ],\n"
            "    \"e\": {}\n"
            "  },\n"
            "  \"b\": []\n"
            "}");
}

// Empty containers and scalars print on one line.
TEST(JsonFormat, PrintsEmptyContainersAndScalarsInline) {
  EXPECT_EQ(to_pretty_json(json::object()), "{}");
  EXPECT_EQ(to_pretty_json(json::array()), "[]");
  EXPECT_EQ(to_pretty_json(nullptr), "null");
  EXPECT_EQ(to_pretty_json(false), "false");
  EXPECT_EQ(to_pretty_json(-42), "-42");
  EXPECT_EQ(to_pretty_json(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
  EXPECT_EQ(to_pretty_json(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
}

// The indent argument sets spaces per level; 0 keeps line breaks without indentation.
TEST(JsonFormat, HonoursIndentWidth) {
  json::value v = json::parse(R"({"a": [1]})");
  EXPECT_EQ(to_pretty_json(v, 4), "{\n    \"a\": [\n        1\n    ]\n}");
  EXPECT_EQ(to_pretty_json(v, 0), "{\n\"a\": [\n1\n]\n}");
  EXPECT_EQ(to_pretty_json(v, -3), to_pretty_json(v, 0));
}

// Strings and keys are escaped as JSON; non-ASCII text stays readable UTF-8.
TEST(JsonFormat, EscapesStringsAsJson) {
  const char raw[] = "q\" \\ / \b\f\n\r\t \x01\x1f\x7f \0 é ✓";
  json::value v = {{"k\"ey\n", std::string(raw, sizeof(raw) - 1)}};
  std::string out = to_pretty_json(v);
  EXPECT_EQ(
      out,
      "{\n  \"k\\\"ey\\n\": \"q\\\" \\\\ / \\b\\f\\n\\r\\t \\u0001\\u001f\x7f \\u0000 é ✓\"\n}");
  EXPECT_EQ(json::parse(out), v);
}

// Doubles print in their shortest form that reads back to the same double, and stay doubles.
TEST(JsonFormat, DoublesRoundTrip) {
  EXPECT_EQ(to_pretty_json(1.0), "1.0");
  EXPECT_EQ(to_pretty_json(0.1), "0.1");
  EXPECT_EQ(to_pretty_json(-0.0), "-0.0");
  EXPECT_EQ(to_pretty_json(1e300), "1e+300");
  EXPECT_EQ(to_pretty_json(123456789.0), "123456789.0");
  EXPECT_EQ(to_pretty_json(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(to_pretty_json(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(to_pretty_json(std::numeric_limits<double>::quiet_NaN()), "NaN");
  const double samples[] = {1.0 / 3,
                            2.0 / 3,
                            1e21,
                            1e-7,
                            5e-324,
                            std::numeric_limits<double>::max(),
                            std::numeric_limits<double>::min(),
                            -123.456,
                            9007199254740993.0,
                            0.30000000000000004};
  for (double d : samples) {
    auto back = json5::parse(to_pretty_json(d));
    ASSERT_TRUE(back) << to_pretty_json(d);
    ASSERT_TRUE(back->is_double()) << to_pretty_json(d);
    EXPECT_EQ(back->get_double(), d) << to_pretty_json(d);
  }
}

// Whatever is printed reads back through json5::parse as the same tree.
TEST(JsonFormat, OutputParsesBackToTheSameValue) {
  json::value v = json::parse(R"({"a": {"b": [1, -2, 3.5, "x", {"c": null}], "d": [[], {}]},
                                  "big": 18446744073709551615, "neg": -9223372036854775808,
                                  "e": 1e-300, "": ""})");
  auto back = json5::parse(to_pretty_json(v));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
  EXPECT_EQ(json::serialize(*back), json::serialize(v));  // same order too
  EXPECT_TRUE(back->at("big").is_uint64());
}

}  // namespace
}  // namespace pincer::core
