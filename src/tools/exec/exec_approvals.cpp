#include "tools/exec/exec_approvals.hpp"

#include <algorithm>
#include <regex>
#include <utility>

#include "core/ids.hpp"

namespace pincer::tools::exec {
namespace {

namespace json = boost::json;

// ---- JSON reading ----------------------------------------------------------------------------

struct Reader {
  std::string error;

  bool fail(std::string field, std::string why) {
    if (error.empty()) {
      error = std::move(field) + ": " + std::move(why);
    }
    return false;
  }

  bool string(const json::object& o, std::string_view key, const std::string& field,
              std::optional<std::string>& out, bool null_is_absent = false) {
    auto* v = o.if_contains(key);
    if (!v || (null_is_absent && v->is_null())) {
      return true;
    }
    if (!v->is_string()) {
      return fail(field, "expected a string");
    }
    out = std::string(v->as_string());
    return true;
  }

  bool boolean(const json::object& o, std::string_view key, const std::string& field,
               std::optional<bool>& out) {
    auto* v = o.if_contains(key);
    if (!v) {
      return true;
    }
    if (!v->is_bool()) {
      return fail(field, "expected true or false");
    }
    out = v->as_bool();
    return true;
  }

  bool unix_ms(const json::object& o, std::string_view key, const std::string& field,
               std::optional<int64_t>& out) {
    auto* v = o.if_contains(key);
    if (!v || v->is_null()) {
      return true;
    }
    if (v->is_int64() && v->as_int64() >= 0) {
      out = v->as_int64();
    } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
      out = static_cast<int64_t>(v->as_uint64());
    } else if (v->is_double() && v->as_double() >= 0 && v->as_double() < 9.2e18) {
      out = static_cast<int64_t>(v->as_double());
    } else {
      return fail(field, "expected Unix milliseconds (a number >= 0)");
    }
    return true;
  }

  bool policy(const json::object& o, const std::string& prefix, ApprovalsPolicyFields& out) {
    std::optional<std::string> security;
    std::optional<std::string> ask;
    std::optional<std::string> fallback;
    if (!string(o, "security", prefix + ".security", security) ||
        !string(o, "ask", prefix + ".ask", ask) ||
        !string(o, "askFallback", prefix + ".askFallback", fallback) ||
        !boolean(o, "autoAllowSkills", prefix + ".autoAllowSkills", out.auto_allow_skills)) {
      return false;
    }
    if (security && !(out.security = parse_exec_security(*security))) {
      return fail(prefix + ".security", "expected \"deny\", \"allowlist\" or \"full\"");
    }
    if (ask && !(out.ask = parse_exec_ask(*ask))) {
      return fail(prefix + ".ask", "expected \"off\", \"on-miss\" or \"always\"");
    }
    if (fallback && !(out.ask_fallback = parse_exec_security(*fallback))) {
      return fail(prefix + ".askFallback", "expected \"deny\", \"allowlist\" or \"full\"");
    }
    return true;
  }

  bool entry(const json::value& v, const std::string& field, AllowlistEntry& out) {
    if (!v.is_object()) {
      return fail(field, "expected an object");
    }
    const auto& o = v.as_object();
    std::optional<std::string> id;
    std::optional<std::string> pattern;
    if (!string(o, "id", field + ".id", id) || !string(o, "pattern", field + ".pattern", pattern) ||
        !string(o, "argPattern", field + ".argPattern", out.arg_pattern) ||
        !string(o, "source", field + ".source", out.source) ||
        !unix_ms(o, "lastUsedAt", field + ".lastUsedAt", out.last_used_at) ||
        !string(o, "lastUsedCommand", field + ".lastUsedCommand", out.last_used_command, true) ||
        !string(o, "lastResolvedPath", field + ".lastResolvedPath", out.last_resolved_path)) {
      return false;
    }
    if (!pattern || pattern->empty()) {
      return fail(field + ".pattern", "required");
    }
    if (out.source && *out.source != kAllowAlwaysSource) {
      return fail(field + ".source", "expected \"allow-always\" or no source");
    }
    out.pattern = std::move(*pattern);
    out.id = id && !id->empty() ? std::move(*id) : core::random_uuid();
    return true;
  }

  bool agent(const json::value& v, const std::string& field, AgentApprovals& out) {
    if (!v.is_object()) {
      return fail(field, "expected an object");
    }
    const auto& o = v.as_object();
    if (!policy(o, field, out.policy)) {
      return false;
    }
    if (auto* list = o.if_contains("allowlist")) {
      if (!list->is_array()) {
        return fail(field + ".allowlist", "expected an array");
      }
      std::size_t i = 0;
      for (const auto& item : list->as_array()) {
        AllowlistEntry e;
        if (!entry(item, field + ".allowlist[" + std::to_string(i++) + "]", e)) {
          return false;
        }
        out.allowlist.push_back(std::move(e));
      }
    }
    if (auto* mcp = o.if_contains("mcpTools")) {
      if (!mcp->is_array()) {
        return fail(field + ".mcpTools", "expected an array");
      }
      out.mcp_tools = mcp->as_array();
    }
    return true;
  }
};

void write_policy(json::object& o, const ApprovalsPolicyFields& p) {
  if (p.security)
    o["security"] = to_string(*p.security);
  if (p.ask)
    o["ask"] = to_string(*p.ask);
  if (p.ask_fallback)
    o["askFallback"] = to_string(*p.ask_fallback);
  if (p.auto_allow_skills)
    o["autoAllowSkills"] = *p.auto_allow_skills;
}

json::object entry_to_json(const AllowlistEntry& e) {
  json::object o;
  if (!e.id.empty())
    o["id"] = e.id;
  o["pattern"] = e.pattern;
  if (e.arg_pattern)
    o["argPattern"] = *e.arg_pattern;
  if (e.source)
    o["source"] = *e.source;
  if (e.last_used_at)
    o["lastUsedAt"] = *e.last_used_at;
  if (e.last_used_command)
    o["lastUsedCommand"] = *e.last_used_command;
  if (e.last_resolved_path)
    o["lastResolvedPath"] = *e.last_resolved_path;
  return o;
}

// ---- resolution and matching -----------------------------------------------------------------

// "/a/./b/../c" -> "/a/c"; relative paths are joined to `cwd` first.
std::string normalize_path(std::string_view path, std::string_view cwd) {
  std::string joined;
  if (!path.starts_with('/')) {
    joined = std::string(cwd.empty() ? "/" : cwd) + "/";
  }
  joined += path;
  std::vector<std::string_view> parts;
  std::string_view rest = joined;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      if (!parts.empty())
        parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

std::string expand_home(std::string_view text, std::string_view home) {
  if (text == "~" || text.starts_with("~/")) {
    return std::string(home) + std::string(text.substr(1));
  }
  return std::string(text);
}

bool class_match(std::string_view pattern, std::size_t& pi, char c, bool& ok) {
  // pattern[pi] == '['; on return pi is past ']'. ok=false when the class is malformed.
  std::size_t p = pi + 1;
  bool negate = false;
  if (p < pattern.size() && (pattern[p] == '!' || pattern[p] == '^')) {
    negate = true;
    ++p;
  }
  bool matched = false;
  bool first = true;
  for (; p < pattern.size() && (first || pattern[p] != ']'); first = false) {
    char lo = pattern[p];
    if (p + 2 < pattern.size() && pattern[p + 1] == '-' && pattern[p + 2] != ']') {
      char hi = pattern[p + 2];
      matched = matched || (c >= lo && c <= hi);
      p += 3;
    } else {
      matched = matched || c == lo;
      ++p;
    }
  }
  if (p >= pattern.size()) {
    ok = false;
    return false;
  }
  ok = true;
  pi = p + 1;
  return matched != negate;
}

bool glob_at(std::string_view pattern, std::size_t pi, std::string_view text, std::size_t ti,
             std::vector<signed char>& memo) {
  std::size_t key = pi * (text.size() + 1) + ti;
  if (memo[key] >= 0) {
    return memo[key] != 0;
  }
  bool result = false;
  if (pi == pattern.size()) {
    result = ti == text.size();
  } else if (pattern[pi] == '*') {
    bool globstar = pi + 1 < pattern.size() && pattern[pi + 1] == '*';
    std::size_t next = globstar ? pi + 2 : pi + 1;
    if (globstar && next < pattern.size() && pattern[next] == '/') {
      // "**/" also matches zero directories.
      result = glob_at(pattern, next + 1, text, ti, memo);
    }
    for (std::size_t t = ti; !result && t <= text.size(); ++t) {
      if (glob_at(pattern, next, text, t, memo)) {
        result = true;
      }
      if (t < text.size() && text[t] == '/' && !globstar) {
        break;
      }
    }
  } else if (ti < text.size()) {
    char c = text[ti];
    if (pattern[pi] == '?') {
      result = c != '/' && glob_at(pattern, pi + 1, text, ti + 1, memo);
    } else if (pattern[pi] == '[') {
      std::size_t p = pi;
      bool ok = false;
      bool in_class = class_match(pattern, p, c, ok);
      if (ok) {
        result = in_class && c != '/' && glob_at(pattern, p, text, ti + 1, memo);
      } else {
        result = c == '[' && glob_at(pattern, pi + 1, text, ti + 1, memo);
      }
    } else if (pattern[pi] == '\\' && pi + 1 < pattern.size()) {
      result = c == pattern[pi + 1] && glob_at(pattern, pi + 2, text, ti + 1, memo);
    } else {
      result = c == pattern[pi] && glob_at(pattern, pi + 1, text, ti + 1, memo);
    }
  }
  memo[key] = result ? 1 : 0;
  return result;
}

std::string regex_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}/").find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

std::string joined_args(const SimpleCommand& command) {
  std::string out;
  for (std::size_t i = 1; i < command.words.size(); ++i) {
    if (i > 1)
      out += ' ';
    out += command.words[i].text;
  }
  return out;
}

bool args_match(const std::string& arg_pattern, const SimpleCommand& command) {
  if (command.extra_args || arg_pattern.starts_with("sha256:")) {
    return false;  // arguments not all known now, or an encoding we cannot evaluate
  }
  for (std::size_t i = 1; i < command.words.size(); ++i) {
    if (command.words[i].is_dynamic()) {
      return false;
    }
  }
  try {
    std::regex re(arg_pattern, std::regex::ECMAScript);
    return std::regex_search(joined_args(command), re);
  } catch (const std::exception&) {
    return false;  // an invalid or runaway regex matches nothing
  }
}

std::string_view elevating_wrapper(const SimpleCommand& command) {
  for (const auto& w : command.wrappers) {
    if (w == "sudo" || w == "doas") {
      return w;
    }
  }
  return "sudo";
}

bool bare_name_allowed(const ExecPolicy& policy, std::string_view name,
                       const DecisionContext& context) {
  SimpleCommand probe;
  probe.words.push_back(ShellWord{.text = std::string(name)});
  ResolvedExecutable exe{.name = std::string(name), .path = std::nullopt, .via_path = true};
  if (context.which) {
    exe.path = context.which(name);
  }
  return std::any_of(policy.allowlist.begin(), policy.allowlist.end(), [&](const auto& e) {
    return !e.arg_pattern && entry_matches(e, probe, exe, context);
  });
}

// Checks one command against the allowlist; returns the matched entry or the reason it missed.
std::optional<std::size_t> check_command(const ExecPolicy& policy, const SimpleCommand& command,
                                         const DecisionContext& context, std::string& why) {
  auto exe = resolve_executable(command, context);
  if (!exe) {
    why = "'" + command.display() + "': the command word is only known at run time";
    return std::nullopt;
  }
  std::optional<std::size_t> match;
  for (std::size_t i = 0; i < policy.allowlist.size() && !match; ++i) {
    if (entry_matches(policy.allowlist[i], command, *exe, context)) {
      match = i;
    }
  }
  bool skill = policy.auto_allow_skills && exe->via_path &&
               std::find(context.skill_bins.begin(), context.skill_bins.end(), exe->name) !=
                   context.skill_bins.end();
  if (!match && !skill) {
    why = "'" + command.display() + "': " + (exe->path ? *exe->path : exe->name) +
          " is not allowlisted";
    return std::nullopt;
  }
  if (command.elevated) {
    std::string_view wrapper = elevating_wrapper(command);
    if (!bare_name_allowed(policy, wrapper, context)) {
      why = "'" + command.display() + "': runs elevated and " + std::string(wrapper) +
            " is not allowlisted";
      return std::nullopt;
    }
  }
  return match ? match : std::optional<std::size_t>(policy.allowlist.size());  // size = skill bin
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty())
      out += sep;
    out += item;
  }
  return out;
}

ExecDecision with(ExecDecision d, Verdict verdict, std::string reason) {
  d.verdict = verdict;
  d.reason = std::move(reason);
  return d;
}

}  // namespace

std::string_view to_string(ExecSecurity security) {
  switch (security) {
    case ExecSecurity::deny:
      return "deny";
    case ExecSecurity::allowlist:
      return "allowlist";
    case ExecSecurity::full:
      return "full";
  }
  return "deny";
}

std::string_view to_string(ExecAsk ask) {
  switch (ask) {
    case ExecAsk::off:
      return "off";
    case ExecAsk::on_miss:
      return "on-miss";
    case ExecAsk::always:
      return "always";
  }
  return "always";
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::allow:
      return "allow";
    case Verdict::deny:
      return "deny";
    case Verdict::ask:
      return "ask";
  }
  return "deny";
}

std::optional<ExecSecurity> parse_exec_security(std::string_view text) {
  if (text == "deny")
    return ExecSecurity::deny;
  if (text == "allowlist")
    return ExecSecurity::allowlist;
  if (text == "full")
    return ExecSecurity::full;
  return std::nullopt;
}

std::optional<ExecAsk> parse_exec_ask(std::string_view text) {
  if (text == "off")
    return ExecAsk::off;
  if (text == "on-miss")
    return ExecAsk::on_miss;
  if (text == "always")
    return ExecAsk::always;
  return std::nullopt;
}

Result<ExecApprovalsFile> ExecApprovalsFile::from_json(const json::value& value) {
  if (!value.is_object()) {
    return fail(Errc::config, "exec approvals: expected a JSON object",
                "write {\"version\": 1, \"defaults\": {...}, \"agents\": {...}}");
  }
  const auto& o = value.as_object();
  Reader r;
  ExecApprovalsFile file;
  auto* version = o.if_contains("version");
  if (!version || !version->is_number() || version->to_number<double>() != 1) {
    return fail(Errc::config, "exec approvals: version: expected 1");
  }
  if (auto* socket = o.if_contains("socket")) {
    if (!socket->is_object()) {
      r.fail("socket", "expected an object");
    } else {
      r.string(socket->as_object(), "path", "socket.path", file.socket_path);
      r.string(socket->as_object(), "token", "socket.token", file.socket_token);
    }
  }
  if (auto* defaults = o.if_contains("defaults")) {
    if (!defaults->is_object()) {
      r.fail("defaults", "expected an object");
    } else {
      r.policy(defaults->as_object(), "defaults", file.defaults);
    }
  }
  if (auto* agents = o.if_contains("agents")) {
    if (!agents->is_object()) {
      r.fail("agents", "expected an object");
    } else {
      for (const auto& [key, item] : agents->as_object()) {
        AgentApprovals agent;
        if (!r.agent(item, "agents." + std::string(key), agent)) {
          break;
        }
        std::string id = key == "default" ? "main" : std::string(key);
        auto [it, inserted] = file.agents.try_emplace(id, std::move(agent));
        if (!inserted && key == "default") {
          // Both `main` and legacy `default`: keep main's policy, merge the allowlists.
          auto& legacy = agent;
          it->second.allowlist.insert(it->second.allowlist.end(), legacy.allowlist.begin(),
                                      legacy.allowlist.end());
        } else if (!inserted) {
          auto& legacy = it->second;
          agent.allowlist.insert(agent.allowlist.end(), legacy.allowlist.begin(),
                                 legacy.allowlist.end());
          it->second = std::move(agent);
        }
      }
    }
  }
  if (!r.error.empty()) {
    return fail(Errc::config, "exec approvals: " + r.error);
  }
  return file;
}

json::object ExecApprovalsFile::to_json() const {
  json::object o;
  o["version"] = version;
  if (socket_path || socket_token) {
    json::object socket;
    if (socket_path)
      socket["path"] = *socket_path;
    if (socket_token)
      socket["token"] = *socket_token;
    o["socket"] = std::move(socket);
  }
  json::object defaults_json;
  write_policy(defaults_json, defaults);
  o["defaults"] = std::move(defaults_json);
  json::object agents_json;
  for (const auto& [id, agent] : agents) {
    json::object a;
    write_policy(a, agent.policy);
    json::array list;
    for (const auto& e : agent.allowlist) {
      list.push_back(entry_to_json(e));
    }
    a["allowlist"] = std::move(list);
    if (!agent.mcp_tools.empty()) {
      a["mcpTools"] = agent.mcp_tools;
    }
    agents_json[id] = std::move(a);
  }
  o["agents"] = std::move(agents_json);
  return o;
}

ExecPolicy effective_policy(const ExecApprovalsFile& file, std::string_view agent_id,
                            const RequestedExecPolicy& requested) {
  const AgentApprovals* agent = nullptr;
  if (auto it = file.agents.find(agent_id); it != file.agents.end()) {
    agent = &it->second;
  }
  auto pick = [&](auto member) {
    if (agent && (agent->policy.*member))
      return agent->policy.*member;
    return file.defaults.*member;
  };
  ExecPolicy policy;
  ExecSecurity configured = requested.security.value_or(ExecSecurity::full);
  ExecSecurity host = pick(&ApprovalsPolicyFields::security).value_or(configured);
  policy.security = std::min(configured, host);  // enum order: deny < allowlist < full
  ExecAsk configured_ask = requested.ask.value_or(ExecAsk::off);
  ExecAsk host_ask = pick(&ApprovalsPolicyFields::ask).value_or(configured_ask);
  policy.ask = std::max(configured_ask, host_ask);  // off < on-miss < always
  policy.ask_fallback = pick(&ApprovalsPolicyFields::ask_fallback).value_or(ExecSecurity::deny);
  policy.auto_allow_skills = pick(&ApprovalsPolicyFields::auto_allow_skills).value_or(false);
  if (agent) {
    policy.allowlist = agent->allowlist;
  }
  return policy;
}

std::optional<ResolvedExecutable> resolve_executable(const SimpleCommand& command,
                                                     const DecisionContext& context) {
  const ShellWord* word = command.executable();
  if (!word || word->is_dynamic() || word->text.empty()) {
    return std::nullopt;
  }
  ResolvedExecutable exe;
  exe.name = word->text;
  std::string text = word->text;
  if (word->has_tilde) {
    if (text != "~" && !text.starts_with("~/")) {
      return std::nullopt;  // ~user depends on the password database
    }
    if (context.home.empty()) {
      return std::nullopt;
    }
    text = expand_home(text, context.home);
  }
  if (text.find('/') != std::string::npos) {
    exe.path = normalize_path(text, context.cwd);
    return exe;
  }
  exe.via_path = true;
  if (context.which) {
    if (auto found = context.which(text); found && !found->empty()) {
      exe.path = normalize_path(*found, context.cwd);
    }
  }
  return exe;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.size() > 4096 || text.size() > 4096) {
    return pattern == text;
  }
  std::vector<signed char> memo((pattern.size() + 1) * (text.size() + 1), -1);
  return glob_at(pattern, 0, text, 0, memo);
}

bool entry_matches(const AllowlistEntry& entry, const SimpleCommand& command,
                   const ResolvedExecutable& executable, const DecisionContext& context) {
  if (entry.pattern.empty()) {
    return false;
  }
  std::string pattern = expand_home(entry.pattern, context.home);
  bool path_pattern = pattern.find('/') != std::string::npos;
  bool executable_match = false;
  if (path_pattern) {
    executable_match = executable.path && glob_match(pattern, *executable.path);
  } else {
    // Bare names match only commands looked up on PATH: `rg` is not ./rg.
    executable_match = executable.via_path && glob_match(pattern, executable.name);
  }
  if (!executable_match) {
    return false;
  }
  return !entry.arg_pattern || args_match(*entry.arg_pattern, command);
}

ExecDecision decide(const ExecPolicy& policy, std::string_view command_text,
                    const DecisionContext& context) {
  ExecDecision d;
  d.parsed = parse_command(command_text);
  bool ask_on_miss = policy.ask != ExecAsk::off;

  if (d.parsed.ok()) {
    bool runs_something = false;
    for (const auto& command : d.parsed.commands) {
      if (command.words.empty()) {
        continue;  // only assignments or redirections: nothing is executed
      }
      runs_something = true;
      std::string why;
      if (auto match = check_command(policy, command, context, why)) {
        if (*match < policy.allowlist.size() &&
            std::find(d.matched.begin(), d.matched.end(), *match) == d.matched.end()) {
          d.matched.push_back(*match);
        }
      } else {
        d.misses.push_back(std::move(why));
      }
    }
    if (!runs_something) {
      return with(std::move(d), Verdict::deny, "the command runs nothing");
    }
    d.allowlist_satisfied = d.misses.empty();
  }

  if (policy.security == ExecSecurity::deny) {
    return with(std::move(d), Verdict::deny, "host exec is disabled (security=deny)");
  }
  if (policy.security == ExecSecurity::full) {
    if (policy.ask == ExecAsk::always) {
      return with(std::move(d), Verdict::ask, "every command needs approval (ask=always)");
    }
    return with(std::move(d), Verdict::allow, "");
  }
  if (!d.parsed.ok()) {
    std::string why = "the command cannot be checked: " + *d.parsed.unparseable;
    return with(std::move(d), ask_on_miss ? Verdict::ask : Verdict::deny, std::move(why));
  }
  if (!d.misses.empty()) {
    std::string why = "not allowlisted: " + join(d.misses, "; ");
    return with(std::move(d), ask_on_miss ? Verdict::ask : Verdict::deny, std::move(why));
  }
  if (policy.ask == ExecAsk::always) {
    return with(std::move(d), Verdict::ask, "every command needs approval (ask=always)");
  }
  return with(std::move(d), Verdict::allow, "");
}

Verdict resolve_ask_fallback(const ExecPolicy& policy, const ExecDecision& decision) {
  if (decision.verdict != Verdict::ask) {
    return decision.verdict;
  }
  switch (policy.ask_fallback) {
    case ExecSecurity::deny:
      return Verdict::deny;
    case ExecSecurity::allowlist:
      return decision.allowlist_satisfied ? Verdict::allow : Verdict::deny;
    case ExecSecurity::full:
      if (policy.security == ExecSecurity::full || decision.allowlist_satisfied) {
        return Verdict::allow;
      }
      return Verdict::deny;
  }
  return Verdict::deny;
}

Result<std::vector<AllowlistEntry>> allow_always_entries(const ExecPolicy& policy,
                                                         std::string_view command_text,
                                                         const DecisionContext& context,
                                                         int64_t now_ms, bool exact_args) {
  ParseResult parsed = parse_command(command_text);
  if (!parsed.ok()) {
    return fail(Errc::invalid_argument,
                "cannot allow always: the command cannot be checked: " + *parsed.unparseable,
                "approve it once instead");
  }
  std::vector<AllowlistEntry> out;
  for (const auto& command : parsed.commands) {
    if (command.words.empty()) {
      continue;
    }
    auto exe = resolve_executable(command, context);
    if (!exe) {
      return fail(
          Errc::invalid_argument,
          "cannot allow always: '" + command.display() + "' names its program only at run time",
          "approve it once instead");
    }
    std::string why;
    if (check_command(policy, command, context, why) && !exact_args) {
      continue;  // already allowed
    }
    AllowlistEntry entry;
    entry.id = core::random_uuid();
    entry.pattern = exe->path ? *exe->path : exe->name;
    if (exact_args) {
      if (command.extra_args || std::any_of(command.words.begin() + 1, command.words.end(),
                                            [](const ShellWord& w) { return w.is_dynamic(); })) {
        return fail(Errc::invalid_argument,
                    "cannot allow always with exact arguments: '" + command.display() +
                        "' has arguments known only at run time",
                    "approve it once instead");
      }
      entry.arg_pattern = "^" + regex_escape(joined_args(command)) + "$";
    }
    entry.source = std::string(kAllowAlwaysSource);
    entry.last_used_at = now_ms;
    entry.last_used_command = std::string(command_text);
    if (exe->path) {
      entry.last_resolved_path = *exe->path;
    }
    bool duplicate = std::any_of(out.begin(), out.end(), [&](const AllowlistEntry& e) {
      return e.pattern == entry.pattern && e.arg_pattern == entry.arg_pattern;
    });
    if (!duplicate) {
      out.push_back(std::move(entry));
    }
  }
  return out;
}

Result<std::size_t> add_allow_always(ExecApprovalsFile& file, std::string_view agent_id,
                                     const ExecPolicy& policy, std::string_view command_text,
                                     const DecisionContext& context, int64_t now_ms,
                                     bool exact_args) {
  auto entries = allow_always_entries(policy, command_text, context, now_ms, exact_args);
  if (!entries) {
    return std::unexpected(entries.error());
  }
  auto it = file.agents.find(agent_id);
  if (it == file.agents.end()) {
    it = file.agents.emplace(std::string(agent_id), AgentApprovals{}).first;
  }
  auto& list = it->second.allowlist;
  std::size_t added = 0;
  for (auto& entry : *entries) {
    bool exists = std::any_of(list.begin(), list.end(), [&](const AllowlistEntry& e) {
      return e.pattern == entry.pattern && e.arg_pattern == entry.arg_pattern;
    });
    if (!exists) {
      list.push_back(std::move(entry));
      ++added;
    }
  }
  return added;
}

std::size_t record_allowlist_use(ExecApprovalsFile& file, std::string_view agent_id,
                                 const ExecPolicy& policy, const ExecDecision& decision,
                                 const DecisionContext& context, int64_t now_ms) {
  auto it = file.agents.find(agent_id);
  if (it == file.agents.end()) {
    return 0;
  }
  std::size_t updated = 0;
  for (std::size_t index : decision.matched) {
    if (index >= policy.allowlist.size()) {
      continue;
    }
    const AllowlistEntry& used = policy.allowlist[index];
    for (auto& entry : it->second.allowlist) {
      if (entry.id != used.id) {
        continue;
      }
      entry.last_used_at = now_ms;
      // The first command this entry allowed, for the UI's "last used" column.
      for (const auto& command : decision.parsed.commands) {
        auto exe = command.words.empty() ? std::nullopt : resolve_executable(command, context);
        if (exe && entry_matches(used, command, *exe, context)) {
          if (!used.arg_pattern || !used.source) {
            entry.last_used_command = command.display();
          }
          if (exe->path) {
            entry.last_resolved_path = *exe->path;
          }
          break;
        }
      }
      ++updated;
    }
  }
  return updated;
}

}  // namespace pincer::tools::exec
