#include "tools/memory/memory_fts_query.hpp"

#include <gtest/gtest.h>

namespace pincer::tools::memory {
namespace {

// FTS5 syntax in a query only separates words; each word is a quoted phrase.
TEST(MemoryFtsQuery, SyntaxBecomesWords) {
  EXPECT_EQ(fts_match_expression(R"(foo" OR ")"), R"("foo" OR "or")");
  EXPECT_EQ(fts_match_expression("NEAR(a b)"), R"("near" OR "a" OR "b")");
  EXPECT_EQ(fts_match_expression("text:x* ^y -z"), R"("text" OR "x" OR "y" OR "z")");
  EXPECT_EQ(fts_match_expression("Deploy deploy DEPLOY"), R"("deploy")");
}

TEST(MemoryFtsQuery, NonAsciiWordsStayWhole) {
  EXPECT_EQ(query_terms("Café über 東京"), (std::vector<std::string>{"café", "über", "東京"}));
}

TEST(MemoryFtsQuery, NoWordsNoExpression) {
  EXPECT_FALSE(fts_match_expression("").has_value());
  EXPECT_FALSE(fts_match_expression(R"( "" () * : )").has_value());
  EXPECT_EQ(query_terms("a b c d e", 3).size(), 3u);
}

}  // namespace
}  // namespace pincer::tools::memory
