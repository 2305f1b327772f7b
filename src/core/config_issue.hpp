#pragma once

#include <string>
#include <vector>

namespace pincer::core {

// One finding about a config file, tied to its key path.
struct ConfigIssue {
  enum class Severity { error, warning, note };
  Severity severity = Severity::error;
  std::string path;     // "gateway.port"; empty for the whole document
  std::string message;  // "expected an integer 1-65535, got \"abc\""

  // "gateway.port: expected an integer 1-65535, got \"abc\""
  std::string to_string() const;
};

bool has_errors(const std::vector<ConfigIssue>& issues);

}  // namespace pincer::core
