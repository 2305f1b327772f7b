#include "sessions/queue_settings.hpp"

#include <algorithm>
#include <string>

namespace pincer::sessions {

QueueSettings queue_settings_for(const core::QueueConfig& config, std::string_view channel) {
  QueueSettings settings;
  settings.mode = config.mode;
  settings.drop = config.drop;
  settings.cap = static_cast<std::size_t>(std::max<int64_t>(1, config.cap));
  int64_t debounce = config.debounce_ms;
  if (auto mode = config.by_channel.find(std::string(channel)); mode != config.by_channel.end()) {
    settings.mode = mode->second;
  }
  if (auto by = config.debounce_ms_by_channel.find(std::string(channel));
      by != config.debounce_ms_by_channel.end()) {
    debounce = by->second;
  }
  settings.debounce = std::chrono::milliseconds(std::max<int64_t>(0, debounce));
  return settings;
}

}  // namespace pincer::sessions
