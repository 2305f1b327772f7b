#include "tools/memory/memory_chunker.hpp"

#include <algorithm>
#include <deque>

namespace pincer::tools::memory {

namespace {

struct Line {
  int64_t number;
  std::string_view text;
};

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

bool is_heading(std::string_view line) {
  std::size_t hashes = 0;
  while (hashes < line.size() && line[hashes] == '#') {
    ++hashes;
  }
  return hashes >= 1 && hashes <= 6 && (hashes == line.size() || line[hashes] == ' ');
}

bool is_fence(std::string_view line) {
  auto start = line.find_first_not_of(' ');
  if (start == std::string_view::npos || start > 3) {
    return false;
  }
  line.remove_prefix(start);
  return line.starts_with("```") || line.starts_with("~~~");
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence (continuation bytes 10xxxxxx).
std::size_t utf8_cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) {
    return text.size();
  }
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return cut == 0 ? max : cut;
}

class Chunker {
 public:
  Chunker(const ChunkingOptions& options, std::vector<TextChunk>& out)
      : options_(options), out_(out) {}

  void add(Line line) {
    if (line.text.size() > options_.max_chars) {
      flush(false);
      while (!line.text.empty()) {
        auto cut = utf8_cut(line.text, options_.max_chars);
        current_.push_back({line.number, line.text.substr(0, cut)});
        flush(false);
        line.text.remove_prefix(cut);
      }
      return;
    }
    std::size_t cost = line.text.size() + 1;
    if (!current_.empty() && chars_ + cost > options_.max_chars) {
      flush(true);
      // The carried overlap must leave room for the new line.
      while (!current_.empty() && chars_ + cost > options_.max_chars) {
        chars_ -= current_.front().text.size() + 1;
        current_.pop_front();
      }
    }
    current_.push_back(line);
    chars_ += cost;
  }

  // Emits the passage so far. With `keep_overlap` its last lines (up to overlap_chars) stay
  // as the start of the next passage.
  void flush(bool keep_overlap) {
    emit();
    if (!keep_overlap) {
      current_.clear();
      chars_ = 0;
      return;
    }
    std::deque<Line> carried;
    std::size_t carried_chars = 0;
    for (auto it = current_.rbegin(); it != current_.rend(); ++it) {
      std::size_t cost = it->text.size() + 1;
      if (carried_chars + cost > options_.overlap_chars) {
        break;
      }
      carried.push_front(*it);
      carried_chars += cost;
    }
    // Overlap made only of blank lines adds nothing.
    if (std::all_of(carried.begin(), carried.end(),
                    [](const Line& l) { return is_blank(l.text); })) {
      carried.clear();
      carried_chars = 0;
    }
    current_ = std::move(carried);
    chars_ = carried_chars;
  }

  bool has_text() const {
    return std::any_of(current_.begin(), current_.end(),
                       [](const Line& l) { return !is_blank(l.text); });
  }

 private:
  void emit() {
    auto first = std::find_if(current_.begin(), current_.end(),
                              [](const Line& l) { return !is_blank(l.text); });
    if (first == current_.end()) {
      return;
    }
    auto last = std::find_if(current_.rbegin(), current_.rend(),
                             [](const Line& l) { return !is_blank(l.text); });
    TextChunk chunk;
    chunk.start_line = first->number;
    chunk.end_line = last->number;
    for (auto it = first; it != last.base(); ++it) {
      if (it != first) {
        chunk.text += '\n';
      }
      chunk.text += it->text;
    }
    // A long line cut into pieces may repeat the previous passage's last line number: fine.
    out_.push_back(std::move(chunk));
  }

  const ChunkingOptions& options_;
  std::vector<TextChunk>& out_;
  std::deque<Line> current_;
  std::size_t chars_ = 0;
};

}  // namespace

std::vector<TextChunk> chunk_markdown(std::string_view text, const ChunkingOptions& options) {
  std::vector<TextChunk> out;
  Chunker chunker(options, out);
  bool in_fence = false;
  int64_t number = 0;
  while (!text.empty() || number == 0) {
    auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++number;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (is_fence(line)) {
      in_fence = !in_fence;
    } else if (!in_fence && is_heading(line) && chunker.has_text()) {
      chunker.flush(false);
    }
    chunker.add({number, line});
    if (newline == std::string_view::npos) {
      break;
    }
  }
  chunker.flush(false);
  return out;
}

}  // namespace pincer::tools::memory
