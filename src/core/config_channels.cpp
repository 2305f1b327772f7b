// Reading channels.*: channel defaults and each channel's accounts. An account's settings are the
// channel root's with the account's own keys on top (docs: gateway/config-channels/
// shared-policies.md), so the channel code sees one resolved struct per account. Validation
// refuses the combinations that would silently admit nobody or everybody: `allowlist` without an
// allowFrom entry, `open` without "*".

#include <algorithm>

#include "core/config.hpp"
#include "core/config_reader.hpp"
#include "core/detail/config_sections.hpp"
#include "core/text.hpp"

namespace pincer::core {

namespace json = boost::json;

namespace {

const std::initializer_list<std::pair<std::string_view, DmPolicy>> kDmPolicies = {
    {"pairing", DmPolicy::pairing},
    {"allowlist", DmPolicy::allowlist},
    {"open", DmPolicy::open},
    {"disabled", DmPolicy::disabled}};
const std::initializer_list<std::pair<std::string_view, GroupPolicy>> kGroupPolicies = {
    {"open", GroupPolicy::open},
    {"allowlist", GroupPolicy::allowlist},
    {"disabled", GroupPolicy::disabled}};
const std::initializer_list<std::pair<std::string_view, StreamingMode>> kStreamingModes = {
    {"off", StreamingMode::off},
    {"partial", StreamingMode::partial},
    {"block", StreamingMode::block},
    {"progress", StreamingMode::progress}};
const std::initializer_list<std::pair<std::string_view, ReplyToMode>> kReplyToModes = {
    {"off", ReplyToMode::off},
    {"first", ReplyToMode::first},
    {"all", ReplyToMode::all},
    {"batched", ReplyToMode::batched}};

// Telegram ids in allow lists: "tg:123" and "telegram:123" mean "123".
std::string normalize_telegram_sender(std::string_view entry) {
  std::string text(trim(entry));
  std::string lower = lowercase_trimmed(text);
  for (std::string_view prefix : {"telegram:", "tg:"}) {
    if (lower.starts_with(prefix)) {
      return std::string(trim(std::string_view(text).substr(prefix.size())));
    }
  }
  return text;
}

void read_sender_list(ConfigReader& r, std::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> entries;
  r.string_list(key, entries);
  out.clear();
  for (const auto& entry : entries) {
    std::string id = normalize_telegram_sender(entry);
    if (!id.empty()) {
      out.push_back(std::move(id));
    }
  }
}

void read_group(ConfigReader& g, ChannelGroupConfig& out, bool allow_topics) {
  bool value = false;
  if (g.has("enabled")) {
    g.boolean("enabled", value);
    out.enabled = value;
  }
  if (g.has("requireMention")) {
    g.boolean("requireMention", value);
    out.require_mention = value;
  }
  if (g.has("groupPolicy")) {
    GroupPolicy policy = GroupPolicy::allowlist;
    g.one_of("groupPolicy", policy, kGroupPolicies);
    out.group_policy = policy;
  }
  if (g.has("allowFrom")) {
    std::vector<std::string> senders;
    read_sender_list(g, "allowFrom", senders);
    out.allow_from = std::move(senders);
  }
  g.string("systemPrompt", out.system_prompt);
  if (allow_topics) {
    ConfigReader topics = g.object("topics");
    for (const auto& id : topics.keys()) {
      ConfigReader t = topics.object(id);
      if (t.present()) {
        read_group(t, out.topics[std::string(trim(id))], false);
      }
    }
    topics.finish();
  }
  g.finish();
}

std::map<std::string, ChannelGroupConfig> read_groups(ConfigReader& r) {
  std::map<std::string, ChannelGroupConfig> groups;
  ConfigReader g = r.object("groups");
  for (const auto& id : g.keys()) {
    ConfigReader entry = g.object(id);
    if (entry.present()) {
      read_group(entry, groups[std::string(trim(id))], true);
    }
  }
  g.finish();
  return groups;
}

// The keys one Telegram scope (the channel root or one account) may set, read over `out`.
void read_telegram_scope(ConfigReader& r, TelegramAccountConfig& out) {
  r.string("name", out.name);
  r.boolean("enabled", out.enabled);
  r.string("botToken", out.bot_token);
  r.string("tokenFile", out.token_file);
  r.one_of("dmPolicy", out.dm_policy, kDmPolicies);
  if (r.has("allowFrom")) {
    read_sender_list(r, "allowFrom", out.allow_from);
  }
  r.one_of("groupPolicy", out.group_policy, kGroupPolicies);
  if (r.has("groupAllowFrom")) {
    std::vector<std::string> senders;
    read_sender_list(r, "groupAllowFrom", senders);
    out.group_allow_from = std::move(senders);
  }
  if (r.has("groups")) {
    out.groups = read_groups(r);
  }
  if (const json::value* streaming = r.take("streaming"); streaming != nullptr) {
    if (streaming->is_string()) {
      json::object wrapped{{"mode", *streaming}};
      json::value holder = wrapped;
      std::vector<ConfigIssue> ignored;
      ConfigReader s(&holder, {}, ignored);
      s.one_of("mode", out.streaming, kStreamingModes);
      if (!ignored.empty()) {
        r.error("streaming", "expected off | partial | block | progress");
      }
    } else if (streaming->is_object()) {
      ConfigReader s = r.object("streaming");
      s.one_of("mode", out.streaming, kStreamingModes);
      s.finish();
    } else {
      r.error("streaming",
              "expected \"off\" | \"partial\" | \"block\" | \"progress\" or {mode}, "
              "got " +
                  describe_value(*streaming));
    }
  }
  r.integer("textChunkLimit", out.text_chunk_limit, 1, 4096);
  r.one_of("replyToMode", out.reply_to_mode, kReplyToModes);
  r.boolean("linkPreview", out.link_preview);
  if (r.has("markdown")) {
    ConfigReader m = r.object("markdown");
    std::string tables;
    m.string("tables", tables);
    tables = lowercase_trimmed(tables);
    if (!tables.empty() && tables != "off" && tables != "bullets" && tables != "code" &&
        tables != "block") {
      m.error("tables", "expected off | bullets | code | block, got \"" + tables + "\"");
    } else {
      out.markdown_tables = tables;
    }
    m.finish();
  }
  r.string("responsePrefix", out.response_prefix);
  r.string("apiRoot", out.api_root);
  r.string("proxy", out.proxy);
  r.string("webhookUrl", out.webhook_url);
  r.string("webhookSecret", out.webhook_secret);
  r.string("webhookPath", out.webhook_path);
  r.integer("mediaMaxMb", out.media_max_mb, 1, 2000);
  r.integer("historyLimit", out.history_limit, 0, 10'000);
  if (r.has("commands")) {
    ConfigReader c = r.object("commands");
    if (const json::value* native = c.take("native"); native != nullptr) {
      if (native->is_bool()) {
        out.native_commands = native->get_bool();
      } else if (native->is_string() && native->get_string() == "auto") {
        out.native_commands.reset();
      } else {
        c.error("native", "expected true, false or \"auto\", got " + describe_value(*native));
      }
    }
    c.finish();
  }
  if (r.has("customCommands")) {
    out.custom_commands.clear();
    for (ConfigReader& item : r.items("customCommands")) {
      TelegramCustomCommand command;
      item.string("command", command.command);
      item.string("description", command.description);
      if (trim(command.command).empty()) {
        item.error("command", "each custom command needs a command name");
      } else {
        out.custom_commands.push_back(std::move(command));
      }
      item.finish();
    }
  }
  if (r.has("actions")) {
    ConfigReader a = r.object("actions");
    a.boolean("sendMessage", out.actions.send_message);
    a.boolean("editMessage", out.actions.edit_message);
    a.boolean("deleteMessage", out.actions.delete_message);
    a.boolean("reactions", out.actions.reactions);
    a.boolean("sticker", out.actions.sticker);
    a.finish();
  }
}

void check_account(ConfigReader& r, const TelegramAccountConfig& account) {
  std::string at = account.account_id == "default" && !r.has("accounts")
                       ? std::string()
                       : "accounts." + account.account_id + ".";
  bool wildcard = std::find(account.allow_from.begin(), account.allow_from.end(), "*") !=
                  account.allow_from.end();
  if (account.dm_policy == DmPolicy::allowlist && account.allow_from.empty()) {
    r.error_at(r.path() + "." + at + "allowFrom",
               "dmPolicy \"allowlist\" with no allowFrom entries blocks every DM: add your "
               "numeric Telegram user id, or use dmPolicy \"pairing\"");
  }
  if (account.dm_policy == DmPolicy::open && !wildcard) {
    r.error_at(r.path() + "." + at + "allowFrom",
               "dmPolicy \"open\" needs allowFrom to include \"*\" (anyone who finds the bot can "
               "use it); use \"allowlist\" to admit only listed ids");
  }
  std::string root = account.api_root;
  if (!root.starts_with("http://") && !root.starts_with("https://")) {
    r.error_at(r.path() + "." + at + "apiRoot",
               "expected an http(s) URL such as \"https://api.telegram.org\"");
  }
  if (root.find("/bot") != std::string::npos) {
    r.error_at(r.path() + "." + at + "apiRoot",
               "apiRoot is the Bot API root only: remove the \"/bot<token>\" part");
  }
  if (!account.webhook_path.starts_with("/")) {
    r.error_at(r.path() + "." + at + "webhookPath", "expected a path starting with \"/\"");
  }
}

void read_telegram(ConfigReader& channels, std::optional<GroupPolicy> default_group_policy,
                   TelegramConfig& out) {
  ConfigReader r = channels.object("telegram");
  if (!r.present()) {
    return;
  }
  out.configured = true;
  TelegramAccountConfig root;
  // channels.defaults.groupPolicy fills in only where the channel itself is silent.
  root.group_policy = default_group_policy.value_or(GroupPolicy::allowlist);
  read_telegram_scope(r, root);
  out.enabled = root.enabled;
  r.string("defaultAccount", out.default_account);
  out.default_account = lowercase_trimmed(out.default_account);
  ConfigReader accounts = r.object("accounts");
  for (const auto& key : accounts.keys()) {
    ConfigReader a = accounts.object(key);
    if (!a.present()) {
      continue;
    }
    TelegramAccountConfig account = root;
    account.enabled = true;  // the root's enabled switches the whole channel
    account.account_id = lowercase_trimmed(key);
    read_telegram_scope(a, account);
    a.finish();
    out.accounts[account.account_id] = std::move(account);
  }
  accounts.finish();
  if (out.accounts.empty()) {
    root.account_id = "default";
    out.accounts["default"] = root;
  } else if (!out.accounts.contains(out.default_account)) {
    if (r.has("defaultAccount")) {
      r.error("defaultAccount", "no account \"" + out.default_account + "\" under accounts");
    }
    out.default_account = out.accounts.begin()->first;
  }
  for (const auto& [id, account] : out.accounts) {
    check_account(r, account);
  }
  r.finish();
}

}  // namespace

namespace detail {

void read_channels(ConfigReader& root, ChannelsConfig& out) {
  ConfigReader channels = root.object("channels");
  ConfigReader defaults = channels.object("defaults");
  if (defaults.has("groupPolicy")) {
    GroupPolicy policy = GroupPolicy::allowlist;
    defaults.one_of("groupPolicy", policy, kGroupPolicies);
    out.default_group_policy = policy;
  }
  defaults.finish();
  read_telegram(channels, out.default_group_policy, out.telegram);
  channels.finish();
}

}  // namespace detail

std::string_view to_string(DmPolicy policy) {
  switch (policy) {
    case DmPolicy::pairing:
      return "pairing";
    case DmPolicy::allowlist:
      return "allowlist";
    case DmPolicy::open:
      return "open";
    case DmPolicy::disabled:
      return "disabled";
  }
  return "pairing";
}

std::string_view to_string(GroupPolicy policy) {
  switch (policy) {
    case GroupPolicy::open:
      return "open";
    case GroupPolicy::allowlist:
      return "allowlist";
    case GroupPolicy::disabled:
      return "disabled";
  }
  return "allowlist";
}

std::string_view to_string(StreamingMode mode) {
  switch (mode) {
    case StreamingMode::off:
      return "off";
    case StreamingMode::partial:
      return "partial";
    case StreamingMode::block:
      return "block";
    case StreamingMode::progress:
      return "progress";
  }
  return "progress";
}

}  // namespace pincer::core
