#pragma once
// extract_readable(): a fetched HTML page as the text a reader would take from it, in markdown
// or plain text. Dropped: script, style, head, nav, header/footer, aside, forms, iframes, svg,
// and anything marked hidden. When the page has <main> or <article>, only the first of those
// is kept (the "main content"); otherwise the whole <body>. Kept: headings, paragraphs, lists
// (nested), links (made absolute against the page URL), emphasis, inline and block code,
// block quotes, images as their alt text, and tables as markdown pipe tables.
//
// It is a heuristic reader, not Readability: no scoring of boilerplate blocks.

#include <string>
#include <string_view>

namespace pincer::tools::web {

enum class ExtractMode { markdown, text };

struct ReadablePage {
  std::string title;    // <title>, else the first <h1>; whitespace collapsed
  std::string content;  // markdown or text, blank lines between blocks
};

// `html` must be UTF-8. `page_url` resolves relative links; may be empty.
ReadablePage extract_readable(std::string_view html, ExtractMode mode, std::string_view page_url);

}  // namespace pincer::tools::web
