// Session methods: sessions.list, sessions.preview, sessions.describe, sessions.get,
// sessions.create, sessions.patch, sessions.reset, sessions.delete, sessions.compact; and the
// `sessions.changed` event every mutation broadcasts (with the changed row) to operators.
//
// Records live in state.db (sessions/session_store.hpp), transcripts beside them
// (sessions/transcript_store.hpp); rows are shaped by session_projection.hpp. Every store call
// runs on the blocking pool through Gateway::with_database.
//
// Like the reference, patch and reset of a key that has no session create it (an operator may
// configure a conversation before its first message), and deleting an unknown key is not an
// error ({deleted:false}). Agent main sessions cannot be deleted or archived: every agent always
// has one.

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "core/config.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"
#include "gateway/session_projection.hpp"
#include "sessions/session_key.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr int64_t kDefaultListLimit = 100;
constexpr int64_t kDefaultPreviewItems = 12;
constexpr int64_t kDefaultPreviewChars = 240;
constexpr std::size_t kTitleChars = 60;
constexpr std::size_t kLabelMax = 512;

RpcResult failed(const Error& error) {
  return std::unexpected(from_error(error));
}

bool caller_has(const RpcContext& context, std::string_view scope) {
  const Principal& who = context.principal();
  return who.role == role::kOperator && scope_satisfied(who.scopes, scope);
}

// A session's extras, read from its transcript when the caller asked for them.
RowExtras read_extras(sessions::TranscriptStore& transcripts, const sessions::SessionRecord& record,
                      bool last_message, bool derived_title) {
  RowExtras extras;
  if (last_message) {
    if (auto last = transcripts.last(record.session_id, 1); last && !last->empty()) {
      extras.last_message_preview = clip_text(entry_text(last->back()), kDefaultPreviewChars);
    }
  }
  if (derived_title && record.label.empty() && record.display_name.empty()) {
    if (auto first = transcripts.after(record.session_id, 0, 8); first) {
      for (const auto& entry : *first) {
        if (entry.kind == sessions::EntryKind::user) {
          std::string text = entry_text(entry);
          if (!text.empty()) {
            extras.derived_title = clip_text(text.substr(0, text.find('\n')), kTitleChars);
            break;
          }
        }
      }
    }
  }
  return extras;
}

// Tells operators a session changed; `row` is null when the key has no session any more.
void broadcast_changed(Gateway& gateway, std::string_view key, std::string_view reason,
                       json::value row) {
  json::object payload{{"sessionKey", key}, {"key", key}, {"reason", reason}, {"ts", unix_ms()}};
  if (!row.is_null()) {
    payload["session"] = std::move(row);
  }
  gateway.broadcast("sessions.changed", payload, scope::kRead);
}

// ---------------------------------------------------------------------------------------------

asio::awaitable<RpcResult> sessions_list(RpcContext& context) {
  ParamReader params(context, {"limit",
                               "offset",
                               "activeMinutes",
                               "requireLastInteraction",
                               "sortBy",
                               "includeGlobal",
                               "includeUnknown",
                               "configuredAgentsOnly",
                               "includeDerivedTitles",
                               "includeLastMessage",
                               "label",
                               "boardFace",
                               "creatorId",
                               "ownerId",
                               "ownerFirst",
                               "involvingMe",
                               "involvingProfileId",
                               "includePeople",
                               "spawnedBy",
                               "agentId",
                               "search",
                               "archived"});
  sessions::SessionListFilter filter;
  filter.limit = params.integer("limit", 1, INT64_MAX).value_or(kDefaultListLimit);
  filter.offset = params.integer("offset", 0, INT64_MAX).value_or(0);
  auto active_minutes = params.integer("activeMinutes", 1, INT64_MAX / 60'000);
  filter.require_last_interaction = params.boolean("requireLastInteraction").value_or(false);
  auto sort = params.one_of("sortBy", {"updatedAt", "lastInteractionAt", "activity"});
  filter.sort = sort && *sort != "updatedAt" ? sessions::SessionSort::last_interaction_at
                                             : sessions::SessionSort::updated_at;
  bool include_titles = params.boolean("includeDerivedTitles").value_or(false);
  bool include_last = params.boolean("includeLastMessage").value_or(false);
  filter.label = params.string("label", kLabelMax);
  filter.agent_id = params.string("agentId");
  filter.search = params.string("search", 0, true).value_or("");
  if (const auto* archived = params.raw("archived")) {
    if (archived->is_bool()) {
      filter.archived = archived->get_bool() ? sessions::ArchivedFilter::archived
                                             : sessions::ArchivedFilter::active;
    } else if (archived->is_string() && archived->get_string() == "all") {
      filter.archived = sessions::ArchivedFilter::all;
    } else {
      params.fail("archived must be a boolean or \"all\"");
    }
  }
  for (std::string_view flag : {"includeGlobal", "includeUnknown", "configuredAgentsOnly",
                                "ownerFirst", "involvingMe", "includePeople"}) {
    params.boolean(flag);
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  int64_t now = unix_ms();
  if (active_minutes) {
    filter.active_since_ms = now - *active_minutes * 60'000;
  }

  struct Listing {
    std::vector<sessions::SessionRecord> rows;
    std::vector<RowExtras> extras;
    int64_t total = 0;
  };
  auto read = [&](store::Database& db) -> Result<Listing> {
    sessions::SessionStore store(db);
    sessions::TranscriptStore transcripts(db);
    Listing listing;
    auto rows = store.list(filter);
    if (!rows) {
      return std::unexpected(rows.error());
    }
    auto total = store.count(filter);
    if (!total) {
      return std::unexpected(total.error());
    }
    listing.total = *total;
    for (const auto& row : *rows) {
      listing.extras.push_back(read_extras(transcripts, row, include_last, include_titles));
    }
    listing.rows = std::move(*rows);
    return listing;
  };
  auto listing = co_await context.gateway().with_database(read);
  if (!listing) {
    co_return failed(listing.error());
  }
  const auto& config = context.gateway().config();
  json::array rows;
  for (std::size_t i = 0; i < listing->rows.size(); ++i) {
    rows.push_back(session_row(listing->rows[i], config, now, listing->extras[i]));
  }
  int64_t next = filter.offset + static_cast<int64_t>(rows.size());
  bool more = next < listing->total;
  co_return json::object{{"ts", now},
                         {"path", context.gateway().paths().database_file.string()},
                         {"count", rows.size()},
                         {"totalCount", listing->total},
                         {"limitApplied", filter.limit},
                         {"nextOffset", more ? json::value(next) : json::value(nullptr)},
                         {"hasMore", more},
                         {"owners", json::array()},
                         {"defaults", session_defaults(config)},
                         {"sessions", std::move(rows)}};
}

asio::awaitable<RpcResult> sessions_preview(RpcContext& context) {
  ParamReader params(context, {"keys", "limit", "maxChars"});
  auto keys = params.string_array("keys", 1);
  if (!keys && !params.error()) {
    params.fail("must have required property 'keys'");
  }
  int64_t limit = params.integer("limit", 1, 200).value_or(kDefaultPreviewItems);
  int64_t max_chars = params.integer("maxChars", 20, 20'000).value_or(kDefaultPreviewChars);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto read = [&](store::Database& db) -> Result<json::array> {
    sessions::SessionStore store(db);
    sessions::TranscriptStore transcripts(db);
    json::array previews;
    for (const auto& key : *keys) {
      json::object preview{{"key", key}};
      auto record = store.find_active(key);
      if (!record) {
        return std::unexpected(record.error());
      }
      json::array items;
      if (*record) {
        auto entries = transcripts.last((*record)->session_id, limit);
        if (!entries) {
          return std::unexpected(entries.error());
        }
        for (const auto& entry : *entries) {
          std::string text = entry_text(entry);
          if (text.empty() || is_silent_reply(entry)) {
            continue;
          }
          items.push_back(json::object{
              {"role", entry.role.empty() ? sessions::to_string(entry.kind) : entry.role},
              {"text", clip_text(text, static_cast<std::size_t>(max_chars))}});
        }
      }
      preview["status"] = !*record ? "missing" : items.empty() ? "empty" : "ok";
      preview["items"] = std::move(items);
      previews.push_back(std::move(preview));
    }
    return previews;
  };
  auto previews = co_await context.gateway().with_database(read);
  if (!previews) {
    co_return failed(previews.error());
  }
  co_return json::object{{"ts", unix_ms()}, {"previews", std::move(*previews)}};
}

// sessions.describe {session: row|null} and sessions.get {key, session|null}.
asio::awaitable<RpcResult> describe(RpcContext& context, bool full) {
  ParamReader params(context, {"key", "agentId", "includeDerivedTitles", "includeLastMessage"});
  std::string key = params.required_string("key");
  params.string("agentId");
  bool titles = params.boolean("includeDerivedTitles").value_or(false);
  bool last = params.boolean("includeLastMessage").value_or(false);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  struct Found {
    std::optional<sessions::SessionRecord> record;
    RowExtras extras;
  };
  auto read = [&](store::Database& db) -> Result<Found> {
    sessions::SessionStore store(db);
    sessions::TranscriptStore transcripts(db);
    auto record = store.find_active(key);
    if (!record) {
      return std::unexpected(record.error());
    }
    Found found{std::move(*record), {}};
    if (found.record) {
      found.extras = read_extras(transcripts, *found.record, last, titles);
    }
    return found;
  };
  auto found = co_await context.gateway().with_database(read);
  if (!found) {
    co_return failed(found.error());
  }
  json::value row = nullptr;
  if (const Found& described = *found; described.record) {
    row = session_row(*described.record, context.gateway().config(), unix_ms(), described.extras);
  }
  if (full) {
    co_return json::object{{"key", key}, {"session", std::move(row)}};
  }
  co_return json::object{{"session", std::move(row)}};
}

asio::awaitable<RpcResult> sessions_describe(RpcContext& context) {
  co_return co_await describe(context, false);
}

asio::awaitable<RpcResult> sessions_get(RpcContext& context) {
  co_return co_await describe(context, true);
}

// sessions.patch fields that change how runs behave: they need operator.admin (the
// reference's split; organization fields and model/thinking/fast need operator.write).
constexpr auto kAdminFields = std::to_array<std::string_view>(
    {"contextWindow", "toolOverrides", "verboseLevel", "traceLevel", "reasoningLevel",
     "responseUsage", "elevatedLevel", "execHost", "execSecurity", "execAsk", "execNode",
     "permissionMode", "completionOwnerSessionKey", "inheritedToolPolicyVersion",
     "inheritedToolAllow", "inheritedToolDeny", "sendPolicy", "groupActivation"});
constexpr auto kGuardFields = std::to_array<std::string_view>(
    {"key", "agentId", "expectedSessionId", "expectedLifecycleRevision", "expectedPermissionMode",
     "expectedToolOverrides", "expectedMarkedUnreadAt"});

bool listed(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Checks one patch field's type; the store merges it as given.
void check_patch_field(ParamReader& params, std::string_view name) {
  if (name == "label" || name == "category") {
    params.nullable_string(name, kLabelMax);
  } else if (name == "statusNote") {
    const auto* value = params.raw(name);
    bool valid = value->is_null() || (value->is_string() && value->get_string().size() <= 120);
    if (!valid) {
      params.fail("statusNote must be a string of at most 120 characters or null");
    }
  } else if (name == "archived" || name == "pinned" || name == "unread") {
    params.boolean(name);
  } else if (name == "ttlMinutes") {
    params.integer(name, 1, 120);
  } else if (name == "boardFace") {
    params.one_of(name, {"chat", "dashboard"});
  } else if (name == "attention") {
    if (!params.raw(name)->is_null()) {
      params.one_of(name, {"hand", "key", "alert", "flag", "lock", "hourglass"});
    }
  } else if (name == "responseUsage") {
    if (!params.raw(name)->is_null()) {
      params.one_of(name, {"off", "tokens", "full", "on"});
    }
  } else if (name == "sendPolicy") {
    if (!params.raw(name)->is_null()) {
      params.one_of(name, {"allow", "deny"});
    }
  } else if (name == "groupActivation") {
    if (!params.raw(name)->is_null()) {
      params.one_of(name, {"mention", "always"});
    }
  } else if (name == "permissionMode") {
    if (!params.raw(name)->is_null()) {
      params.one_of(name, {"read-only", "guarded", "workspace", "full"});
    }
  } else if (name == "fastMode") {
    const auto* value = params.raw(name);
    if (!value->is_null() && !value->is_bool() &&
        !(value->is_string() && value->get_string() == "auto")) {
      params.fail("fastMode must be a boolean, \"auto\" or null");
    }
  } else if (name == "toolOverrides") {
    const auto* value = params.raw(name);
    if (!value->is_null() && !value->is_object()) {
      params.fail("toolOverrides must be an object or null");
    }
  } else if (name == "inheritedToolAllow" || name == "inheritedToolDeny") {
    if (!params.raw(name)->is_null()) {
      params.string_array(name);
    }
  } else if (name == "inheritedToolPolicyVersion") {
    const auto* value = params.raw(name);
    bool valid = value->is_null() || (value->is_number() && value->to_number<double>() == 1.0);
    if (!valid) {
      params.fail("inheritedToolPolicyVersion must be 1 or null");
    }
  } else {
    params.nullable_string(name);  // levels, model, exec*, contextWindow ...
  }
}

// An entry as sessions.patch/reset return it: the stored facts of the generation.
json::object entry_of(const sessions::SessionRecord& record) {
  json::object entry;
  for (const auto& [name, value] : record.settings) {
    entry[name] = value;
  }
  entry["sessionId"] = record.session_id;
  entry["createdAt"] = record.created_at_ms;
  entry["updatedAt"] = record.updated_at_ms;
  entry["sessionStartedAt"] = record.started_at_ms;
  if (!record.label.empty()) {
    entry["label"] = record.label;
  }
  if (!record.display_name.empty()) {
    entry["displayName"] = record.display_name;
  }
  if (record.previous_session_id) {
    entry["previousSessionId"] = *record.previous_session_id;
  }
  entry["compactionCount"] = record.compaction_count;
  entry["inputTokens"] = record.input_tokens;
  entry["outputTokens"] = record.output_tokens;
  entry["totalTokens"] = record.total_tokens;
  return entry;
}

json::object resolved_of(const sessions::SessionRecord& record, const core::Config& config) {
  json::object row = session_row(record, config, 0);
  json::object resolved;
  for (std::string_view name : {"modelProvider", "model", "thinkingLevel"}) {
    if (const auto* value = row.if_contains(name)) {
      resolved[name] = *value;
    }
  }
  return resolved;
}

sessions::SessionInit init_for(std::string_view key, const core::Config& config) {
  sessions::SessionInit init;
  init.key = std::string(key);
  init.agent_id = agent_id_of_key(key, config);
  init.origin = json::object{{"createdVia", "operator"}};
  return init;
}

asio::awaitable<RpcResult> sessions_patch(RpcContext& context) {
  ParamReader checked(context, {"key",
                                "agentId",
                                "expectedSessionId",
                                "expectedLifecycleRevision",
                                "expectedPermissionMode",
                                "expectedToolOverrides",
                                "expectedMarkedUnreadAt",
                                "label",
                                "icon",
                                "color",
                                "category",
                                "boardFace",
                                "statusNote",
                                "attention",
                                "ttlMinutes",
                                "archived",
                                "pinned",
                                "unread",
                                "model",
                                "thinkingLevel",
                                "fastMode",
                                "contextWindow",
                                "toolOverrides",
                                "verboseLevel",
                                "traceLevel",
                                "reasoningLevel",
                                "responseUsage",
                                "elevatedLevel",
                                "execHost",
                                "execSecurity",
                                "execAsk",
                                "execNode",
                                "permissionMode",
                                "completionOwnerSessionKey",
                                "inheritedToolPolicyVersion",
                                "inheritedToolAllow",
                                "inheritedToolDeny",
                                "sendPolicy",
                                "groupActivation"});
  if (auto error = checked.error()) {
    co_return std::unexpected(*error);
  }
  // Organization fields and the model/thinking/fast overrides need operator.write; any other
  // override needs operator.admin, even when combined with write fields.
  bool needs_admin =
      std::any_of(checked.object().begin(), checked.object().end(),
                  [](const auto& member) { return listed(kAdminFields, member.key()); });
  std::string_view needed = needs_admin ? scope::kAdmin : scope::kWrite;
  if (!caller_has(context, needed)) {
    co_return std::unexpected(missing_scope(needed));
  }
  std::string key = checked.required_string("key");
  checked.string("agentId");
  auto expected = checked.string("expectedSessionId");
  json::object mutation;
  std::optional<bool> archive;
  for (const auto& member : checked.object()) {
    std::string_view name = member.key();
    if (listed(kGuardFields, name)) {
      continue;
    }
    check_patch_field(checked, name);
    if (name == "archived") {
      archive = member.value().is_bool() && member.value().get_bool();
    } else {
      mutation[name] = member.value();
    }
  }
  if (archive && !expected) {
    checked.fail(
        "archiving or restoring needs expectedSessionId (the sessionId from sessions.list)");
  }
  if (archive && *archive && sessions::is_main_session_key(key)) {
    checked.fail(fmt::format("{} is an agent's main session, which cannot be archived", key));
  }
  if (auto error = checked.error()) {
    co_return std::unexpected(*error);
  }
  const auto& config = context.gateway().config();
  int64_t now = unix_ms();
  auto write = [&](store::Database& db) -> Result<sessions::SessionRecord> {
    sessions::SessionStore store(db);
    if (archive && !*archive) {
      // Restore: the expected id names the archived generation to bring back.
      auto restored = store.unarchive(*expected, now);
      if (!restored || mutation.empty()) {
        return restored;
      }
      return store.patch(key, mutation, now);
    }
    auto ensured = store.ensure(init_for(key, config), now);
    if (!ensured) {
      return std::unexpected(ensured.error());
    }
    std::optional<std::string_view> guard;
    if (expected) {
      guard = *expected;
    }
    auto patched = store.patch(key, mutation, now, guard);
    if (!patched || !archive) {
      return patched;
    }
    return store.archive(key, now, sessions::ArchiveReason::manual);
  };
  auto record = co_await context.gateway().with_database(write);
  if (!record) {
    co_return failed(record.error());
  }
  broadcast_changed(context.gateway(), key, "patch", session_row(*record, config, now));
  co_return json::object{{"ok", true},
                         {"path", context.gateway().paths().database_file.string()},
                         {"key", key},
                         {"entry", entry_of(*record)},
                         {"resolved", resolved_of(*record, config)}};
}

asio::awaitable<RpcResult> sessions_create(RpcContext& context) {
  if (!caller_has(context, scope::kWrite)) {
    co_return std::unexpected(missing_scope(scope::kWrite));
  }
  ParamReader params(context, {"key", "idempotencyKey", "agentId", "label", "displayName",
                               "category", "model", "thinkingLevel"});
  auto key = params.string("key");
  params.string("idempotencyKey");
  auto agent = params.string("agentId");
  auto label = params.string("label", kLabelMax);
  auto display = params.string("displayName", 500);
  json::object mutation;
  for (std::string_view name : {"category", "model", "thinkingLevel"}) {
    if (auto value = params.string(name, kLabelMax)) {
      mutation[name] = *value;
    }
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  const auto& config = context.gateway().config();
  std::string session_key =
      key ? *key : fmt::format("agent:{}:dashboard:{}", agent.value_or("main"), random_uuid());
  int64_t now = unix_ms();
  auto write = [&](store::Database& db) -> Result<sessions::SessionRecord> {
    sessions::SessionStore store(db);
    auto init = init_for(session_key, config);
    if (agent) {
      init.agent_id = *agent;
    }
    auto ensured = store.ensure(init, now);
    if (!ensured) {
      return std::unexpected(ensured.error());
    }
    if (!ensured->created) {
      return ensured->session;  // adopting an existing key keeps its names
    }
    if (label) {
      mutation["label"] = *label;
    }
    if (display) {
      mutation["displayName"] = *display;
    }
    if (mutation.empty()) {
      return ensured->session;
    }
    return store.patch(session_key, mutation, now);
  };
  auto record = co_await context.gateway().with_database(write);
  if (!record) {
    co_return failed(record.error());
  }
  broadcast_changed(context.gateway(), session_key, "create", session_row(*record, config, now));
  co_return json::object{{"ok", true},
                         {"key", session_key},
                         {"sessionId", record->session_id},
                         {"entry", entry_of(*record)},
                         {"runStarted", false}};
}

asio::awaitable<RpcResult> sessions_reset(RpcContext& context) {
  ParamReader params(context, {"key", "agentId", "reason", "expectedSessionId"});
  std::string key = params.required_string("key");
  params.string("agentId");
  auto reason = params.one_of("reason", {"new", "reset"});
  auto expected = params.string("expectedSessionId");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto archive_reason = reason && *reason == "new" ? sessions::ArchiveReason::new_session
                                                   : sessions::ArchiveReason::reset;
  const auto& config = context.gateway().config();
  int64_t now = unix_ms();
  auto write = [&](store::Database& db) -> Result<sessions::SessionRecord> {
    sessions::SessionStore store(db);
    auto ensured = store.ensure(init_for(key, config), now);
    if (!ensured) {
      return std::unexpected(ensured.error());
    }
    if (ensured->created) {
      return ensured->session;  // nothing to archive: the fresh session is the reset
    }
    std::optional<std::string_view> guard;
    if (expected) {
      guard = *expected;
    }
    auto reset = store.reset(key, archive_reason, now, guard);
    if (!reset) {
      return std::unexpected(reset.error());
    }
    return reset->current;
  };
  auto record = co_await context.gateway().with_database(write);
  if (!record) {
    if (record.error().code == Errc::invalid_argument && expected) {
      co_return std::unexpected(invalid_request(
          fmt::format("{} was not reset: its session changed (it is no longer {}); read it again "
                      "with sessions.describe before retrying",
                      key, *expected),
          json::object{{"reason", "session-changed"}}));
    }
    co_return failed(record.error());
  }
  broadcast_changed(context.gateway(), key, reason.value_or("reset"),
                    session_row(*record, config, now));
  co_return json::object{{"ok", true},
                         {"key", key},
                         {"entry", entry_of(*record)},
                         {"resolved", resolved_of(*record, config)}};
}

asio::awaitable<RpcResult> sessions_delete(RpcContext& context) {
  ParamReader params(context, {"key", "agentId", "deleteTranscript", "expectedSessionId",
                               "expectedLifecycleRevision", "expectedSessionUpdatedAt",
                               "emitLifecycleHooks", "archivedOnly"});
  std::string key = params.required_string("key");
  params.string("agentId");
  bool delete_transcript = params.boolean("deleteTranscript").value_or(false);
  auto expected = params.string("expectedSessionId");
  params.string("expectedLifecycleRevision");
  params.boolean("emitLifecycleHooks");
  bool archived_only = params.boolean("archivedOnly").value_or(false);
  const auto* updated = params.raw("expectedSessionUpdatedAt");
  bool valid_updated =
      updated == nullptr || (updated->is_number() && updated->to_number<double>() >= 0);
  if (!valid_updated) {
    params.fail("expectedSessionUpdatedAt must be a number >= 0");
  }
  if (!params.error() && sessions::is_main_session_key(key)) {
    params.fail(
        fmt::format("{} is an agent's main session, which cannot be deleted; reset it "
                    "with sessions.reset instead",
                    key));
  }
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  // Destroying transcripts is an admin act; archiving a conversation away is a write.
  if (!caller_has(context, delete_transcript ? scope::kAdmin : scope::kWrite)) {
    co_return std::unexpected(missing_scope(delete_transcript ? scope::kAdmin : scope::kWrite));
  }
  int64_t now = unix_ms();
  struct Outcome {
    bool deleted = false;
    std::vector<std::string> archived;
    bool changed = false;
  };
  auto write = [&](store::Database& db) -> Result<Outcome> {
    sessions::SessionStore store(db);
    auto active = store.find_active(key);
    if (!active) {
      return std::unexpected(active.error());
    }
    if (expected && (!*active || (*active)->session_id != *expected)) {
      return fail(Errc::invalid_argument, "session changed");
    }
    Outcome outcome;
    if (*active && archived_only) {
      return outcome;  // archivedOnly never touches the active conversation
    }
    if (!*active && !delete_transcript) {
      return outcome;  // nothing active to archive; archived generations stay unless purged
    }
    auto removed = store.remove(key, delete_transcript, now);
    if (!removed) {
      if (removed.error().code == Errc::not_found) {
        return outcome;
      }
      return std::unexpected(removed.error());
    }
    outcome.deleted = true;
    outcome.changed = true;
    if (!removed->deleted) {
      outcome.archived = removed->session_ids;
    }
    return outcome;
  };
  auto outcome = co_await context.gateway().with_database(write);
  if (!outcome) {
    if (outcome.error().code == Errc::invalid_argument && expected) {
      co_return std::unexpected(invalid_request(
          fmt::format("{} was not deleted: its session is no longer {}", key, *expected),
          json::object{{"reason", "session-changed"}}));
    }
    co_return failed(outcome.error());
  }
  if (outcome->changed) {
    broadcast_changed(context.gateway(), key, "delete", nullptr);
  }
  json::array archived;
  for (const auto& id : outcome->archived) {
    archived.emplace_back(id);
  }
  co_return json::object{
      {"ok", true}, {"key", key}, {"deleted", outcome->deleted}, {"archived", std::move(archived)}};
}

asio::awaitable<RpcResult> sessions_compact(RpcContext& context) {
  ParamReader params(context, {"key", "agentId", "maxLines"});
  std::string key = params.required_string("key");
  params.string("agentId");
  params.integer("maxLines", 1, INT64_MAX);
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  auto read = [&](store::Database& db) -> Result<std::optional<sessions::SessionRecord>> {
    sessions::SessionStore store(db);
    return store.find_active(key);
  };
  auto record = co_await context.gateway().with_database(read);
  if (!record) {
    co_return failed(record.error());
  }
  if (!*record) {
    co_return json::object{{"ok", false},
                           {"key", key},
                           {"compacted", false},
                           {"reason", fmt::format("no session with key {}", key)}};
  }
  // Compaction is a turn of its own ("/compact"): it waits in the session's lane behind a
  // running turn, so it never rewrites history under one, and summarises with the session's
  // model.
  agent::ChatRequest request;
  request.session_key = key;
  request.text = "/compact";
  request.queue_mode = core::QueueMode::followup;
  request.channel = "webchat";
  agent::RunOutcome outcome = co_await context.gateway().agent().run(std::move(request), nullptr);
  bool compacted = outcome.status == agent::RunStatus::ok && outcome.text.starts_with("Compacted");
  json::object result{
      {"ok", outcome.status == agent::RunStatus::ok},
      {"key", key},
      {"compacted", compacted},
      {"reason", outcome.status == agent::RunStatus::ok ? outcome.text : outcome.error}};
  if (compacted) {
    broadcast_changed(context.gateway(), key, "compact", nullptr);
  }
  co_return result;
}

}  // namespace

void register_session_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  const std::string read(scope::kRead);
  const std::string write(scope::kWrite);
  const std::string admin(scope::kAdmin);
  methods.add({"sessions.list", Access::operator_scope, read, false, sessions_list});
  methods.add({"sessions.preview", Access::operator_scope, read, false, sessions_preview});
  methods.add({"sessions.describe", Access::operator_scope, read, false, sessions_describe});
  methods.add({"sessions.get", Access::operator_scope, read, false, sessions_get});
  methods.add({"sessions.create", Access::dynamic, "", true, sessions_create});
  methods.add({"sessions.patch", Access::dynamic, "", true, sessions_patch});
  methods.add({"sessions.reset", Access::operator_scope, admin, true, sessions_reset});
  methods.add({"sessions.delete", Access::dynamic, "", true, sessions_delete});
  methods.add({"sessions.compact", Access::operator_scope, admin, true, sessions_compact});
  methods.add_event("sessions.changed");
}

}  // namespace pincer::gateway
