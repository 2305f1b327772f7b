#include "core/json5_edit.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include <boost/json.hpp>

#include "core/detail/json5_source_map.hpp"
#include "core/json5.hpp"

namespace pincer::core {
namespace {

namespace json = boost::json;

JsonPath path(std::string_view text) {
  auto parsed = parse_json_path(text);
  EXPECT_TRUE(parsed) << text;
  return parsed ? *parsed : JsonPath{};
}

json::value value(std::string_view json5_text) {
  auto parsed = json5::parse(json5_text);
  EXPECT_TRUE(parsed) << json5_text << ": " << (parsed ? "" : parsed.error().message);
  return parsed ? *parsed : json::value();
}

// Equal trees, member order and number kinds aside from int64/uint64 included; NaN == NaN.
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double() && std::isnan(a.get_double())) {
    return std::isnan(b.get_double());
  }
  if (a.is_object() && b.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    return x.size() == y.size() &&
           std::equal(x.begin(), x.end(), y.begin(), [](const auto& m, const auto& n) {
             return m.key() == n.key() && same(m.value(), n.value());
           });
  }
  if (a.is_array() && b.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    return std::equal(x.begin(), x.end(), y.begin(), y.end(), same);
  }
  return a.is_double() == b.is_double() && a == b;
}

// The parsed form of `text`, with blank text (whitespace and comments) meaning {}.
json::value tree_of(std::string_view text) {
  if (json5::detail::is_blank(text)) {
    return json::object();
  }
  return value(text);
}

// json5_set that must succeed and must agree with set_at on the parsed text.
std::string set(std::string_view text, std::string_view at, std::string_view new_value) {
  auto out = json5_set(text, path(at), value(new_value));
  EXPECT_TRUE(out) << at << ": " << (out ? "" : out.error().message);
  if (!out) {
    return {};
  }
  json::value expected = tree_of(text);
  EXPECT_TRUE(set_at(expected, path(at), value(new_value)));
  EXPECT_TRUE(same(value(*out), expected)) << *out;
  return *out;
}

// json5_unset that must succeed and must agree with erase_at on the parsed text.
std::string unset(std::string_view text, std::string_view at) {
  auto out = json5_unset(text, path(at));
  EXPECT_TRUE(out) << at << ": " << (out ? "" : out.error().message);
  if (!out) {
    return {};
  }
  json::value expected = tree_of(text);
  EXPECT_EQ(erase_at(expected, path(at)), true);
  EXPECT_TRUE(same(value(*out), expected)) << *out;
  return *out;
}

constexpr std::string_view kCommented = R"(// Pincer config
{
  // where the gateway listens
  gateway: {
    port: 18789, // default port
    bind: 'loopback',
  },
  /* agents */
  agents: {list: [{id: 'main'}]},
}
)";

// Setting an existing value rewrites only that value's bytes.
TEST(Json5Edit, ReplacesOnlyTheValueBytes) {
  EXPECT_EQ(set(kCommented, "gateway.port", "9000"), R"(// Pincer config
{
  // where the gateway listens
  gateway: {
    port: 9000, // default port
    bind: 'loopback',
  },
  /* agents */
  agents: {list: [{id: 'main'}]},
}
)");
  EXPECT_EQ(set(kCommented, "agents.list[0].id", "'ops'"), R"(// Pincer config
{
  // where the gateway listens
  gateway: {
    port: 18789, // default port
    bind: 'loopback',
  },
  /* agents */
  agents: {list: [{id: "ops"}]},
}
)");
}

// A new key goes after the last sibling with its indentation, key style and trailing comma.
TEST(Json5Edit, InsertsMemberLikeItsSiblings) {
  EXPECT_EQ(set(kCommented, "gateway.mode", "'local'"), R"(// Pincer config
{
  // where the gateway listens
  gateway: {
    port: 18789, // default port
    bind: 'loopback',
    mode: "local",
  },
  /* agents */
  agents: {list: [{id: 'main'}]},
}
)");
}

// Missing objects along the path are created as one pretty-printed member.
TEST(Json5Edit, CreatesMissingObjectsIndentedToContext) {
  EXPECT_EQ(set(kCommented, "gateway.auth.token", "'s3cret'"), R"(// Pincer config
{
  // where the gateway listens
  gateway: {
    port: 18789, // default port
    bind: 'loopback',
    auth: {
      token: "s3cret"
    },
  },
  /* agents */
  agents: {list: [{id: 'main'}]},
}
)");
}

// Without a trailing comma, the comma goes right after the last value and the new member
// after the comment that ends its line.
TEST(Json5Edit, InsertsAfterLineCommentWithoutTrailingComma) {
  EXPECT_EQ(set("{\n  \"a\": 1 // one\n}\n", "b", "2"), "{\n  \"a\": 1, // one\n  \"b\": 2\n}\n");
  EXPECT_EQ(set("{\n  \"a\": 1 /* one */ /* two */\n}", "b", "2"),
            "{\n  \"a\": 1, /* one */ /* two */\n  \"b\": 2\n}");
  // The closing brace on the value's line: the new member goes on its own line before it.
  EXPECT_EQ(set("{\n  \"a\": 1}", "b", "2"), "{\n  \"a\": 1,\n  \"b\": 2}");
}

// Inside one-line objects and arrays new items stay on the line, compactly printed.
TEST(Json5Edit, KeepsOneLineContainersOnOneLine) {
  EXPECT_EQ(set("{a: 1, b: 2}", "c", "3"), "{a: 1, b: 2, c: 3}");
  EXPECT_EQ(set("{a: 1,}", "b", "2"), "{a: 1, b: 2,}");
  EXPECT_EQ(set("{a: 1}", "d", "{x: 1, y: [1, 2]}"), "{a: 1, d: {x: 1, y: [1, 2]}}");
  EXPECT_EQ(set("{a: {}, b: 1}", "a.x", "1"), "{a: {x: 1}, b: 1}");
  EXPECT_EQ(set("{list: [1, 2]}", "list[2]", "3"), "{list: [1, 2, 3]}");
  EXPECT_EQ(set("{list: []}", "list[0]", "'x'"), "{list: [\"x\"]}");
  EXPECT_EQ(set("{a: 1, b: 2}", "a", "{x: 1}"), "{a: {x: 1}, b: 2}");
}

// An empty object in a multi-line file opens up to hold its first member.
TEST(Json5Edit, FillsEmptyObjects) {
  EXPECT_EQ(set("{}", "a", "1"), "{\n  \"a\": 1\n}");
  EXPECT_EQ(set("{ }\n", "a.b", "1"), "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
  EXPECT_EQ(set("{\n  gateway: {},\n}", "gateway.port", "1"),
            "{\n  gateway: {\n    port: 1\n  },\n}");
  EXPECT_EQ(set("{\n  gateway: {\n    // nothing yet\n  },\n}", "gateway.port", "1"),
            "{\n  gateway: {\n    // nothing yet\n    port: 1\n  },\n}");
  EXPECT_EQ(set("{\n}", "a", "1"), "{\n  \"a\": 1\n}");
  EXPECT_EQ(set("{ /* keep */ }", "a", "1"), "{\n  \"a\": 1\n /* keep */ }");
}

// Arrays grow at index == size, in the style of their elements.
TEST(Json5Edit, AppendsToArrays) {
  EXPECT_EQ(set("{\n  list: [\n    'a',\n    'b'\n  ]\n}", "list[2]", "'c'"),
            "{\n  list: [\n    'a',\n    'b',\n    \"c\"\n  ]\n}");
  EXPECT_EQ(set("{\n  list: [\n    'a',\n  ]\n}", "list[1]", "{id: 2}"),
            "{\n  list: [\n    'a',\n    {\n      id: 2\n    },\n  ]\n}");
  EXPECT_EQ(set("{\n  list: [\n    'a',\n  ]\n}", "list[0]", "'z'"),
            "{\n  list: [\n    \"z\",\n  ]\n}");
  EXPECT_EQ(set("{\n  list: [\n  ]\n}", "list[0].id", "1"),
            "{\n  list: [\n    {\n      id: 1\n    }\n  ]\n}");
}

// Replaced multi-line values are pretty printed and indented to where they start.
TEST(Json5Edit, PrettyPrintsReplacedValuesAtTheirIndentation) {
  EXPECT_EQ(set("{\n  a: 1,\n  b: 2,\n}", "a", "{x: [1, 2], y: {}}"),
            "{\n  a: {\n    x: [\n      1,\n      2\n    ],\n    y: {}\n  },\n  b: 2,\n}");
  EXPECT_EQ(set("{\n  \"a\": {\"old\": true}\n}", "a", "{new: 1}"),
            "{\n  \"a\": {\n    \"new\": 1\n  }\n}");
}

// The file's indent unit, line ending and key quoting are reused for new text.
TEST(Json5Edit, FollowsTheFilesConventions) {
  EXPECT_EQ(set("{\n\ta: {\n\t\tb: 1\n\t}\n}", "a.c.d", "2"),
            "{\n\ta: {\n\t\tb: 1,\n\t\tc: {\n\t\t\td: 2\n\t\t}\n\t}\n}");
  EXPECT_EQ(set("{\r\n  a: 1\r\n}\r\n", "b", "[1]"),
            "{\r\n  a: 1,\r\n  b: [\r\n    1\r\n  ]\r\n}\r\n");
  EXPECT_EQ(set("{\n    'a': 1\n}", "b", "2"), "{\n    'a': 1,\n    'b': 2\n}");
  EXPECT_EQ(set("{\n  \"a\": {}\n}", "a.b", "{c: 1}"),
            "{\n  \"a\": {\n    \"b\": {\n      \"c\": 1\n    }\n  }\n}");
  // Bare-key files still quote keys that are not identifiers.
  EXPECT_EQ(set("{\n  a: 1\n}", R"(["my.bot"])", "2"), "{\n  a: 1,\n  \"my.bot\": 2\n}");
}

// Whitespace-only text counts as {}; comment-only text keeps its comments above the new object.
TEST(Json5Edit, TreatsBlankTextAsEmptyObject) {
  EXPECT_EQ(set("", "a.b", "1"), "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
  EXPECT_EQ(set(" \n\t\n", "a", "'x'"), "{\n  \"a\": \"x\"\n}\n");
  EXPECT_EQ(set("// my config\n\n", "a", "1"), "// my config\n{\n  \"a\": 1\n}\n");
  EXPECT_EQ(set("/* c */", "list[0]", "1"), "/* c */\n{\n  \"list\": [\n    1\n  ]\n}\n");
}

// Setting the value already there leaves the text alone, however it was spelled.
TEST(Json5Edit, LeavesTextAloneWhenValueIsUnchanged) {
  std::string text = "{port: 0x10, /* c */ name: 'x', f: 1.50}";
  EXPECT_EQ(set(text, "port", "16"), text);
  EXPECT_EQ(set(text, "name", "\"x\""), text);
  EXPECT_EQ(set(text, "f", "1.5"), text);
  EXPECT_EQ(set(text, "f", "NaN"), "{port: 0x10, /* c */ name: 'x', f: NaN}");
}

// With duplicate keys the last one counts: set replaces it, unset removes all of them.
TEST(Json5Edit, HandlesDuplicateKeys) {
  EXPECT_EQ(set("{a: 1, b: 0, a: 2}", "a", "3"), "{a: 1, b: 0, a: 3}");
  EXPECT_EQ(unset("{a: 1, b: 0, a: 2}", "a"), "{b: 0}");
  EXPECT_EQ(unset("{\n  a: 1,\n  a: 2,\n  b: 0,\n  a: 3\n}", "a"), "{\n  b: 0\n}");
}

// The root itself can be replaced; comments around it stay.
TEST(Json5Edit, ReplacesTheRoot) {
  auto out = json5_set("// head\n{a: 1} // tail\n", JsonPath{}, value("{b: [2]}"));
  ASSERT_TRUE(out);
  EXPECT_EQ(*out, "// head\n{\n  b: [\n    2\n  ]\n} // tail\n");
}

// Refusals: what set_at refuses, text that is not JSON5, and values that cannot be written.
TEST(Json5Edit, SetReportsErrorsWithoutTouchingText) {
  auto through_scalar = json5_set("{a: 1}", path("a.b"), 2);
  ASSERT_FALSE(through_scalar);
  EXPECT_EQ(through_scalar.error().code, Errc::invalid_argument);
  EXPECT_NE(through_scalar.error().message.find("a is a number"), std::string::npos);

  auto past_end = json5_set("{l: [1]}", path("l[5]"), 2);
  ASSERT_FALSE(past_end);
  EXPECT_EQ(past_end.error().code, Errc::invalid_argument);

  auto broken = json5_set("{a: 1,, }", path("a"), 2);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, Errc::parse);
  EXPECT_EQ(broken.error().message.rfind("line 1, column 7:", 0), 0u);

  auto bad_utf8 = json5_set("{}", path("a"), json::string("\xFF"));
  ASSERT_FALSE(bad_utf8);
  EXPECT_EQ(bad_utf8.error().code, Errc::invalid_argument);

  auto bad_key = json5_set("{}", JsonPath{{std::string("\xFF")}}, 1);
  ASSERT_FALSE(bad_key);
  EXPECT_EQ(bad_key.error().code, Errc::invalid_argument);

  json::value deep = 1;
  for (int i = 0; i < json5::kMaxDepth + 1; ++i) {
    deep = json::array({deep});
  }
  auto too_deep = json5_set("{}", path("a"), deep);
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code, Errc::invalid_argument);
}

constexpr std::string_view kThree = R"({
  // a
  a: 1,
  // b
  b: 2,
  c: 3
})";

// A removed member takes its comma and its line; the comments around it stay.
TEST(Json5Edit, UnsetRemovesMemberLineKeepingComments) {
  EXPECT_EQ(unset(kThree, "b"), "{\n  // a\n  a: 1,\n  // b\n  c: 3\n}");
  EXPECT_EQ(unset(kThree, "a"), "{\n  // a\n  // b\n  b: 2,\n  c: 3\n}");
  // The last member has no comma of its own: the one before it goes.
  EXPECT_EQ(unset(kThree, "c"), "{\n  // a\n  a: 1,\n  // b\n  b: 2\n}");
}

// A comment sharing the member's line stays behind on that line.
TEST(Json5Edit, UnsetKeepsCommentOnTheMembersLine) {
  EXPECT_EQ(unset("{\n  a: 1, // about a\n  b: 2\n}", "a"), "{\n  // about a\n  b: 2\n}");
  EXPECT_EQ(unset("{\n  a: 1, // about a\n  b: 2\n}", "b"), "{\n  a: 1 // about a\n}");
  EXPECT_EQ(unset("{\n  a: 1,\n  b: 2 // about b\n}", "b"), "{\n  a: 1\n  // about b\n}");
}

// Removing the only member leaves {} (or [] for arrays) when nothing else was inside.
TEST(Json5Edit, UnsetLastMemberLeavesEmptyBraces) {
  EXPECT_EQ(unset("{\n  a: 1\n}\n", "a"), "{}\n");
  EXPECT_EQ(unset("{\n  x: {\n    y: 1,\n  },\n  z: 0\n}", "x.y"), "{\n  x: {},\n  z: 0\n}");
  EXPECT_EQ(unset("{l: [1]}", "l[0]"), "{l: []}");
  EXPECT_EQ(unset("{\n  // keep me\n  a: 1\n}", "a"), "{\n  // keep me\n}");
}

// On one line, the member and one comma go, and the spacing stays even.
TEST(Json5Edit, UnsetInsideOneLineContainers) {
  EXPECT_EQ(unset("{a: 1, b: 2, c: 3}", "a"), "{b: 2, c: 3}");
  EXPECT_EQ(unset("{a: 1, b: 2, c: 3}", "b"), "{a: 1, c: 3}");
  EXPECT_EQ(unset("{a: 1, b: 2, c: 3}", "c"), "{a: 1, b: 2}");
  EXPECT_EQ(unset("{a: 1, b: 2,}", "b"), "{a: 1,}");
  EXPECT_EQ(unset("[1, 2, 3]", "[1]"), "[1, 3]");
  EXPECT_EQ(unset("[1, /* two */ 2]", "[1]"), "[1 /* two */]");
}

// Array elements on their own lines are removed with their lines.
TEST(Json5Edit, UnsetRemovesArrayElementLines) {
  EXPECT_EQ(unset("{\n  l: [\n    1,\n    {\n      x: 2\n    },\n    3\n  ]\n}", "l[1]"),
            "{\n  l: [\n    1,\n    3\n  ]\n}");
  EXPECT_EQ(unset("{\r\n  a: 1,\r\n  b: 2\r\n}\r\n", "b"), "{\r\n  a: 1\r\n}\r\n");
}

// Absent paths are Errc::not_found; the root cannot be unset.
TEST(Json5Edit, UnsetReportsAbsentPaths) {
  for (const char* missing : {"x", "gateway.x", "gateway.port.x", "agents.list[1]", "agents[0]"}) {
    auto out = json5_unset(kCommented, path(missing));
    ASSERT_FALSE(out) << missing;
    EXPECT_EQ(out.error().code, Errc::not_found) << missing;
  }
  EXPECT_EQ(json5_unset("", path("a")).error().code, Errc::not_found);
  EXPECT_EQ(json5_unset("// only a comment", path("a")).error().code, Errc::not_found);
  EXPECT_EQ(json5_unset("{a: 1}", JsonPath{}).error().code, Errc::invalid_argument);
  EXPECT_EQ(json5_unset("{a: ", path("a")).error().code, Errc::parse);
}

// Many set/unset cases over differently styled files: every output parses to the model.
TEST(Json5Edit, OutputAlwaysMatchesTheModel) {
  const std::string_view files[] = {
      kCommented,
      kThree,
      "{}",
      "",
      R"({"strict": {"json": [1, 2, {"x": null}]}, "n": 1})",
      "{a: 1, b: {c: [1, 2, 3], d: {}}, e: []}",
      "// c\n{\n\t'q': {\n\t\t'r': 1, // one\n\t},\n\t\"s\": [ /* none */ ],\n}\n",
      "{\r\n  a: {\r\n    b: 1\r\n  }\r\n}\r\n",
      "{a: {b: {c: {d: 1}}}, /* end */}",
      "{\n  a: 1 /* x */, b: 2 // y\n  , c: 3\n}",
      "{\n  list: [\n    // first\n    1,\n    2, // second\n  ],\n}",
      "{x: 1, x: 2}",
      "\xEF\xBB\xBF{a: 1}",
  };
  const char* set_paths[] = {"a",       "b.c",  "new.deep.key",
                             "list[0]", "n",    "strict.json[3]",
                             "q.r",     "s[0]", R"(["key with space"].x)",
                             "a.b.c.e", "x",    "c"};
  const char* values[] = {"1", "'text'", "{k: [1, {z: null}]}", "[]", "{}", "-1.5e3", "true"};
  int checked = 0;
  for (std::string_view file : files) {
    json::value model = tree_of(file);
    for (const char* at : set_paths) {
      for (const char* v : values) {
        json::value expected = model;
        auto want = set_at(expected, path(at), value(v));
        auto got = json5_set(file, path(at), value(v));
        ASSERT_EQ(static_cast<bool>(want), static_cast<bool>(got))
            << file << " set " << at << " = " << v << ": " << (got ? *got : got.error().message);
        if (got) {
          EXPECT_TRUE(same(value(*got), expected)) << *got;
          ++checked;
        } else {
          EXPECT_EQ(got.error().code, want.error().code);
        }
      }
      json::value expected = model;
      auto erased = erase_at(expected, path(at));
      ASSERT_TRUE(erased);
      auto got = json5_unset(file, path(at));
      if (*erased) {
        ASSERT_TRUE(got) << file << " unset " << at << ": " << got.error().message;
        EXPECT_TRUE(same(value(*got), expected)) << *got;
        ++checked;
      } else {
        ASSERT_FALSE(got);
        EXPECT_EQ(got.error().code, Errc::not_found);
      }
    }
  }
  EXPECT_GT(checked, 400);
}

// Every path that exists in `v`, for picking edit targets.
void collect_paths(const json::value& v, JsonPath& at, std::vector<JsonPath>& out) {
  out.push_back(at);
  if (const auto* object = v.if_object()) {
    for (const auto& member : *object) {
      at.segments.emplace_back(std::string(member.key()));
      collect_paths(member.value(), at, out);
      at.segments.pop_back();
    }
  } else if (const auto* array = v.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      at.segments.emplace_back(i);
      collect_paths((*array)[i], at, out);
      at.segments.pop_back();
    }
  }
}

json::value random_value(std::mt19937& rng, int depth) {
  switch (rng() % (depth > 2 ? 6 : 8)) {
    case 0:
      return nullptr;
    case 1:
      return rng() % 2 == 0;
    case 2:
      return static_cast<std::int64_t>(rng() % 2000) - 1000;
    case 3: {
      const double specials[] = {std::numeric_limits<double>::infinity(),
                                 std::numeric_limits<double>::quiet_NaN(), -0.0, 1e300};
      return rng() % 8 == 0 ? specials[rng() % 4] : static_cast<double>(rng() % 1000) / 8.0;
    }
    case 4: {
      const char* strings[] = {"x", "it's \"quoted\"", "multi\nline", "ünï ✓", "", "a\\b"};
      return json::string(strings[rng() % 6]);
    }
    case 5:
      return std::numeric_limits<std::uint64_t>::max() - rng() % 10;
    case 6: {
      json::object object;
      for (std::size_t i = rng() % 3; i > 0; --i) {
        object["k" + std::to_string(rng() % 5)] = random_value(rng, depth + 1);
      }
      return object;
    }
    default: {
      json::array array;
      for (std::size_t i = rng() % 3; i > 0; --i) {
        array.push_back(random_value(rng, depth + 1));
      }
      return array;
    }
  }
}

// Random chains of edits on a commented file agree step by step with set_at/erase_at on the
// parsed value, and never lose the header comment.
TEST(Json5Edit, RandomEditsMatchSetAtAndEraseAt) {
  const std::string_view starts[] = {
      kCommented,
      "// header comment\n{\n  \"a\": 1, // trailing\n  /* block */ \"b\": [1, 2, {\"c\": 3}]\n}",
      "// header comment\n{a: {b: {}}, list: [], x: 'y'}",
  };
  const char* new_keys[] = {"a", "b", "n", "my.key", "k0", "list", "über"};
  int applied = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    std::mt19937 rng(seed);
    std::string text(starts[seed % 3]);
    const std::string header = text.substr(0, text.find('\n'));
    json::value model = tree_of(text);
    for (int step = 0; step < 150; ++step) {
      std::vector<JsonPath> paths;
      JsonPath root;
      collect_paths(model, root, paths);
      JsonPath at = paths[rng() % paths.size()];
      if (at.segments.empty() || rng() % 2 == 0) {  // reach one level past an existing value
        const json::value* there = find_at(model, at);
        if (there != nullptr && there->is_array() && rng() % 2 == 0) {
          at.segments.emplace_back(there->as_array().size());
        } else {
          at.segments.emplace_back(std::string(new_keys[rng() % 7]));
        }
      }
      SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step) + " " +
                   at.to_string() + "\n" + text);
      if (rng() % 3 == 0 && !at.segments.empty()) {
        json::value expected = model;
        auto erased = erase_at(expected, at);
        ASSERT_TRUE(erased);
        auto got = json5_unset(text, at);
        if (!*erased) {
          ASSERT_FALSE(got);
          ASSERT_EQ(got.error().code, Errc::not_found);
          continue;
        }
        ASSERT_TRUE(got) << got.error().message;
        text = *got;
        model = std::move(expected);
      } else {
        json::value v = random_value(rng, 0);
        json::value expected = model;
        auto want = set_at(expected, at, v);
        auto got = json5_set(text, at, v);
        ASSERT_EQ(static_cast<bool>(want), static_cast<bool>(got))
            << (got ? *got : got.error().message);
        if (!got) {
          ASSERT_EQ(got.error().code, want.error().code);
          continue;
        }
        text = *got;
        model = std::move(expected);
      }
      ++applied;
      auto reparsed = json5::parse(text);
      ASSERT_TRUE(reparsed) << reparsed.error().message;
      ASSERT_TRUE(same(*reparsed, model)) << text;
      ASSERT_EQ(text.rfind(header, 0), 0u) << text;
    }
  }
  EXPECT_GT(applied, 1000);
}

}  // namespace
}  // namespace pincer::core
