#include "core/env_substitution.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

// Length of "VAR}" when text[pos..] is "VAR}" with a valid name, else 0.
size_t name_length(std::string_view text, size_t pos) {
  if (pos >= text.size() || !is_name_start(text[pos])) {
    return 0;
  }
  size_t end = pos;
  while (end < text.size() && is_name_char(text[end])) {
    ++end;
  }
  if (end >= text.size() || text[end] != '}') {
    return 0;
  }
  return end - pos;
}

void substitute_in(json::value& value, std::string& path, const EnvLookup& env,
                   std::vector<ConfigIssue>& issues) {
  switch (value.kind()) {
    case json::kind::string: {
      std::string_view text = value.get_string();
      if (text.find("${") == std::string_view::npos) {
        return;
      }
      std::vector<std::string> missing;
      std::string replaced = substitute_env_vars(text, env, missing);
      for (const auto& name : missing) {
        issues.push_back(
            {ConfigIssue::Severity::warning, path,
             "environment variable " + name + " is not set; the value stays \"${" + name + "}\""});
      }
      value = json::string(replaced);
      return;
    }
    case json::kind::object:
      for (auto& member : value.get_object()) {
        size_t size = path.size();
        path += (path.empty() ? "" : ".") + std::string(member.key());
        substitute_in(member.value(), path, env, issues);
        path.resize(size);
      }
      return;
    case json::kind::array: {
      auto& array = value.get_array();
      for (size_t i = 0; i < array.size(); ++i) {
        size_t size = path.size();
        path += "[" + std::to_string(i) + "]";
        substitute_in(array[i], path, env, issues);
        path.resize(size);
      }
      return;
    }
    default:
      return;
  }
}

}  // namespace

std::string substitute_env_vars(std::string_view text, const EnvLookup& env,
                                std::vector<std::string>& missing) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    // "$${VAR}" is the escape for a literal "${VAR}".
    if (text.compare(pos, 3, "$${") == 0) {
      if (size_t n = name_length(text, pos + 3); n > 0) {
        out.append(text.substr(pos + 1, n + 3));
        pos += n + 4;
        continue;
      }
    }
    if (text.compare(pos, 2, "${") == 0) {
      if (size_t n = name_length(text, pos + 2); n > 0) {
        std::string name(text.substr(pos + 2, n));
        auto value = env(name);
        if (value && !value->empty()) {
          out += *value;
        } else {
          missing.push_back(name);
          out.append(text.substr(pos, n + 3));
        }
        pos += n + 3;
        continue;
      }
    }
    out += text[pos++];
  }
  return out;
}

void substitute_env_vars(json::value& document, const EnvLookup& env,
                         std::vector<ConfigIssue>& issues) {
  std::string path;
  substitute_in(document, path, env, issues);
}

}  // namespace pincer::core
