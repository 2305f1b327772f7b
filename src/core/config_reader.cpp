#include "core/config_reader.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

#include <boost/json/serialize.hpp>

#include "core/json_format.hpp"
#include "core/redact.hpp"
#include "core/reference_config_keys.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

bool is_identifier(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key.front())) != 0) {
    return false;
  }
  return std::ranges::all_of(key, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$' || c == '-';
  });
}

// "[3]": an array item, written as is (ConfigReader::items makes these).
bool is_index_segment(std::string_view s) {
  return s.size() >= 3 && s.front() == '[' && s.back() == ']' &&
         std::all_of(s.begin() + 1, s.end() - 1,
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                  std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join_path(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) {
    if (is_index_segment(s)) {
      out += s;
    } else if (is_identifier(s)) {
      if (!out.empty()) {
        out += '.';
      }
      out += s;
    } else {
      out += '[';
      out += json::serialize(json::value(s));
      out += ']';
    }
  }
  return out;
}

}  // namespace

std::string describe_value(const json::value& value, std::string_view key) {
  switch (value.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return value.get_bool() ? "true" : "false";
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::string: {
      if (Redactor::is_sensitive_key(key)) {
        return "a string";
      }
      std::string_view s = value.get_string();
      constexpr size_t kMax = 40;
      if (s.size() > kMax) {
        return json::serialize(json::value(std::string(s.substr(0, kMax)))) + "...";
      }
      return json::serialize(value);
    }
    default:
      if (Redactor::is_sensitive_key(key)) {
        return "a number";
      }
      return to_pretty_json(value);
  }
}

ConfigReader::ConfigReader(const json::value* value, std::vector<std::string> segments,
                           std::vector<ConfigIssue>& issues)
    : segments_(std::move(segments)), path_(join_path(segments_)), issues_(&issues) {
  if (value == nullptr) {
    return;
  }
  if (!value->is_object()) {
    issues_->push_back(
        {ConfigIssue::Severity::error, path_, "expected an object, got " + describe_value(*value)});
    return;
  }
  object_ = &value->get_object();
}

std::string ConfigReader::key_path(std::string_view key) const {
  auto segments = segments_;
  segments.emplace_back(key);
  return join_path(segments);
}

const json::value* ConfigReader::find(std::string_view key) {
  if (object_ == nullptr) {
    return nullptr;
  }
  const json::value* value = object_->if_contains(key);
  if (value != nullptr) {
    read_.emplace(key);
  }
  return value;
}

const json::value* ConfigReader::take(std::string_view key) {
  return find(key);
}

void ConfigReader::error(std::string_view key, std::string message) {
  issues_->push_back(
      {ConfigIssue::Severity::error, key.empty() ? path_ : key_path(key), std::move(message)});
}

void ConfigReader::error_at(std::string path, std::string message) {
  issues_->push_back({ConfigIssue::Severity::error, std::move(path), std::move(message)});
}

void ConfigReader::type_error(std::string_view key, std::string_view expected,
                              const json::value& got) {
  error(key, "expected " + std::string(expected) + ", got " + describe_value(got, key));
}

void ConfigReader::integer(std::string_view key, int64_t& out, int64_t min, int64_t max) {
  const json::value* value = find(key);
  if (value == nullptr) {
    return;
  }
  std::string expected = "an integer " + std::to_string(min) + "-" + std::to_string(max);
  std::optional<int64_t> number;
  if (value->is_int64()) {
    number = value->get_int64();
  } else if (value->is_double()) {
    double d = value->get_double();
    // 8080.0 is an integer to a person; 8080.5 is not.
    if (d == static_cast<double>(static_cast<int64_t>(d))) {
      number = static_cast<int64_t>(d);
    }
  }
  if (!number || *number < min || *number > max) {
    type_error(key, expected, *value);
    return;
  }
  out = *number;
}

void ConfigReader::boolean(std::string_view key, bool& out) {
  const json::value* value = find(key);
  if (value == nullptr) {
    return;
  }
  if (!value->is_bool()) {
    type_error(key, "true or false", *value);
    return;
  }
  out = value->get_bool();
}

void ConfigReader::string(std::string_view key, std::string& out) {
  const json::value* value = find(key);
  if (value == nullptr) {
    return;
  }
  if (!value->is_string()) {
    type_error(key, "a string", *value);
    return;
  }
  out = std::string(value->get_string());
}

void ConfigReader::string_list(std::string_view key, std::vector<std::string>& out) {
  const json::value* value = find(key);
  if (value == nullptr) {
    return;
  }
  if (!value->is_array()) {
    type_error(key, "a list of strings", *value);
    return;
  }
  std::vector<std::string> items;
  bool ok = true;
  const auto& array = value->get_array();
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string()) {
      issues_->push_back({ConfigIssue::Severity::error,
                          key_path(key) + "[" + std::to_string(i) + "]",
                          "expected a string, got " + describe_value(array[i], key)});
      ok = false;
      continue;
    }
    items.emplace_back(array[i].get_string());
  }
  if (ok) {
    out = std::move(items);
  }
}

void ConfigReader::string_map(std::string_view key, std::map<std::string, std::string>& out) {
  const json::value* value = find(key);
  if (value == nullptr) {
    return;
  }
  if (!value->is_object()) {
    type_error(key, "an object of strings", *value);
    return;
  }
  std::map<std::string, std::string> items;
  bool ok = true;
  for (const auto& member : value->get_object()) {
    if (!member.value().is_string()) {
      auto segments = segments_;
      segments.emplace_back(key);
      segments.emplace_back(member.key());
      issues_->push_back(
          {ConfigIssue::Severity::error, join_path(segments),
           "expected a string, got " + describe_value(member.value(), member.key())});
      ok = false;
      continue;
    }
    items.emplace(member.key(), member.value().get_string());
  }
  if (ok) {
    out = std::move(items);
  }
}

int ConfigReader::choice_index(std::string_view key, const std::vector<std::string_view>& names) {
  const json::value* value = find(key);
  if (value == nullptr) {
    return -1;
  }
  std::string expected = "one of ";
  for (size_t i = 0; i < names.size(); ++i) {
    expected += (i == 0 ? "\"" : ", \"") + std::string(names[i]) + "\"";
  }
  if (!value->is_string()) {
    type_error(key, expected, *value);
    return -1;
  }
  auto it = std::ranges::find(names, std::string_view(value->get_string()));
  if (it == names.end()) {
    type_error(key, expected, *value);
    return -1;
  }
  return static_cast<int>(it - names.begin());
}

ConfigReader ConfigReader::object(std::string_view key) {
  auto segments = segments_;
  segments.emplace_back(key);
  return {find(key), std::move(segments), *issues_};
}

std::vector<ConfigReader> ConfigReader::items(std::string_view key) {
  std::vector<ConfigReader> out;
  const json::value* value = find(key);
  if (value == nullptr) {
    return out;
  }
  if (!value->is_array()) {
    type_error(key, "a list of objects", *value);
    return out;
  }
  const auto& array = value->get_array();
  out.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    auto segments = segments_;
    segments.emplace_back(key);
    segments.push_back("[" + std::to_string(i) + "]");
    out.emplace_back(&array[i], std::move(segments), *issues_);
  }
  return out;
}

std::vector<std::string> ConfigReader::keys() const {
  std::vector<std::string> out;
  if (object_ != nullptr) {
    for (const auto& member : *object_) {
      out.emplace_back(member.key());
    }
  }
  return out;
}

void ConfigReader::finish() {
  if (object_ == nullptr) {
    return;
  }
  for (const auto& member : *object_) {
    if (read_.contains(std::string_view(member.key()))) {
      continue;
    }
    auto segments = segments_;
    segments.emplace_back(member.key());
    if (is_reference_config_key(segments)) {
      issues_->push_back({ConfigIssue::Severity::note, join_path(segments),
                          "not used by Pincer yet (kept for compatibility)"});
      continue;
    }
    std::string message = "unknown key (ignored)";
    std::string best;
    size_t best_distance = 3;  // suggest only close matches
    std::vector<std::string> candidates = reference_config_children(segments_);
    for (const auto& candidate : candidates) {
      size_t d = edit_distance(member.key(), candidate);
      if (d < best_distance && candidate != "*") {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) {
      message += "; did you mean \"" + best + "\"?";
    }
    issues_->push_back({ConfigIssue::Severity::warning, join_path(segments), message});
  }
}

}  // namespace pincer::core
