#pragma once
// The one Markdown walk behind telegram_html.hpp and plain_text.hpp: cmark-gfm parses the reply
// once and the same block layout is printed either as Telegram HTML or as plain text, so the plain
// fallback of a message always shows the same document as its HTML. Private to delivery/.

#include <string>
#include <string_view>

#include "channels/delivery/table_mode.hpp"

namespace pincer::channels::detail {

// Which renderings to produce from one parse.
enum class RenderOutputs { html, plain, both };

struct RenderedMarkdown {
  std::string html;   // Telegram HTML (parse_mode "HTML"); empty when not requested
  std::string plain;  // the same document without markup; empty when not requested
};

// Renders `markdown`; see telegram_html.hpp and plain_text.hpp for the output contracts.
RenderedMarkdown render_markdown(std::string_view markdown, TableMode tables,
                                 RenderOutputs outputs);

}  // namespace pincer::channels::detail
