#include "channels/delivery/plain_text.hpp"

#include "channels/delivery/detail/markdown_render.hpp"

namespace pincer::channels {

std::string markdown_to_plain_text(std::string_view markdown, TableMode tables) {
  return detail::render_markdown(markdown, tables, detail::RenderOutputs::plain).plain;
}

std::size_t utf16_length(std::string_view text) {
  std::size_t units = 0;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) {  // a lead byte starts a character; 4-byte ones need a surrogate pair
      units += c >= 0xF0 ? 2 : 1;
    }
  }
  return units;
}

}  // namespace pincer::channels
