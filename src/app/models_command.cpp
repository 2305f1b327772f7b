// pincer models list | auth add | auth list | auth remove: the model catalog and the stored
// credentials, from the terminal. Works on the config and state.db directly (no gateway needed);
// a running gateway sees new credentials on its next model call.

#include <fmt/core.h>

#include <chrono>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "agent/auth_profile_store.hpp"
#include "agent/auth_rotation.hpp"
#include "agent/model_catalog.hpp"
#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/output.hpp"
#include "core/config_loader.hpp"
#include "core/text.hpp"
#include "store/state_database.hpp"

namespace pincer::app {
namespace {

namespace json = boost::json;

struct ModelsFlags {
  bool json = false;
  std::string provider;
  std::string key;
  bool key_stdin = false;
  std::string id;
  std::string type = "api_key";
  std::string remove_id;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<core::Config> load(CliContext& ctx, bool as_json) {
  const auto* paths = ctx.paths();
  if (paths == nullptr) {
    return std::nullopt;
  }
  core::ConfigLoad loaded = core::load_config(paths->config_file, core::process_env());
  if (!loaded.config) {
    report_failure(ctx,
                   Error{Errc::config, loaded.describe_errors(),
                         "fix the file, or check it with `pincer config validate`"},
                   as_json);
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

std::optional<store::Database> open_db(CliContext& ctx, bool as_json) {
  auto db = store::open_state_database(ctx.paths()->database_file);
  if (!db) {
    report_failure(ctx, db.error(), as_json);
    return std::nullopt;
  }
  return std::move(*db);
}

void run_list(CliContext& ctx, const ModelsFlags& flags) {
  auto config = load(ctx, flags.json);
  if (!config) {
    return;
  }
  agent::ModelCatalog catalog(*config);
  if (flags.json) {
    json::array models;
    for (const auto& m : catalog.models()) {
      models.push_back(json::object{{"ref", m.ref},
                                    {"provider", m.provider},
                                    {"id", m.id},
                                    {"name", m.name},
                                    {"api", providers::to_string(m.api)},
                                    {"contextWindow", m.context_window},
                                    {"maxTokens", m.max_tokens},
                                    {"reasoning", m.reasoning},
                                    {"images", m.images},
                                    {"cost", json::object{{"input", m.cost.input},
                                                          {"output", m.cost.output},
                                                          {"cacheRead", m.cost.cache_read},
                                                          {"cacheWrite", m.cost.cache_write}}}});
    }
    print_json(json::object{{"defaultModel", config->agents.defaults.model.primary},
                            {"models", std::move(models)}});
    return;
  }
  fmt::print("{:<44} {:>9} {:>8}  {}\n", "MODEL", "CONTEXT", "$IN/OUT", "API");
  for (const auto& m : catalog.models()) {
    fmt::print("{:<44} {:>9} {:>8}  {}\n", m.ref, m.context_window,
               fmt::format("{:g}/{:g}", m.cost.input, m.cost.output), providers::to_string(m.api));
  }
  fmt::print("\nDefault: {}\n", config->agents.defaults.model.primary.empty()
                                    ? "(none: set agents.defaults.model)"
                                    : config->agents.defaults.model.primary);
}

void run_auth_add(CliContext& ctx, ModelsFlags flags) {
  auto config = load(ctx, flags.json);
  if (!config) {
    return;
  }
  agent::ModelCatalog catalog(*config);
  const agent::ProviderInfo* provider = catalog.provider(flags.provider);
  if (provider == nullptr) {
    report_failure(ctx,
                   Error{Errc::invalid_argument, "unknown provider \"" + flags.provider + "\"",
                         "see `pincer models list`, or add it under models.providers"},
                   flags.json);
    return;
  }
  if (flags.key_stdin) {
    std::getline(std::cin, flags.key);
  }
  flags.key = std::string(core::trim(flags.key));
  if (flags.key.empty()) {
    report_failure(ctx,
                   Error{Errc::invalid_argument, "no key given",
                         "pass --key KEY, or --key-stdin and pipe it in (keeps it out of "
                         "your shell history)"},
                   flags.json);
    return;
  }
  agent::AuthProfile profile;
  profile.provider = provider->id;
  profile.id = flags.id.empty() ? provider->id + ":default" : flags.id;
  if (profile.id.find(':') == std::string::npos) {
    profile.id = provider->id + ":" + profile.id;
  }
  profile.type = flags.type;
  profile.secret = flags.key;
  profile.created_at_ms = now_ms();
  auto db = open_db(ctx, flags.json);
  if (!db) {
    return;
  }
  if (auto saved = agent::AuthProfileStore(*db).upsert(profile); !saved) {
    report_failure(ctx, saved.error(), flags.json);
    return;
  }
  if (flags.json) {
    print_json(json::object{{"ok", true},
                            {"profileId", profile.id},
                            {"provider", profile.provider},
                            {"key", agent::mask_secret(profile.secret)}});
    return;
  }
  fmt::print("Saved {} ({}) for {}.\n", profile.id, agent::mask_secret(profile.secret),
             profile.provider);
}

void run_auth_list(CliContext& ctx, const ModelsFlags& flags) {
  auto config = load(ctx, flags.json);
  if (!config) {
    return;
  }
  auto db = open_db(ctx, flags.json);
  if (!db) {
    return;
  }
  agent::AuthProfileStore store(*db);
  auto stored = store.list();
  auto states = store.states();
  if (!stored || !states) {
    report_failure(ctx, stored ? states.error() : stored.error(), flags.json);
    return;
  }
  agent::ModelCatalog catalog(*config);
  agent::EnvReader env = agent::process_env_reader();
  int64_t now = now_ms();
  json::array rows;
  for (const auto& provider : catalog.providers()) {
    for (const auto& profile : agent::provider_credentials(provider, *stored, env)) {
      agent::AuthProfileState state;
      if (auto it = states->find(profile.id); it != states->end()) {
        state = it->second;
      }
      int64_t until = std::max(state.cooldown_until_ms, state.disabled_until_ms);
      std::string status =
          until > now ? (state.disabled_until_ms > now ? "disabled (" + state.disabled_reason + ")"
                                                       : "cooling down")
                      : "ok";
      rows.push_back(json::object{{"profileId", profile.id},
                                  {"provider", profile.provider},
                                  {"type", profile.type},
                                  {"source", profile.source},
                                  {"key", agent::mask_secret(profile.secret)},
                                  {"status", status},
                                  {"availableAtMs", until > now ? until : 0},
                                  {"errorCount", state.error_count},
                                  {"lastUsedMs", state.last_used_ms},
                                  {"lastFailure", state.last_failure_reason}});
    }
  }
  if (flags.json) {
    print_json(json::object{{"profiles", std::move(rows)}});
    return;
  }
  if (rows.empty()) {
    fmt::print(
        "No credentials. Add one with `pincer models auth add --provider anthropic "
        "--key-stdin`, or set ANTHROPIC_API_KEY / OPENAI_API_KEY / GEMINI_API_KEY.\n");
    return;
  }
  fmt::print("{:<28} {:<12} {:<24} {:<16} {}\n", "PROFILE", "PROVIDER", "SOURCE", "KEY", "STATUS");
  for (const auto& row : rows) {
    const auto& r = row.as_object();
    fmt::print("{:<28} {:<12} {:<24} {:<16} {}\n", std::string(r.at("profileId").as_string()),
               std::string(r.at("provider").as_string()), std::string(r.at("source").as_string()),
               std::string(r.at("key").as_string()), std::string(r.at("status").as_string()));
  }
}

void run_auth_remove(CliContext& ctx, const ModelsFlags& flags) {
  if (ctx.paths() == nullptr) {
    return;
  }
  auto db = open_db(ctx, flags.json);
  if (!db) {
    return;
  }
  auto removed = agent::AuthProfileStore(*db).remove(flags.remove_id);
  if (!removed) {
    report_failure(ctx, removed.error(), flags.json);
    return;
  }
  if (!*removed) {
    report_failure(ctx,
                   Error{Errc::not_found, "no stored credential " + flags.remove_id,
                         "list them with `pincer models auth list`"},
                   flags.json);
    return;
  }
  if (flags.json) {
    print_json(json::object{{"ok", true}, {"profileId", flags.remove_id}});
  } else {
    fmt::print("Removed {}.\n", flags.remove_id);
  }
}

}  // namespace

void register_models_command(CLI::App& root, CliContext& ctx) {
  auto flags = std::make_shared<ModelsFlags>();
  CLI::App* models = root.add_subcommand("models", "Model catalog and provider credentials");
  models->require_subcommand(1);
  CLI::App* list = models->add_subcommand("list", "List known models with limits and prices");
  list->add_flag("--json", flags->json, "Machine-readable output");
  list->callback([&ctx, flags] { run_list(ctx, *flags); });

  CLI::App* auth = models->add_subcommand("auth", "Provider credentials (API keys, tokens)");
  auth->require_subcommand(1);
  CLI::App* add = auth->add_subcommand("add", "Store an API key or token for a provider");
  add->add_option("--provider", flags->provider, "Provider id, e.g. anthropic")->required();
  add->add_option("--key", flags->key, "The key (prefer --key-stdin)");
  add->add_flag("--key-stdin", flags->key_stdin, "Read the key from standard input");
  add->add_option("--id", flags->id, "Profile id (default <provider>:default)");
  add->add_option("--type", flags->type, "api_key or token")
      ->check(CLI::IsMember({"api_key", "token"}));
  add->add_flag("--json", flags->json, "Machine-readable output");
  add->callback([&ctx, flags] { run_auth_add(ctx, *flags); });

  CLI::App* auth_list = auth->add_subcommand("list", "Credentials in rotation order sources");
  auth_list->add_flag("--json", flags->json, "Machine-readable output");
  auth_list->callback([&ctx, flags] { run_auth_list(ctx, *flags); });

  CLI::App* remove = auth->add_subcommand("remove", "Forget a stored credential");
  remove->add_option("id", flags->remove_id, "Profile id")->required();
  remove->add_flag("--json", flags->json, "Machine-readable output");
  remove->callback([&ctx, flags] { run_auth_remove(ctx, *flags); });
}

}  // namespace pincer::app
