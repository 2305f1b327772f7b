#pragma once
// Reading a tool call's JSON arguments. The model gets every problem back as the tool's error
// text ("path: expected a string"), never a crash, so it can correct itself and call again.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace pincer::tools {

class ToolArguments {
 public:
  explicit ToolArguments(const boost::json::object& arguments) : arguments_(arguments) {}

  // Required: records "<key>: required" when absent or empty (unless allow_empty).
  std::string required_string(std::string_view key, bool allow_empty = false);
  std::optional<std::string> string(std::string_view key);
  // Numbers also accepted as numeric strings ("30"), since models write them either way.
  std::optional<int64_t> integer(std::string_view key, int64_t minimum, int64_t maximum);
  std::optional<double> number(std::string_view key, double minimum, double maximum);
  // true/false, also "true"/"false".
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::vector<std::string>> string_list(std::string_view key);
  const boost::json::value* raw(std::string_view key) const;
  bool has(std::string_view key) const { return arguments_.contains(key); }

  void fail(std::string problem);
  // The first problem, for the tool's error output; nullopt when every read succeeded.
  const std::optional<std::string>& error() const { return error_; }

 private:
  const boost::json::object& arguments_;
  std::optional<std::string> error_;
};

}  // namespace pincer::tools
