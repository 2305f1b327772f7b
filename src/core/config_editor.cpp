#include "core/config_editor.hpp"

#include <boost/json/parse.hpp>

#include "core/config_loader.hpp"
#include "core/files.hpp"
#include "core/json5.hpp"
#include "core/json5_edit.hpp"
#include "core/json_path.hpp"

namespace pincer::core {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

Status check_writable(const EnvLookup& env) {
  if (auto readonly = env("PINCER_CONFIG_READONLY"); readonly && *readonly == "1") {
    return fail(Errc::invalid_argument,
                "the config is managed externally (PINCER_CONFIG_READONLY=1); nothing was changed",
                "edit it where it is managed, or unset PINCER_CONFIG_READONLY");
  }
  return {};
}

Result<std::string> read_existing(const fs::path& file) {
  auto text = read_file(file);
  if (!text && text.error().code == Errc::not_found) {
    return std::string();
  }
  return text;
}

// Validates `text` as the complete new config and writes it if asked.
Result<ConfigEditOutcome> finish_edit(const fs::path& file, const std::string& before,
                                      std::string after, const EnvLookup& env, bool dry_run) {
  ConfigLoad load = load_config_text(after, file, env);
  if (!load.config) {
    return fail(Errc::config,
                "the change would make the config invalid, so nothing was written:\n" +
                    load.describe_errors(),
                "choose a value of the expected form");
  }
  ConfigEditOutcome outcome;
  outcome.changed = after != before;
  for (auto& issue : load.issues) {
    outcome.issues.push_back(std::move(issue));
  }
  if (!dry_run && outcome.changed) {
    if (auto ok =
            ensure_private_dir(file.parent_path().empty() ? fs::path(".") : file.parent_path());
        !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = write_file_atomically(file, after); !ok) {
      return std::unexpected(ok.error());
    }
    outcome.written = true;
  }
  outcome.text = std::move(after);
  return outcome;
}

// Reads the file (missing = empty), applies `edit` to its text, then validates and writes.
template <class Edit>
Result<ConfigEditOutcome> edit_config(const fs::path& file, std::string_view path,
                                      const EnvLookup& env, bool dry_run, Edit edit) {
  if (auto ok = check_writable(env); !ok) {
    return std::unexpected(ok.error());
  }
  auto parsed_path = parse_json_path(path);
  if (!parsed_path) {
    return std::unexpected(parsed_path.error());
  }
  auto before = read_existing(file);
  if (!before) {
    return std::unexpected(before.error());
  }
  Result<std::string> after = edit(*before, *parsed_path);
  if (!after) {
    Error error = after.error();
    if (error.code == Errc::parse) {
      // The file itself does not parse: say which file, and that no edit can be made to it.
      error.message = file.string() + ": " + error.message;
      error.hint = "fix the file by hand first; pincer config validate shows where";
    }
    return std::unexpected(std::move(error));
  }
  return finish_edit(file, *before, std::move(*after), env, dry_run);
}

}  // namespace

Result<ConfigEditOutcome> set_config_value(const fs::path& file, std::string_view path,
                                           const json::value& value, const EnvLookup& env,
                                           bool dry_run) {
  return edit_config(file, path, env, dry_run, [&](std::string_view text, const JsonPath& at) {
    return json5_set(text, at, value);
  });
}

Result<ConfigEditOutcome> unset_config_value(const fs::path& file, std::string_view path,
                                             const EnvLookup& env, bool dry_run) {
  return edit_config(file, path, env, dry_run, [](std::string_view text, const JsonPath& at) {
    return json5_unset(text, at);
  });
}

Result<json::value> parse_cli_value(std::string_view text, bool strict_json) {
  if (strict_json) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    if (ec) {
      return fail(Errc::parse, "the value is not valid JSON: " + ec.message(),
                  "quote strings as \"...\" or drop --strict-json");
    }
    return value;
  }
  if (auto value = json5::parse(text)) {
    return std::move(*value);
  }
  return json::value(json::string(text));
}

}  // namespace pincer::core
