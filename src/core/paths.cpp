#include "core/paths.hpp"

#include <algorithm>
#include <cstdlib>

namespace pincer::core {

namespace fs = std::filesystem;

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

namespace {

bool is_plain_name(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::optional<std::string> non_empty(const EnvLookup& env, const std::string& name) {
  auto value = env(name);
  if (value && value->empty()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

fs::path expand_home(const std::string& path, const EnvLookup& env) {
  if (path == "~" || path.starts_with("~/")) {
    if (auto home = non_empty(env, "HOME")) {
      return fs::path(*home) / path.substr(path.size() == 1 ? 1 : 2);
    }
  }
  return {path};
}

Result<StatePaths> resolve_state_paths(const EnvLookup& env, const std::string& profile) {
  if (!profile.empty() && !is_plain_name(profile)) {
    return fail(Errc::invalid_argument, "profile name \"" + profile + "\" is not valid",
                "use letters, digits, '-' or '_' (at most 64)");
  }
  StatePaths paths;
  if (auto dir = non_empty(env, "PINCER_STATE_DIR")) {
    paths.state_dir = expand_home(*dir, env);
  } else {
    auto home = non_empty(env, "HOME");
    if (!home) {
      return fail(Errc::not_found, "cannot find the state directory: HOME is not set",
                  "set HOME or PINCER_STATE_DIR");
    }
    paths.state_dir = fs::path(*home) / (profile.empty() ? ".pincer" : ".pincer-" + profile);
  }
  if (auto file = non_empty(env, "PINCER_CONFIG_PATH")) {
    paths.config_file = expand_home(*file, env);
  } else {
    paths.config_file = paths.state_dir / "pincer.json";
  }
  if (auto dir = non_empty(env, "PINCER_WORKSPACE_DIR")) {
    paths.workspace_dir = expand_home(*dir, env);
  } else {
    paths.workspace_dir = paths.state_dir / "workspace";
  }
  paths.logs_dir = paths.state_dir / "logs";
  paths.database_file = paths.state_dir / "state.db";
  return paths;
}

}  // namespace pincer::core
