#include "channels/delivery/telegram_html.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "channels/delivery/plain_text.hpp"
#include "channels/delivery/table_mode.hpp"
#include "fakes/fake_telegram_html.hpp"
#include "telegram_html_check.hpp"

namespace pincer::channels {
namespace {

using testing::well_formed_telegram_html;

std::string html(std::string_view markdown, TableMode tables = kDefaultTableMode) {
  return markdown_to_telegram_html(markdown, tables);
}

std::string plain(std::string_view markdown, TableMode tables = kDefaultTableMode) {
  return markdown_to_plain_text(markdown, tables);
}

// A heading is a bold line of its own, whatever its level.
TEST(TelegramHtml, HeadingsBecomeBoldLines) {
  EXPECT_EQ(html("# Title\n\ntext"), "<b>Title</b>\n\ntext");
  EXPECT_EQ(html("### Deep *one*"), "<b>Deep <i>one</i></b>");
  EXPECT_EQ(html("Setext\n======"), "<b>Setext</b>");
  EXPECT_EQ(plain("## Title\n\ntext"), "Title\n\ntext");
}

// Emphasis, strong and ~~strike~~ map to <i>, <b> and <s>, nested as written.
TEST(TelegramHtml, InlineStylesNest) {
  EXPECT_EQ(html("*a* _b_ **c** __d__ ~~e~~"), "<i>a</i> <i>b</i> <b>c</b> <b>d</b> <s>e</s>");
  EXPECT_EQ(html("**bold *both ~~all~~* bold**"), "<b>bold <i>both <s>all</s></i> bold</b>");
  EXPECT_EQ(html("***x***"), "<i><b>x</b></i>");
}

// A single tilde is prose ("~5 minutes"), not strikethrough.
TEST(TelegramHtml, SingleTildeIsText) {
  EXPECT_EQ(html("takes ~5 to ~10 minutes"), "takes ~5 to ~10 minutes");
}

// &, < and > in text are escaped; " needs no escape outside attributes.
TEST(TelegramHtml, EscapesTextCharacters) {
  EXPECT_EQ(html("a < b && c > d \"q\""), "a &lt; b &amp;&amp; c &gt; d \"q\"");
  // An entity in the Markdown is decoded by the parser, then escaped again for Telegram.
  EXPECT_EQ(html("&amp; &lt;tag&gt; &copy;"), "&amp; &lt;tag&gt; ©");
}

// Raw HTML is shown as the text the model wrote, never passed through as markup.
TEST(TelegramHtml, RawHtmlIsEscaped) {
  EXPECT_EQ(html("say <b>hi</b> <script>x</script>"),
            "say &lt;b&gt;hi&lt;/b&gt; &lt;script&gt;x&lt;/script&gt;");
  EXPECT_EQ(html("<div>\n*block*\n</div>"), "&lt;div&gt;\n*block*\n&lt;/div&gt;");
  EXPECT_EQ(html("<!-- note -->"), "&lt;!-- note --&gt;");
  EXPECT_EQ(plain("say <b>hi</b>"), "say <b>hi</b>");
}

// Inline code is escaped inside <code>; its backticks are gone.
TEST(TelegramHtml, InlineCode) {
  EXPECT_EQ(html("run `a<b && c`"), "run <code>a&lt;b &amp;&amp; c</code>");
  EXPECT_EQ(plain("run `a<b`"), "run a<b");
}

// A fence with a language becomes <pre><code class="language-x">; without one, plain <pre>.
TEST(TelegramHtml, CodeBlocksKeepTheirLanguage) {
  EXPECT_EQ(html("```python\nprint(\"<hi>\")\n\nx = 1\n```"),
            "<pre><code class=\"language-python\">print(\"&lt;hi&gt;\")\n\nx = 1</code></pre>");
  EXPECT_EQ(html("```\nplain & simple\n```"), "<pre>plain &amp; simple</pre>");
  EXPECT_EQ(html("~~~c++ extra words\nint x;\n~~~"),
            "<pre><code class=\"language-c++\">int x;</code></pre>");
  EXPECT_EQ(html("    indented <code>"), "<pre>indented &lt;code&gt;</pre>");
  // Characters that do not belong in a class name are dropped from the language.
  EXPECT_EQ(html("```a\"><b>\nx\n```"), "<pre><code class=\"language-ab\">x</code></pre>");
  // An empty block has nothing to show.
  EXPECT_EQ(html("```\n```"), "");
}

// Plain text keeps a code block's lines verbatim, indentation included.
TEST(TelegramHtml, PlainTextKeepsCodeVerbatim) {
  EXPECT_EQ(plain("Intro:\n\n```js\nif (a < b) {\n  **not bold**\n}\n```"),
            "Intro:\n\nif (a < b) {\n  **not bold**\n}");
}

// Bullets are "• " lines; nested items and continuation paragraphs line up under the text.
TEST(TelegramHtml, BulletListsNestWithIndentation) {
  EXPECT_EQ(html("- one\n- two\n  - nested\n    - deeper\n- three"),
            "• one\n• two\n  • nested\n    • deeper\n• three");
  EXPECT_EQ(html("* a\n\n* b"), "• a\n\n• b");  // a loose list keeps its blank lines
  EXPECT_EQ(html("- first\n\n  second para"), "• first\n\n  second para");
}

// Ordered lists keep the model's start number and its '.' or ')' delimiter.
TEST(TelegramHtml, OrderedListsKeepStartAndDelimiter) {
  EXPECT_EQ(html("1. a\n2. b"), "1. a\n2. b");
  EXPECT_EQ(html("9) nine\n10) ten\n11) eleven"), "9) nine\n10) ten\n11) eleven");
  EXPECT_EQ(html("1. a\n   - b\n2. c"), "1. a\n   • b\n2. c");
}

// A task item shows a checkbox in place of its bullet.
TEST(TelegramHtml, TaskListsShowCheckboxes) {
  EXPECT_EQ(html("- [ ] todo\n- [x] done"), "☐ todo\n☑ done");
  EXPECT_EQ(html("1. [x] done"), "1. ☑ done");
}

// A code block inside a list item keeps its lines unindented inside <pre>.
TEST(TelegramHtml, CodeInListItemIsNotIndented) {
  EXPECT_EQ(html("- item\n\n  ```\n  a\n  b\n  ```"), "• item\n\n  <pre>a\nb</pre>");
}

// Telegram cannot nest block quotes: an inner quote joins the outer one.
TEST(TelegramHtml, BlockQuotes) {
  EXPECT_EQ(html("> quoted *text*\n> more"), "<blockquote>quoted <i>text</i>\nmore</blockquote>");
  EXPECT_EQ(html("> outer\n>\n> > inner"), "<blockquote>outer\n\ninner</blockquote>");
  EXPECT_EQ(plain("> outer\n>\n> > inner"), "│ outer\n│\n│ │ inner");
}

// A thematic break is a line of dashes of its own.
TEST(TelegramHtml, ThematicBreakIsARule) {
  EXPECT_EQ(html("above\n\n---\n\nbelow"), "above\n\n———\n\nbelow");
  EXPECT_EQ(plain("above\n\n***\n\nbelow"), "above\n\n———\n\nbelow");
}

// Safe links become <a href>, attribute escaped; bare URLs and e-mail addresses are linked.
TEST(TelegramHtml, LinksAndAutolinks) {
  EXPECT_EQ(html("[docs](https://x.io/a?b=1&c=\"2\")"),
            "<a href=\"https://x.io/a?b=1&amp;c=&quot;2&quot;\">docs</a>");
  EXPECT_EQ(html("[**bold** link](http://x.io)"), "<a href=\"http://x.io\"><b>bold</b> link</a>");
  EXPECT_EQ(html("see www.x.io and <https://y.io>"),
            "see <a href=\"http://www.x.io\">www.x.io</a> and "
            "<a href=\"https://y.io\">https://y.io</a>");
  EXPECT_EQ(html("mail me@x.io"), "mail <a href=\"mailto:me@x.io\">me@x.io</a>");
  EXPECT_EQ(html("[](https://e.io)"), "<a href=\"https://e.io\">https://e.io</a>");
  EXPECT_EQ(plain("[docs](https://x.io) and https://y.io"), "docs (https://x.io) and https://y.io");
}

// javascript:, data: and relative targets are not links: only their label is shown.
TEST(TelegramHtml, UnsafeLinkSchemesBecomeText) {
  EXPECT_EQ(html("[click](javascript:alert(1))"), "click");
  EXPECT_EQ(html("[x](JavaScript:alert(1)) [y](data:text/html;base64,xx) [z](/relative)"), "x y z");
  EXPECT_EQ(html("![pic](javascript:x)"), "pic");
  EXPECT_EQ(plain("[click](javascript:alert(1))"), "click");
}

// An image is a link to it, labelled with its alt text.
TEST(TelegramHtml, ImagesBecomeLinks) {
  EXPECT_EQ(html("![a *cat*](https://c.io/cat.png)"), "<a href=\"https://c.io/cat.png\">a cat</a>");
  EXPECT_EQ(html("![](https://c.io/x.png)"), "<a href=\"https://c.io/x.png\">image</a>");
  EXPECT_EQ(plain("![cat](https://c.io/cat.png)"), "cat (https://c.io/cat.png)");
}

// Soft and hard breaks are newlines; paragraphs are one blank line apart, ends trimmed.
TEST(TelegramHtml, BreaksAndParagraphs) {
  EXPECT_EQ(html("one\ntwo"), "one\ntwo");
  EXPECT_EQ(html("hard  \nbreak\\\nagain"), "hard\nbreak\nagain");
  EXPECT_EQ(html("\n\n\npara one\n\n\n\npara two   \n\n\n"), "para one\n\npara two");
}

// ||text|| is a spoiler; only complete pairs count, and code spans are left alone.
TEST(TelegramHtml, Spoilers) {
  EXPECT_EQ(html("the ||butler **did**|| it"), "the <tg-spoiler>butler <b>did</b></tg-spoiler> it");
  EXPECT_EQ(html("a || b || c || d"), "a <tg-spoiler> b </tg-spoiler> c || d");  // odd one out
  EXPECT_EQ(html("`a || b`"), "<code>a || b</code>");
  EXPECT_EQ(plain("the ||butler|| did it"), "the butler did it");
}

constexpr std::string_view kTable =
    "| Name | Qty | Note |\n"
    "|:-----|----:|:----:|\n"
    "| apple | 3 | [x](http://x.io) |\n"
    "| 猫 | 10 | **b** |";

// The default (`block` without rich messages) and `code` draw an aligned monospace table.
TEST(TelegramHtml, TableAsCode) {
  std::string expected =
      "<pre>| Name  | Qty | Note |\n"
      "|-------|-----|------|\n"
      "| apple |   3 |  x   |\n"
      "| 猫    |  10 |  b   |</pre>";
  EXPECT_EQ(html(kTable, TableMode::code), expected);
  EXPECT_EQ(html(kTable), expected);
  EXPECT_EQ(html(kTable, TableMode::block), expected);
  EXPECT_EQ(plain(kTable, TableMode::code),
            "| Name  | Qty | Note |\n"
            "|-------|-----|------|\n"
            "| apple |   3 |  x   |\n"
            "| 猫    |  10 |  b   |");
}

// `bullets`: each row is its first cell in bold, then "• header: value" lines.
TEST(TelegramHtml, TableAsBullets) {
  EXPECT_EQ(html(kTable, TableMode::bullets),
            "<b>apple</b>\n• Qty: 3\n• Note: <a href=\"http://x.io\">x</a>\n\n"
            "<b>猫</b>\n• Qty: 10\n• Note: <b>b</b>");
  EXPECT_EQ(plain(kTable, TableMode::bullets),
            "apple\n• Qty: 3\n• Note: x (http://x.io)\n\n猫\n• Qty: 10\n• Note: b");
  EXPECT_EQ(html("| Only |\n|---|\n| a |\n| b |", TableMode::bullets), "• a\n• b");
}

// `off`: no table parsing; the pipe text shows as written.
TEST(TelegramHtml, TableOff) {
  EXPECT_EQ(html("| a | b |\n|---|---|\n| 1 | 2 |", TableMode::off),
            "| a | b |\n|---|---|\n| 1 | 2 |");
}

// The config spellings of markdown.tables, and nothing else.
TEST(TelegramHtml, ParsesTableModeNames) {
  EXPECT_EQ(parse_table_mode("off"), TableMode::off);
  EXPECT_EQ(parse_table_mode("bullets"), TableMode::bullets);
  EXPECT_EQ(parse_table_mode("code"), TableMode::code);
  EXPECT_EQ(parse_table_mode("block"), TableMode::block);
  EXPECT_EQ(parse_table_mode("Code"), std::nullopt);
}

// Plain text is the same document with the markup left out.
TEST(TelegramHtml, PlainTextHasNoMarkup) {
  EXPECT_EQ(plain("# T\n\n**b** *i* ~~s~~ `c`\n\n- x\n  1. y\n\n> q"),
            "T\n\nb i s c\n\n• x\n  1. y\n\n│ q");
}

// Telegram rejects invalid UTF-8: it becomes U+FFFD.
TEST(TelegramHtml, InvalidUtf8IsReplaced) {
  std::string out = html("bad \xff\xfe byte");
  EXPECT_TRUE(testing::valid_utf8(out));
  EXPECT_NE(out.find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
}

// Pathological nesting is flattened, not recursed into without bound.
TEST(TelegramHtml, DeepNestingStaysBounded) {
  std::string quotes(5000, '>');
  std::string out = html(quotes + " deep *text*");
  EXPECT_NE(out.find("deep"), std::string::npos);
  EXPECT_TRUE(well_formed_telegram_html(out));
  std::string lists;
  for (int i = 0; i < 300; ++i) {
    lists += std::string(static_cast<std::size_t>(i) * 2, ' ') + "- level\n";
  }
  EXPECT_TRUE(well_formed_telegram_html(html(lists)));
}

// Visible text drops tags and decodes entities; its length counts UTF-16 units.
TEST(TelegramHtml, VisibleTextDecodesEntities) {
  EXPECT_EQ(telegram_visible_text("<b>a &lt;b&gt;</b> &amp;&quot; &#128512; &#x41; & x"),
            "a <b> &\" 😀 A & x");
  EXPECT_EQ(telegram_visible_length("<pre><code class=\"language-py\">ab</code></pre>"), 2u);
  EXPECT_EQ(telegram_visible_length("😀猫a"), 4u);  // surrogate pair + 1 + 1
  EXPECT_EQ(telegram_html_escape("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
}

// No output ends in whitespace, whatever the Markdown ends with.
TEST(TelegramHtml, NoTrailingWhitespace) {
  for (std::string_view md : {"text   ", "- \n- b", "> a\n>\n", "```\ncode  \n```\n\n\n", "# \n"}) {
    std::string out = html(md);
    EXPECT_TRUE(out.empty() || (out.back() != ' ' && out.back() != '\n')) << md;
  }
}

// Property: for many random snippets, the HTML is well-formed by our checker and parses in the
// fake Telegram server (which follows the Bot API's rules), it is empty exactly when the plain
// rendering is, and it carries no trailing whitespace.
TEST(TelegramHtml, RandomMarkdownRendersWellFormed) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 3000; ++round) {
    std::string md = testing::random_markdown(rng, 40);
    for (TableMode mode : {TableMode::code, TableMode::bullets, TableMode::off}) {
      std::string out = html(md, mode);
      ASSERT_TRUE(well_formed_telegram_html(out)) << "markdown:\n" << md;
      auto parsed = fakes::parse_telegram_html(out, true);
      ASSERT_TRUE(parsed.has_value()) << parsed.error() << "\nmarkdown:\n" << md;
      std::string text = plain(md, mode);
      ASSERT_TRUE(testing::valid_utf8(text)) << md;
      ASSERT_EQ(out.empty(), text.empty()) << md;
      if (!out.empty()) {
        ASSERT_NE(out.back(), ' ') << md;
        ASSERT_NE(out.back(), '\n') << md;
      }
    }
  }
}

}  // namespace
}  // namespace pincer::channels
