#include "agent/block_chunker.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <iterator>
#include <optional>

#include "agent/head_tail.hpp"

namespace pincer::agent {

namespace {

constexpr std::size_t kNone = std::string_view::npos;
// A blank line between paragraphs may hold this many spaces or tabs: with the '\n' on each side
// it then ends within kLookahead bytes of its start, so waiting kLookahead bytes decides it.
constexpr std::size_t kMaxBlankLineSpaces = BlockChunker::kLookahead - 2;
// Code a fence split must leave room for: one UTF-8 character.
constexpr std::size_t kMinCodeBytes = 4;

// Break kinds, strongest first; the preferred kind and the ones after it form the fallback chain.
enum Kind : std::size_t { kParagraph, kNewline, kSentence, kWhitespace, kKinds };

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}
bool is_sentence_end(char c) {
  return c == '.' || c == '!' || c == '?';
}

// The end of text[0, end) without its trailing whitespace.
std::size_t rtrim_end(std::string_view text, std::size_t end) {
  while (end > 0 && is_space(text[end - 1])) {
    --end;
  }
  return end;
}

// The line starting at `start`, without its '\n' (to the end of `text` when it has none yet).
std::string_view line_at(std::string_view text, std::size_t start) {
  std::size_t nl = text.find('\n', start);
  return text.substr(start, nl == kNone ? kNone : nl - start);
}

// A line that opens or closes a fence: up to three spaces, then three or more '`' or '~'.
struct MarkerLine {
  std::size_t indent = 0;
  char ch = '`';
  std::size_t run = 0;
  bool rest_blank = false;  // nothing but spaces/tabs after the run: it can close a fence
};

std::optional<MarkerLine> parse_marker_line(std::string_view line) {
  MarkerLine m;
  while (m.indent < line.size() && m.indent < 4 && line[m.indent] == ' ') {
    ++m.indent;
  }
  if (m.indent > 3 || m.indent == line.size()) {
    return std::nullopt;
  }
  m.ch = line[m.indent];
  if (m.ch != '`' && m.ch != '~') {
    return std::nullopt;
  }
  std::size_t i = m.indent;
  while (i < line.size() && line[i] == m.ch) {
    ++i;
  }
  m.run = i - m.indent;
  if (m.run < 3) {
    return std::nullopt;
  }
  m.rest_blank = std::all_of(line.begin() + static_cast<std::ptrdiff_t>(i), line.end(), is_blank);
  return m;
}

// A fenced code block in the window, from its opening line to its closing line.
struct Fence {
  std::size_t open_start = 0;
  std::size_t open_end = kNone;     // the opening line's '\n'; kNone while it runs past the window
  std::size_t close_start = kNone;  // the closing line's first byte; kNone while the fence is open
  std::size_t close_end = kNone;    // the end of the closing line; kNone while the fence is open
  std::string_view open_line;       // the opening line without trailing blanks (open_end known)
  std::string bare;                 // indent and marker run: the closing line
  char ch = '`';

  // Whether a cut at `at` would leave part of the fence on each side.
  bool contains(std::size_t at) const {
    return open_start < at && (close_end == kNone || at < close_end);
  }
};

// The fences of `view`. A marker line counts as a closing line only once it is complete, so a
// line cut off by the end of the window leaves its fence open. `line_start`: the view's first
// line is a whole line (not the rest of one cut earlier).
std::vector<Fence> scan_fences(std::string_view view, bool line_start, bool view_complete) {
  std::vector<Fence> fences;
  std::optional<Fence> open;
  std::size_t open_run = 0;
  for (std::size_t s = 0; s < view.size();) {
    std::size_t nl = view.find('\n', s);
    bool complete = nl != kNone || view_complete;
    std::size_t e = nl == kNone ? view.size() : nl;
    std::optional<MarkerLine> marker;
    if (s > 0 || line_start) {
      marker = parse_marker_line(view.substr(s, e - s));
    }
    if (!open) {
      if (marker) {
        open = Fence{};
        open->open_start = s;
        if (complete) {
          open->open_end = e;
          open->open_line = view.substr(s, rtrim_end(view, e) - s);
        }
        open->bare = std::string(marker->indent, ' ') + std::string(marker->run, marker->ch);
        open->ch = marker->ch;
        open_run = marker->run;
      }
    } else if (marker && complete && marker->ch == open->ch && marker->run >= open_run &&
               marker->rest_blank) {
      open->close_start = s;
      open->close_end = e;
      fences.push_back(std::move(*open));
      open.reset();
    }
    if (nl == kNone) {
      break;
    }
    s = nl + 1;
  }
  if (open) {
    fences.push_back(std::move(*open));
  }
  return fences;
}

bool inside_fence(const std::vector<Fence>& fences, std::size_t at) {
  return std::any_of(fences.begin(), fences.end(), [&](const Fence& f) { return f.contains(at); });
}

// Whether the '\n' at `at` starts a blank line (one ending in another '\n' inside `view`).
bool blank_line_follows(std::string_view view, std::size_t at) {
  for (std::size_t i = at + 1; i < view.size() && i <= at + 1 + kMaxBlankLineSpaces; ++i) {
    if (view[i] == '\n') {
      return true;
    }
    if (!is_blank(view[i])) {
      return false;
    }
  }
  return false;
}

struct Limits {
  std::size_t min;
  std::size_t max;
  std::size_t prefer;  // a Kind
};

// One block cut off the head of the pending text.
struct Cut {
  std::string block;     // what to send
  std::size_t kept;      // pending bytes the block carries (before a synthetic closing line)
  std::size_t consumed;  // pending bytes it used up
  std::string reopen;    // non-empty: this line and a '\n' go back in front of the rest
  bool at_line_start;    // the rest begins at the start of a line
};

// A block of text[0, end) less its trailing whitespace, closed by the line `close` if non-empty.
Cut make_cut(std::string_view text, std::size_t end, std::string_view close, std::size_t consumed,
             std::string reopen, bool at_line_start) {
  std::size_t kept = rtrim_end(text, end);
  Cut cut{std::string(text.substr(0, kept)), kept, consumed, std::move(reopen), at_line_start};
  if (!close.empty()) {
    cut.block += '\n';
    cut.block += close;
  }
  return cut;
}

// A cut at the whitespace byte `at`, which the cut swallows.
Cut break_cut(std::string_view text, std::size_t at) {
  return make_cut(text, at, {}, at + 1, {}, text[at] == '\n');
}

// A cut at `at` that disregards fences.
Cut plain_cut(std::string_view text, std::size_t at) {
  return make_cut(text, at, {}, at, {}, at > 0 && text[at - 1] == '\n');
}

// A cut for a window whose hard cut `h` falls inside `f`: ends the block before the fence when
// its code cannot start in this block, else closes the fence at the last line end (or at the
// last byte) that leaves room for the closing line, and reopens it in the next block. A line that
// looks like a fence marker is never cut through: it may be the fence's own closing line.
Cut fence_cut(std::string_view text, std::string_view view, const Fence& f, std::size_t h,
              const Limits& lim) {
  const std::string& close = f.bare;
  if (f.bare.size() + close.size() + kMinCodeBytes + 2 > lim.max) {
    return plain_cut(text, h);  // a marker run too long to repeat: give up on the Markdown
  }
  std::size_t limit = lim.max - close.size() - 1;  // the code's end, before "\n" + close
  std::size_t before = rtrim_end(text, f.open_start);
  bool code_fits = f.open_end != kNone && limit >= f.open_end + 2;
  if (before > 0 && !code_fits) {
    return make_cut(text, before, {}, f.open_start, {}, true);
  }
  std::string reopen(f.bare);
  if (f.open_end != kNone && f.open_line.size() + close.size() + kMinCodeBytes + 2 <= lim.max) {
    reopen = std::string(f.open_line);
  }
  if (f.open_end != kNone) {
    for (std::size_t i = std::min(limit, view.size() - 1); i > f.open_end; --i) {
      if (view[i] != '\n') {
        continue;
      }
      if (rtrim_end(view, i) < lim.min) {
        break;
      }
      // Not just before a marker line: the next block would open with an empty fence.
      auto next = parse_marker_line(line_at(view, i + 1));
      if (next && next->ch == f.ch) {
        continue;
      }
      return make_cut(text, i, close, i + 1, std::move(reopen), true);
    }
  }
  std::size_t k = utf8_floor(view, limit);
  // Never through a line that looks like a fence marker: it may be this fence's closing line.
  std::size_t nl = k == 0 ? kNone : view.rfind('\n', k - 1);
  std::size_t line = nl == kNone ? 0 : nl + 1;
  auto marker = parse_marker_line(line_at(view, line));
  if (f.open_end != kNone && line > f.open_end && line < k && marker && marker->ch == f.ch) {
    if (line == f.close_start) {
      // The closing line straddles the window: the synthetic one replaces it.
      std::size_t after = f.close_end < text.size() ? f.close_end + 1 : f.close_end;
      return make_cut(text, line - 1, close, after, {}, true);
    }
    if (line >= f.open_end + 2) {
      return make_cut(text, line - 1, close, line, std::move(reopen), true);
    }
  }
  if (f.open_end == kNone || k < f.open_end + 2) {
    reopen = f.bare;  // the cut fell inside the opening line: its info string went with it
  }
  return make_cut(text, k, close, k, std::move(reopen), true);
}

// The next cut of `text` (pending, head normalised), or nothing until more text arrives. `final`:
// the text ends here, and its trimmed length exceeds lim.max.
std::optional<Cut> next_cut(std::string_view text, const Limits& lim, bool line_start, bool final) {
  std::string_view view = text.substr(0, std::min(text.size(), lim.max + BlockChunker::kLookahead));
  std::vector<Fence> fences = scan_fences(view, line_start, final && view.size() == text.size());

  // Candidate cuts are whitespace bytes at most lim.max in, with lim.min bytes of text before.
  std::size_t first_preferred = kNone;
  std::array<std::size_t, kKinds> last_of{kNone, kNone, kNone, kNone};
  std::size_t trimmed = 0;           // rtrim_end(view, c)
  bool line_has_text = !line_start;  // whitespace in a line's indentation is no break
  std::size_t end = std::min(lim.max + 1, view.size());
  for (std::size_t c = 0; c < end && first_preferred == kNone; ++c) {
    char ch = view[c];
    if (is_space(ch) && trimmed >= lim.min && !inside_fence(fences, c)) {
      std::array<bool, kKinds> is{
          ch == '\n' && blank_line_follows(view, c),
          ch == '\n',
          c > 0 && is_sentence_end(view[c - 1]),
          ch == '\n' || line_has_text,
      };
      for (std::size_t k = lim.prefer; k < kKinds; ++k) {
        if (!is[k]) {
          continue;
        }
        if (k == lim.prefer) {
          first_preferred = c;
          break;
        }
        last_of[k] = c;
      }
    }
    if (ch == '\n') {
      line_has_text = false;
    } else if (!is_space(ch)) {
      line_has_text = true;
      trimmed = c + 1;
    }
  }
  if (first_preferred != kNone) {
    return break_cut(text, first_preferred);
  }
  // Weaker breaks only once the whole window (and what decides its breaks) is known.
  if (!final && view.size() < lim.max + BlockChunker::kLookahead) {
    return std::nullopt;
  }
  for (std::size_t k = lim.prefer + 1; k < kKinds; ++k) {
    if (last_of[k] != kNone) {
      return break_cut(text, last_of[k]);
    }
  }
  std::size_t h = utf8_floor(view, lim.max);
  for (const Fence& f : fences) {
    if (f.contains(h)) {
      return fence_cut(text, view, f, h, lim);
    }
  }
  return plain_cut(text, h);
}

}  // namespace

BlockChunker::BlockChunker(BlockChunkSettings settings)
    : max_(std::max(kMinMaxChars, std::min(settings.max_chars, settings.hard_limit))),
      prefer_(settings.prefer) {
  min_ = std::clamp<std::size_t>(settings.min_chars, 1, max_);
}

void BlockChunker::reset() {
  buf_.clear();
  head_ = 0;
  skip_ = Skip::blank_lines;
  blank_scanned_ = 0;
  line_start_ = true;
  reopen_len_ = 0;
}

// Drops what the next block must not start with. Only bytes already decided are dropped: spaces
// at the end of the buffer might still turn out to be a blank line or a line's indentation.
void BlockChunker::normalize_head() {
  while (skip_ != Skip::none) {
    std::string_view text = pending();
    if (skip_ == Skip::spaces) {
      std::size_t i = 0;
      while (i < text.size() && is_blank(text[i])) {
        ++i;
      }
      head_ += i;
      if (i == text.size()) {
        return;
      }
      if (text[i] == '\n') {
        head_ += 1;
        skip_ = Skip::blank_lines;
        blank_scanned_ = 0;
        line_start_ = true;
        continue;
      }
      skip_ = Skip::none;
      return;
    }
    std::size_t i = blank_scanned_;
    while (i < text.size() && is_blank(text[i])) {
      ++i;
    }
    if (i == text.size()) {
      blank_scanned_ = i;
      return;
    }
    blank_scanned_ = 0;
    if (text[i] == '\n') {
      head_ += i + 1;
      line_start_ = true;
      continue;
    }
    skip_ = Skip::none;
  }
}

bool BlockChunker::cut_one(bool final, std::vector<std::string>& out) {
  // Skip pending: the text so far is whitespace. Shorter than min_: no break qualifies yet.
  if (skip_ != Skip::none || (!final && pending().size() <= min_)) {
    return false;
  }
  Limits lim{min_, max_, static_cast<std::size_t>(prefer_)};
  std::optional<Cut> cut = next_cut(pending(), lim, line_start_, final);
  if (!cut) {
    return false;
  }
  // A block that carries nothing beyond a reopened fence line is not worth a message.
  if (cut->kept > (reopen_len_ > 0 ? reopen_len_ - 1 : 0)) {
    out.push_back(std::move(cut->block));
  }
  head_ += cut->consumed;
  line_start_ = cut->at_line_start;
  reopen_len_ = 0;
  blank_scanned_ = 0;
  if (cut->reopen.empty()) {
    skip_ = cut->at_line_start ? Skip::blank_lines : Skip::spaces;
    normalize_head();
    return true;
  }
  // The next block reopens the fence this one closed: write the line back in front of the rest.
  std::size_t len = cut->reopen.size() + 1;
  assert(cut->consumed > len && "a fence split must shrink the pending text, or it never ends");
  head_ -= len;
  std::copy(cut->reopen.begin(), cut->reopen.end(),
            buf_.begin() + static_cast<std::ptrdiff_t>(head_));
  buf_[head_ + len - 1] = '\n';
  reopen_len_ = len;
  skip_ = Skip::none;
  return true;
}

std::vector<std::string> BlockChunker::push(std::string_view delta) {
  std::vector<std::string> out;
  if (delta.empty()) {
    return out;
  }
  buf_.erase(0, head_);
  head_ = 0;
  buf_.append(delta);
  normalize_head();
  while (cut_one(false, out)) {
  }
  return out;
}

std::vector<std::string> BlockChunker::finish() {
  std::vector<std::string> out;
  while (skip_ == Skip::none && rtrim_end(pending(), pending().size()) > max_ &&
         cut_one(true, out)) {
  }
  std::string_view rest = pending();
  std::size_t end = rtrim_end(rest, rest.size());
  // A reopened fence with no code left after its line is not worth a message.
  std::size_t synthetic = reopen_len_ > 0 ? reopen_len_ - 1 : 0;
  if (skip_ == Skip::none && end > synthetic) {
    out.emplace_back(rest.substr(0, end));
  }
  reset();
  return out;
}

std::vector<std::string> chunk_text(std::string_view text, const BlockChunkSettings& settings) {
  BlockChunker chunker(settings);
  std::vector<std::string> blocks = chunker.push(text);
  std::vector<std::string> rest = chunker.finish();
  blocks.insert(blocks.end(), std::make_move_iterator(rest.begin()),
                std::make_move_iterator(rest.end()));
  return blocks;
}

}  // namespace pincer::agent
