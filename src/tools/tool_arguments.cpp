#include "tools/tool_arguments.hpp"

#include <charconv>
#include <cmath>

#include <boost/json/value.hpp>

#include "core/json_kind.hpp"

namespace pincer::tools {

namespace json = boost::json;

const json::value* ToolArguments::raw(std::string_view key) const {
  const json::value* value = arguments_.if_contains(key);
  return value != nullptr && !value->is_null() ? value : nullptr;
}

void ToolArguments::fail(std::string problem) {
  if (!error_) {
    error_ = std::move(problem);
  }
}

std::optional<std::string> ToolArguments::string(std::string_view key) {
  const json::value* value = raw(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string()) {
    fail(std::string(key) + ": expected a string, got " +
         std::string(core::json_kind_name(*value)));
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::string ToolArguments::required_string(std::string_view key, bool allow_empty) {
  auto value = string(key);
  if (!value && !error_) {
    fail(std::string(key) + ": required");
  } else if (value && value->empty() && !allow_empty) {
    fail(std::string(key) + ": must not be empty");
  }
  return value.value_or("");
}

std::optional<double> ToolArguments::number(std::string_view key, double minimum, double maximum) {
  const json::value* value = raw(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  double number = 0;
  if (value->is_number()) {
    number = value->to_number<double>();
  } else if (value->is_string()) {
    std::string_view text = value->get_string();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size()) {
      fail(std::string(key) + ": expected a number, got \"" + std::string(text) + "\"");
      return std::nullopt;
    }
  } else {
    fail(std::string(key) + ": expected a number, got " +
         std::string(core::json_kind_name(*value)));
    return std::nullopt;
  }
  if (!std::isfinite(number) || number < minimum || number > maximum) {
    fail(std::string(key) + ": must be between " + std::to_string(minimum) + " and " +
         std::to_string(maximum));
    return std::nullopt;
  }
  return number;
}

std::optional<int64_t> ToolArguments::integer(std::string_view key, int64_t minimum,
                                              int64_t maximum) {
  auto value = number(key, static_cast<double>(minimum), static_cast<double>(maximum));
  if (!value) {
    return std::nullopt;
  }
  if (*value != std::floor(*value)) {
    fail(std::string(key) + ": expected a whole number");
    return std::nullopt;
  }
  return static_cast<int64_t>(*value);
}

std::optional<bool> ToolArguments::boolean(std::string_view key) {
  const json::value* value = raw(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_bool()) {
    return value->get_bool();
  }
  if (value->is_string() && (value->get_string() == "true" || value->get_string() == "false")) {
    return value->get_string() == "true";
  }
  fail(std::string(key) + ": expected true or false, got " +
       std::string(core::json_kind_name(*value)));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ToolArguments::string_list(std::string_view key) {
  const json::value* value = raw(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_array()) {
    fail(std::string(key) + ": expected an array of strings, got " +
         std::string(core::json_kind_name(*value)));
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : value->get_array()) {
    if (!item.is_string()) {
      fail(std::string(key) + ": expected an array of strings, found " +
           std::string(core::json_kind_name(item)));
      return std::nullopt;
    }
    out.emplace_back(item.get_string());
  }
  return out;
}

}  // namespace pincer::tools
