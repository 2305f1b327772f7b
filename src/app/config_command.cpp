// pincer config get|set|unset|validate|file|path

#include <fmt/core.h>

#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/output.hpp"
#include "core/config.hpp"
#include "core/config_editor.hpp"
#include "core/config_loader.hpp"
#include "core/files.hpp"
#include "core/json5.hpp"
#include "core/json_format.hpp"
#include "core/json_path.hpp"
#include "core/redact.hpp"
#include "core/reference_config_keys.hpp"

namespace pincer::app {

namespace json = boost::json;

namespace {

struct ConfigArgs {
  std::string path;
  std::string value;
  bool json = false;
  bool strict_json = false;
  bool dry_run = false;
  bool verbose = false;
  bool show_secrets = false;
};

std::string_view severity_name(core::ConfigIssue::Severity s) {
  switch (s) {
    case core::ConfigIssue::Severity::error:
      return "error";
    case core::ConfigIssue::Severity::warning:
      return "warning";
    case core::ConfigIssue::Severity::note:
      return "note";
  }
  return "error";
}

json::array issues_json(const std::vector<core::ConfigIssue>& issues) {
  json::array out;
  for (const auto& issue : issues) {
    out.push_back(json::object{{"severity", severity_name(issue.severity)},
                               {"path", issue.path},
                               {"message", issue.message}});
  }
  return out;
}

void print_warnings(const std::vector<core::ConfigIssue>& issues) {
  for (const auto& issue : issues) {
    if (issue.severity == core::ConfigIssue::Severity::warning) {
      fmt::print(stderr, "warning: {}\n", issue.to_string());
    }
  }
}

void run_get(CliContext& ctx, const ConfigArgs& args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto path = core::parse_json_path(args.path);
  if (!path) {
    report_failure(ctx, path.error(), args.json);
    return;
  }
  auto text = core::read_file(paths->config_file);
  json::value document = json::object();
  if (text) {
    auto parsed = core::json5::parse(*text);
    if (!parsed) {
      report_failure(ctx,
                     Error{Errc::parse, paths->config_file.string() + ": " + parsed.error().message,
                           "fix the file, then retry (pincer config validate)"},
                     args.json);
      return;
    }
    document = std::move(*parsed);
  } else if (text.error().code != Errc::not_found) {
    report_failure(ctx, text.error(), args.json);
    return;
  }
  const json::value* found = core::find_at(document, *path);
  if (found == nullptr) {
    std::vector<std::string> keys;
    for (const auto& segment : path->segments) {
      if (const auto* key = std::get_if<std::string>(&segment)) {
        keys.push_back(*key);
      } else {
        keys.emplace_back("*");
      }
    }
    bool known = core::is_reference_config_key(keys);
    const core::Config default_config;
    json::value defaults = core::typed_settings_json(default_config);
    std::string message = path->to_string() + " is not set";
    if (const json::value* fallback = core::find_at(defaults, *path)) {
      message += "; the default applies: " + json::serialize(*fallback);
    } else if (known) {
      message += "; the default applies";
    } else {
      message += " and is not a known config key";
    }
    report_failure(
        ctx,
        Error{Errc::not_found, message,
              known ? "" : "check the spelling (pincer config validate lists unknown keys)"},
        args.json);
    return;
  }
  json::value value = *found;
  if (!args.show_secrets) {
    // The last key names the value itself: `config get gateway.auth.token` is a secret too.
    json::value wrapper = json::object();
    std::string last = path->segments.empty() ? ""
                       : std::holds_alternative<std::string>(path->segments.back())
                           ? std::get<std::string>(path->segments.back())
                           : "";
    wrapper.as_object()[last.empty() ? "value" : last] = value;
    core::Redactor redactor;
    redactor.redact_json(wrapper);
    value = wrapper.as_object().begin()->value();
  }
  if (args.json) {
    print_json(value);
  } else if (value.is_string()) {
    fmt::print("{}\n", std::string_view(value.get_string()));
  } else if (value.is_object() || value.is_array()) {
    fmt::print("{}\n", core::to_pretty_json(value));
  } else {
    fmt::print("{}\n", json::serialize(value));
  }
}

void print_edit(CliContext& ctx, const ConfigArgs& args, const core::ConfigEditOutcome& outcome,
                std::string_view verb) {
  (void)ctx;
  if (args.json) {
    print_json(json::object{{"ok", true},
                            {"path", args.path},
                            {"changed", outcome.changed},
                            {"written", outcome.written},
                            {"dryRun", args.dry_run},
                            {"issues", issues_json(outcome.issues)}});
    return;
  }
  print_warnings(outcome.issues);
  if (args.dry_run) {
    fmt::print("dry run: {} {} would {}\n", verb, args.path,
               outcome.changed ? "change the config" : "change nothing");
  } else if (outcome.changed) {
    fmt::print("{} {}\n", verb, args.path);
  } else {
    fmt::print("{} already has that value; nothing changed\n", args.path);
  }
}

void run_set(CliContext& ctx, const ConfigArgs& args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto value = core::parse_cli_value(args.value, args.strict_json);
  if (!value) {
    report_failure(ctx, value.error(), args.json);
    return;
  }
  auto outcome = core::set_config_value(paths->config_file, args.path, *value, core::process_env(),
                                        args.dry_run);
  if (!outcome) {
    report_failure(ctx, outcome.error(), args.json);
    return;
  }
  print_edit(ctx, args, *outcome, "set");
}

void run_unset(CliContext& ctx, const ConfigArgs& args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  auto outcome =
      core::unset_config_value(paths->config_file, args.path, core::process_env(), args.dry_run);
  if (!outcome) {
    report_failure(ctx, outcome.error(), args.json);
    return;
  }
  print_edit(ctx, args, *outcome, "unset");
}

void run_validate(CliContext& ctx, const ConfigArgs& args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  core::ConfigLoad load = core::load_config(paths->config_file, core::process_env());
  bool valid = load.config.has_value();
  ctx.exit_code = valid ? 0 : 1;
  if (args.json) {
    std::vector<core::ConfigIssue> shown;
    for (const auto& issue : load.issues) {
      if (args.verbose || issue.severity != core::ConfigIssue::Severity::note) {
        shown.push_back(issue);
      }
    }
    print_json(json::object{{"valid", valid},
                            {"path", paths->config_file.string()},
                            {"exists", load.file_exists},
                            {"issues", issues_json(shown)}});
    return;
  }
  size_t notes = 0;
  for (const auto& issue : load.issues) {
    if (issue.severity == core::ConfigIssue::Severity::note && !args.verbose) {
      ++notes;
      continue;
    }
    fmt::print("{}: {}\n", severity_name(issue.severity), issue.to_string());
  }
  if (!load.file_exists) {
    fmt::print("{} does not exist; every setting has its default (pincer onboard creates it)\n",
               paths->config_file.string());
  } else if (valid) {
    fmt::print("{} is valid", paths->config_file.string());
    if (notes > 0) {
      fmt::print(" ({} key(s) Pincer does not use yet; --verbose lists them)", notes);
    }
    fmt::print("\n");
  } else {
    fmt::print("{} is invalid: the gateway will not start until the errors above are fixed\n",
               paths->config_file.string());
  }
}

void run_file(CliContext& ctx, const ConfigArgs& args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  if (args.json) {
    std::error_code ec;
    print_json(json::object{{"path", paths->config_file.string()},
                            {"exists", std::filesystem::exists(paths->config_file, ec)}});
  } else {
    fmt::print("{}\n", paths->config_file.string());
  }
}

void run_paths(CliContext& ctx, const ConfigArgs& args) {
  const core::StatePaths* paths = ctx.paths();
  if (paths == nullptr) {
    return;
  }
  if (args.json) {
    print_json(json::object{{"stateDir", paths->state_dir.string()},
                            {"configFile", paths->config_file.string()},
                            {"workspaceDir", paths->workspace_dir.string()},
                            {"logsDir", paths->logs_dir.string()},
                            {"databaseFile", paths->database_file.string()}});
    return;
  }
  fmt::print("state dir   {}\nconfig      {}\nworkspace   {}\nlogs        {}\ndatabase    {}\n",
             paths->state_dir.string(), paths->config_file.string(), paths->workspace_dir.string(),
             paths->logs_dir.string(), paths->database_file.string());
}

}  // namespace

void register_config_command(CLI::App& root, CliContext& ctx) {
  auto args = std::make_shared<ConfigArgs>();
  CLI::App* config = root.add_subcommand("config", "Read, change and check pincer.json");
  config->require_subcommand(1);

  CLI::App* get = config->add_subcommand("get", "Print the value at a key path (secrets redacted)");
  get->add_option("path", args->path, "Key path, e.g. gateway.port or agents.list[0].id")
      ->required();
  get->add_flag("--json", args->json, "Print the value as JSON");
  get->add_flag("--show-secrets", args->show_secrets, "Print tokens and keys instead of redacting");
  get->callback([&ctx, args] { run_get(ctx, *args); });

  CLI::App* set = config->add_subcommand("set", "Set the value at a key path (keeps comments)");
  set->add_option("path", args->path, "Key path")->required();
  set->add_option("value", args->value, "JSON5 value; anything else is taken as a string")
      ->required();
  set->add_flag("--strict-json", args->strict_json, "Require the value to be standard JSON");
  set->add_flag("--dry-run", args->dry_run, "Validate the change without writing it");
  set->add_flag("--json", args->json, "Print the outcome as JSON");
  set->callback([&ctx, args] { run_set(ctx, *args); });

  CLI::App* unset = config->add_subcommand("unset", "Remove the value at a key path");
  unset->add_option("path", args->path, "Key path")->required();
  unset->add_flag("--dry-run", args->dry_run, "Validate the change without writing it");
  unset->add_flag("--json", args->json, "Print the outcome as JSON");
  unset->callback([&ctx, args] { run_unset(ctx, *args); });

  CLI::App* validate =
      config->add_subcommand("validate", "Check the config and list every problem");
  validate->add_flag("--json", args->json, "Print the result as JSON");
  validate->add_flag("--verbose", args->verbose, "Also list keys Pincer does not use yet");
  validate->callback([&ctx, args] { run_validate(ctx, *args); });

  CLI::App* file = config->add_subcommand("file", "Print the path of the active config file");
  file->add_flag("--json", args->json, "Print {path, exists} as JSON");
  file->callback([&ctx, args] { run_file(ctx, *args); });

  CLI::App* path = config->add_subcommand("path", "Print where Pincer keeps its state and files");
  path->add_flag("--json", args->json, "Print the paths as JSON");
  path->callback([&ctx, args] { run_paths(ctx, *args); });
}

}  // namespace pincer::app
