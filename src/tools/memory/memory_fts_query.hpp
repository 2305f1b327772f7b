#pragma once
// Turning what a model typed into an FTS5 MATCH expression that cannot be FTS5 syntax.
//
// The query is cut into words (runs of ASCII letters and digits, and of non-ASCII bytes, so
// "café" and "東京" stay whole); every other character — quotes, parentheses, '*', ':', '^',
// '-', '+' — only separates words. Each word is written as a double-quoted phrase, so "OR",
// "NEAR" or "text:" are searched as words, and the phrases are joined with OR: bm25 then ranks
// passages that hold more of the words (and rarer ones) first, where AND would drop a passage
// for missing one word of a conversational question.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::tools::memory {

// The distinct words of `query` (ASCII lower-cased), in order, at most `max_terms`.
std::vector<std::string> query_terms(std::string_view query, std::size_t max_terms = 32);

// `"w1" OR "w2" ...`; nullopt when the query has no words.
std::optional<std::string> fts_match_expression(std::string_view query, std::size_t max_terms = 32);

}  // namespace pincer::tools::memory
