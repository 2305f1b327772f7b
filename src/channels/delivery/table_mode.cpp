#include "channels/delivery/table_mode.hpp"

namespace pincer::channels {

std::optional<TableMode> parse_table_mode(std::string_view name) {
  if (name == "off") {
    return TableMode::off;
  }
  if (name == "bullets") {
    return TableMode::bullets;
  }
  if (name == "code") {
    return TableMode::code;
  }
  if (name == "block") {
    return TableMode::block;
  }
  return std::nullopt;
}

}  // namespace pincer::channels
