#pragma once
// Edits of pincer.json made by Pincer itself (`pincer config set/unset`, onboarding, later the
// config.* RPCs). An edit changes only the bytes of the value it targets, so comments and layout
// elsewhere survive; the result is validated as a whole before anything is written, and it is
// written atomically (temp file + fsync + rename), so a failed or interrupted edit leaves the
// old file in place. PINCER_CONFIG_READONLY=1 makes every edit refuse.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/config_issue.hpp"
#include "core/paths.hpp"
#include "core/result.hpp"

namespace pincer::core {

struct ConfigEditOutcome {
  std::string text;                 // the new file content
  std::vector<ConfigIssue> issues;  // warnings and notes of the new config (no errors)
  bool written = false;             // false for a dry run or when nothing changed
  bool changed = false;
};

// Sets `path` (e.g. "gateway.port", "agents.list[0].id") to `value`.
Result<ConfigEditOutcome> set_config_value(const std::filesystem::path& file, std::string_view path,
                                           const boost::json::value& value, const EnvLookup& env,
                                           bool dry_run = false);

// Removes `path`; Errc::not_found when it is not set.
Result<ConfigEditOutcome> unset_config_value(const std::filesystem::path& file,
                                             std::string_view path, const EnvLookup& env,
                                             bool dry_run = false);

// A command-line value: JSON5 when it parses as JSON5, else the raw text as a string
// ("2h" and "hello world" are strings; 19001, true and {a: 1} are not). With `strict_json`, it
// must be standard JSON.
Result<boost::json::value> parse_cli_value(std::string_view text, bool strict_json);

}  // namespace pincer::core
