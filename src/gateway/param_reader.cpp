#include "gateway/param_reader.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "gateway/rpc_context.hpp"

namespace pincer::gateway {

namespace json = boost::json;

ParamReader::ParamReader(const RpcContext& context, std::initializer_list<std::string_view> allowed)
    : method_(context.request().method) {
  const auto* object = context.params().if_object();
  if (object == nullptr && !context.params().is_null()) {
    error_ = "params must be an object";
    return;
  }
  if (object != nullptr) {
    object_ = *object;
  }
  for (const auto& entry : object_) {
    if (std::find(allowed.begin(), allowed.end(), entry.key()) == allowed.end()) {
      error_ = fmt::format("unexpected property '{}'", std::string_view(entry.key()));
      return;
    }
  }
}

const json::value* ParamReader::member(std::string_view key) const {
  return error_.empty() ? object_.if_contains(key) : nullptr;
}

const json::value* ParamReader::raw(std::string_view key) const {
  return object_.if_contains(key);
}

void ParamReader::fail(std::string problem) {
  if (error_.empty()) {
    error_ = std::move(problem);
  }
}

std::string ParamReader::required_string(std::string_view key, std::size_t max_length) {
  if (error_.empty() && !object_.contains(key)) {
    fail(fmt::format("must have required property '{}'", key));
    return {};
  }
  return string(key, max_length).value_or(std::string());
}

std::optional<std::string> ParamReader::string(std::string_view key, std::size_t max_length,
                                               bool allow_empty) {
  const auto* value = member(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_string() || (!allow_empty && value->get_string().empty())) {
    fail(fmt::format("{} must be a {}string", key, allow_empty ? "" : "non-empty "));
    return std::nullopt;
  }
  if (max_length > 0 && value->get_string().size() > max_length) {
    fail(fmt::format("{} must be at most {} characters", key, max_length));
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::optional<std::optional<std::string>> ParamReader::nullable_string(std::string_view key,
                                                                       std::size_t max_length) {
  const auto* value = member(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_null()) {
    return std::optional<std::string>();
  }
  auto text = string(key, max_length);
  if (!text) {
    fail(fmt::format("{} must be a non-empty string or null", key));
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> ParamReader::integer(std::string_view key, int64_t minimum,
                                            int64_t maximum) {
  const auto* value = member(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  std::optional<int64_t> number;
  if (value->is_int64()) {
    number = value->get_int64();
  } else if (value->is_uint64() && value->get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    number = static_cast<int64_t>(value->get_uint64());
  } else if (value->is_double()) {
    double d = value->get_double();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && d >= -9.0e18 && d <= 9.0e18) {
      number = static_cast<int64_t>(d);
    }
  }
  if (!number || *number < minimum || *number > maximum) {
    fail(maximum == INT64_MAX
             ? fmt::format("{} must be an integer >= {}", key, minimum)
             : fmt::format("{} must be an integer from {} to {}", key, minimum, maximum));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> ParamReader::boolean(std::string_view key) {
  const auto* value = member(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (!value->is_bool()) {
    fail(fmt::format("{} must be a boolean", key));
    return std::nullopt;
  }
  return value->get_bool();
}

std::optional<std::string> ParamReader::one_of(std::string_view key,
                                               std::initializer_list<std::string_view> choices) {
  const auto* value = member(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  if (value->is_string() &&
      std::find(choices.begin(), choices.end(), value->get_string()) != choices.end()) {
    return std::string(value->get_string());
  }
  std::string list;
  for (auto choice : choices) {
    list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", choice);
  }
  fail(fmt::format("{} must be one of {}", key, list));
  return std::nullopt;
}

std::optional<std::vector<std::string>> ParamReader::string_array(std::string_view key,
                                                                  std::size_t min_items) {
  const auto* value = member(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  if (value->is_array()) {
    for (const auto& item : value->get_array()) {
      if (!item.is_string() || item.get_string().empty()) {
        break;
      }
      out.emplace_back(item.get_string());
    }
    if (out.size() == value->get_array().size() && out.size() >= min_items) {
      return out;
    }
  }
  fail(min_items > 0
           ? fmt::format("{} must be an array of at least {} non-empty strings", key, min_items)
           : fmt::format("{} must be an array of non-empty strings", key));
  return std::nullopt;
}

std::optional<RpcError> ParamReader::error() const {
  if (error_.empty()) {
    return std::nullopt;
  }
  return invalid_request(fmt::format("invalid {} params: {}", method_, error_));
}

}  // namespace pincer::gateway
