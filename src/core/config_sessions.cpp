// Reading the routing and session sections of the config: the agent roster, session.*,
// bindings[] and messages.queue. Values are checked here so routing and reset evaluation can
// trust them (ids normalized, channels lowercased, hours in range, durations parsed).

#include <algorithm>
#include <cctype>
#include <set>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "core/detail/config_sections.hpp"
#include "core/duration.hpp"
#include "core/text.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

const std::initializer_list<std::pair<std::string_view, DmScope>> kDmScopes = {
    {"main", DmScope::main},
    {"per-peer", DmScope::per_peer},
    {"per-channel-peer", DmScope::per_channel_peer},
    {"per-account-channel-peer", DmScope::per_account_channel_peer}};
const std::initializer_list<std::pair<std::string_view, GroupScope>> kGroupScopes = {
    {"per-group", GroupScope::per_group}, {"main", GroupScope::main}};
const std::initializer_list<std::pair<std::string_view, QueueMode>> kQueueModes = {
    {"steer", QueueMode::steer},
    {"followup", QueueMode::followup},
    {"collect", QueueMode::collect},
    {"interrupt", QueueMode::interrupt}};

// "provider/model" or {primary, fallbacks}.
void read_model(ConfigReader& r, std::optional<ModelSelection>& out) {
  const json::value* model = r.take("model");
  if (model == nullptr) {
    return;
  }
  if (model->is_string()) {
    out = ModelSelection{std::string(model->get_string()), {}};
  } else if (model->is_object()) {
    ModelSelection selection;
    ConfigReader m = r.object("model");
    m.string("primary", selection.primary);
    m.string_list("fallbacks", selection.fallbacks);
    m.finish();
    out = std::move(selection);
  } else {
    r.error("model",
            "expected \"provider/model\" or {primary, fallbacks}, got " + describe_value(*model));
  }
}

// A duration: "30d", "12h", a number of milliseconds, or (when `allow_off`) false / 0 for "off"
// (out reset to nullopt).
void read_duration(ConfigReader& r, std::string_view key, std::optional<int64_t>& out,
                   bool allow_off) {
  const json::value* value = r.take(key);
  if (value == nullptr) {
    return;
  }
  std::string expected = allow_off ? "a duration such as \"30d\" or \"12h\", or false"
                                   : "a duration such as \"30d\" or \"12h\"";
  std::optional<int64_t> ms;
  if (value->is_string()) {
    ms = parse_duration_ms(value->get_string());
  } else if (value->is_int64() && value->get_int64() >= 0) {
    ms = value->get_int64();
  } else if (value->is_uint64() && value->get_uint64() <= kMaxSafeInteger) {
    ms = static_cast<int64_t>(value->get_uint64());
  } else if (allow_off && value->is_bool() && !value->get_bool()) {
    out.reset();
    return;
  }
  if (!ms) {
    r.error(key, "expected " + expected + ", got " + describe_value(*value, key));
    return;
  }
  if (*ms == 0 && allow_off) {
    out.reset();
    return;
  }
  out = *ms;
}

// A byte size: "10gb", "500mb", a number of bytes, or (when `allow_off`) false / 0 / "0".
void read_byte_size(ConfigReader& r, std::string_view key, std::optional<int64_t>& out,
                    bool allow_off) {
  const json::value* value = r.take(key);
  if (value == nullptr) {
    return;
  }
  std::optional<int64_t> bytes;
  if (value->is_string()) {
    bytes = parse_byte_size(value->get_string());
  } else if (value->is_int64() && value->get_int64() >= 0) {
    bytes = value->get_int64();
  } else if (allow_off && value->is_bool() && !value->get_bool()) {
    out.reset();
    return;
  }
  if (!bytes) {
    r.error(key, std::string("expected a size such as \"500mb\" or \"10gb\"") +
                     (allow_off ? ", or false" : "") + ", got " + describe_value(*value, key));
    return;
  }
  if (*bytes == 0 && allow_off) {
    out.reset();
    return;
  }
  out = *bytes;
}

// {mode, atHour, idleMinutes}. Without a mode, idleMinutes alone means "idle" and atHour alone
// "daily", so a per-type override that only says how long still does something.
ResetPolicy read_reset_policy(ConfigReader r) {
  ResetPolicy policy;
  bool has_mode = r.has("mode");
  r.one_of("mode", policy.mode,
           {{"none", ResetMode::none}, {"daily", ResetMode::daily}, {"idle", ResetMode::idle}});
  r.integer("atHour", policy.at_hour, 0, 23);
  if (r.has("idleMinutes")) {
    int64_t minutes = 0;
    r.integer("idleMinutes", minutes, 1, kMaxSafeInteger / 60'000);
    if (minutes > 0) {
      policy.idle_minutes = minutes;
    }
  }
  if (!has_mode) {
    if (policy.idle_minutes) {
      policy.mode = ResetMode::idle;
    } else if (r.has("atHour")) {
      policy.mode = ResetMode::daily;
    }
  }
  if (policy.mode == ResetMode::idle && !policy.idle_minutes) {
    policy.idle_minutes = ResetPolicy::kDefaultIdleMinutes;
  }
  r.finish();
  return policy;
}

void read_maintenance(ConfigReader& session, SessionMaintenanceConfig& out) {
  ConfigReader r = session.object("maintenance");
  r.one_of("mode", out.mode,
           {{"enforce", MaintenanceMode::enforce}, {"warn", MaintenanceMode::warn}});
  std::optional<int64_t> prune_after = out.prune_after_ms;
  read_duration(r, "pruneAfter", prune_after, false);
  out.prune_after_ms = prune_after.value_or(out.prune_after_ms);
  read_duration(r, "archiveDashboardAfter", out.archive_dashboard_after_ms, true);
  r.integer("maxEntries", out.max_entries, 1, kMaxSafeInteger);
  read_duration(r, "preserveRecent", out.preserve_recent_ms, true);
  read_duration(r, "resetArchiveRetention", out.reset_archive_retention_ms, true);
  read_byte_size(r, "maxDiskBytes", out.max_disk_bytes, true);
  if (r.has("highWaterBytes")) {
    std::optional<int64_t> high = out.high_water_bytes;
    read_byte_size(r, "highWaterBytes", high, false);
    // Zero falls back to the default (80% of the budget), as the reference documents.
    out.high_water_bytes = high.value_or(0) > 0 ? high : std::nullopt;
  }
  r.finish();
}

// "telegram:123456789": a channel, a colon, and the peer id on that channel.
bool is_channel_identity(std::string_view text) {
  auto colon = text.find(':');
  return colon != std::string_view::npos && colon > 0 && colon + 1 < text.size();
}

}  // namespace

namespace detail {

void read_agent_roster(ConfigReader& agents, AgentsConfig& out) {
  std::set<std::string, std::less<>> seen;
  std::string default_path;
  auto add = [&](ConfigReader& e, std::string id_text, std::string_view id_key,
                 const json::value* raw) {
    AgentEntry entry;
    entry.id = normalize_agent_id(id_text);
    e.boolean("default", entry.is_default);
    e.string("name", entry.name);
    e.string("workspace", entry.workspace);
    e.string("agentDir", entry.agent_dir);
    read_model(e, entry.model);
    if (e.has("groupChat")) {
      ConfigReader group_chat = e.object("groupChat");
      if (group_chat.has("mentionPatterns")) {
        std::vector<std::string> patterns;
        group_chat.string_list("mentionPatterns", patterns);
        entry.mention_patterns = std::move(patterns);
      }
      group_chat.finish();
    }
    if (raw != nullptr) {
      entry.raw = *raw;
    }
    e.finish();
    std::string id_path = id_key.empty() ? e.path() : e.key_path(id_key);
    if (!seen.insert(entry.id).second) {
      e.error_at(id_path, "duplicate agent id \"" + entry.id +
                              "\" (ids are compared after normalizing): give each agent its "
                              "own id");
      return;
    }
    if (entry.is_default) {
      if (!default_path.empty()) {
        e.error_at(e.key_path("default"),
                   "only one agent can be the default, and " + default_path + " already is");
        return;
      }
      default_path = e.path();
    }
    out.list.push_back(std::move(entry));
  };

  ConfigReader entries = agents.object("entries");
  for (const auto& key : entries.keys()) {
    const json::value* raw = entries.take(key);
    ConfigReader e = entries.object(key);
    if (!e.present()) {
      continue;  // not an object: the reader reported it
    }
    add(e, key, {}, raw);
  }
  entries.finish();

  const json::value* list = agents.take("list");
  auto items = agents.items("list");
  for (size_t i = 0; i < items.size(); ++i) {
    ConfigReader& e = items[i];
    if (!e.present()) {
      continue;
    }
    std::string id;
    e.string("id", id);
    if (!e.has("id") || (id.empty() && e.take("id")->is_string())) {
      e.error("id", "required: give the agent an id such as \"work\"");
      continue;
    }
    if (id.empty()) {
      continue;  // not a string: reported above
    }
    add(e, id, "id", &list->get_array()[i]);
  }
}

void read_session(ConfigReader& root, SessionConfig& out) {
  ConfigReader r = root.object("session");
  r.one_of("scope", out.scope,
           {{"per-sender", SessionScope::per_sender}, {"global", SessionScope::global}});
  r.one_of("dmScope", out.dm_scope, kDmScopes);
  r.one_of("groupScope", out.group_scope, kGroupScopes);

  ConfigReader links = r.object("identityLinks");
  for (const auto& canonical : links.keys()) {
    std::vector<std::string> identities;
    links.string_list(canonical, identities);
    for (size_t i = 0; i < identities.size(); ++i) {
      if (!is_channel_identity(identities[i])) {
        links.error_at(links.key_path(canonical) + "[" + std::to_string(i) + "]",
                       "expected \"channel:peerId\" such as \"telegram:123456789\", got \"" +
                           identities[i] + "\"");
      }
    }
    out.identity_links[canonical] = std::move(identities);
  }
  links.finish();

  if (r.has("reset")) {
    out.reset = read_reset_policy(r.object("reset"));
  }
  ConfigReader by_type = r.object("resetByType");
  if (by_type.has("direct")) {
    out.reset_by_type.direct = read_reset_policy(by_type.object("direct"));
  }
  if (by_type.has("group")) {
    out.reset_by_type.group = read_reset_policy(by_type.object("group"));
  }
  if (by_type.has("thread")) {
    out.reset_by_type.thread = read_reset_policy(by_type.object("thread"));
  }
  if (by_type.has("dm")) {
    by_type.take("dm");
    by_type.error("dm", "retired: rename it to \"direct\"");
  }
  by_type.finish();

  ConfigReader by_channel = r.object("resetByChannel");
  for (const auto& channel : by_channel.keys()) {
    out.reset_by_channel[lowercase_trimmed(channel)] =
        read_reset_policy(by_channel.object(channel));
  }
  by_channel.finish();

  if (r.has("resetTriggers")) {
    r.string_list("resetTriggers", out.reset_triggers);
  }
  read_maintenance(r, out.maintenance);
  if (r.has("idleMinutes")) {
    r.take("idleMinutes");
    r.error("idleMinutes", "retired: move it to session.reset.idleMinutes");
  }
  r.finish();
}

void read_bindings(ConfigReader& root, const AgentsConfig& agents, std::vector<Binding>& out) {
  std::set<std::string, std::less<>> known;
  for (const auto& agent : agents.list) {
    known.insert(agent.id);
  }
  if (known.empty()) {
    known.insert("main");  // the implicit single agent
  }
  std::string known_list;
  for (const auto& id : known) {
    known_list += (known_list.empty() ? "\"" : ", \"") + id + "\"";
  }

  for (ConfigReader& b : root.items("bindings")) {
    if (!b.present()) {
      continue;
    }
    Binding binding;
    bool ok = true;
    b.one_of("type", binding.type, {{"route", BindingType::route}, {"acp", BindingType::acp}});
    std::string agent_id;
    b.string("agentId", agent_id);
    if (agent_id.empty()) {
      b.error("agentId", "required: name the agent that answers these messages");
      ok = false;
    } else {
      binding.agent_id = normalize_agent_id(agent_id);
      if (!known.contains(binding.agent_id)) {
        b.error("agentId", "unknown agent \"" + agent_id + "\": expected one of " + known_list +
                               " (add it under agents.entries first)");
        ok = false;
      }
    }
    b.string("comment", binding.comment);

    if (!b.has("match")) {
      b.error("match",
              "required: say which messages this binding takes, e.g. "
              "{channel: \"telegram\"}");
      ok = false;
    }
    ConfigReader m = b.object("match");
    if (m.present()) {
      std::string channel;
      m.string("channel", channel);
      binding.match.channel = lowercase_trimmed(channel);
      if (binding.match.channel.empty()) {
        m.error("channel", "required: name the channel, e.g. \"telegram\"");
        ok = false;
      }
      if (m.has("accountId")) {
        std::string account;
        m.string("accountId", account);
        binding.match.account_id = lowercase_trimmed(account);
      }
      if (m.has("peer")) {
        ConfigReader p = m.object("peer");
        if (p.present()) {
          BindingPeer peer;
          if (!p.has("kind")) {
            p.error("kind", R"(required: one of "direct", "group", "channel")");
            ok = false;
          }
          p.one_of("kind", peer.kind,
                   {{"direct", PeerKind::direct},
                    {"group", PeerKind::group},
                    {"channel", PeerKind::channel},
                    {"dm", PeerKind::direct}});
          p.string("id", peer.id);
          peer.id = lowercase_trimmed(peer.id);
          if (peer.id.empty()) {
            p.error("id", "required: the channel's peer id, or \"*\" for any peer of this kind");
            ok = false;
          }
          binding.match.peer = std::move(peer);
          p.finish();
        } else {
          ok = false;
        }
      }
      m.string("guildId", binding.match.guild_id);
      binding.match.guild_id = lowercase_trimmed(binding.match.guild_id);
      m.string("teamId", binding.match.team_id);
      binding.match.team_id = lowercase_trimmed(binding.match.team_id);
      m.string_list("roles", binding.match.roles);
      for (auto& role : binding.match.roles) {
        role = lowercase_trimmed(role);
      }
      m.finish();
    } else {
      ok = false;
    }

    ConfigReader s = b.object("session");
    if (s.has("dmScope")) {
      DmScope scope = DmScope::main;
      s.one_of("dmScope", scope, kDmScopes);
      binding.session.dm_scope = scope;
    }
    if (s.has("groupScope")) {
      GroupScope scope = GroupScope::per_group;
      s.one_of("groupScope", scope, kGroupScopes);
      binding.session.group_scope = scope;
    }
    s.finish();
    b.finish();
    if (ok) {
      out.push_back(std::move(binding));
    }
  }
}

void read_messages(ConfigReader& root, MessagesConfig& out) {
  ConfigReader messages = root.object("messages");
  ConfigReader q = messages.object("queue");
  q.one_of("mode", out.queue.mode, kQueueModes);
  q.integer("debounceMs", out.queue.debounce_ms, 0, kMaxSafeInteger);
  q.integer("cap", out.queue.cap, 1, kMaxSafeInteger);
  q.one_of(
      "drop", out.queue.drop,
      {{"summarize", QueueDrop::summarize}, {"old", QueueDrop::old}, {"new", QueueDrop::new_}});
  ConfigReader by_channel = q.object("byChannel");
  for (const auto& channel : by_channel.keys()) {
    QueueMode mode = out.queue.mode;
    if (by_channel.has(channel)) {
      by_channel.one_of(channel, mode, kQueueModes);
    }
    out.queue.by_channel[lowercase_trimmed(channel)] = mode;
  }
  by_channel.finish();
  ConfigReader debounce = q.object("debounceMsByChannel");
  for (const auto& channel : debounce.keys()) {
    int64_t ms = out.queue.debounce_ms;
    debounce.integer(channel, ms, 0, kMaxSafeInteger);
    out.queue.debounce_ms_by_channel[lowercase_trimmed(channel)] = ms;
  }
  debounce.finish();
  q.finish();
  ConfigReader group_chat = messages.object("groupChat");
  group_chat.string_list("mentionPatterns", out.group_chat.mention_patterns);
  group_chat.integer("historyLimit", out.group_chat.history_limit, 0, 10'000);
  group_chat.finish();
  // messages.* besides these belongs to delivery; its keys are left for the final pass below to
  // note or warn about.
  messages.finish();
}

}  // namespace detail

std::string normalize_agent_id(std::string_view text) {
  constexpr size_t kMaxLength = 64;
  std::string out;
  bool pending_dash = false;
  for (char raw : text) {
    auto c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!allowed || c == '-') {
      pending_dash = !out.empty();  // a run becomes one "-", and never a leading one
      continue;
    }
    if (pending_dash) {
      out += '-';
      pending_dash = false;
    }
    out += c;
  }
  if (out.size() > kMaxLength) {
    out.resize(kMaxLength);
    while (!out.empty() && out.back() == '-') {
      out.pop_back();
    }
  }
  return out.empty() ? std::string("main") : out;
}

std::string default_agent_id(const AgentsConfig& agents) {
  for (const auto& agent : agents.list) {
    if (agent.is_default) {
      return agent.id;
    }
  }
  return agents.list.empty() ? std::string("main") : agents.list.front().id;
}

std::string_view to_string(DmScope scope) {
  switch (scope) {
    case DmScope::main:
      return "main";
    case DmScope::per_peer:
      return "per-peer";
    case DmScope::per_channel_peer:
      return "per-channel-peer";
    case DmScope::per_account_channel_peer:
      return "per-account-channel-peer";
  }
  return "main";
}

std::string_view to_string(GroupScope scope) {
  return scope == GroupScope::main ? "main" : "per-group";
}

std::string_view to_string(ResetMode mode) {
  switch (mode) {
    case ResetMode::none:
      return "none";
    case ResetMode::daily:
      return "daily";
    case ResetMode::idle:
      return "idle";
  }
  return "none";
}

std::string_view to_string(QueueMode mode) {
  switch (mode) {
    case QueueMode::steer:
      return "steer";
    case QueueMode::followup:
      return "followup";
    case QueueMode::collect:
      return "collect";
    case QueueMode::interrupt:
      return "interrupt";
  }
  return "steer";
}

std::string_view to_string(QueueDrop drop) {
  switch (drop) {
    case QueueDrop::summarize:
      return "summarize";
    case QueueDrop::old:
      return "old";
    case QueueDrop::new_:
      return "new";
  }
  return "summarize";
}

std::string_view to_string(PeerKind kind) {
  switch (kind) {
    case PeerKind::direct:
      return "direct";
    case PeerKind::group:
      return "group";
    case PeerKind::channel:
      return "channel";
  }
  return "direct";
}

}  // namespace pincer::core
