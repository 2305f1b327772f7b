#pragma once
// Where Pincer keeps its state. One pure function resolves every path from the environment and
// the --profile flag, so the CLI, the daemon and tests agree on the same files.
//
//   state dir   PINCER_STATE_DIR, else ~/.pincer, or ~/.pincer-NAME with --profile NAME
//   config      PINCER_CONFIG_PATH, else <state>/pincer.json
//   workspace   PINCER_WORKSPACE_DIR, else <state>/workspace (agents.defaults.workspace wins later)
//   logs        <state>/logs        database   <state>/state.db

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace pincer::core {

struct StatePaths {
  std::filesystem::path state_dir;
  std::filesystem::path config_file;
  std::filesystem::path workspace_dir;
  std::filesystem::path logs_dir;
  std::filesystem::path database_file;
};

// Reads one environment variable; tests pass a map instead of the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

EnvLookup process_env();

// Fails when no home directory can be found and PINCER_STATE_DIR is unset, or the profile name
// is not a plain name (letters, digits, '-', '_').
Result<StatePaths> resolve_state_paths(const EnvLookup& env, const std::string& profile = {});

// Expands a leading "~" or "~/" against HOME.
std::filesystem::path expand_home(const std::string& path, const EnvLookup& env);

}  // namespace pincer::core
