#include "channels/delivery/outbound_format.hpp"

#include "channels/delivery/message_chunker.hpp"
#include "channels/delivery/plain_text.hpp"

namespace pincer::channels {

namespace {

TableMode table_mode(std::string_view name) {
  if (name == "off") {
    return TableMode::off;
  }
  if (name == "bullets") {
    return TableMode::bullets;
  }
  if (name == "code") {
    return TableMode::code;
  }
  return kDefaultTableMode;
}

}  // namespace

std::vector<OutboundPart> render_parts(const ChannelCapabilities& capabilities,
                                       std::string_view markdown) {
  std::vector<OutboundPart> parts;
  TableMode tables = table_mode(capabilities.markdown_tables);
  if (capabilities.markup == Markup::telegram_html) {
    TelegramRenderOptions options;
    options.limit = capabilities.max_text_length;
    options.tables = tables;
    for (auto& part : render_telegram_messages(markdown, options)) {
      parts.push_back(OutboundPart{std::move(part.html), std::move(part.plain)});
    }
    return parts;
  }
  // Apps without a markup of their own (or not rendered yet) get readable plain text.
  std::string plain = markdown_to_plain_text(markdown, tables);
  for (auto& chunk : chunk_for_limit(plain, capabilities.max_text_length)) {
    parts.push_back(OutboundPart{chunk, chunk});
  }
  return parts;
}

}  // namespace pincer::channels
