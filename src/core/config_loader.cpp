#include "core/config_loader.hpp"

#include <cstdlib>

#include "core/env_substitution.hpp"
#include "core/files.hpp"
#include "core/json5.hpp"
#include "core/json_path.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

// The environment first, then the config's own env.vars (read before substitution).
EnvLookup overlay_config_vars(const json::value& document, const EnvLookup& env) {
  std::map<std::string, std::string> vars;
  const json::value* section = find_at(document, *parse_json_path("env.vars"));
  if (section != nullptr && section->is_object()) {
    for (const auto& member : section->get_object()) {
      if (member.value().is_string()) {
        vars.emplace(member.key(), member.value().get_string());
      }
    }
  }
  return [env, vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    if (auto value = env(name); value && !value->empty()) {
      return value;
    }
    if (auto it = vars.find(name); it != vars.end()) {
      return it->second;
    }
    return std::nullopt;
  };
}

}  // namespace

std::string ConfigLoad::describe_errors() const {
  std::string out;
  for (const auto& issue : issues) {
    if (issue.severity != ConfigIssue::Severity::error) {
      continue;
    }
    if (!out.empty()) {
      out += '\n';
    }
    out += file.filename().string() + ": " + issue.to_string();
  }
  return out;
}

ConfigLoad load_config_text(std::string_view text, const std::filesystem::path& file,
                            const EnvLookup& env) {
  ConfigLoad load;
  load.file = file;
  load.file_exists = true;
  auto parsed = json5::parse(text);
  if (!parsed) {
    // A file of only whitespace and comments (e.g. just created) means "all defaults".
    std::string with_object = std::string(text) + "\n{}";
    if (auto empty = json5::parse(with_object)) {
      parsed = std::move(empty);
    }
  }
  if (!parsed) {
    load.issues.push_back({ConfigIssue::Severity::error, "", parsed.error().message});
    return load;
  }
  json::value document = std::move(*parsed);
  if (!document.is_object()) {
    load.issues.push_back({ConfigIssue::Severity::error, "",
                           "expected the file to hold an object ({ ... }) at the top level"});
    return load;
  }
  EnvLookup lookup = overlay_config_vars(document, env);
  substitute_env_vars(document, lookup, load.issues);
  Config config;
  auto issues = read_config(document, config);
  load.issues.insert(load.issues.end(), issues.begin(), issues.end());
  if (config.gateway.auth.token.empty()) {
    if (auto token = env("PINCER_GATEWAY_TOKEN"); token && !token->empty()) {
      config.gateway.auth.token = *token;
    }
  }
  if (!has_errors(load.issues)) {
    load.config = std::move(config);
  }
  return load;
}

ConfigLoad load_config(const std::filesystem::path& file, const EnvLookup& env) {
  auto text = read_file(file);
  if (!text) {
    if (text.error().code == Errc::not_found) {
      // No file: defaults everywhere, as for an empty object.
      ConfigLoad load = load_config_text("{}", file, env);
      load.file_exists = false;
      return load;
    }
    ConfigLoad load;
    load.file = file;
    load.file_exists = true;
    load.issues.push_back({ConfigIssue::Severity::error, "", text.error().describe()});
    return load;
  }
  return load_config_text(*text, file, env);
}

Result<Config> load_valid_config(const std::filesystem::path& file, const EnvLookup& env) {
  ConfigLoad load = load_config(file, env);
  if (!load.config) {
    return fail(Errc::config, "invalid configuration:\n" + load.describe_errors(),
                "pincer config validate lists every problem");
  }
  return std::move(*load.config);
}

void apply_env_vars(const Config& config) {
  for (const auto& [name, value] : config.env.vars) {
    ::setenv(name.c_str(), value.c_str(), /*overwrite=*/0);  // NOLINT(concurrency-mt-unsafe)
  }
}

}  // namespace pincer::core
