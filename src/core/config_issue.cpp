#include "core/config_issue.hpp"

#include <algorithm>

namespace pincer::core {

std::string ConfigIssue::to_string() const {
  if (path.empty()) {
    return message;
  }
  return path + ": " + message;
}

bool has_errors(const std::vector<ConfigIssue>& issues) {
  return std::ranges::any_of(
      issues, [](const ConfigIssue& i) { return i.severity == ConfigIssue::Severity::error; });
}

}  // namespace pincer::core
