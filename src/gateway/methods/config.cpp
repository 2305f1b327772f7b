// Config methods: config.get, config.set, config.patch, config.apply, config.schema,
// config.schema.lookup.
//
// The file on disk is the source of truth. Reads and writes run on the blocking pool; writes
// are serialized by one mutex, so a baseHash check and the write it guards cannot interleave
// with another write. Every write is validated as a whole with core::load_config_text and
// written atomically; the config watcher then hot-reloads it like any other edit.
//
// Secrets never leave the gateway: values under sensitive keys (core::Redactor::is_sensitive_key)
// are replaced by a placeholder in raw, parsed and config, and other strings pass through the
// log redactor. A client that sends the placeholder back (config.get → edit → config.set) keeps
// the stored secret: the placeholder is replaced by the current value before validation.

#include <fmt/chrono.h>
#include <fmt/core.h>
#include <openssl/sha.h>

#include <chrono>
#include <functional>
#include <mutex>

#include <boost/json.hpp>

#include "core/config_diff.hpp"
#include "core/config_loader.hpp"
#include "core/files.hpp"
#include "core/json5.hpp"
#include "core/json5_edit.hpp"
#include "core/json_format.hpp"
#include "core/json_path.hpp"
#include "core/log.hpp"
#include "core/reference_config_keys.hpp"
#include "core/version.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// The reference's placeholder, so its Control UI's round trips work against Pincer too.
constexpr std::string_view kRedactedSentinel = "__OPENCLAW_REDACTED__";
constexpr std::size_t kMaxIssuesInMessage = 3;

std::mutex& write_mutex() {
  static std::mutex mutex;  // guards pincer.json against concurrent config.* writes
  return mutex;
}

std::string content_hash(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  std::string out = "sha256:";
  for (unsigned char byte : digest) {
    out += fmt::format("{:02x}", byte);
  }
  return out;
}

core::JsonPath child_path(const core::JsonPath& parent,
                          std::variant<std::string, std::size_t> seg) {
  core::JsonPath out = parent;
  out.segments.push_back(std::move(seg));
  return out;
}

// Calls fn(path, value, sensitive) for every scalar leaf; `sensitive` when some key on the way
// names a credential.
void for_each_leaf(const json::value& value, const core::JsonPath& path, bool sensitive,
                   const std::function<void(const core::JsonPath&, const json::value&, bool)>& fn) {
  if (const auto* object = value.if_object()) {
    for (const auto& member : *object) {
      bool child_sensitive = sensitive || core::Redactor::is_sensitive_key(member.key());
      for_each_leaf(member.value(), child_path(path, std::string(member.key())), child_sensitive,
                    fn);
    }
  } else if (const auto* array = value.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      for_each_leaf((*array)[i], child_path(path, i), sensitive, fn);
    }
  } else {
    fn(path, value, sensitive);
  }
}

// What a leaf becomes when shown; nullopt when it is shown as it is.
std::optional<json::value> redacted_leaf(const json::value& value, bool sensitive) {
  if (sensitive && !value.is_null() && !value.is_bool()) {
    return json::value(kRedactedSentinel);
  }
  if (value.is_string()) {
    if (auto masked = core::log_redactor().redact_if_needed(value.get_string())) {
      return json::value(*masked);
    }
  }
  return std::nullopt;
}

json::value redact_document(json::value document) {
  std::vector<std::pair<core::JsonPath, json::value>> edits;
  for_each_leaf(document, {}, false, [&](const auto& path, const auto& value, bool sensitive) {
    if (auto shown = redacted_leaf(value, sensitive)) {
      edits.emplace_back(path, std::move(*shown));
    }
  });
  for (auto& [path, value] : edits) {
    (void)core::set_at(document, path, std::move(value));
  }
  return document;
}

// The file text with secrets masked in place, comments and layout kept.
json::value redact_raw(const std::string& text, const json::value& parsed) {
  std::string out = text;
  bool ok = true;
  for_each_leaf(parsed, {}, false, [&](const auto& path, const auto& value, bool sensitive) {
    if (!ok) {
      return;
    }
    if (auto shown = redacted_leaf(value, sensitive)) {
      auto edited = core::json5_set(out, path, *shown);
      ok = edited.has_value();
      if (ok) {
        out = std::move(*edited);
      }
    }
  });
  if (!ok) {
    // Never show a text we could not mask completely.
    return json::value(core::to_pretty_json(redact_document(parsed)));
  }
  return json::value(std::move(out));
}

// Puts the stored secrets back where `incoming` carries what config.get showed instead of them.
// Returns the edits as (path, stored value).
std::vector<std::pair<core::JsonPath, json::value>> restorations(const json::value& incoming,
                                                                 const json::value& current) {
  std::vector<std::pair<core::JsonPath, json::value>> out;
  for_each_leaf(incoming, {}, false, [&](const auto& path, const auto& value, bool) {
    if (!value.is_string()) {
      return;
    }
    const json::value* stored = core::find_at(current, path);
    if (stored == nullptr || *stored == value) {
      return;
    }
    bool placeholder = value.get_string() == kRedactedSentinel;
    bool masked = false;
    if (!placeholder && stored->is_string()) {
      auto shown = core::log_redactor().redact_if_needed(stored->get_string());
      masked = shown && *shown == value.get_string();
    }
    if (placeholder || masked) {
      out.emplace_back(path, *stored);
    }
  });
  return out;
}

json::value merge_defaults(const json::value& defaults, const json::value& document) {
  if (!defaults.is_object() || !document.is_object()) {
    return document;
  }
  json::object out = defaults.get_object();
  for (const auto& member : document.get_object()) {
    if (auto* base = out.if_contains(member.key())) {
      *base = merge_defaults(*base, member.value());
    } else {
      out[member.key()] = member.value();
    }
  }
  return out;
}

json::value effective_config(const core::Config& config) {
  return redact_document(merge_defaults(core::typed_settings_json(config), config.raw));
}

json::array issue_list(const std::vector<core::ConfigIssue>& issues,
                       core::ConfigIssue::Severity which) {
  json::array out;
  for (const auto& issue : issues) {
    if (issue.severity == which) {
      out.push_back(json::object{{"path", issue.path}, {"message", issue.message}});
    }
  }
  return out;
}

RpcError invalid_config(const std::vector<core::ConfigIssue>& issues) {
  std::string summary;
  std::size_t shown = 0;
  std::size_t errors = 0;
  for (const auto& issue : issues) {
    if (issue.severity != core::ConfigIssue::Severity::error) {
      continue;
    }
    ++errors;
    if (shown < kMaxIssuesInMessage) {
      summary += (shown++ == 0 ? "" : "; ") + issue.to_string();
    }
  }
  if (errors > shown) {
    summary += fmt::format("; and {} more", errors - shown);
  }
  return invalid_request(
      "invalid config: " + summary + " (nothing was written)",
      json::object{{"issues", issue_list(issues, core::ConfigIssue::Severity::error)}});
}

// ----- reading -----

struct Snapshot {
  fs::path file;
  bool exists = false;
  std::string text;
  std::string hash;
  json::value parsed = json::object();  // {} when missing or unparsable
  bool parses = true;
  core::ConfigLoad load;
};

Result<Snapshot> read_snapshot(const fs::path& file) {
  Snapshot out;
  out.file = file;
  auto text = core::read_file(file);
  if (text) {
    out.exists = true;
    out.text = std::move(*text);
  } else if (text.error().code != Errc::not_found) {
    return std::unexpected(text.error());
  }
  out.hash = content_hash(out.text);
  if (out.exists) {
    if (auto parsed = core::json5::parse(out.text)) {
      out.parsed = std::move(*parsed);
    } else {
      out.parses = false;
    }
  }
  out.load = core::load_config_text(out.text, file, core::process_env());
  return out;
}

json::object describe_snapshot(Snapshot& snapshot) {
  bool valid = snapshot.load.config.has_value();
  json::object out{
      {"path", snapshot.file.string()},
      {"exists", snapshot.exists},
      {"raw", snapshot.exists ? redact_raw(snapshot.text, snapshot.parsed) : json::value(nullptr)},
      {"parsed", redact_document(snapshot.parsed)},
      {"valid", valid},
      {"hash", snapshot.hash},
      {"issues", issue_list(snapshot.load.issues, core::ConfigIssue::Severity::error)},
      {"warnings", issue_list(snapshot.load.issues, core::ConfigIssue::Severity::warning)},
      {"notes", issue_list(snapshot.load.issues, core::ConfigIssue::Severity::note)},
      {"legacyIssues", json::array()},
  };
  if (valid) {
    out["resolved"] = redact_document(snapshot.load.config->raw);
    out["config"] = effective_config(*snapshot.load.config);
  }
  return out;
}

asio::awaitable<RpcResult> config_get(RpcContext& context) {
  Gateway& gateway = context.gateway();
  fs::path file = gateway.paths().config_file;
  auto read = [file]() -> Result<json::object> {
    auto snapshot = read_snapshot(file);
    if (!snapshot) {
      return std::unexpected(snapshot.error());
    }
    return describe_snapshot(*snapshot);
  };
  auto result = co_await core::run_blocking(gateway.pool(), read);
  if (!result) {
    co_return std::unexpected(from_error(result.error()));
  }
  if (!result->contains("config")) {
    // The file is broken; the gateway keeps running the last good config, so show that.
    (*result)["config"] = effective_config(gateway.config());
  }
  co_return json::value(std::move(*result));
}

// ----- writing -----

enum class WriteMode { set, patch, apply };

std::string_view method_name(WriteMode mode) {
  switch (mode) {
    case WriteMode::set:
      return "config.set";
    case WriteMode::patch:
      return "config.patch";
    case WriteMode::apply:
      return "config.apply";
  }
  return "config.set";
}

// Where a changed key takes effect: the listener's own settings need a restart, the rest is
// read live (auth and proxy policy apply to the next connection).
std::string_view reload_kind(std::string_view path) {
  for (std::string_view live :
       {"gateway.auth", "gateway.trustedProxies", "gateway.allowRealIpFallback",
        "gateway.controlUi.allowedOrigins",
        "gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback", "gateway.http.endpoints"}) {
    if (path == live || path.starts_with(std::string(live) + ".") ||
        path.starts_with(std::string(live) + "[")) {
      return "hot";
    }
  }
  if (path == "gateway" || path.starts_with("gateway.")) {
    return "restart";
  }
  return "hot";
}

struct WriteRequest {
  WriteMode mode = WriteMode::set;
  std::string raw;
  std::optional<std::string> base_hash;
  std::vector<std::string> replace_paths;
};

// Paths of arrays in `before` that `after` (null: deleted) drops entries from.
void removed_arrays(const json::value& before, const json::value* after, const core::JsonPath& path,
                    std::vector<std::string>& out) {
  if (before.is_array()) {
    if (after == nullptr || !after->is_array()) {
      out.push_back(path.to_string());
      return;
    }
    for (const auto& item : before.get_array()) {
      if (std::ranges::find(after->get_array(), item) == after->get_array().end()) {
        out.push_back(path.to_string());
        return;
      }
    }
    return;
  }
  if (before.is_object()) {
    const json::object* next = after != nullptr ? after->if_object() : nullptr;
    for (const auto& member : before.get_object()) {
      const json::value* child = next != nullptr ? next->if_contains(member.key()) : nullptr;
      removed_arrays(member.value(), child, child_path(path, std::string(member.key())), out);
    }
  }
}

json::value without_nulls(const json::value& value) {
  if (!value.is_object()) {
    return value;
  }
  json::object out;
  for (const auto& member : value.get_object()) {
    if (!member.value().is_null()) {
      out[member.key()] = without_nulls(member.value());
    }
  }
  return out;
}

// RFC 7386 merge patch applied to a document (the placeholder leaves a value as it is).
json::value apply_merge_patch(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  json::object out = target.is_object() ? target.get_object() : json::object();
  for (const auto& member : patch.get_object()) {
    const json::value& value = member.value();
    if (value.is_string() && value.get_string() == kRedactedSentinel) {
      continue;
    }
    if (value.is_null()) {
      out.erase(member.key());
      continue;
    }
    const json::value* existing = out.if_contains(member.key());
    out[member.key()] = apply_merge_patch(existing ? *existing : json::value(nullptr), value);
  }
  return out;
}

// RFC 7386 merge patch applied as text edits, so comments and layout survive. The placeholder
// for a redacted secret means "leave it as it is".
Status merge_patch_text(std::string& text, const json::value& current, const json::object& patch,
                        const core::JsonPath& at) {
  for (const auto& member : patch) {
    core::JsonPath path = child_path(at, std::string(member.key()));
    const json::value& value = member.value();
    const json::value* existing = core::find_at(current, path);
    if (value.is_string() && value.get_string() == kRedactedSentinel) {
      continue;
    }
    if (value.is_null()) {
      if (existing != nullptr) {
        auto edited = core::json5_unset(text, path);
        if (!edited) {
          return std::unexpected(edited.error());
        }
        text = std::move(*edited);
      }
      continue;
    }
    if (value.is_object() && existing != nullptr && existing->is_object()) {
      if (auto ok = merge_patch_text(text, current, value.get_object(), path); !ok) {
        return ok;
      }
      continue;
    }
    auto edited = core::json5_set(text, path, without_nulls(value));
    if (!edited) {
      return std::unexpected(edited.error());
    }
    text = std::move(*edited);
  }
  return {};
}

Result<json::object> write_config(const fs::path& file, const WriteRequest& request,
                                  RpcError& rpc_error) {
  std::lock_guard lock(write_mutex());
  auto env = core::process_env();
  if (auto readonly = env("PINCER_CONFIG_READONLY"); readonly && *readonly == "1") {
    rpc_error = invalid_request(
        "the config is managed externally (PINCER_CONFIG_READONLY=1); nothing was changed");
    return fail(Errc::invalid_argument, rpc_error.message);
  }
  auto snapshot = read_snapshot(file);
  if (!snapshot) {
    return std::unexpected(snapshot.error());
  }
  // Optimistic concurrency: the caller must have seen the file it is replacing.
  bool hash_required = request.mode != WriteMode::set;
  if (snapshot->exists && (request.base_hash || hash_required)) {
    if (!request.base_hash) {
      rpc_error = invalid_request("config base hash required; re-run config.get and retry");
      return fail(Errc::invalid_argument, rpc_error.message);
    }
    if (*request.base_hash != snapshot->hash) {
      rpc_error = invalid_request("config changed since last load; re-run config.get and retry");
      return fail(Errc::invalid_argument, rpc_error.message);
    }
  }

  std::string next_text;
  if (request.mode == WriteMode::patch) {
    auto patch = core::json5::parse(request.raw);
    if (!patch || !patch->is_object()) {
      rpc_error =
          invalid_request(patch ? "config.patch raw must be a JSON5 object (a merge patch)"
                                : "config.patch raw is not JSON5: " + patch.error().message);
      return fail(Errc::invalid_argument, rpc_error.message);
    }
    if (!snapshot->parses) {
      rpc_error = invalid_request(
          "the config file does not parse, so it cannot be patched; replace it with config.apply");
      return fail(Errc::invalid_argument, rpc_error.message);
    }
    // Refuse to drop array entries unless the caller says it means it: a client working from a
    // truncated view must not silently clobber allowlists.
    json::value merged = apply_merge_patch(snapshot->parsed, *patch);
    std::vector<std::string> dropped;
    removed_arrays(snapshot->parsed, &merged, {}, dropped);
    std::erase_if(dropped, [&](const std::string& path) {
      return std::ranges::find(request.replace_paths, path) != request.replace_paths.end();
    });
    if (!dropped.empty()) {
      std::string list;
      for (const auto& path : dropped) {
        list += (list.empty() ? "" : ", ") + path;
      }
      rpc_error =
          invalid_request("config.patch would remove array entries at " + list +
                              "; list those paths in replacePaths to confirm, or use config.apply",
                          json::object{{"code", "REPLACE_PATHS_REQUIRED"}});
      return fail(Errc::invalid_argument, rpc_error.message);
    }
    next_text = snapshot->text;
    if (auto ok = merge_patch_text(next_text, snapshot->parsed, patch->get_object(), {}); !ok) {
      rpc_error = invalid_request("config.patch could not be applied: " + ok.error().message);
      return fail(Errc::invalid_argument, rpc_error.message);
    }
  } else {
    next_text = request.raw;
    auto incoming = core::json5::parse(next_text);
    if (!incoming) {
      rpc_error = invalid_request(std::string(method_name(request.mode)) +
                                  " raw is not JSON5: " + incoming.error().message);
      return fail(Errc::invalid_argument, rpc_error.message);
    }
    for (auto& [path, value] : restorations(*incoming, snapshot->parsed)) {
      auto edited = core::json5_set(next_text, path, value);
      if (edited) {
        next_text = std::move(*edited);
      }
    }
  }

  core::ConfigLoad load = core::load_config_text(next_text, file, env);
  if (!load.config) {
    rpc_error = invalid_config(load.issues);
    return fail(Errc::config, rpc_error.message);
  }
  bool changed = next_text != snapshot->text || !snapshot->exists;
  if (changed) {
    fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    if (auto ok = core::ensure_private_dir(dir); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = core::write_file_atomically(file, next_text); !ok) {
      return std::unexpected(ok.error());
    }
  }
  auto after = core::json5::parse(next_text);
  auto changed_paths =
      core::changed_config_paths(snapshot->parsed, after ? *after : json::value(json::object()));
  json::object out{{"ok", true},
                   {"path", file.string()},
                   {"hash", content_hash(next_text)},
                   {"config", effective_config(*load.config)}};
  if (!changed) {
    out["noop"] = true;
  }
  if (request.mode != WriteMode::set) {
    json::array paths;
    bool restart = false;
    for (const auto& path : changed_paths) {
      paths.emplace_back(path);
      restart = restart || reload_kind(path) == "restart";
    }
    out["changedPaths"] = std::move(paths);
    out["restartRequired"] = restart;
  }
  out["warnings"] = issue_list(load.issues, core::ConfigIssue::Severity::warning);
  return out;
}

std::optional<std::string> string_param(const json::object& params, std::string_view key) {
  if (auto* value = params.if_contains(key); value != nullptr && value->is_string()) {
    return std::string(value->get_string());
  }
  return std::nullopt;
}

asio::awaitable<RpcResult> config_write(RpcContext& context, WriteMode mode) {
  const auto* params = context.params().if_object();
  std::string_view name = method_name(mode);
  if (params == nullptr) {
    co_return std::unexpected(invalid_request(std::string(name) + " params must be an object"));
  }
  WriteRequest request;
  request.mode = mode;
  if (auto* raw = params->if_contains("raw");
      raw != nullptr && raw->is_object() && mode == WriteMode::patch) {
    request.raw = json::serialize(*raw);  // a patch may also come as an object
  } else if (auto text = string_param(*params, "raw"); text && !text->empty()) {
    request.raw = std::move(*text);
  } else {
    co_return std::unexpected(
        invalid_request(std::string(name) + " needs raw: the config text (JSON5)"));
  }
  if (auto* base = params->if_contains("baseHash"); base != nullptr) {
    if (!base->is_string() || base->get_string().empty()) {
      co_return std::unexpected(invalid_request("baseHash must be the hash config.get returned"));
    }
    request.base_hash = std::string(base->get_string());
  }
  if (auto* paths = params->if_contains("replacePaths"); paths != nullptr && paths->is_array()) {
    for (const auto& path : paths->get_array()) {
      if (path.is_string()) {
        request.replace_paths.emplace_back(path.get_string());
      }
    }
  }
  Gateway& gateway = context.gateway();
  fs::path file = gateway.paths().config_file;
  RpcError rpc_error;
  auto write = [&file, &request, &rpc_error]() { return write_config(file, request, rpc_error); };
  auto result = co_await core::run_blocking(gateway.pool(), write);
  if (!result) {
    if (!rpc_error.code.empty()) {
      co_return std::unexpected(std::move(rpc_error));
    }
    log::warn("config", "{} failed: {}", name, result.error().describe());
    co_return std::unexpected(from_error(result.error()));
  }
  log::info("config", "{} wrote {} ({})", name, file.string(),
            result->contains("noop") ? "unchanged" : "changed");
  co_return json::value(std::move(*result));
}

asio::awaitable<RpcResult> config_set(RpcContext& context) {
  co_return co_await config_write(context, WriteMode::set);
}
asio::awaitable<RpcResult> config_patch(RpcContext& context) {
  co_return co_await config_write(context, WriteMode::patch);
}
asio::awaitable<RpcResult> config_apply(RpcContext& context) {
  co_return co_await config_write(context, WriteMode::apply);
}

// ----- schema -----

json::object string_schema() {
  return json::object{{"type", "string"}};
}
json::object enum_schema(std::initializer_list<std::string_view> values) {
  json::array list;
  for (auto value : values) {
    list.emplace_back(value);
  }
  return json::object{{"type", "string"}, {"enum", std::move(list)}};
}
json::object integer_schema(int64_t min, int64_t max) {
  return json::object{{"type", "integer"}, {"minimum", min}, {"maximum", max}};
}
json::object boolean_schema() {
  return json::object{{"type", "boolean"}};
}
json::object string_list_schema() {
  return json::object{{"type", "array"}, {"items", string_schema()}};
}

// The keys Pincer types itself (core/config.cpp), with their constraints.
std::vector<std::pair<std::string, json::object>> typed_keys() {
  constexpr int64_t kMaxSafe = 9'007'199'254'740'991;
  auto levels = enum_schema({"silent", "fatal", "error", "warn", "info", "debug", "trace"});
  return {
      {"gateway.port", integer_schema(1, 65535)},
      {"gateway.bind", enum_schema({"loopback", "lan", "auto", "custom", "tailnet"})},
      {"gateway.customBindHost", string_schema()},
      {"gateway.auth.mode", enum_schema({"token", "password", "none", "trusted-proxy"})},
      {"gateway.auth.token", string_schema()},
      {"gateway.auth.password", string_schema()},
      {"gateway.auth.allowTailscale", boolean_schema()},
      {"gateway.auth.rateLimit.maxAttempts", integer_schema(1, 1'000'000)},
      {"gateway.auth.rateLimit.windowMs", integer_schema(1, kMaxSafe)},
      {"gateway.auth.rateLimit.lockoutMs", integer_schema(0, kMaxSafe)},
      {"gateway.auth.rateLimit.exemptLoopback", boolean_schema()},
      {"gateway.auth.trustedProxy.userHeader", string_schema()},
      {"gateway.auth.trustedProxy.requiredHeaders", string_list_schema()},
      {"gateway.auth.trustedProxy.allowUsers", string_list_schema()},
      {"gateway.auth.trustedProxy.allowLoopback", boolean_schema()},
      {"gateway.trustedProxies", string_list_schema()},
      {"gateway.allowRealIpFallback", boolean_schema()},
      {"gateway.reload.mode", enum_schema({"hybrid", "off"})},
      {"gateway.controlUi.enabled", boolean_schema()},
      {"gateway.http.endpoints.chatCompletions.enabled", boolean_schema()},
      {"gateway.controlUi.basePath", string_schema()},
      {"gateway.controlUi.allowedOrigins", string_list_schema()},
      {"gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback", boolean_schema()},
      {"logging.level", levels},
      {"logging.consoleLevel", levels},
      {"logging.consoleStyle", enum_schema({"pretty", "json"})},
      {"logging.file", string_schema()},
      {"logging.maxFileBytes", integer_schema(4096, kMaxSafe)},
      {"logging.redactSensitive", enum_schema({"tools", "off"})},
      {"logging.redactPatterns", string_list_schema()},
      {"env.vars", json::object{{"type", "object"}, {"additionalProperties", string_schema()}}},
      {"agents.defaults.workspace", string_schema()},
      {"agents.defaults.model",
       json::object{{"anyOf", json::array{string_schema(),
                                          json::object{{"type", "object"},
                                                       {"properties",
                                                        {{"primary", string_schema()},
                                                         {"fallbacks", string_list_schema()}}}}}}}},
      {"agents.defaults.maxConcurrent", integer_schema(1, 1024)},
      {"agents.defaults.timeoutSeconds", integer_schema(0, kMaxSafe)},
      {"agents.defaults.userTimezone", string_schema()},
  };
}

json::object schema_node(std::vector<std::string>& path) {
  auto children = core::reference_config_children(path);
  if (children.empty()) {
    return {};
  }
  json::object node;
  json::object properties;
  for (const auto& child : children) {
    path.push_back(child);
    json::object sub = schema_node(path);
    path.pop_back();
    if (child == "*") {
      // A map or a list: the key tree does not say which.
      node["additionalProperties"] = sub;
      node["items"] = sub;
    } else {
      properties[child] = std::move(sub);
    }
  }
  if (!properties.empty()) {
    node["type"] = "object";
    node["properties"] = std::move(properties);
    node.erase("items");
  }
  return node;
}

json::object& node_at(json::object& root, std::string_view dotted) {
  json::object* node = &root;
  std::size_t start = 0;
  while (start <= dotted.size()) {
    std::size_t dot = std::min(dotted.find('.', start), dotted.size());
    std::string key(dotted.substr(start, dot - start));
    (*node)["type"] = "object";
    node->erase("items");
    auto& properties = (*node)["properties"];
    if (!properties.is_object()) {
      properties = json::object();
    }
    auto& child = properties.get_object()[key];
    if (!child.is_object()) {
      child = json::object();
    }
    node = &child.get_object();
    start = dot + 1;
  }
  return *node;
}

void collect_hints(const json::object& node, const std::string& path, json::object& hints) {
  if (auto* properties = node.if_contains("properties"); properties && properties->is_object()) {
    for (const auto& member : properties->get_object()) {
      std::string child =
          path.empty() ? std::string(member.key()) : path + "." + std::string(member.key());
      if (core::Redactor::is_sensitive_key(member.key())) {
        hints[child] = json::object{{"sensitive", true}};
      }
      collect_hints(member.value().get_object(), child, hints);
    }
  }
}

struct SchemaTree {
  json::object schema;
  json::object hints;
};

const SchemaTree& schema_tree() {
  static const SchemaTree tree = [] {
    SchemaTree out;
    std::vector<std::string> path;
    out.schema = schema_node(path);
    out.schema["$schema"] = "http://json-schema.org/draft-07/schema#";
    out.schema["title"] = "Pincer config";
    for (auto& [key, fragment] : typed_keys()) {
      json::object& node = node_at(out.schema, key);
      for (auto& member : fragment) {
        node[member.key()] = member.value();
      }
      if (!fragment.contains("properties") && fragment.contains("type") &&
          fragment.at("type") != "object") {
        node.erase("properties");
        node.erase("additionalProperties");
      }
    }
    collect_hints(out.schema, "", out.hints);
    return out;
  }();
  return tree;
}

std::string iso_now() {
  auto now = std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
  return fmt::format("{:%FT%T}Z", now);
}

asio::awaitable<RpcResult> config_schema(RpcContext& context) {
  auto build = []() {
    const auto& tree = schema_tree();
    return json::object{{"schema", tree.schema},
                        {"uiHints", tree.hints},
                        {"version", core::version()},
                        {"generatedAt", iso_now()}};
  };
  co_return json::value(co_await core::run_blocking(context.gateway().pool(), build));
}

std::string child_type(const json::object& node) {
  if (auto* type = node.if_contains("type"); type && type->is_string()) {
    return std::string(type->get_string());
  }
  return {};
}

bool has_children(const json::object& node) {
  auto* properties = node.if_contains("properties");
  return (properties && properties->is_object() && !properties->get_object().empty()) ||
         (node.contains("additionalProperties") && node.at("additionalProperties").is_object()) ||
         (node.contains("items") && node.at("items").is_object() &&
          !node.at("items").get_object().empty());
}

asio::awaitable<RpcResult> config_schema_lookup(RpcContext& context) {
  const auto* params = context.params().if_object();
  std::string raw = params ? string_param(*params, "path").value_or("") : "";
  if (raw.empty() || raw.size() > 1024) {
    co_return std::unexpected(
        invalid_request("config.schema.lookup needs path, e.g. \"gateway.auth\""));
  }
  // "agents.list[0].id", "agents/list/*/id" and "agents.list[].id" all mean the same node.
  std::vector<std::string> segments;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) {
      segments.push_back(std::move(current));
      current.clear();
    }
  };
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '.' || c == '/') {
      flush();
    } else if (c == '[') {
      flush();
      auto close = raw.find(']', i);
      if (close == std::string::npos) {
        co_return std::unexpected(invalid_request("config schema path not found"));
      }
      segments.emplace_back("*");
      i = close;
    } else {
      current += c;
    }
  }
  flush();
  const auto& tree = schema_tree();
  const json::object* node = &tree.schema;
  std::vector<std::string> normalized;
  for (const auto& segment : segments) {
    const json::value* next = nullptr;
    if (auto* properties = node->if_contains("properties"); properties && properties->is_object()) {
      next = properties->get_object().if_contains(segment);
    }
    std::string name = segment;
    if (next == nullptr) {
      if (auto* any = node->if_contains("additionalProperties"); any && any->is_object()) {
        next = any;
      } else if (auto* items = node->if_contains("items"); items && items->is_object()) {
        next = items;
        name = "*";
      }
    }
    if (next == nullptr || !next->is_object()) {
      co_return std::unexpected(invalid_request("config schema path not found"));
    }
    normalized.push_back(std::move(name));
    node = &next->get_object();
  }
  std::string path;
  for (const auto& segment : normalized) {
    path += (path.empty() ? "" : ".") + segment;
  }
  if (path.empty()) {
    co_return std::unexpected(invalid_request("config schema path not found"));
  }
  json::object shallow;
  for (const auto& member : *node) {
    if (member.key() != "properties" && member.key() != "items" &&
        !(member.key() == "additionalProperties" && member.value().is_object())) {
      shallow[member.key()] = member.value();
    }
  }
  json::array children;
  auto add_child = [&](std::string_view key, const json::object& child) {
    std::string child_path_text = path + "." + std::string(key);
    json::object entry{{"key", key},
                       {"path", child_path_text},
                       {"required", false},
                       {"hasChildren", has_children(child)},
                       {"reloadKind", reload_kind(child_path_text)}};
    if (auto type = child_type(child); !type.empty()) {
      entry["type"] = type;
    }
    if (auto* hint = tree.hints.if_contains(child_path_text)) {
      entry["hint"] = *hint;
      entry["hintPath"] = child_path_text;
    }
    children.push_back(std::move(entry));
  };
  if (auto* properties = node->if_contains("properties"); properties && properties->is_object()) {
    for (const auto& member : properties->get_object()) {
      add_child(member.key(), member.value().get_object());
    }
  }
  if (auto* any = node->if_contains("additionalProperties"); any && any->is_object()) {
    add_child("*", any->get_object());
  }
  json::object out{{"path", path},
                   {"schema", std::move(shallow)},
                   {"reloadKind", reload_kind(path)},
                   {"children", std::move(children)}};
  if (auto* hint = tree.hints.if_contains(path)) {
    out["hint"] = *hint;
    out["hintPath"] = path;
  }
  co_return json::value(std::move(out));
}

}  // namespace

void register_config_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  std::string read(scope::kRead);
  std::string admin(scope::kAdmin);
  methods.add({"config.get", Access::operator_scope, read, false, config_get});
  methods.add({"config.set", Access::operator_scope, admin, true, config_set});
  methods.add({"config.patch", Access::operator_scope, admin, true, config_patch});
  methods.add({"config.apply", Access::operator_scope, admin, true, config_apply});
  methods.add({"config.schema", Access::operator_scope, read, false, config_schema});
  methods.add({"config.schema.lookup", Access::operator_scope, read, false, config_schema_lookup});
}

}  // namespace pincer::gateway
