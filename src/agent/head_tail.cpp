#include "agent/head_tail.hpp"

#include <algorithm>

namespace pincer::agent {

namespace {

bool is_continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// How far a cut may move to land on a line break: far enough to avoid half lines, close enough
// that the kept share barely changes.
constexpr std::size_t kLineSnap = 200;

// Head length <= `want`, ending after a '\n' when one lies within kLineSnap.
std::size_t head_cut(std::string_view text, std::size_t want) {
  want = utf8_floor(text, want);
  std::size_t from = want > kLineSnap ? want - kLineSnap : 0;
  auto nl = text.substr(0, want).rfind('\n');
  if (nl != std::string_view::npos && nl >= from) {
    return nl + 1;
  }
  return want;
}

// Start of a tail of length <= `want`, beginning after a '\n' when one lies within kLineSnap.
std::size_t tail_start(std::string_view text, std::size_t want) {
  std::size_t start = text.size() - want;
  while (start < text.size() && is_continuation(text[start])) {
    ++start;
  }
  auto nl = text.find('\n', start);
  if (nl != std::string_view::npos && nl < start + kLineSnap && nl + 1 <= text.size()) {
    return nl + 1;
  }
  return start;
}

}  // namespace

std::size_t utf8_floor(std::string_view text, std::size_t max) {
  if (max >= text.size()) {
    return text.size();
  }
  while (max > 0 && is_continuation(text[max])) {
    --max;
  }
  return max;
}

std::string keep_head_and_tail(std::string_view text, std::size_t max_bytes,
                               const CutMarker& marker) {
  if (text.size() <= max_bytes) {
    return std::string(text);
  }
  // The marker's length depends on the count it reports; sizing it with the whole length gives
  // an upper bound (the real count never has more digits).
  std::size_t marker_bytes = marker(text.size()).size();
  if (marker_bytes >= max_bytes) {
    return marker(text.size());
  }
  std::size_t budget = max_bytes - marker_bytes;
  std::size_t head = head_cut(text, budget * 7 / 10);
  std::size_t tail_from = tail_start(text, budget - head);
  tail_from = std::max(tail_from, head);
  std::string out;
  out.reserve(max_bytes);
  out.append(text.substr(0, head));
  out.append(marker(tail_from - head));
  out.append(text.substr(tail_from));
  return out;
}

}  // namespace pincer::agent
