#pragma once
// Test helpers for the Telegram delivery formatters: a strict well-formedness check of produced
// HTML (only the tags and entities the formatter may emit, balanced, nested as Telegram allows)
// and a seeded generator of random Markdown snippets for property-style loops.

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::channels::testing {

inline bool valid_utf8(std::string_view s) {
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

// Escaped text: every '&' starts &lt; &gt; &amp; or &quot;, and no raw '<' or '>' (nor '"' in an
// attribute value).
inline ::testing::AssertionResult check_escaped(std::string_view text, bool attribute) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '<' || c == '>' || (attribute && c == '"')) {
      return ::testing::AssertionFailure() << "raw '" << c << "' in text: " << text;
    }
    if (c == '&') {
      std::string_view rest = text.substr(i);
      if (!rest.starts_with("&lt;") && !rest.starts_with("&gt;") && !rest.starts_with("&amp;") &&
          !rest.starts_with("&quot;")) {
        return ::testing::AssertionFailure() << "bare '&' in text: " << text;
      }
    }
  }
  return ::testing::AssertionSuccess();
}

// Whether `html` is what markdown_to_telegram_html may produce: the allowed tags only (<b> <i>
// <s> <u> <code> <pre> <blockquote> <tg-spoiler>, <a href="...">, <code class="language-x">
// directly in <pre>), properly nested and closed, nothing inside <code>/<pre> but that <code>, no
// nested <blockquote> or <a>, escaped text, valid UTF-8.
inline ::testing::AssertionResult well_formed_telegram_html(std::string_view html) {
  auto fail = [&](std::string_view why) {
    return ::testing::AssertionFailure() << why << " in:\n" << html;
  };
  if (!valid_utf8(html)) {
    return fail("invalid UTF-8");
  }
  std::vector<std::string> stack;
  auto open = [&](std::string_view name) {
    for (const std::string& t : stack) {
      if (t == name && (name == "blockquote" || name == "a")) {
        return false;
      }
    }
    return true;
  };
  std::size_t i = 0;
  while (i < html.size()) {
    std::size_t lt = html.find('<', i);
    std::string_view text = html.substr(i, lt == std::string_view::npos ? lt : lt - i);
    if (auto escaped = check_escaped(text, false); !escaped) {
      return escaped;
    }
    if (lt == std::string_view::npos) {
      break;
    }
    std::size_t gt = html.find('>', lt);
    if (gt == std::string_view::npos) {
      return fail("unclosed tag");
    }
    std::string_view tag = html.substr(lt + 1, gt - lt - 1);
    i = gt + 1;
    if (tag.starts_with('/')) {
      std::string_view name = tag.substr(1);
      if (stack.empty() || stack.back() != name) {
        return fail("mismatched </" + std::string(name) + ">");
      }
      stack.pop_back();
      continue;
    }
    std::size_t space = tag.find(' ');
    std::string_view name = tag.substr(0, space);
    std::string_view attrs = space == std::string_view::npos ? "" : tag.substr(space + 1);
    bool in_code = !stack.empty() && (stack.back() == "code" || stack.back() == "pre");
    if (in_code && !(name == "code" && stack.back() == "pre")) {
      return fail("tag inside code/pre");
    }
    if (name == "a") {
      if (!attrs.starts_with("href=\"") || !attrs.ends_with('"') || attrs.size() < 8) {
        return fail("<a> without href");
      }
      if (auto escaped = check_escaped(attrs.substr(6, attrs.size() - 7), true); !escaped) {
        return escaped;
      }
    } else if (name == "code" && !attrs.empty()) {
      if (stack.empty() || stack.back() != "pre" || !attrs.starts_with("class=\"language-") ||
          !attrs.ends_with('"')) {
        return fail("bad <code> attributes");
      }
      if (auto escaped = check_escaped(attrs.substr(7, attrs.size() - 8), true); !escaped) {
        return escaped;
      }
    } else if (!attrs.empty()) {
      return fail("attributes on <" + std::string(name) + ">");
    } else if (name != "b" && name != "i" && name != "s" && name != "u" && name != "code" &&
               name != "pre" && name != "blockquote" && name != "tg-spoiler") {
      return fail("tag <" + std::string(name) + "> not allowed");
    }
    if (!open(name)) {
      return fail("nested <" + std::string(name) + ">");
    }
    stack.emplace_back(name);
  }
  if (!stack.empty()) {
    return fail("<" + stack.back() + "> left open");
  }
  return ::testing::AssertionSuccess();
}

// Random Markdown built from fragments that exercise every construct and the characters that
// need escaping. Deterministic for a given engine state.
inline std::string random_markdown(std::mt19937& rng, std::size_t max_fragments) {
  static const std::vector<std::string_view> kFragments = {"word ",
                                                           "more text ",
                                                           "**",
                                                           "*",
                                                           "_",
                                                           "~~",
                                                           "`",
                                                           "``",
                                                           "\n",
                                                           "\n\n",
                                                           "# ",
                                                           "## ",
                                                           "> ",
                                                           ">> ",
                                                           "- ",
                                                           "  - ",
                                                           "1. ",
                                                           "3) ",
                                                           "- [ ] ",
                                                           "- [x] ",
                                                           "[",
                                                           "]",
                                                           "(",
                                                           ")",
                                                           "](",
                                                           "http://x.com/a?b=1&c=2",
                                                           "javascript:alert(1)",
                                                           "data:text/html,x",
                                                           "<b>",
                                                           "</i>",
                                                           "<div>\n",
                                                           "<!-- c -->",
                                                           "&",
                                                           "&amp;",
                                                           "&lt;",
                                                           "<",
                                                           ">",
                                                           "\"",
                                                           "'",
                                                           "||",
                                                           "|",
                                                           "| a | b |\n|---|:-:|\n| 1 | 2 |\n",
                                                           "![",
                                                           "    code\n",
                                                           "```",
                                                           "```py\n",
                                                           "~~~\n",
                                                           "---\n",
                                                           "***\n",
                                                           "\\",
                                                           "www.example.org ",
                                                           "mail@example.com ",
                                                           "日本語 ",
                                                           "😀",
                                                           "é",
                                                           "\t",
                                                           "  \n",
                                                           "<http://auto.link>",
                                                           "[ref]: http://r.io\n",
                                                           "[ref] ",
                                                           "x\ny\n===\n"};
  std::uniform_int_distribution<std::size_t> count(1, max_fragments);
  std::uniform_int_distribution<std::size_t> pick(0, kFragments.size() - 1);
  std::string out;
  for (std::size_t n = count(rng); n > 0; --n) {
    out += kFragments[pick(rng)];
  }
  return out;
}

}  // namespace pincer::channels::testing
