#include "core/json5.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <boost/json.hpp>

namespace pincer::core::json5 {
namespace {

namespace json = boost::json;

// Equal values of equal kinds (int64 1 is not uint64 1 here); NaN equals NaN; -0.0 is not 0.0.
bool identical(const json::value& a, const json::value& b) {
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case json::kind::double_: {
      double x = a.get_double();
      double y = b.get_double();
      if (std::isnan(x) || std::isnan(y)) {
        return std::isnan(x) && std::isnan(y);
      }
      return x == y && std::signbit(x) == std::signbit(y);
    }
    case json::kind::object: {
      const auto& x = a.get_object();
      const auto& y = b.get_object();
      if (x.size() != y.size()) {
        return false;
      }
      auto it = y.begin();
      for (const auto& member : x) {
        if (member.key() != it->key() || !identical(member.value(), it->value())) {
          return false;
        }
        ++it;
      }
      return true;
    }
    case json::kind::array: {
      const auto& x = a.get_array();
      const auto& y = b.get_array();
      if (x.size() != y.size()) {
        return false;
      }
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!identical(x[i], y[i])) {
          return false;
        }
      }
      return true;
    }
    default:
      return a == b;
  }
}

struct ValidCase {
  const char* name;
  std::string input;
  std::string expected;  // strict JSON, read with boost::json::parse
};

const std::vector<ValidCase>& valid_corpus() {
  static const std::vector<ValidCase> corpus = {
      {"empty object", "{}", "{}"},
      {"empty array", "[]", "[]"},
      {"null", "null", "null"},
      {"booleans", "[true, false]", "[true,false]"},
      {"strict json object", R"({"a": 1, "b": [true, null, "x"]})",
       R"({"a":1,"b":[true,null,"x"]})"},
      {"line comment before", "// config\n{a: 1}", R"({"a":1})"},
      {"block comments everywhere", "/* a */ { /* b */ a /* c */ : /* d */ 1 /* e */ } /* f */",
       R"({"a":1})"},
      {"empty block comment", "/**/1/**/", "1"},
      {"comment at end without newline", "1 // the end", "1"},
      {"comment with stars", "/*** x **/ 2", "2"},
      {"trailing comma in object", "{a: 1, b: 2,}", R"({"a":1,"b":2})"},
      {"trailing comma in array", "[1, 2, 3,]", "[1,2,3]"},
      {"identifier keys with $ and _", "{$id: 1, _x: 2, a1: 3, A_$: 4}",
       R"({"$id":1,"_x":2,"a1":3,"A_$":4})"},
      {"reserved words as keys", "{null: 1, true: 2, Infinity: 3, NaN: 4, if: 5}",
       R"({"null":1,"true":2,"Infinity":3,"NaN":4,"if":5})"},
      {"unicode identifier key", "{ключ: 'значение', 名前: 1}", R"({"ключ":"значение","名前":1})"},
      {"escaped identifier key", R"({\u0061b: 1, a\u0062c: 2})", R"({"ab":1,"abc":2})"},
      {"single quoted strings", R"({'single': 'quoted'})", R"({"single":"quoted"})"},
      {"double quote inside single quotes", R"('He said "hi"')", R"("He said \"hi\"")"},
      {"single quote inside double quotes", R"("it's")", R"("it's")"},
      {"hex and unicode escapes", R"("\x41\u0042\u00e9")", R"("ABé")"},
      {"surrogate pair escape", R"("\uD83D\uDE00")", "\"\xF0\x9F\x98\x80\""},
      {"line continuation LF", "'line \\\ncontinued'", R"("line continued")"},
      {"line continuation CRLF", "'a\\\r\nb'", R"("ab")"},
      {"line continuation U+2028",
       "'a\\\xE2\x80\xA8"
       "b'",
       R"("ab")"},
      {"nul escape", R"("a\0b")", R"("a\u0000b")"},
      {"single character escapes", R"("\b\f\n\r\t\v")", R"("\b\f\n\r\t\u000b")"},
      {"identity escapes", R"('\A\'\"\\\/')", R"("A'\"\\/")"},
      {"raw tab and U+2028 inside a string",
       "'a\tb\xE2\x80\xA8"
       "c'",
       "\"a\\tb\xE2\x80\xA8"
       "c\""},
      {"raw unicode text", R"("héllo wörld ✓ 😀")", R"("héllo wörld ✓ 😀")"},
      {"hex numbers", "[0x1F, 0XaBc, -0x10, +0x0]", "[31,2748,-16,0]"},
      {"leading and trailing decimal point", "[.5, 5., +.5e1, -.25]", "[0.5,5.0,5.0,-0.25]"},
      {"leading plus", "[+1, +1.5]", "[1,1.5]"},
      {"exponents are doubles", "[1e3, 1E-2, 2e+2, 0e0]", "[1000.0,0.01,200.0,0.0]"},
      {"zero forms", "[0, 0.0, -0, -0.0]", "[0,0.0,0,-0.0]"},
      {"int64 max stays int64", "9223372036854775807", "9223372036854775807"},
      {"int64 min stays int64", "-9223372036854775808", "-9223372036854775808"},
      {"above int64 becomes uint64", "9223372036854775808", "9223372036854775808"},
      {"uint64 max", "18446744073709551615", "18446744073709551615"},
      {"above uint64 becomes double", "18446744073709551616", "1.8446744073709552E19"},
      {"below int64 min becomes double", "-9223372036854775809", "-9.223372036854776E18"},
      {"hex uint64 max", "0xFFFFFFFFFFFFFFFF", "18446744073709551615"},
      {"hex above uint64 becomes double", "0x10000000000000000", "1.8446744073709552E19"},
      {"negative hex int64 min", "-0x8000000000000000", "-9223372036854775808"},
      {"tiny double underflows to zero", "1e-400", "0.0"},
      {"many digits", "3.14159265358979323846264338327950288", "3.141592653589793"},
      {"duplicate keys last wins", "{a: 1, b: 2, a: 3}", R"({"a":3,"b":2})"},
      {"byte order mark", "\xEF\xBB\xBF{a: 1}", R"({"a":1})"},
      {"unicode whitespace",
       "{\xC2\xA0"
       "a:\xE2\x80\xA8"
       "1,\xE2\x80\xA9"
       "b:\xE3\x80\x80"
       "2}",
       R"({"a":1,"b":2})"},
      {"ascii whitespace", "\t\v\f\r\n [ 1 ]\r\n", "[1]"},
      {"crlf lines with comments", "{\r\n  // c\r\n  a: 1, /* d */\r\n}\r\n", R"({"a":1})"},
      {"nesting", "[1, [2, [3, {a: [4, {b: {}}]}]]]", R"([1,[2,[3,{"a":[4,{"b":{}}]}]]])"},
      {"quoted keys with any characters", R"({"a.b": 1, 'c d': 2, "": 3})",
       R"({"a.b":1,"c d":2,"":3})"},
      {"escaped U+2028", R"('\u2028')", "\"\xE2\x80\xA8\""},
      {"config-like file",
       "// Pincer config\n{\n  gateway: {\n    port: 18789, // default\n    bind: 'loopback',\n  "
       "},\n"
       "  agents: {list: [{id: 'main', model: \"gpt\"},]},\n}\n",
       R"({"gateway":{"port":18789,"bind":"loopback"},"agents":{"list":[{"id":"main","model":"gpt"}]}})"},
  };
  return corpus;
}

// Every JSON5 feature in the corpus parses to the value written as strict JSON next to it.
TEST(Json5, ParsesValidCorpus) {
  ASSERT_GE(valid_corpus().size(), 40u);
  for (const auto& c : valid_corpus()) {
    SCOPED_TRACE(c.name);
    auto got = parse(c.input);
    ASSERT_TRUE(got) << got.error().message;
    json::value want = json::parse(c.expected);
    EXPECT_TRUE(identical(*got, want)) << json::serialize(*got) << " vs " << c.expected;
  }
}

// JSON is a subset of JSON5: strict inputs give exactly boost::json::parse's tree.
TEST(Json5, StrictJsonParsesLikeBoostJson) {
  const char* inputs[] = {
      "{}",
      "[]",
      "0",
      "-0",
      "-0.0",
      "1.5e300",
      "123456789012345678",
      "-1",
      "1E2",
      "0.1",
      "9223372036854775808",
      "18446744073709551616",
      "-9223372036854775809",
      "\"\"",
      R"("\u0000\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00")",
      "true",
      "false",
      "null",
      R"({"a":{"b":[1,2,{"c":null}]},"d":"e"})",
      " [ 1 , 2 ] ",
      "[1e-400, 1e400, -1e400]",
      R"({"k":1,"k":2})",
      "2.2250738585072014e-308",
      "4.9e-324",
  };
  for (const char* input : inputs) {
    SCOPED_TRACE(input);
    auto got = parse(input);
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_TRUE(identical(*got, json::parse(input))) << json::serialize(*got);
  }
}

// Infinity and NaN, signed or not, are doubles; out-of-range decimals overflow to Infinity.
TEST(Json5, NonFiniteNumbersAreDoubles) {
  auto got = parse("[Infinity, -Infinity, +Infinity, NaN, -NaN, +NaN, 1e400, -1e99999999999]");
  ASSERT_TRUE(got) << got.error().message;
  const auto& a = got->as_array();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(a[0].as_double(), kInf);
  EXPECT_EQ(a[1].as_double(), -kInf);
  EXPECT_EQ(a[2].as_double(), kInf);
  EXPECT_TRUE(std::isnan(a[3].as_double()));
  EXPECT_TRUE(std::isnan(a[4].as_double()));
  EXPECT_TRUE(std::isnan(a[5].as_double()));
  EXPECT_EQ(a[6].as_double(), kInf);
  EXPECT_EQ(a[7].as_double(), -kInf);
}

struct InvalidCase {
  const char* name;
  std::string input;
  std::size_t line;
  std::size_t column;
  const char* says;  // a piece of the message
};

const std::vector<InvalidCase>& invalid_corpus() {
  static const std::vector<InvalidCase> corpus = {
      {"empty text", "", 1, 1, "expected a value, found end of input"},
      {"only a comment", "// nothing\n", 2, 1, "expected a value, found end of input"},
      {"unclosed object", "{", 1, 2, "expected a key or '}', found end of input"},
      {"object missing closing brace", "{a: 1", 1, 6, "expected ',' or '}'"},
      {"missing colon", "{a 1}", 1, 4, "expected ':' after the key, found '1'"},
      {"missing comma in array", "[1 2]", 1, 4, "expected ',' or ']' after the element"},
      {"missing comma in object", R"({"a": 1 "b": 2})", 1, 9, "expected ',' or '}'"},
      {"unterminated string", "\"abc", 1, 5, "expected \" to close the string at line 1, column 1"},
      {"line break in string", "{a: \"abc\ndef\"}", 1, 9, "found a line break"},
      {"mismatched quotes", "'abc\"", 1, 6, "expected ' to close the string"},
      {"backslash at end of input", "\"abc\\", 1, 6, "expected an escaped character"},
      {"unterminated block comment", "{a: 1} /* x", 1, 8, "expected '*/' to close this comment"},
      {"lone slash", "1 / 2", 1, 4, "expected '/' or '*' after '/'"},
      {"short hex escape", R"("\x4")", 1, 5, "expected 2 hex digits after '\\x', found '\"'"},
      {"bad unicode escape", R"("\u12G4")", 1, 6, "expected 4 hex digits after '\\u', found 'G'"},
      {"octal escape", R"("\1")", 1, 2, "octal escapes are not allowed"},
      {"nul escape followed by digit", R"("\01")", 1, 2, "expected no digit after '\\0'"},
      {"lone high surrogate", R"("\uD800")", 1, 2, "lone surrogates are not allowed"},
      {"lone low surrogate", R"("\uDC00")", 1, 2, "expected a high surrogate"},
      {"high surrogate before a non-surrogate", R"("\uD800\u0041")", 1, 2,
       "expected a low surrogate"},
      {"leading zero", "012", 1, 2, "leading zeros are not allowed"},
      {"leading zero after sign", "[-012]", 1, 4, "leading zeros are not allowed"},
      {"double zero", "00", 1, 2, "leading zeros are not allowed"},
      {"hex without digits", "0x", 1, 3, "expected a hex digit after '0x'"},
      {"exponent without digits", "1e", 1, 3, "expected a digit in the exponent"},
      {"signed exponent without digits", "1e+", 1, 4, "expected a digit in the exponent"},
      {"lone decimal point", ".", 1, 2, "expected a digit after '.'"},
      {"lone minus", "-", 1, 2, "expected a number after '-', found end of input"},
      {"sign before a word", "+Inf", 1, 2, "expected a number after '+', found 'Inf'"},
      {"two signs", "+-1", 1, 2, "expected a number after '+', found '-'"},
      {"number with underscore", "1_000", 1, 2, "expected the end of the text after the value"},
      {"garbage after the value", "{a: 1}}", 1, 7, "expected the end of the text"},
      {"second value", "1 2", 1, 3, "expected the end of the text after the value, found '2'"},
      {"misspelled literal", "tru", 1, 1, "expected a value, found 'tru'"},
      {"literal with suffix", "Infinityx", 1, 1, "found 'Infinityx'"},
      {"unquoted string value", "{a: hello}", 1, 5, "(strings need quotes)"},
      {"double comma in array", "[1,,2]", 1, 4, "expected a value, found ','"},
      {"comma only object", "{,}", 1, 2, "expected a key or '}', found ','"},
      {"double comma in object", "{a: 1,,}", 1, 7, "expected a key or '}', found ','"},
      {"dash in unquoted key", "{a-b: 1}", 1, 3, "expected ':' after the key, found '-'"},
      {"number as key", "{1: 2}", 1, 2, "expected a key or '}', found '1'"},
      {"escape producing a digit at key start", R"({\u0031a: 1})", 1, 2,
       "expected an escaped identifier character"},
      {"invalid byte in string",
       "\"a\xFF"
       "b\"",
       1, 3, "found the invalid byte 0xFF"},
      {"overlong utf-8", "\"\xC0\x80\"", 1, 2, "found the invalid byte 0xC0"},
      {"raw utf-8 surrogate", "\"\xED\xA0\x80\"", 1, 2, "found the invalid byte 0xED"},
      {"control character outside strings", std::string("[\x01]"), 1, 2,
       "found the control character U+0001"},
      {"error on a later line", "{\n  a: 1,\n  b: \n}", 4, 1, "expected a value, found '}'"},
      {"crlf counts as one line break", "{\r\n  a: 1\r\n  b: 2\r\n}", 3, 3,
       "expected ',' or '}' after the member, found 'b'"},
      {"lone cr ends a line", "[1,\r\r x]", 3, 2, "expected a value, found 'x'"},
      {"U+2028 ends a line", "[1,\xE2\x80\xA8 x]", 2, 2, "expected a value, found 'x'"},
      {"columns count characters", "{\"\xC3\xA9\xE2\x9C\x93\": x}", 1, 8,
       "expected a value, found 'x'"},
      {"closing bracket on a later line", "[1] // ok\n]", 2, 1, "expected the end of the text"},
  };
  return corpus;
}

// Malformed text fails with Errc::parse at the line and column of the offending character.
TEST(Json5, RejectsInvalidCorpusWithLineAndColumn) {
  ASSERT_GE(invalid_corpus().size(), 30u);
  for (const auto& c : invalid_corpus()) {
    SCOPED_TRACE(c.name);
    auto got = parse(c.input);
    ASSERT_FALSE(got) << json::serialize(*got);
    EXPECT_EQ(got.error().code, Errc::parse);
    std::string prefix =
        "line " + std::to_string(c.line) + ", column " + std::to_string(c.column) + ": ";
    EXPECT_EQ(got.error().message.rfind(prefix, 0), 0u) << got.error().message;
    EXPECT_NE(got.error().message.find(c.says), std::string::npos) << got.error().message;
  }
}

// kMaxDepth nested containers are fine; one more is an error at the bracket that crosses it.
TEST(Json5, LimitsNestingDepth) {
  std::string ok = std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']');
  EXPECT_TRUE(parse(ok));
  std::string objects;
  for (int i = 0; i < kMaxDepth; ++i) {
    objects += "{a:";
  }
  objects += "1" + std::string(kMaxDepth, '}');
  EXPECT_TRUE(parse(objects));

  std::string deep = std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']');
  auto got = parse(deep);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().message,
            "line 1, column 257: expected at most 256 nested arrays and objects, found deeper "
            "nesting");

  // Far deeper input fails just as fast instead of exhausting the stack.
  EXPECT_FALSE(parse(std::string(1'000'000, '[')));
  EXPECT_FALSE(parse(std::string(1'000'000, '{')));
}

// Large inputs take linear time: each of these would hang if any step were quadratic.
TEST(Json5, HandlesLargeInputsInLinearTime) {
  constexpr int kCount = 200'000;
  std::string array = "[";
  std::string object = "{";
  for (int i = 0; i < kCount; ++i) {
    array += "1,";
    object += "k" + std::to_string(i) + ": 'v',";
  }
  array += "]";
  object += "}";
  auto a = parse(array);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->as_array().size(), static_cast<std::size_t>(kCount));
  auto o = parse(object);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->as_object().size(), static_cast<std::size_t>(kCount));

  std::string escapes = "'";
  for (int i = 0; i < kCount; ++i) {
    escapes += "\\u00e9\\n";
  }
  escapes += "'";
  EXPECT_TRUE(parse(escapes));

  // Errors far into the text, unterminated comments and strings, long numbers.
  EXPECT_FALSE(parse(array.substr(0, array.size() - 1)));
  EXPECT_FALSE(parse("/*" + std::string(2'000'000, '*')));
  EXPECT_FALSE(parse("'" + std::string(2'000'000, 'x')));
  auto digits = parse(std::string(1'000'000, '9') + ".5");
  ASSERT_TRUE(digits);
  EXPECT_TRUE(std::isinf(digits->as_double()));
  auto zeros = parse("0." + std::string(1'000'000, '0') + "1");
  ASSERT_TRUE(zeros);
  EXPECT_EQ(zeros->as_double(), 0.0);
}

// Arbitrary bytes and mangled valid documents never crash: each either parses or reports
// a "line L, column C:" error.
TEST(Json5, SurvivesRandomInput) {
  std::mt19937 rng(20240601);
  const std::string alphabet = "{}[]:,'\"\\/*+-.0123456789abcdefxuEIN \n\r\t";
  auto check = [](const std::string& text) {
    auto got = parse(text);
    if (!got) {
      EXPECT_EQ(got.error().message.rfind("line ", 0), 0u) << got.error().message;
    }
  };
  for (int i = 0; i < 20'000; ++i) {
    std::string text;
    std::size_t length = rng() % 24;
    for (std::size_t j = 0; j < length; ++j) {
      text += (rng() % 8 == 0) ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    check(text);
  }
  for (const auto& c : valid_corpus()) {
    for (int i = 0; i < 200; ++i) {
      std::string text = c.input;
      if (text.empty()) {
        continue;
      }
      std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text.erase(at, 1 + rng() % 3);
          break;
        case 1:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          text[at] = static_cast<char>(rng() % 256);
      }
      check(text);
    }
  }
}

}  // namespace
}  // namespace pincer::core::json5
