#pragma once
// Finding the text an `edit` replaces. Exact matches first; when there is none, a second pass
// ignores what models commonly get wrong when copying text: trailing whitespace, typographic
// quotes, Unicode dashes and special spaces (the reference's edit does the same).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::tools::file_tools {

struct TextMatch {
  std::size_t begin = 0;  // byte offsets into the searched text
  std::size_t end = 0;
};

struct TextMatches {
  std::vector<TextMatch> matches;  // non-overlapping, in order
  bool fuzzy = false;              // found only after normalization
};

TextMatches find_text(std::string_view haystack, std::string_view needle);

// 1-based line number of byte `offset`.
std::size_t line_number_at(std::string_view text, std::size_t offset);

// A sentence pointing at the line of `haystack` most like the first line of `needle`, or empty
// when nothing is close. For the "not found" error, so the model can fix its oldText.
std::string closest_line_hint(std::string_view haystack, std::string_view needle);

}  // namespace pincer::tools::file_tools
