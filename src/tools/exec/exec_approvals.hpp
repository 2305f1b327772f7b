#pragma once
// Exec approvals: the policy that decides whether a host command may run (docs:
// tools/exec-approvals.md, cli/approvals.md).
//
// Two inputs make the effective policy: the requested policy from config (`tools.exec.security`,
// `tools.exec.ask`) and the host approvals document (`defaults` and per-agent `agents.<id>`
// overrides with an allowlist). The stricter of the two wins: approvals can tighten config,
// never loosen it. `decide` then parses the command text (command_parser.hpp) and checks every
// simple command it would run - chains, substitutions and the commands inside wrappers - against
// the allowlist; one miss, or text it cannot follow, means ask (when `ask` is not off) or deny.
//
// Pure functions and plain data: no I/O, no clock (times are passed in as Unix ms). Loading and
// storing the document, and asking a person, live elsewhere (approval_broker.hpp).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/result.hpp"
#include "tools/exec/command_parser.hpp"

namespace pincer::tools::exec {

// `security`: deny < allowlist < full (in that order of permissiveness).
enum class ExecSecurity { deny, allowlist, full };
// `ask`: off < on-miss < always (in that order of strictness).
enum class ExecAsk { off, on_miss, always };

std::string_view to_string(ExecSecurity security);
std::string_view to_string(ExecAsk ask);
std::optional<ExecSecurity> parse_exec_security(std::string_view text);
std::optional<ExecAsk> parse_exec_ask(std::string_view text);

inline constexpr std::string_view kAllowAlwaysSource = "allow-always";

// One allowlist entry, as stored in the approvals document.
struct AllowlistEntry {
  std::string id;  // stable opaque id; a UUID is generated on load when absent
  std::string
      pattern;  // resolved binary path glob ("~/bin/*", "/usr/bin/rg") or bare name glob ("rg")
  std::optional<std::string> arg_pattern;  // ECMAScript regex over the arguments joined by spaces
  std::optional<std::string> source;       // "allow-always" for generated entries
  std::optional<int64_t> last_used_at;     // Unix ms
  std::optional<std::string> last_used_command;
  std::optional<std::string> last_resolved_path;
};

// The policy fields shared by `defaults` and each agent; omitted fields fall through.
struct ApprovalsPolicyFields {
  std::optional<ExecSecurity> security;
  std::optional<ExecAsk> ask;
  std::optional<ExecSecurity> ask_fallback;
  std::optional<bool> auto_allow_skills;
};

struct AgentApprovals {
  ApprovalsPolicyFields policy;
  std::vector<AllowlistEntry> allowlist;
  boost::json::array mcp_tools;  // kept as read, so a round trip preserves MCP grants
};

// The host approvals document ({"version": 1, "socket", "defaults", "agents"}).
struct ExecApprovalsFile {
  int version = 1;
  std::optional<std::string> socket_path;
  std::optional<std::string> socket_token;
  ApprovalsPolicyFields defaults;
  std::map<std::string, AgentApprovals, std::less<>> agents;

  // Validates untrusted JSON: errors name the field. Legacy `agents.default` moves to
  // `agents.main`; legacy `commandText` is dropped; null `lastUsedAt`/`lastUsedCommand` are absent;
  // entries without an id get a UUID.
  static Result<ExecApprovalsFile> from_json(const boost::json::value& json);
  boost::json::object to_json() const;
};

// `tools.exec.*` from config: what the caller asks for.
struct RequestedExecPolicy {
  std::optional<ExecSecurity> security;
  std::optional<ExecAsk> ask;
};

// The policy one agent's command is judged by.
struct ExecPolicy {
  ExecSecurity security = ExecSecurity::full;
  ExecAsk ask = ExecAsk::off;
  ExecSecurity ask_fallback = ExecSecurity::deny;
  bool auto_allow_skills = false;
  std::vector<AllowlistEntry> allowlist;
};

// The stricter of config and the approvals document, for `agent_id` (agent fields override
// defaults; omitted approvals fields use the config value; nothing set = full / off / deny).
ExecPolicy effective_policy(const ExecApprovalsFile& file, std::string_view agent_id,
                            const RequestedExecPolicy& requested);

// Where and as whom the command would run: what resolving executables needs.
struct DecisionContext {
  std::string cwd;   // absolute; resolves ./x and x/y
  std::string home;  // expands ~ in commands and patterns
  // PATH lookup of a bare command name to an absolute path; empty or nullopt = unknown.
  std::function<std::optional<std::string>(std::string_view name)> which;
  std::vector<std::string> skill_bins;  // bare names treated as allowlisted when auto_allow_skills
};

// How one simple command's executable resolves.
struct ResolvedExecutable {
  std::string name;                 // the command word as written (after quote removal)
  std::optional<std::string> path;  // absolute, lexically normalised; nullopt when unknown
  bool via_path = false;            // invoked by bare name (looked up on PATH)
};

// nullopt when the command word is only known at run time ($CMD, globs, ~user).
std::optional<ResolvedExecutable> resolve_executable(const SimpleCommand& command,
                                                     const DecisionContext& context);

// Glob as allowlist patterns use it: `*` and `?` stay within one path segment, `**` crosses
// segments, `[...]` is a class (`!` or `^` negates).
bool glob_match(std::string_view pattern, std::string_view text);

// Whether `entry` allows `command` (path or bare-name glob, then argPattern if any).
bool entry_matches(const AllowlistEntry& entry, const SimpleCommand& command,
                   const ResolvedExecutable& executable, const DecisionContext& context);

enum class Verdict { allow, deny, ask };
std::string_view to_string(Verdict verdict);

struct ExecDecision {
  Verdict verdict = Verdict::deny;
  std::string reason;                // why deny or ask; empty for a plain allow
  std::vector<std::string> misses;   // each command that missed the allowlist, with why
  std::vector<std::size_t> matched;  // indexes into ExecPolicy::allowlist that allowed commands
  bool allowlist_satisfied = false;  // parsed, and every command matched (any security level)
  ParseResult parsed;
};

// The decision for running `command_text` under `policy`:
//   security deny  -> deny;
//   security full  -> allow (ask when ask=always);
//   allowlist      -> every simple command must match an entry (elevated commands also need
//                     their sudo/doas allowlisted); a miss or unparseable text asks (ask != off)
//                     or denies (ask=off); all matched -> allow (ask when ask=always).
// Text that runs nothing is denied.
ExecDecision decide(const ExecPolicy& policy, std::string_view command_text,
                    const DecisionContext& context);

// What an `ask` becomes when no reviewer answered (no UI, or the request timed out), per
// `askFallback`: deny -> deny; allowlist -> allow only if the allowlist was satisfied;
// full -> allow unless security=allowlist left a miss (allowlist limits still apply).
Verdict resolve_ask_fallback(const ExecPolicy& policy, const ExecDecision& decision);

// The entries "allow always" adds for an approved command: one per simple command that the
// policy's allowlist does not already match, keyed by its resolved path (bare name when the
// PATH lookup is unknown), `source: "allow-always"`. With `exact_args`, each entry also gets an
// argPattern matching exactly these arguments. Fails for text that cannot be parsed and for
// command words known only at run time: there is nothing stable to trust.
Result<std::vector<AllowlistEntry>> allow_always_entries(const ExecPolicy& policy,
                                                         std::string_view command_text,
                                                         const DecisionContext& context,
                                                         int64_t now_ms, bool exact_args = false);

// Adds allow_always_entries() to `agents.<agent_id>.allowlist` (creating the agent), skipping
// entries with the same pattern and argPattern. Returns how many were added.
Result<std::size_t> add_allow_always(ExecApprovalsFile& file, std::string_view agent_id,
                                     const ExecPolicy& policy, std::string_view command_text,
                                     const DecisionContext& context, int64_t now_ms,
                                     bool exact_args = false);

// Stamps lastUsedAt / lastUsedCommand / lastResolvedPath on the agent's entries that allowed
// `decision` (matched by id). Returns how many were updated.
std::size_t record_allowlist_use(ExecApprovalsFile& file, std::string_view agent_id,
                                 const ExecPolicy& policy, const ExecDecision& decision,
                                 const DecisionContext& context, int64_t now_ms);

}  // namespace pincer::tools::exec
