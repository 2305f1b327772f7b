#pragma once
// Loading pincer.json: read, parse JSON5, substitute ${VAR}s, validate into a typed Config.
// A missing file is not an error (every key has a default); a file that does not parse or does
// not validate yields no Config and every problem found, each with its key path.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/config_issue.hpp"
#include "core/paths.hpp"
#include "core/result.hpp"

namespace pincer::core {

struct ConfigLoad {
  std::filesystem::path file;
  bool file_exists = false;
  std::optional<Config> config;     // present when there are no errors
  std::vector<ConfigIssue> issues;  // errors, warnings and notes, in document order

  // The errors, one per line, prefixed with the file name; for logs and CLI output.
  std::string describe_errors() const;
};

// `env` resolves ${VAR}s; the config's own env.vars fill in what the environment lacks.
// PINCER_GATEWAY_TOKEN supplies gateway.auth.token when the file sets none.
ConfigLoad load_config(const std::filesystem::path& file, const EnvLookup& env);
ConfigLoad load_config_text(std::string_view text, const std::filesystem::path& file,
                            const EnvLookup& env);

// load_config() as a Result: the Error lists every error found.
Result<Config> load_valid_config(const std::filesystem::path& file, const EnvLookup& env);

// Sets the config's env.vars in the process environment, never overriding a variable that is
// already set (the environment wins, as in the reference). Call before starting threads.
void apply_env_vars(const Config& config);

}  // namespace pincer::core
