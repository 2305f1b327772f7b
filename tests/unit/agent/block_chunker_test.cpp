#include "agent/block_chunker.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::agent {
namespace {

using Break = BlockChunkSettings::Break;
using Blocks = std::vector<std::string>;

BlockChunkSettings settings(std::size_t min, std::size_t max, Break prefer = Break::paragraph,
                            std::size_t hard_limit = 4000) {
  return BlockChunkSettings{min, max, prefer, hard_limit};
}

// Streams `text` in deltas of `step` bytes (0: all at once), then finishes.
Blocks stream(const BlockChunkSettings& s, std::string_view text, std::size_t step) {
  BlockChunker chunker(s);
  Blocks out;
  auto take = [&](Blocks blocks) { out.insert(out.end(), blocks.begin(), blocks.end()); };
  if (step == 0) {
    take(chunker.push(text));
  } else {
    for (std::size_t i = 0; i < text.size(); i += step) {
      take(chunker.push(text.substr(i, step)));
    }
  }
  take(chunker.finish());
  return out;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80           ? 1
                      : (c >> 5) == 0x6  ? 2
                      : (c >> 4) == 0xE  ? 3
                      : (c >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || i + len > s.size()) {
      return false;
    }
    for (std::size_t j = 1; j < len; ++j) {
      if ((static_cast<unsigned char>(s[i + j]) & 0xC0) != 0x80) {
        return false;
      }
    }
    i += len;
  }
  return true;
}

bool all_space(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Whether the blocks are the text in order with only whitespace left out between them.
::testing::AssertionResult reproduces(std::string_view text, const Blocks& blocks) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    std::size_t at = text.find(blocks[i], pos);
    if (at == std::string_view::npos || !all_space(text.substr(pos, at - pos))) {
      return ::testing::AssertionFailure() << "block " << i << " is not next in the text:\n"
                                           << blocks[i];
    }
    pos = at + blocks[i].size();
  }
  if (!all_space(text.substr(pos))) {
    return ::testing::AssertionFailure() << "text left over: " << text.substr(pos);
  }
  return ::testing::AssertionSuccess();
}

bool is_fence_line(std::string_view line) {
  std::size_t i = line.find_first_not_of(' ');
  return i != std::string_view::npos && i <= 3 &&
         (line.substr(i).starts_with("```") || line.substr(i).starts_with("~~~"));
}

// The text without fence lines and whitespace: what synthetic fence lines and trimming keep.
std::string content(std::string_view text) {
  std::string out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!is_fence_line(line)) {
      for (char c : line) {
        if (c != ' ' && c != '\t' && c != '\r') {
          out += c;
        }
      }
    }
    if (nl == std::string_view::npos) {
      break;
    }
    start = nl + 1;
  }
  return out;
}

std::string joined_content(const Blocks& blocks) {
  std::string out;
  for (const auto& b : blocks) {
    out += content(b);
  }
  return out;
}

std::size_t fence_lines(std::string_view block) {
  std::size_t n = 0;
  std::size_t start = 0;
  while (start <= block.size()) {
    std::size_t nl = block.find('\n', start);
    if (is_fence_line(block.substr(
            start, nl == std::string_view::npos ? std::string_view::npos : nl - start))) {
      ++n;
    }
    if (nl == std::string_view::npos) {
      break;
    }
    start = nl + 1;
  }
  return n;
}

// A deterministic pseudo-random reply: sentences, line ends, blank lines, multi-byte words and
// the odd fenced code block.
std::string generated_reply(std::uint32_t seed, std::size_t approx_bytes, bool with_fences) {
  static const char* const kWords[] = {"the",  "gateway", "naïve", "café", "😀",      "streams",
                                       "é",    "block",   "reply", "a",    "日本語", "channel",
                                       "text", "message", "limit", "ok"};
  std::uint32_t state = seed;
  auto next = [&](std::uint32_t n) {
    state = state * 1664525u + 1013904223u;
    return (state >> 8) % n;
  };
  std::string out;
  while (out.size() < approx_bytes) {
    std::uint32_t roll = next(20);
    if (with_fences && roll == 0) {
      if (!out.empty() && !out.ends_with("\n")) {
        out += '\n';  // a fence opens at the start of a line
      }
      out += next(2) == 0 ? "```cpp\n" : "~~~\n";
      bool tilde = out.ends_with("~~~\n");
      std::uint32_t lines = 1 + next(25);
      for (std::uint32_t i = 0; i < lines; ++i) {
        out += "  int x" + std::to_string(i) + " = " + std::to_string(next(1000)) + ";";
        out += next(4) == 0 ? " // é 😀\n" : "\n";
      }
      out += tilde ? "~~~\n" : "```\n";
      continue;
    }
    std::uint32_t words = 3 + next(12);
    for (std::uint32_t i = 0; i < words; ++i) {
      out += kWords[next(sizeof(kWords) / sizeof(kWords[0]))];
      out += i + 1 < words ? " " : "";
    }
    static const char* const kEnds[] = {". ", "! ", "? ", ".\n", "\n", ".\n\n", "\n\n", ", "};
    out += kEnds[next(8)];
  }
  return out;
}

struct Case {
  const char* name;
  BlockChunkSettings settings;
  std::string text;
  Blocks expected;
};

// The break chain: the preferred break once min_chars is reached, else the last newline, sentence
// end or whitespace in the window, else a hard cut.
TEST(BlockChunker, CutsAtTheBestBreakInTheBreakChain) {
  const std::vector<Case> cases = {
      {"paragraph preferred over newline and sentence",
       settings(20, 50),
       "First sentence here. Second one.\nThird line\n\nNext paragraph starts here and goes on.",
       {"First sentence here. Second one.\nThird line", "Next paragraph starts here and goes on."}},
      {"newline when no paragraph break fits",
       settings(20, 50),
       "First sentence here. Second one.\nThird line is rather long here. And more text follows "
       "now.",
       {"First sentence here. Second one.", "Third line is rather long here.",
        "And more text follows now."}},
      {"sentence end when there is no newline",
       settings(20, 40),
       "One two three four five. Six seven eight nine ten eleven twelve.",
       {"One two three four five.", "Six seven eight nine ten eleven twelve."}},
      {"whitespace when there is no sentence end",
       settings(20, 40),
       "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda",
       {"alpha beta gamma delta epsilon zeta eta", "theta iota kappa lambda"}},
      {"hard cut without any break",
       settings(20, 40),
       std::string(100, 'x'),
       {std::string(40, 'x'), std::string(40, 'x'), std::string(20, 'x')}},
      {"newline preferred: first line end past min_chars",
       settings(20, 60, Break::newline),
       "A first line that is long enough.\nSecond.\nThird line here.",
       {"A first line that is long enough.", "Second.\nThird line here."}},
      {"sentence preferred: first sentence end past min_chars",
       settings(10, 60, Break::sentence),
       "Short one. Then a second sentence. And a third.",
       {"Short one.", "Then a second sentence.", "And a third."}},
      {"a break inside min_chars is not taken",
       settings(30, 40),
       "Tiny.\n\nThen a long line without breaks near the end xxxxxxxxxx",
       {"Tiny.\n\nThen a long line without breaks", "near the end xxxxxxxxxx"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(stream(c.settings, c.text, 0), c.expected) << c.name;
    EXPECT_EQ(stream(c.settings, c.text, 1), c.expected) << c.name << " (byte by byte)";
  }
}

// Below min_chars nothing is sent; finish() sends the rest.
TEST(BlockChunker, ShortTextStaysBufferedUntilFinish) {
  BlockChunker chunker(settings(20, 40));
  EXPECT_TRUE(chunker.push("Hello there.\n\n").empty());
  EXPECT_TRUE(chunker.push("Bye.").empty());
  EXPECT_EQ(chunker.finish(), (Blocks{"Hello there.\n\nBye."}));
  EXPECT_TRUE(chunker.finish().empty());
}

// The preferred break is sent as soon as it streams in, without waiting for max_chars.
TEST(BlockChunker, SendsAtAParagraphBreakAsSoonAsItArrives) {
  BlockChunker chunker(settings(20, 200));
  EXPECT_TRUE(chunker.push("This paragraph is long enough.\n").empty());
  EXPECT_EQ(chunker.push("\nNext"), (Blocks{"This paragraph is long enough."}));
  EXPECT_EQ(chunker.finish(), (Blocks{"Next"}));
}

// A rest longer than max_chars at message end goes out as several blocks.
TEST(BlockChunker, FinishCutsARestLongerThanMaxChars) {
  BlockChunker chunker(settings(20, 40));
  EXPECT_TRUE(chunker.push(std::string(45, 'y')).empty());  // within the lookahead
  EXPECT_EQ(chunker.finish(), (Blocks{std::string(40, 'y'), std::string(5, 'y')}));
}

// Leading blank lines and trailing whitespace never reach a channel; whitespace-only text sends
// nothing.
TEST(BlockChunker, TrimsBlankLinesAroundBlocks) {
  EXPECT_EQ(chunk_text("\n\n  \n  Indented start.  \n\n", settings(20, 40)),
            (Blocks{"  Indented start."}));
  EXPECT_TRUE(chunk_text(" \n\t\n ", settings(20, 40)).empty());
}

// reset() drops buffered text without sending it.
TEST(BlockChunker, ResetDropsBufferedText) {
  BlockChunker chunker(settings(20, 40));
  EXPECT_TRUE(chunker.push("half a thought").empty());
  chunker.reset();
  EXPECT_TRUE(chunker.finish().empty());
}

// max_chars is clamped to the channel's hard limit (and raised to the minimum block size).
TEST(BlockChunker, ClampsMaxCharsToTheHardLimit) {
  EXPECT_EQ(BlockChunker(settings(800, 1200, Break::paragraph, 500)).max_chars(), 500u);
  EXPECT_EQ(BlockChunker(settings(800, 1200, Break::paragraph, 500)).min_chars(), 500u);
  EXPECT_EQ(BlockChunker(settings(1, 2)).max_chars(), BlockChunker::kMinMaxChars);
}

// A hard cut falls on a UTF-8 boundary: "é" is 2 bytes, the emoji 4, so a 41- or 42-byte window
// holds 40 bytes of whole characters.
TEST(BlockChunker, HardCutNeverSplitsAMultiByteCharacter) {
  struct Utf8Case {
    std::string unit;
    std::size_t count;
    std::size_t max;
  };
  for (const auto& c : {Utf8Case{"é", 50, 41}, Utf8Case{"😀", 30, 42}, Utf8Case{"日", 40, 41}}) {
    std::string text;
    for (std::size_t i = 0; i < c.count; ++i) {
      text += c.unit;
    }
    for (std::size_t step : {0u, 1u, 3u}) {
      Blocks blocks = stream(settings(10, c.max), text, step);
      ASSERT_GE(blocks.size(), 2u) << c.unit;
      std::string joined;
      for (const auto& b : blocks) {
        EXPECT_TRUE(valid_utf8(b)) << c.unit << " step " << step;
        EXPECT_LE(b.size(), c.max);
        EXPECT_EQ(b.size() % c.unit.size(), 0u);
        joined += b;
      }
      EXPECT_EQ(joined, text);
    }
  }
}

// A code block longer than max_chars is closed at a line end and reopened, with its language
// tag, in the next block; every block stays within max_chars, closing line included.
TEST(BlockChunker, SplitsALongCodeFenceByClosingAndReopeningIt) {
  std::string text = "Intro:\n```python\n";
  for (int i = 0; i < 12; ++i) {
    text += "print(1)\n";
  }
  text += "```\nAfter.";
  const Blocks expected = {
      "Intro:\n```python\nprint(1)\nprint(1)\nprint(1)\nprint(1)\n```",
      "```python\nprint(1)\nprint(1)\nprint(1)\nprint(1)\nprint(1)\n```",
      "```python\nprint(1)\nprint(1)\nprint(1)\n```\nAfter.",
  };
  for (std::size_t step : {0u, 1u, 5u}) {
    Blocks blocks = stream(settings(20, 60), text, step);
    EXPECT_EQ(blocks, expected) << "step " << step;
    for (const auto& b : blocks) {
      EXPECT_LE(b.size(), 60u);
    }
  }
}

// A fence split inside one long code line is a hard cut; the tilde marker and its indent are
// repeated.
TEST(BlockChunker, SplitsAFencedLineWithoutBreaksAtTheLimit) {
  std::string text = "~~~\n" + std::string(70, 'z') + "\n~~~";
  Blocks blocks = chunk_text(text, settings(10, 40));
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0], "~~~\n" + std::string(32, 'z') + "\n~~~");
  EXPECT_EQ(blocks[1], "~~~\n" + std::string(32, 'z') + "\n~~~");
  EXPECT_EQ(blocks[2], "~~~\n" + std::string(6, 'z') + "\n~~~");
}

// Regression: a hard cut inside a closing fence line (here padded with spaces past max_chars)
// left the fence open for the rest of the reply; the closing line is now replaced, not cut.
TEST(BlockChunker, NeverCutsThroughAClosingFenceLine) {
  const std::string code(30, 'c');
  const std::string text = "```\n" + code + "\n```       \nafter";
  for (std::size_t step : {0u, 1u}) {
    EXPECT_EQ(stream(settings(40, 40), text, step), (Blocks{"```\n" + code + "\n```", "after"}))
        << "step " << step;
  }
}

// A fence that fits stays whole: the cut goes after it, or before it when it does not fit.
TEST(BlockChunker, NeverCutsInsideAFenceWhenABreakOutsideExists) {
  const std::string intro(25, 'a');
  const std::string fits =
      intro + "\n```sh\necho hi\necho hi\necho hi\n```\n" + std::string(40, 'b');
  Blocks blocks = chunk_text(fits, settings(20, 60));
  ASSERT_FALSE(blocks.empty());
  EXPECT_EQ(blocks[0], intro + "\n```sh\necho hi\necho hi\necho hi\n```");

  const std::string too_long =
      intro + "\n```sh\necho hi\necho hi\necho hi\necho hi\n```\n" + std::string(40, 'b');
  blocks = chunk_text(too_long, settings(20, 60));
  ASSERT_FALSE(blocks.empty());
  EXPECT_EQ(blocks[0], intro);
  EXPECT_TRUE(blocks[1].starts_with("```sh\necho hi"));
}

// Blocks depend only on the text: one byte at a time, odd delta sizes and the whole text at once
// give the same blocks. Each block is within max_chars (synthetic fence lines included), valid
// UTF-8 with balanced fences, and the blocks put together are the text less trimmed whitespace
// and fence lines.
TEST(BlockChunker, BlocksDoNotDependOnDeltaBoundaries) {
  const std::vector<BlockChunkSettings> all_settings = {
      settings(40, 120),
      settings(40, 120, Break::newline),
      settings(40, 120, Break::sentence),
      settings(100, 110),
      settings(1, 32),
      settings(200, 300, Break::paragraph, 250),
  };
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    bool with_fences = seed % 2 == 0;
    std::string text = generated_reply(seed, 600 + 150 * seed, with_fences);
    for (const auto& s : all_settings) {
      const std::size_t max = BlockChunker(s).max_chars();
      const std::size_t min = BlockChunker(s).min_chars();
      Blocks whole = stream(s, text, 0);
      SCOPED_TRACE("seed " + std::to_string(seed) + " min " + std::to_string(min) + " max " +
                   std::to_string(max));
      EXPECT_EQ(stream(s, text, 1), whole);
      EXPECT_EQ(stream(s, text, 7), whole);
      EXPECT_EQ(stream(s, text, 64), whole);
      ASSERT_FALSE(whole.empty());
      for (std::size_t i = 0; i < whole.size(); ++i) {
        const auto& b = whole[i];
        EXPECT_FALSE(b.empty());
        EXPECT_LE(b.size(), max);
        EXPECT_TRUE(valid_utf8(b));
        EXPECT_EQ(fence_lines(b) % 2, 0u) << b;
        if (!with_fences && i + 1 < whole.size()) {
          EXPECT_GE(b.size(), min) << b;
        }
      }
      if (with_fences) {
        EXPECT_EQ(joined_content(whole), content(text));
      } else {
        EXPECT_TRUE(reproduces(text, whole));
      }
    }
  }
}

// A final reply of 10 000 bytes for a channel limited to 4096 goes out in blocks of at most 4096.
TEST(BlockChunker, ChunkTextRespectsTheChannelLimit) {
  std::string text = generated_reply(42, 10'000, false);
  text.resize(10'000);
  while (!valid_utf8(text)) {
    text.pop_back();
  }
  Blocks blocks = chunk_text(text, settings(2000, 5000, Break::paragraph, 4096));
  ASSERT_GE(blocks.size(), 3u);
  for (const auto& b : blocks) {
    EXPECT_LE(b.size(), 4096u);
    EXPECT_TRUE(valid_utf8(b));
  }
  EXPECT_TRUE(reproduces(text, blocks));
}

}  // namespace
}  // namespace pincer::agent
