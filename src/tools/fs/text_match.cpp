#include "tools/fs/text_match.hpp"

#include <algorithm>
#include <cstdint>

#include "core/text.hpp"

namespace pincer::tools::file_tools {

namespace {

struct Normalized {
  std::string text;
  std::vector<std::size_t> origin;  // origin[i]: offset in the source of text[i]; one extra entry
};

// The code point of the UTF-8 character at text[i] and its length (1 for invalid bytes).
std::pair<uint32_t, std::size_t> decode(std::string_view text, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  if (lead < 0x80) {
    return {lead, 1};
  }
  std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (length == 1 || i + length > text.size()) {
    return {lead, 1};
  }
  uint32_t code = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      return {lead, 1};
    }
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  return {code, length};
}

char ascii_for(uint32_t code) {
  switch (code) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
      return '\'';
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
      return '"';
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
      return '-';
    case 0x00A0:
    case 0x2002:
    case 0x2003:
    case 0x2004:
    case 0x2005:
    case 0x2006:
    case 0x2007:
    case 0x2008:
    case 0x2009:
    case 0x200A:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return ' ';
    default:
      return '\0';
  }
}

Normalized normalize(std::string_view source) {
  Normalized out;
  out.text.reserve(source.size());
  out.origin.reserve(source.size() + 1);
  std::string blanks;  // a run of spaces, dropped if the line ends right after it
  std::vector<std::size_t> blank_origin;
  std::size_t i = 0;
  while (i < source.size()) {
    auto [code, length] = decode(source, i);
    char mapped = ascii_for(code);
    if (code == ' ' || code == '\t' || mapped == ' ') {
      blanks += code == '\t' ? '\t' : ' ';
      blank_origin.push_back(i);
    } else {
      if (code != '\n') {
        out.text += blanks;
        out.origin.insert(out.origin.end(), blank_origin.begin(), blank_origin.end());
      }
      blanks.clear();
      blank_origin.clear();
      if (mapped != '\0') {
        out.text += mapped;
        out.origin.push_back(i);
      } else {
        for (std::size_t k = 0; k < length; ++k) {
          out.text += source[i + k];
          out.origin.push_back(i + k);
        }
      }
    }
    i += length;
  }
  out.origin.push_back(blank_origin.empty() ? source.size() : blank_origin.front());
  return out;
}

std::vector<TextMatch> find_all(std::string_view haystack, std::string_view needle) {
  std::vector<TextMatch> out;
  if (needle.empty()) {
    return out;
  }
  std::size_t at = haystack.find(needle);
  while (at != std::string_view::npos) {
    out.push_back({at, at + needle.size()});
    at = haystack.find(needle, at + needle.size());
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

TextMatches find_text(std::string_view haystack, std::string_view needle) {
  TextMatches result;
  result.matches = find_all(haystack, needle);
  if (!result.matches.empty()) {
    return result;
  }
  Normalized hay = normalize(haystack);
  Normalized pin = normalize(needle);
  if (core::trim(pin.text).empty()) {
    return result;
  }
  for (TextMatch match : find_all(hay.text, pin.text)) {
    result.matches.push_back({hay.origin[match.begin], hay.origin[match.end]});
  }
  result.fuzzy = !result.matches.empty();
  return result;
}

std::size_t line_number_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
}

std::string closest_line_hint(std::string_view haystack, std::string_view needle) {
  constexpr std::size_t kMaxLines = 5000;
  constexpr std::size_t kMaxLineBytes = 160;
  std::string_view wanted;
  for (std::size_t start = 0; start <= needle.size();) {
    std::size_t end = std::min(needle.find('\n', start), needle.size());
    wanted = core::trim(needle.substr(start, end - start));
    if (!wanted.empty()) {
      break;
    }
    start = end + 1;
  }
  if (wanted.empty()) {
    return {};
  }
  wanted = wanted.substr(0, kMaxLineBytes);

  std::size_t best_line = 0;
  double best_score = 0;
  std::string_view best_text;
  std::size_t number = 0;
  for (std::size_t start = 0; start < haystack.size() && number < kMaxLines;) {
    std::size_t end = std::min(haystack.find('\n', start), haystack.size());
    ++number;
    std::string_view line = core::trim(haystack.substr(start, end - start));
    start = end + 1;
    if (line.empty()) {
      continue;
    }
    std::string_view cut = line.substr(0, kMaxLineBytes);
    std::size_t longer = std::max(cut.size(), wanted.size());
    std::size_t shorter = std::min(cut.size(), wanted.size());
    if (shorter * 10 < longer * 6) {
      continue;  // lengths too different to be a near miss
    }
    double score = cut == wanted ? 1.0
                                 : 1.0 - static_cast<double>(edit_distance(cut, wanted)) /
                                             static_cast<double>(longer);
    if (score > best_score) {
      best_score = score;
      best_line = number;
      best_text = line;
    }
    if (score == 1.0) {
      break;
    }
  }
  if (best_score < 0.6) {
    return {};
  }
  std::string shown(best_text.substr(0, kMaxLineBytes));
  if (best_score == 1.0) {
    return "Its first line matches line " + std::to_string(best_line) +
           ", but the lines after it differ; read the file around that line and copy the text "
           "exactly.";
  }
  return "The closest line is line " + std::to_string(best_line) + ": " + shown;
}

}  // namespace pincer::tools::file_tools
