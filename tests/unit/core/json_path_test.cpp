#include "core/json_path.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace pincer::core {
namespace {

namespace json = boost::json;

using Segment = std::variant<std::string, std::size_t>;

JsonPath path_of(std::vector<Segment> segments) {
  return JsonPath{std::move(segments)};
}

JsonPath must_parse(std::string_view text) {
  auto path = parse_json_path(text);
  EXPECT_TRUE(path) << text << ": " << (path ? "" : path.error().message);
  return path ? *path : JsonPath{};
}

// Dots separate keys, [N] indexes arrays, and quoted brackets hold keys with any characters.
TEST(JsonPath, ParsesKeysIndexesAndQuotedKeys) {
  EXPECT_EQ(must_parse("gateway.auth.token"), path_of({"gateway", "auth", "token"}));
  EXPECT_EQ(must_parse("agents.list[0].id"), path_of({"agents", "list", 0u, "id"}));
  EXPECT_EQ(must_parse(R"(channels.telegram.accounts["my.bot"].botToken)"),
            path_of({"channels", "telegram", "accounts", "my.bot", "botToken"}));
  EXPECT_EQ(must_parse(R"(a['x"y'])"), path_of({"a", "x\"y"}));
  EXPECT_EQ(must_parse(R"(a["q\"\\\u00e9"])"), path_of({"a", "q\"\\\xC3\xA9"}));
  EXPECT_EQ(must_parse("[2][10]"), path_of({2u, 10u}));
  EXPECT_EQ(must_parse(R"([""])"), path_of({""}));
  EXPECT_EQ(must_parse("models.gpt-4o.$ref_1"), path_of({"models", "gpt-4o", "$ref_1"}));
  EXPECT_EQ(must_parse("names.José"), path_of({"names", "José"}));
  EXPECT_EQ(must_parse("a.0"), path_of({"a", "0"}));  // a key, not an index
}

// Malformed paths name the column and the problem.
TEST(JsonPath, RejectsMalformedPathsWithColumn) {
  struct Case {
    const char* text;
    const char* says;
  };
  const Case cases[] = {
      {"", "the path is empty"},
      {"a..b", "column 3: empty key"},
      {"a.", "column 3: empty key"},
      {".a", "column 1: empty key"},
      {"a.[0]", "column 3: empty key"},
      {"a[", "column 3: expected an index or a quoted key after '[', found the end of the path"},
      {"a[x]", "column 3: expected an index or a quoted key after '[', found 'x'"},
      {"a[-1]", "column 3: expected an index or a quoted key"},
      {"a[1", "column 4: expected ']' to close the '[' at column 2"},
      {"a[1]x", "column 5: expected '.', '[' or the end of the path, found 'x'"},
      {R"(a["x])", "column 3: expected \" to close the key"},
      {R"(a["x"y])", "column 6: expected ']'"},
      {R"(a["\q\x"])", "column 3: the quoted key is not a valid string literal"},
      {"a b", "column 2: expected '.', '[' or the end of the path, found ' '"},
      {"a.b c", "column 4: expected '.', '['"},
      {"a[99999999999999999999999]", "column 3: the index is too large"},
      {"a.*", "column 3: expected a key, found '*'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto path = parse_json_path(c.text);
    ASSERT_FALSE(path);
    EXPECT_EQ(path.error().code, Errc::invalid_argument);
    EXPECT_NE(path.error().message.find(c.says), std::string::npos) << path.error().message;
    EXPECT_FALSE(path.error().hint.empty());
  }
}

// to_string writes bare keys where it can and quotes the rest, and parses back to the same path.
TEST(JsonPath, ToStringRoundTrips) {
  const std::vector<std::pair<JsonPath, std::string>> cases = {
      {path_of({"gateway", "auth", "token"}), "gateway.auth.token"},
      {path_of({"agents", "list", 0u, "id"}), "agents.list[0].id"},
      {path_of({"accounts", "my.bot", "botToken"}), R"(accounts["my.bot"].botToken)"},
      {path_of({"my bot"}), R"(["my bot"])"},
      {path_of({0u, 1u}), "[0][1]"},
      {path_of({""}), R"([""])"},
      {path_of({"a", "q\"\\\n"}), R"(a["q\"\\\n"])"},
      {path_of({"a", "José"}), R"(a["José"])"},
      {path_of({"a", "it's"}), R"(a["it's"])"},
      {path_of({"x", "gpt-4o", "$1"}), "x.gpt-4o.$1"},
      {path_of({"a", std::string("\0b", 2)}), R"(a["\u0000b"])"},
      {path_of({}), ""},
  };
  for (const auto& [path, text] : cases) {
    EXPECT_EQ(path.to_string(), text);
    if (!path.segments.empty()) {
      EXPECT_EQ(must_parse(path.to_string()), path) << text;
    }
  }
}

json::value config() {
  return json::parse(R"({"gateway": {"port": 1, "auth": {"token": "t"}},
                         "agents": {"list": [{"id": "a"}, {"id": "b"}]}, "n": 5})");
}

// find_at follows keys and indexes, and returns nullptr for anything missing or mistyped.
TEST(JsonPath, FindAtFollowsKeysAndIndexes) {
  json::value root = config();
  ASSERT_NE(find_at(root, must_parse("gateway.auth.token")), nullptr);
  EXPECT_EQ(*find_at(root, must_parse("gateway.auth.token")), "t");
  EXPECT_EQ(*find_at(root, must_parse("agents.list[1].id")), "b");
  EXPECT_EQ(find_at(root, JsonPath{}), &root);
  EXPECT_EQ(find_at(root, must_parse("agents.list[2]")), nullptr);
  EXPECT_EQ(find_at(root, must_parse("gateway.nope")), nullptr);
  EXPECT_EQ(find_at(root, must_parse("n.x")), nullptr);
  EXPECT_EQ(find_at(root, must_parse("gateway[0]")), nullptr);
  EXPECT_EQ(find_at(root, must_parse("agents.list.id")), nullptr);
}

// set_at replaces existing values in place and creates missing objects (or arrays before an
// index) along the way.
TEST(JsonPath, SetAtCreatesMissingContainers) {
  json::value root = config();
  ASSERT_TRUE(set_at(root, must_parse("gateway.port"), 2));
  ASSERT_TRUE(set_at(root, must_parse("gateway.tls.cert.path"), "/x"));
  ASSERT_TRUE(set_at(root, must_parse("agents.list[2].id"), "c"));
  ASSERT_TRUE(set_at(root, must_parse("agents.list[0]"), "first"));
  ASSERT_TRUE(set_at(root, must_parse("hooks[0].name"), "h"));
  ASSERT_TRUE(set_at(root, must_parse("matrix[0][0]"), 1));
  EXPECT_EQ(root, json::parse(R"({"gateway": {"port": 2, "auth": {"token": "t"},
                                              "tls": {"cert": {"path": "/x"}}},
                                  "agents": {"list": ["first", {"id": "b"}, {"id": "c"}]},
                                  "n": 5, "hooks": [{"name": "h"}], "matrix": [[1]]})"));
  // Replacing keeps the member's position.
  EXPECT_EQ(root.as_object().begin()->key(), "gateway");
  ASSERT_TRUE(set_at(root, JsonPath{}, 7));
  EXPECT_EQ(root, 7);
}

// set_at refuses to go through scalars or the wrong kind of container, and past array ends,
// leaving the value untouched.
TEST(JsonPath, SetAtRejectsWhatIsInTheWay) {
  struct Case {
    const char* path;
    const char* says;
  };
  const Case cases[] = {
      {"n.x", "cannot set n.x: n is a number, not an object"},
      {"gateway.auth.token.x", "gateway.auth.token is a string, not an object"},
      {"gateway[0]", "gateway is an object, not an array"},
      {"agents.list.x", "agents.list is an array, not an object"},
      {"agents.list[3]", "agents.list has 2 elements"},
      {"agents.list[2].x[1]", "agents.list[2].x does not exist yet, so only index 0"},
      {"fresh.list[1]", "fresh.list does not exist yet"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    json::value root = config();
    auto set = set_at(root, must_parse(c.path), true);
    ASSERT_FALSE(set);
    EXPECT_EQ(set.error().code, Errc::invalid_argument);
    EXPECT_NE(set.error().message.find(c.says), std::string::npos) << set.error().message;
    EXPECT_EQ(root, config());
  }
  json::value scalar = 1;
  EXPECT_NE(set_at(scalar, must_parse("a"), 1).error().message.find("the root is a number"),
            std::string::npos);
}

// erase_at removes members keeping the order of the rest, shifts array elements, and reports
// whether anything was there.
TEST(JsonPath, EraseAtRemovesAndReportsAbsence) {
  json::value root = json::parse(R"({"a": 1, "b": 2, "c": 3, "list": [1, 2, 3]})");
  EXPECT_EQ(erase_at(root, must_parse("a")), true);
  EXPECT_EQ(erase_at(root, must_parse("list[0]")), true);
  EXPECT_EQ(root, json::parse(R"({"b": 2, "c": 3, "list": [2, 3]})"));
  EXPECT_EQ(json::serialize(root), R"({"b":2,"c":3,"list":[2,3]})");  // order kept
  EXPECT_EQ(erase_at(root, must_parse("a")), false);
  EXPECT_EQ(erase_at(root, must_parse("list[2]")), false);
  EXPECT_EQ(erase_at(root, must_parse("x.y.z")), false);
  EXPECT_EQ(erase_at(root, must_parse("b.c")), false);
  EXPECT_EQ(erase_at(root, must_parse("list.x")), false);
  auto whole = erase_at(root, JsonPath{});
  ASSERT_FALSE(whole);
  EXPECT_EQ(whole.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace pincer::core
