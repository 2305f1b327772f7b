#include "sessions/queue_settings.hpp"

#include <algorithm>

#include "core/config.hpp"

namespace pincer::sessions {

namespace {

QueueMode from_config(core::QueueMode mode) {
  switch (mode) {
    case core::QueueMode::steer:
      return QueueMode::steer;
    case core::QueueMode::followup:
      return QueueMode::followup;
    case core::QueueMode::collect:
      return QueueMode::collect;
    case core::QueueMode::interrupt:
      return QueueMode::interrupt;
  }
  return QueueMode::steer;
}

QueueDrop from_config(core::QueueDrop drop) {
  switch (drop) {
    case core::QueueDrop::old:
      return QueueDrop::old;
    case core::QueueDrop::new_:
      return QueueDrop::newest;
    case core::QueueDrop::summarize:
      return QueueDrop::summarize;
  }
  return QueueDrop::summarize;
}

}  // namespace

QueueSettings queue_settings_for(const core::QueueConfig& config, std::string_view channel) {
  QueueSettings settings;
  settings.mode = from_config(config.mode);
  settings.drop = from_config(config.drop);
  settings.cap = static_cast<std::size_t>(std::max<int64_t>(1, config.cap));
  int64_t debounce = config.debounce_ms;
  if (auto mode = config.by_channel.find(std::string(channel)); mode != config.by_channel.end()) {
    settings.mode = from_config(mode->second);
  }
  if (auto by = config.debounce_ms_by_channel.find(std::string(channel));
      by != config.debounce_ms_by_channel.end()) {
    debounce = by->second;
  }
  settings.debounce = std::chrono::milliseconds(std::max<int64_t>(0, debounce));
  return settings;
}

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
