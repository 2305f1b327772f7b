#include "channels/delivery/message_chunker.hpp"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "channels/delivery/plain_text.hpp"
#include "channels/delivery/telegram_html.hpp"
#include "fakes/fake_telegram_html.hpp"
#include "telegram_html_check.hpp"

namespace pincer::channels {
namespace {

using Parts = std::vector<TelegramMessagePart>;

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::size_t count(std::string_view haystack, std::string_view needle) {
  std::size_t n = 0;
  for (std::size_t at = haystack.find(needle); at != std::string_view::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

std::vector<std::string> words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

// The guarantees every part gives: within the limit (and 4096) in UTF-16 units for both the HTML's
// visible text and the plain twin, well-formed HTML, nothing blank.
::testing::AssertionResult parts_ok(const Parts& parts, std::size_t limit) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const TelegramMessagePart& p = parts[i];
    std::size_t visible = telegram_visible_length(p.html);
    std::size_t plain = utf16_length(p.plain);
    if (visible > limit || visible > kTelegramMaxLength || plain > limit) {
      return ::testing::AssertionFailure() << "part " << i << " too long: visible " << visible
                                           << ", plain " << plain << ", limit " << limit << ":\n"
                                           << p.html;
    }
    if (auto ok = testing::well_formed_telegram_html(p.html); !ok) {
      return ok << " (part " << i << ")";
    }
    if (auto parsed = fakes::parse_telegram_html(p.html, true); !parsed) {
      return ::testing::AssertionFailure() << "part " << i << ": " << parsed.error();
    }
    if (is_blank(telegram_visible_text(p.html)) || is_blank(p.plain)) {
      return ::testing::AssertionFailure() << "part " << i << " is blank";
    }
  }
  return ::testing::AssertionSuccess();
}

std::string prose(std::size_t n, std::string_view word = "lorem") {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += std::string(word) + std::to_string(i) + (i % 12 == 11 ? ". " : " ");
  }
  out.pop_back();
  return out;
}

// A short reply is one message, rendered exactly as the whole-document formatters do.
TEST(MessageChunker, ShortReplyIsOnePart) {
  std::string md = "# Hi\n\nSome **bold** text and `code`.";
  Parts parts = render_telegram_messages(md, {});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].html, markdown_to_telegram_html(md));
  EXPECT_EQ(parts[0].plain, markdown_to_plain_text(md));
}

// Nothing visible, nothing to send: no empty message.
TEST(MessageChunker, BlankReplyHasNoParts) {
  EXPECT_TRUE(render_telegram_messages("", {}).empty());
  EXPECT_TRUE(render_telegram_messages("  \n\n\t\n", {}).empty());
  EXPECT_TRUE(render_telegram_messages("[ref]: https://x.io", {}).empty());
  EXPECT_TRUE(render_telegram_messages("```\n```", {}).empty());
}

// The defaults are the reference's: textChunkLimit 4000, tables `block`, chunkMode `length`.
TEST(MessageChunker, DefaultsFollowTheReference) {
  TelegramRenderOptions options;
  EXPECT_EQ(options.limit, 4000u);
  EXPECT_EQ(options.tables, TableMode::block);
  EXPECT_EQ(options.chunk_mode, ChunkMode::length);
}

// A 10 000-character reply with several code fences: every part fits, no fence is cut (each
// code block appears whole in one part, each part's <pre> tags balance), nothing is lost.
TEST(MessageChunker, LongReplyWithFencesSplitsBetweenBlocks) {
  std::string md;
  std::vector<std::string> code_blocks;
  for (int i = 0; md.size() < 10000; ++i) {
    md +=
        "Paragraph " + std::to_string(i) + ": " + prose(40, "w" + std::to_string(i) + "_") + "\n\n";
    std::string code;
    for (int line = 0; line < 25; ++line) {
      code += "let v" + std::to_string(i) + "_" + std::to_string(line) + " = a < b && c;\n";
    }
    code_blocks.push_back(code.substr(0, code.size() - 1));
    md += "```rust\n" + code + "```\n\n";
  }
  ASSERT_GE(md.size(), 10000u);
  Parts parts = render_telegram_messages(md, {});
  ASSERT_GE(parts.size(), 3u);
  EXPECT_TRUE(parts_ok(parts, 4000));
  for (const TelegramMessagePart& p : parts) {
    EXPECT_EQ(count(p.html, "<pre>"), count(p.html, "</pre>"));
    EXPECT_EQ(count(p.html, "<pre><code class=\"language-rust\">"), count(p.html, "</code></pre>"));
  }
  for (const std::string& code : code_blocks) {
    int holders = 0;
    for (const TelegramMessagePart& p : parts) {
      holders += telegram_visible_text(p.html).find(code) != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(holders, 1) << "code block cut or lost:\n" << code;
  }
  std::string all_plain;
  for (const TelegramMessagePart& p : parts) {
    all_plain += p.plain + "\n";
  }
  EXPECT_EQ(words(all_plain), words(markdown_to_plain_text(md)));
}

// A fence longer than a message is closed at each cut and reopened, with its language, in the
// next part.
TEST(MessageChunker, FenceLongerThanTheLimitIsReopened) {
  std::string code;
  for (int line = 0; line < 400; ++line) {
    code += "print('line" + std::to_string(line) + "')\n";
  }
  std::string md = "Here:\n\n```python\n" + code + "```\n\nDone.";
  TelegramRenderOptions options;
  options.limit = 2000;
  Parts parts = render_telegram_messages(md, options);
  ASSERT_GE(parts.size(), 4u);
  EXPECT_TRUE(parts_ok(parts, 2000));
  std::string lines;
  for (const TelegramMessagePart& p : parts) {
    EXPECT_EQ(count(p.html, "<pre><code class=\"language-python\">"),
              count(p.html, "</code></pre>"));
    for (const std::string& w : words(telegram_visible_text(p.html))) {
      if (w.starts_with("print(")) {
        lines += w + "\n";
      }
    }
  }
  std::string expected;
  for (const std::string& w : words(code)) {
    if (w.starts_with("print(")) {
      expected += w + "\n";
    }
  }
  EXPECT_EQ(lines, expected);
}

// Telegram counts UTF-16 units: an emoji is two, a CJK character one (but three UTF-8 bytes).
TEST(MessageChunker, CountsUtf16Units) {
  std::string emoji;
  for (int para = 0; para < 30; ++para) {
    for (int i = 0; i < 100; ++i) {
      emoji += "😀";
    }
    emoji += "\n\n";
  }
  // 30 paragraphs of 200 units each, 6000 units: two messages.
  Parts parts = render_telegram_messages(emoji, {});
  EXPECT_TRUE(parts_ok(parts, 4000));
  EXPECT_EQ(parts.size(), 2u);

  std::string cjk;
  for (int para = 0; para < 30; ++para) {
    for (int i = 0; i < 200; ++i) {
      cjk += "猫";
    }
    cjk += "。\n\n";
  }
  // 18 000 bytes but about 6000 units: still two messages, not five.
  parts = render_telegram_messages(cjk, {});
  EXPECT_TRUE(parts_ok(parts, 4000));
  EXPECT_EQ(parts.size(), 2u);
  EXPECT_GT(telegram_visible_length(parts[0].html), 3000u);
}

// A table redrawn in monospace is longer than its Markdown: the block is measured after rendering
// and cut again.
TEST(MessageChunker, ResplitsWhenRenderingGrows) {
  std::string md = "| name | v |\n|---|---|\n| " + std::string(70, 'x') + " | 1 |\n";
  for (int row = 0; row < 240; ++row) {
    md += "| r" + std::to_string(row) + " | " + std::to_string(row) + " |\n";
  }
  ASSERT_LT(utf16_length(md), 4000u);
  ASSERT_GT(telegram_visible_length(markdown_to_telegram_html(md)), 4000u);
  Parts parts = render_telegram_messages(md, {});
  EXPECT_GE(parts.size(), 2u);
  EXPECT_TRUE(parts_ok(parts, 4000));
}

// The plain twin prints link targets, so it can be the longer one; it must fit too.
TEST(MessageChunker, PlainFallbackFitsTheLimit) {
  std::string md;
  for (int i = 0; i < 60; ++i) {
    md += "[doc" + std::to_string(i) + "](https://example.com/" + std::string(150, 'p') + ")\n\n";
  }
  ASSERT_LT(telegram_visible_length(markdown_to_telegram_html(md)), 4000u);
  Parts parts = render_telegram_messages(md, {});
  EXPECT_GE(parts.size(), 3u);
  EXPECT_TRUE(parts_ok(parts, 4000));
}

// `newline` sends each paragraph on its own; `length` only splits what does not fit.
TEST(MessageChunker, ChunkModes) {
  std::string md = "First paragraph.\n\nSecond **one**.\n\n- a list\n- of two";
  TelegramRenderOptions options;
  EXPECT_EQ(render_telegram_messages(md, options).size(), 1u);
  options.chunk_mode = ChunkMode::newline;
  Parts parts = render_telegram_messages(md, options);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0].html, "First paragraph.");
  EXPECT_EQ(parts[1].html, "Second <b>one</b>.");
  EXPECT_EQ(parts[2].html, "• a list\n• of two");
}

// Length mode fills messages: short paragraphs are packed together up to the limit.
TEST(MessageChunker, PacksParagraphsUpToTheLimit) {
  std::string md;
  for (int i = 0; i < 200; ++i) {
    md += "Short paragraph number " + std::to_string(i) + ".\n\n";
  }
  TelegramRenderOptions options;
  options.limit = 1000;
  Parts parts = render_telegram_messages(md, options);
  EXPECT_TRUE(parts_ok(parts, 1000));
  std::size_t total = utf16_length(markdown_to_plain_text(md));
  EXPECT_LE(parts.size(), total / 1000 + 2);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    EXPECT_GT(telegram_visible_length(parts[i].html), 900u) << "part " << i << " underfilled";
  }
}

// The limit is clamped to Telegram's 4096 above and to kMinTelegramLimit below.
TEST(MessageChunker, ClampsTheLimit) {
  std::string md = prose(2000);
  TelegramRenderOptions options;
  options.limit = 100000;
  Parts parts = render_telegram_messages(md, options);
  EXPECT_TRUE(parts_ok(parts, kTelegramMaxLength));
  EXPECT_GE(parts.size(), 3u);
  options.limit = 5;
  parts = render_telegram_messages("some words here that are longer than five", options);
  EXPECT_TRUE(parts_ok(parts, kMinTelegramLimit));
  EXPECT_EQ(parts.size(), 1u);
}

// A single word longer than the limit cannot break at whitespace: it is hard-cut.
TEST(MessageChunker, HardCutsAnUnbreakableWord) {
  std::string md = "start " + std::string(600, 'x') + "😀" + std::string(300, 'y');
  TelegramRenderOptions options;
  options.limit = 100;
  Parts parts = render_telegram_messages(md, options);
  EXPECT_TRUE(parts_ok(parts, 100));
  std::string joined;
  for (const TelegramMessagePart& p : parts) {
    joined += p.plain;
  }
  EXPECT_EQ(joined, "start" + std::string(600, 'x') + "😀" + std::string(300, 'y'));
}

// Property: random Markdown of any construct, at random limits and in every mode, always yields
// parts that keep the guarantees, and yields some part whenever the reply shows anything.
TEST(MessageChunker, RandomRepliesKeepTheGuarantees) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> limits(kMinTelegramLimit, 700);
  std::uniform_int_distribution<int> coin(0, 1);
  std::uniform_int_distribution<int> table(0, 3);
  int split_rounds = 0;
  for (int round = 0; round < 400; ++round) {
    std::string md = testing::random_markdown(rng, 400);
    TelegramRenderOptions options;
    options.limit = limits(rng);
    options.chunk_mode = coin(rng) == 0 ? ChunkMode::length : ChunkMode::newline;
    options.tables = static_cast<TableMode>(table(rng));
    Parts parts = render_telegram_messages(md, options);
    ASSERT_TRUE(parts_ok(parts, options.limit)) << "markdown:\n" << md;
    bool visible = !is_blank(markdown_to_plain_text(md, options.tables));
    ASSERT_EQ(!parts.empty(), visible) << "markdown:\n" << md;
    split_rounds += parts.size() > 1 ? 1 : 0;
  }
  EXPECT_GT(split_rounds, 200);  // the loop exercises splitting, not just whole replies
}

// Text that fits is one piece, trimmed like chunk_text trims; blank text is no piece.
TEST(MessageChunker, ChunkForLimitKeepsShortTextWhole) {
  EXPECT_EQ(chunk_for_limit("\n\n  hello world  \n\n", 100),
            std::vector<std::string>{"  hello world"});
  EXPECT_TRUE(chunk_for_limit(" \n\t\n", 100).empty());
}

// Plain-text channels: pieces within the limit, cut between words, nothing lost.
TEST(MessageChunker, ChunkForLimitSplitsProse) {
  std::string text;
  for (int i = 0; i < 20; ++i) {
    text += prose(30, "p" + std::to_string(i) + "w") + "\n\n";
  }
  std::vector<std::string> pieces = chunk_for_limit(text, 500);
  ASSERT_GE(pieces.size(), 4u);
  std::string joined;
  for (const std::string& piece : pieces) {
    EXPECT_LE(utf16_length(piece), 500u);
    EXPECT_FALSE(is_blank(piece));
    joined += piece + "\n";
  }
  EXPECT_EQ(words(joined), words(text));
}

// A fence that fits in a piece is never cut; the limit counts UTF-16 units.
TEST(MessageChunker, ChunkForLimitKeepsFencesAndCountsUtf16) {
  std::string fence = "```\n" + std::string(60, 'c') + "\n" + std::string(60, 'd') + "\n```";
  std::string text = prose(40) + "\n\n" + fence + "\n\n" + prose(40);
  for (const std::string& piece : chunk_for_limit(text, 200)) {
    EXPECT_LE(utf16_length(piece), 200u);
    EXPECT_EQ(count(piece, "```") % 2, 0u) << piece;
  }
  std::string emoji;
  for (int i = 0; i < 50; ++i) {
    emoji += "😀";
  }
  std::vector<std::string> pieces = chunk_for_limit(emoji, 11);
  std::string joined;
  for (const std::string& piece : pieces) {
    EXPECT_LE(utf16_length(piece), 11u);
    EXPECT_TRUE(testing::valid_utf8(piece));
    joined += piece;
  }
  EXPECT_EQ(joined, emoji);
}

}  // namespace
}  // namespace pincer::channels
