#include "tools/memory/memory_fts_query.hpp"

#include <algorithm>

namespace pincer::tools::memory {

namespace {

bool is_word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

}  // namespace

std::vector<std::string> query_terms(std::string_view query, std::size_t max_terms) {
  std::vector<std::string> terms;
  std::size_t i = 0;
  while (i < query.size() && terms.size() < max_terms) {
    while (i < query.size() && !is_word_byte(static_cast<unsigned char>(query[i]))) {
      ++i;
    }
    std::string word;
    while (i < query.size() && is_word_byte(static_cast<unsigned char>(query[i]))) {
      char c = query[i++];
      word += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    if (!word.empty() && std::find(terms.begin(), terms.end(), word) == terms.end()) {
      terms.push_back(std::move(word));
    }
  }
  return terms;
}

std::optional<std::string> fts_match_expression(std::string_view query, std::size_t max_terms) {
  auto terms = query_terms(query, max_terms);
  if (terms.empty()) {
    return std::nullopt;
  }
  std::string expression;
  for (const auto& term : terms) {
    if (!expression.empty()) {
      expression += " OR ";
    }
    // A term holds no '"' (not a word byte), so the quoting cannot be closed early.
    expression += '"';
    expression += term;
    expression += '"';
  }
  return expression;
}

}  // namespace pincer::tools::memory
