#include "channels/delivery/message_chunker.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "agent/block_chunker.hpp"
#include "channels/delivery/detail/markdown_render.hpp"
#include "channels/delivery/plain_text.hpp"
#include "channels/delivery/telegram_html.hpp"

namespace pincer::channels {

namespace {

using agent::BlockChunkSettings;

// The smallest block the chunker cuts; a block this small that still renders too long goes to
// the hard-cut fallback.
constexpr std::size_t kMinBudget = agent::BlockChunker::kMinMaxChars;
constexpr std::size_t kMinPlainLimit = 2;  // room for one character outside the BMP
constexpr std::string_view kJoin = "\n\n";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), is_space);
}

// `text` without its leading blank lines (indentation of its first line is kept) and trailing
// whitespace, as agent::chunk_text trims its blocks.
std::string_view trim_outer(std::string_view text) {
  std::size_t first = 0;
  while (first < text.size() && is_space(text[first])) {
    ++first;
  }
  if (first == text.size()) {
    return {};
  }
  std::size_t nl = text.rfind('\n', first);
  text.remove_prefix(nl == std::string_view::npos ? 0 : nl + 1);
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) {
    --end;
  }
  return text.substr(0, end);
}

std::size_t utf8_length_at(std::string_view text, std::size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t len = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  return std::min(len, text.size() - i);
}

// The last resort: `text` cut on character boundaries into pieces of at most `limit` UTF-16
// units, at the last whitespace in the second half of each window when there is one.
std::vector<std::string> hard_split(std::string_view text, std::size_t limit) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    while (start < text.size() && is_space(text[start])) {
      ++start;
    }
    if (start == text.size()) {
      return out;
    }
    std::size_t end = start;
    std::size_t units = 0;
    std::size_t space = std::string_view::npos;
    while (end < text.size()) {
      std::size_t len = utf8_length_at(text, end);
      std::size_t u = len == 4 ? 2 : 1;
      if (units + u > limit && end > start) {
        break;
      }
      if (is_space(text[end]) && units >= limit / 2) {
        space = end;
      }
      units += u;
      end += len;
    }
    if (end < text.size() && space != std::string_view::npos) {
      end = space;
    }
    std::string_view piece = trim_outer(text.substr(start, end - start));
    if (!piece.empty()) {
      out.emplace_back(piece);
    }
    start = end;
  }
}

// The first block size to try: the limit scaled by the text's bytes per UTF-16 unit, so text in
// three-byte scripts (CJK) still fills a message.
std::size_t initial_budget(std::string_view text, std::size_t limit) {
  double units = static_cast<double>(std::max<std::size_t>(1, utf16_length(text)));
  double scaled = static_cast<double>(limit) * static_cast<double>(text.size()) / units;
  double capped = std::min(scaled, static_cast<double>(text.size()) + 1);
  return std::max(kMinBudget, static_cast<std::size_t>(capped));
}

// A candidate message: whether it fits, and how long it measured.
template <typename Part>
struct Fit {
  bool fits = false;
  std::size_t measured = 0;
  Part part;
};

// Cuts text into blocks with agent::chunk_text, then emits messages that fit: each block, or
// (packing) as many consecutive blocks joined by a blank line as fit. A block that does not fit
// is cut again with a budget scaled by how far over it was; at the smallest budget it goes to
// `fallback`. The budget shrinks on every level, so the recursion ends.
template <typename TryFit, typename Emit, typename Fallback>
class Splitter {
 public:
  using FitResult = std::invoke_result_t<TryFit&, std::string_view>;

  Splitter(std::size_t limit, bool pack, TryFit& try_fit, Emit& emit, Fallback& fallback)
      : limit_(limit), pack_(pack), try_fit_(try_fit), emit_(emit), fallback_(fallback) {}

  void split(std::string_view text, std::size_t budget) {
    BlockChunkSettings settings{1, budget, BlockChunkSettings::Break::paragraph, budget};
    std::vector<std::string> pieces = agent::chunk_text(text, settings);
    for (std::size_t i = 0; i < pieces.size();) {
      FitResult fit = try_fit_(pieces[i]);
      if (!fit.fits) {
        shrink(pieces[i], budget, fit.measured);
        ++i;
        continue;
      }
      std::size_t count = pack_ ? pack(pieces, i, fit) : 1;
      emit_(std::move(fit.part));
      i += count;
    }
  }

 private:
  static std::string join(const std::vector<std::string>& pieces, std::size_t first,
                          std::size_t count) {
    std::string out = pieces[first];
    for (std::size_t k = first + 1; k < first + count; ++k) {
      out += kJoin;
      out += pieces[k];
    }
    return out;
  }

  // How many pieces from `first` on fit in one message (at least the one in `fit`): galloping,
  // then a binary search, so a long run of short paragraphs costs few renders. `fit` ends up
  // holding the rendering of the chosen pieces.
  std::size_t pack(const std::vector<std::string>& pieces, std::size_t first, FitResult& fit) {
    std::size_t n = pieces.size() - first;
    std::size_t good = 1;  // known to fit
    std::size_t bad = 0;   // known not to fit; 0 while unknown
    while (bad == 0 && good < n) {
      std::size_t probe = std::min(n, good * 2);
      FitResult f = try_fit_(join(pieces, first, probe));
      if (f.fits) {
        good = probe;
        fit = std::move(f);
      } else {
        bad = probe;
      }
    }
    while (bad != 0 && bad - good > 1) {
      std::size_t probe = good + (bad - good) / 2;
      FitResult f = try_fit_(join(pieces, first, probe));
      if (f.fits) {
        good = probe;
        fit = std::move(f);
      } else {
        bad = probe;
      }
    }
    return good;
  }

  void shrink(std::string_view piece, std::size_t budget, std::size_t measured) {
    std::size_t size = std::min(budget, piece.size());
    if (size <= kMinBudget) {
      fallback_(piece);
      return;
    }
    double scaled = static_cast<double>(size) * static_cast<double>(limit_) /
                    static_cast<double>(std::max<std::size_t>(1, measured)) * 0.9;
    std::size_t next = std::clamp(static_cast<std::size_t>(scaled), kMinBudget, size - 1);
    split(piece, next);
  }

  std::size_t limit_;
  bool pack_;
  TryFit& try_fit_;
  Emit& emit_;
  Fallback& fallback_;
};

}  // namespace

std::vector<TelegramMessagePart> render_telegram_messages(std::string_view markdown,
                                                          const TelegramRenderOptions& options) {
  std::size_t limit = std::clamp(options.limit, kMinTelegramLimit, kTelegramMaxLength);
  std::vector<TelegramMessagePart> parts;

  auto try_fit = [&](std::string_view md) {
    detail::RenderedMarkdown r =
        detail::render_markdown(md, options.tables, detail::RenderOutputs::both);
    std::size_t measured = std::max(telegram_visible_length(r.html), utf16_length(r.plain));
    return Fit<TelegramMessagePart>{measured <= limit, measured,
                                    TelegramMessagePart{std::move(r.html), std::move(r.plain)}};
  };
  auto emit = [&](TelegramMessagePart&& part) {
    // A block can render to nothing (a link reference definition on its own).
    if (!is_blank(part.plain) && !is_blank(telegram_visible_text(part.html))) {
      parts.push_back(std::move(part));
    }
  };
  auto fallback = [&](std::string_view md) {
    std::string plain = markdown_to_plain_text(md, options.tables);
    for (std::string& piece : hard_split(plain, limit)) {
      emit(TelegramMessagePart{telegram_html_escape(piece), piece});
    }
  };

  if (options.chunk_mode == ChunkMode::length) {
    auto whole = try_fit(markdown);
    if (whole.fits) {
      emit(std::move(whole.part));
      return parts;
    }
  }
  Splitter splitter(limit, options.chunk_mode == ChunkMode::length, try_fit, emit, fallback);
  splitter.split(markdown, initial_budget(markdown, limit));
  return parts;
}

std::vector<std::string> chunk_for_limit(std::string_view text, std::size_t limit) {
  limit = std::max(limit, kMinPlainLimit);
  std::string_view trimmed = trim_outer(text);
  if (trimmed.empty()) {
    return {};
  }
  if (utf16_length(trimmed) <= limit) {
    return {std::string(trimmed)};
  }
  std::vector<std::string> out;
  auto try_fit = [&](std::string_view piece) {
    std::size_t measured = utf16_length(piece);
    return Fit<std::string>{measured <= limit, measured, std::string(piece)};
  };
  auto emit = [&](std::string&& piece) {
    if (!is_blank(piece)) {
      out.push_back(std::move(piece));
    }
  };
  auto fallback = [&](std::string_view piece) {
    for (std::string& p : hard_split(piece, limit)) {
      emit(std::move(p));
    }
  };
  Splitter splitter(limit, true, try_fit, emit, fallback);
  splitter.split(trimmed, initial_budget(trimmed, limit));
  return out;
}

}  // namespace pincer::channels
