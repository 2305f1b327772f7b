#pragma once
// Markdown -> Telegram Bot API HTML (parse_mode "HTML").
//
// Why: models answer in Markdown, and Telegram shows raw Markdown as noise; its own "MarkdownV2"
// mode rejects a whole message over one unescaped character. HTML mode needs only &, < and >
// escaped, so a reply walked as a Markdown AST (cmark-gfm with the strikethrough, table, autolink
// and tasklist extensions; never regular expressions) prints reliably as HTML.
//
// Contract of the output:
//   - only tags Telegram accepts: <b> <i> <s> <code> <pre> <pre><code class="language-x">
//     <a href="..."> <blockquote> <tg-spoiler>; always balanced and properly nested; text escapes
//     &, < and > (and " in attribute values); no other entities;
//   - headings print as a bold line; emphasis, strong, ~~strike~~ and ||spoiler|| map to tags;
//     lists print as "• " / "1. " lines with nested items indented; block quotes become one
//     <blockquote> (Telegram cannot nest them, so inner quotes join the outer one); a thematic
//     break is a "———" line; an image is a link labelled with its alt text; soft and hard breaks
//     are newlines; blocks are separated by one blank line (tight list items by none);
//   - raw HTML in the Markdown is shown escaped, as the text the model wrote, never passed on;
//   - links other than absolute http(s)/ftp, mailto: and tg: (javascript:, data:, relative
//     paths) print as their label only;
//   - tables follow TableMode (table_mode.hpp); code blocks keep their text byte for byte;
//   - invalid UTF-8 becomes U+FFFD; no leading blank lines, no trailing whitespace.
// What it does not do: no length limit (message_chunker.hpp splits a reply into messages), no
// rich-message blocks, no <u> (Markdown has no underline).

#include <cstddef>
#include <string>
#include <string_view>

#include "channels/delivery/table_mode.hpp"

namespace pincer::channels {

// The whole reply as one Telegram HTML text; see the contract above. Empty for a reply with no
// visible content.
std::string markdown_to_telegram_html(std::string_view markdown,
                                      TableMode tables = kDefaultTableMode);

// `text` escaped for Telegram HTML (&, <, > and ").
std::string telegram_html_escape(std::string_view text);

// What Telegram shows for `html`: tags removed, entities (&lt; &gt; &amp; &quot; &apos; and
// numeric ones) decoded. An '&' that starts no known entity is kept as is.
std::string telegram_visible_text(std::string_view html);

// Length of telegram_visible_text(html) in UTF-16 code units: how Telegram counts its 4096
// message limit.
std::size_t telegram_visible_length(std::string_view html);

}  // namespace pincer::channels
