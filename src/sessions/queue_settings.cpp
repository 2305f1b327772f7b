#include "sessions/queue_settings.hpp"

namespace pincer::sessions {

std::optional<QueueMode> parse_queue_mode(std::string_view text) {
  if (text == "steer") {
    return QueueMode::steer;
  }
  if (text == "followup") {
    return QueueMode::followup;
  }
  if (text == "collect") {
    return QueueMode::collect;
  }
  if (text == "interrupt") {
    return QueueMode::interrupt;
  }
  return std::nullopt;
}

std::string_view to_string(QueueMode mode) {
  switch (mode) {
    case QueueMode::steer:
      return "steer";
    case QueueMode::followup:
      return "followup";
    case QueueMode::collect:
      return "collect";
    case QueueMode::interrupt:
      return "interrupt";
  }
  return "steer";
}

std::optional<QueueDrop> parse_queue_drop(std::string_view text) {
  if (text == "old") {
    return QueueDrop::old;
  }
  if (text == "new") {
    return QueueDrop::newest;
  }
  if (text == "summarize") {
    return QueueDrop::summarize;
  }
  return std::nullopt;
}

std::string_view to_string(QueueDrop drop) {
  switch (drop) {
    case QueueDrop::old:
      return "old";
    case QueueDrop::newest:
      return "new";
    case QueueDrop::summarize:
      return "summarize";
  }
  return "summarize";
}

}  // namespace pincer::sessions
