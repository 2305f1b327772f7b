#include "sessions/chat_type.hpp"

namespace pincer::sessions {

std::optional<ChatType> parse_chat_type(std::string_view text) {
  if (text == "direct" || text == "dm") {
    return ChatType::direct;
  }
  if (text == "group") {
    return ChatType::group;
  }
  if (text == "channel") {
    return ChatType::channel;
  }
  return std::nullopt;
}

std::string_view to_string(ChatType type) {
  switch (type) {
    case ChatType::direct:
      return "direct";
    case ChatType::group:
      return "group";
    case ChatType::channel:
      return "channel";
  }
  return "direct";
}

}  // namespace pincer::sessions
