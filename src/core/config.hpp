#pragma once
// Pincer's configuration: typed structs with defaults, read from pincer.json (JSON5).
//
// Key names follow the reference system's config wherever the feature is the same, so an
// existing config mostly carries over. Sections Pincer implements are typed and validated here;
// keys the reference knows but Pincer does not use yet are accepted (and listed as notes by
// `pincer config validate --verbose`); keys nobody knows produce a warning, never a failure.
// Later subsystems add their own section structs to Config.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/config_issue.hpp"
#include "core/log.hpp"
#include "core/paths.hpp"
#include "core/redact.hpp"

namespace pincer::core {

enum class BindMode { loopback, lan, auto_, custom, tailnet };
enum class AuthMode { token, password, none, trusted_proxy };
enum class ReloadMode { hybrid, off };
enum class ConsoleStyle { pretty, json };

struct GatewayAuthRateLimit {
  int64_t max_attempts = 10;
  int64_t window_ms = 60'000;
  int64_t lockout_ms = 300'000;
  bool exempt_loopback = true;
};

// gateway.auth.trustedProxy: how an identity-aware reverse proxy names the user it
// authenticated. Read only from connections whose peer is in gateway.trustedProxies.
struct TrustedProxyAuthConfig {
  std::string user_header;                    // e.g. "x-forwarded-user"; required in that mode
  std::vector<std::string> required_headers;  // must be present and non-blank
  std::vector<std::string> allow_users;       // empty: any user the proxy authenticated
  bool allow_loopback = false;                // trust a proxy on this host (127.0.0.1, ::1)
};

struct GatewayAuthConfig {
  AuthMode mode = AuthMode::token;
  std::string token;  // may come from ${PINCER_GATEWAY_TOKEN}
  std::string password;
  GatewayAuthRateLimit rate_limit;
  TrustedProxyAuthConfig trusted_proxy;
  // Accepted for the reference's configs; Pincer does not grant tokenless Tailscale identity
  // (that needs `tailscale whois` verification, which it does not do).
  bool allow_tailscale = false;
};

struct GatewayConfig {
  static constexpr int64_t kDefaultPort = 18789;
  int64_t port = kDefaultPort;
  BindMode bind = BindMode::loopback;
  std::string custom_bind_host;  // used when bind == custom
  GatewayAuthConfig auth;
  ReloadMode reload = ReloadMode::hybrid;
  bool control_ui_enabled = true;
  std::string control_ui_base_path = "/";
  // Browser origins allowed to open the WebSocket besides private same-origin loads
  // ("https://control.example.com", or "*" for any).
  std::vector<std::string> control_ui_allowed_origins;
  // Accept any same-origin load (Origin matches Host) even for public host names.
  bool control_ui_allow_host_header_origin_fallback = false;
  // Reverse proxies (IPs or CIDRs) whose X-Forwarded-For and identity headers are believed.
  std::vector<std::string> trusted_proxies;
  bool allow_real_ip_fallback = false;  // X-Real-IP when a trusted proxy sends no X-Forwarded-For
  // gateway.http.endpoints.chatCompletions.enabled: the OpenAI-compatible /v1/chat/completions
  // and /v1/models on the gateway port (full operator access for whoever holds the secret).
  bool chat_completions_enabled = false;
};

struct LoggingConfig {
  LogLevel level = LogLevel::info;
  std::optional<LogLevel> console_level;  // defaults to level
  ConsoleStyle console_style = ConsoleStyle::pretty;
  std::string file;  // empty: <state>/logs/pincer.log
  int64_t max_file_bytes = int64_t{10} * 1024 * 1024;
  RedactMode redact_sensitive = RedactMode::tools;
  std::vector<std::string> redact_patterns;
};

struct EnvConfig {
  std::map<std::string, std::string> vars;  // applied to the process unless already set
};

struct ModelSelection {
  std::string primary;  // "provider/model"
  std::vector<std::string> fallbacks;
};

// agents.defaults.compaction: summarising older turns when the history outgrows the context.
struct CompactionConfig {
  bool enabled = true;
  std::optional<int64_t> keep_recent_tokens;  // unset: the runner's share of the window
  std::string model;                          // "provider/model"; empty: the turn's model
};

struct AgentDefaults {
  std::string workspace;  // empty: <state>/workspace
  ModelSelection model;
  // off | minimal | low | medium | high (the /think levels); empty: off
  std::string thinking_default;
  CompactionConfig compaction;
  int64_t bootstrap_max_chars = 20'000;        // one workspace file in the system prompt
  int64_t bootstrap_total_max_chars = 60'000;  // all of them together
  int64_t max_concurrent = 4;
  int64_t timeout_seconds = 600;
  std::string user_timezone;  // IANA name; empty: the host's zone
};

// One configured agent: `agents.entries.<id>` (keyed) or an `agents.list[]` item (older
// rosters). Only what routing and the runner need is typed; the whole entry stays in `raw`.
struct AgentEntry {
  std::string id;  // normalized: lowercase [a-z0-9_-], see normalize_agent_id
  bool is_default = false;
  std::string name;
  std::string workspace;  // empty: agents.defaults.workspace / <state>/workspace-<id>
  std::string agent_dir;
  std::optional<ModelSelection> model;  // unset: agents.defaults.model
  // groupChat.mentionPatterns: replaces messages.groupChat.mentionPatterns for this agent.
  std::optional<std::vector<std::string>> mention_patterns;
  boost::json::value raw = boost::json::object();
};

struct AgentsConfig {
  AgentDefaults defaults;
  std::vector<AgentEntry> list;  // config order: entries first, then list items
};

// ---- session.* -------------------------------------------------------------------------------

enum class SessionScope { per_sender, global };
enum class DmScope { main, per_peer, per_channel_peer, per_account_channel_peer };
enum class GroupScope { per_group, main };
enum class ResetMode { none, daily, idle };
enum class MaintenanceMode { enforce, warn };

// When a session stops being fresh. `daily` rolls at `at_hour` local time (and also after
// `idle_minutes` when set: whichever expires first); `idle` after `idle_minutes` without a real
// interaction.
struct ResetPolicy {
  static constexpr int64_t kDefaultAtHour = 4;
  static constexpr int64_t kDefaultIdleMinutes = 60;
  ResetMode mode = ResetMode::none;
  int64_t at_hour = kDefaultAtHour;
  std::optional<int64_t> idle_minutes;
};

struct ResetByType {
  std::optional<ResetPolicy> direct;
  std::optional<ResetPolicy> group;
  std::optional<ResetPolicy> thread;
};

struct SessionMaintenanceConfig {
  static constexpr int64_t kDay = int64_t{24} * 60 * 60 * 1000;
  MaintenanceMode mode = MaintenanceMode::enforce;
  int64_t prune_after_ms = 30 * kDay;
  std::optional<int64_t> archive_dashboard_after_ms = 7 * kDay;  // unset: false / 0
  int64_t max_entries = 5000;
  std::optional<int64_t> preserve_recent_ms;          // unset: false / omitted
  std::optional<int64_t> reset_archive_retention_ms;  // unset: keep until the disk budget
  std::optional<int64_t> max_disk_bytes = int64_t{10} * 1024 * 1024 * 1024;  // unset: disabled
  std::optional<int64_t> high_water_bytes;  // unset: 80% of max_disk_bytes
};

struct SessionConfig {
  SessionScope scope = SessionScope::per_sender;
  DmScope dm_scope = DmScope::main;
  GroupScope group_scope = GroupScope::per_group;
  // Canonical person id -> the "channel:peerId" identities that are that person, so one
  // person's DMs on several channels share one session.
  std::map<std::string, std::vector<std::string>> identity_links;
  ResetPolicy reset;
  ResetByType reset_by_type;
  std::map<std::string, ResetPolicy> reset_by_channel;  // keyed by channel id
  std::vector<std::string> reset_triggers = {"/new", "/reset"};
  SessionMaintenanceConfig maintenance;
};

// ---- bindings[] ------------------------------------------------------------------------------

enum class BindingType { route, acp };
enum class PeerKind { direct, group, channel };

struct BindingPeer {
  PeerKind kind = PeerKind::direct;
  std::string id;  // "*" matches any peer of `kind`
};

struct BindingMatch {
  std::string channel;                    // required, lowercased
  std::optional<std::string> account_id;  // unset: the channel's default account; "*": any
  std::optional<BindingPeer> peer;
  std::string guild_id;            // empty: not constrained
  std::string team_id;             // empty: not constrained
  std::vector<std::string> roles;  // any one of them (with the guild)
};

struct BindingSession {
  std::optional<DmScope> dm_scope;
  std::optional<GroupScope> group_scope;
};

struct Binding {
  BindingType type = BindingType::route;
  std::string agent_id;  // normalized
  BindingMatch match;
  BindingSession session;
  std::string comment;
};

// ---- messages.queue --------------------------------------------------------------------------

// What an inbound message does while its session already has a run (docs: concepts/queue.md).
enum class QueueMode { steer, followup, collect, interrupt };
// What happens when a session's queue is over `cap`.
enum class QueueDrop { summarize, old, new_ };

struct QueueConfig {
  static constexpr int64_t kDefaultDebounceMs = 500;
  static constexpr int64_t kDefaultCap = 20;
  QueueMode mode = QueueMode::steer;
  int64_t debounce_ms = kDefaultDebounceMs;
  int64_t cap = kDefaultCap;
  QueueDrop drop = QueueDrop::summarize;
  std::map<std::string, QueueMode> by_channel;
  std::map<std::string, int64_t> debounce_ms_by_channel;
};

// messages.groupChat: how group messages reach the agent.
struct GroupChatConfig {
  // Case-insensitive regular expressions; a group message matching one counts as a mention.
  std::vector<std::string> mention_patterns;
  int64_t history_limit = 50;
};

struct MessagesConfig {
  QueueConfig queue;
  GroupChatConfig group_chat;
};

// ---- models.* and auth.* ----------------------------------------------------------------------
// Prices in US dollars per million tokens.
struct ModelCost {
  double input = 0;
  double output = 0;
  double cache_read = 0;
  double cache_write = 0;
};

// One models.providers.<id>.models[] entry.
struct ModelDefinition {
  std::string id;
  std::string name;
  std::string api;  // overrides the provider's api for this model
  std::optional<int64_t> context_window;
  std::optional<int64_t> context_tokens;  // cap on active input below the native window
  std::optional<int64_t> max_tokens;
  std::optional<bool> reasoning;
  std::vector<std::string> input;  // "text", "image"
  std::optional<ModelCost> cost;
  boost::json::object params;  // temperature, maxTokens, extraBody ...
};

// models.providers.<id>: a custom endpoint or overrides for a built-in provider.
struct ModelProviderConfig {
  std::string id;
  std::string base_url;
  std::string api_key;  // may come from ${ENV}
  std::string api;      // anthropic-messages | openai-completions | openai-responses |
                        // google-generative-ai | ollama
  std::map<std::string, std::string> headers;
  std::vector<ModelDefinition> models;
  std::optional<int64_t> timeout_seconds;
};

enum class ModelsMode { merge, replace };

struct ModelsConfig {
  ModelsMode mode = ModelsMode::merge;  // replace: only configured providers exist
  std::map<std::string, ModelProviderConfig> providers;
};

// auth.profiles.<id>: metadata and routing only; the secrets live in state.db.
struct AuthProfileConfig {
  std::string id;
  std::string provider;
  std::string mode;  // api_key | token | oauth
  std::string email;
  std::string display_name;
};

struct AuthConfig {
  std::map<std::string, AuthProfileConfig> profiles;
  std::map<std::string, std::vector<std::string>> order;  // provider -> profile ids
};

// ---- channels.* -------------------------------------------------------------------------------

// Who may start a conversation in a DM (docs: channels/pairing.md).
enum class DmPolicy { pairing, allowlist, open, disabled };
// Which groups (and senders in them) the bot answers.
enum class GroupPolicy { open, allowlist, disabled };
// How a reply reaches the chat while it is written: one edited preview message (partial), whole
// blocks as they complete (block), a progress line (progress), or only the final text (off).
enum class StreamingMode { off, partial, block, progress };
enum class ReplyToMode { off, first, all, batched };

// channels.<channel>.groups.<chatId> and .topics.<topicId>: unset fields inherit.
struct ChannelGroupConfig {
  std::optional<bool> enabled;
  std::optional<bool> require_mention;
  std::optional<GroupPolicy> group_policy;
  std::optional<std::vector<std::string>> allow_from;
  std::string system_prompt;
  std::map<std::string, ChannelGroupConfig> topics;  // "*" applies to unlisted topics
};

// One Telegram bot, with the channel root's settings already applied where the account is
// silent (docs: channels/telegram, gateway/config-channels/shared-policies.md).
// A command menu entry (customCommands); menu only, it implements nothing.
struct TelegramCustomCommand {
  std::string command;  // as written; normalized when the menu is built
  std::string description;
};

// Which message actions (message.action, the message tool) the account allows
// (channels.telegram.actions.*).
struct TelegramActionsConfig {
  bool send_message = true;
  bool edit_message = true;
  bool delete_message = true;
  bool reactions = true;
  bool sticker = false;
};

struct TelegramAccountConfig {
  static constexpr int64_t kDefaultTextChunkLimit = 4000;
  std::string account_id;
  std::string name;
  bool enabled = true;
  // botToken; when empty the channel reads token_file, then (default account only)
  // TELEGRAM_BOT_TOKEN when it starts the account.
  std::string bot_token;
  std::string token_file;
  DmPolicy dm_policy = DmPolicy::pairing;
  std::vector<std::string> allow_from;  // normalized: "tg:"/"telegram:" prefixes dropped
  GroupPolicy group_policy = GroupPolicy::allowlist;
  std::optional<std::vector<std::string>> group_allow_from;  // unset: allow_from
  // Unset: no group is allowed by id (open policy still admits all groups).
  std::optional<std::map<std::string, ChannelGroupConfig>> groups;
  StreamingMode streaming = StreamingMode::progress;
  int64_t text_chunk_limit = kDefaultTextChunkLimit;
  ReplyToMode reply_to_mode = ReplyToMode::off;
  bool link_preview = true;
  std::string markdown_tables;  // off | bullets | code | block; empty: the channel default
  std::string response_prefix;
  std::string api_root = "https://api.telegram.org";
  std::string proxy;
  std::string webhook_url;     // set: webhook mode instead of long polling
  std::string webhook_secret;  // X-Telegram-Bot-Api-Secret-Token
  std::string webhook_path = "/telegram-webhook";
  int64_t media_max_mb = 100;
  int64_t history_limit = 50;
  // commands.native for this channel (true/false); unset or "auto": the global commands.native.
  std::optional<bool> native_commands;
  std::vector<TelegramCustomCommand> custom_commands;
  TelegramActionsConfig actions;
};

struct TelegramConfig {
  bool configured = false;  // channels.telegram is present
  bool enabled = true;
  std::string default_account = "default";
  std::map<std::string, TelegramAccountConfig> accounts;  // never empty when configured
};

struct ChannelsConfig {
  std::optional<GroupPolicy> default_group_policy;  // channels.defaults.groupPolicy
  TelegramConfig telegram;
};

// ---- commands.* ------------------------------------------------------------------------------

// Who may use owner-only commands and approve dangerous actions (docs: tools/slash-commands.md).
struct CommandsConfig {
  // "channel:id" entries, e.g. "telegram:123456789"; the first approved DM pairing writes the
  // first one when the list is empty. Empty: no command owner is configured.
  std::vector<std::string> owner_allow_from;
  // commands.native: register the built-in chat commands in channel menus. Unset ("auto"): on
  // for channels that have menus.
  std::optional<bool> native;
};

struct Config {
  GatewayConfig gateway;
  LoggingConfig logging;
  EnvConfig env;
  AgentsConfig agents;
  SessionConfig session;
  std::vector<Binding> bindings;
  MessagesConfig messages;
  ModelsConfig models;
  AuthConfig auth;
  ChannelsConfig channels;
  CommandsConfig commands;
  // The whole document after ${VAR} substitution, for sections other subsystems read
  // themselves (channels, models, ...) until they get typed structs here.
  boost::json::value raw = boost::json::object();
};

// Fills `out` from a parsed, env-substituted document (defaults where keys are absent) and
// returns every problem found: errors (the config must not be used), warnings (unknown keys,
// missing env vars) and notes (reference keys Pincer does not use yet).
std::vector<ConfigIssue> read_config(const boost::json::value& document, Config& out);

// The typed settings of `config` as a config document (secrets left out), e.g. to show the
// default that applies to a key the file does not set.
boost::json::value typed_settings_json(const Config& config);

// The gateway's active log file: logging.file (with ~ expanded) or <state>/logs/pincer.log.
std::filesystem::path log_file_path(const LoggingConfig& logging, const StatePaths& paths,
                                    const EnvLookup& env);

std::string_view to_string(BindMode mode);
std::string_view to_string(AuthMode mode);
std::string_view to_string(DmScope scope);
std::string_view to_string(GroupScope scope);
std::string_view to_string(ResetMode mode);
std::string_view to_string(QueueMode mode);
std::string_view to_string(QueueDrop drop);
std::string_view to_string(PeerKind kind);
std::string_view to_string(DmPolicy policy);
std::string_view to_string(GroupPolicy policy);
std::string_view to_string(StreamingMode mode);

// The agent id the reference would use for `text`: trimmed, lowercased, every run of characters
// outside [a-z0-9_-] replaced by one "-", leading/trailing "-" dropped, at most 64 characters;
// "main" when nothing is left.
std::string normalize_agent_id(std::string_view text);

// The agent that answers when no binding matches: the `default: true` entry, else the first
// configured agent, else "main".
std::string default_agent_id(const AgentsConfig& agents);

}  // namespace pincer::core
