#include "tools/exec/exec_approvals.hpp"

#include <gtest/gtest.h>

#include <memory>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "tools/exec/approval_broker.hpp"

namespace pincer::tools::exec {
namespace {

namespace json = boost::json;

DecisionContext context() {
  DecisionContext c;
  c.cwd = "/home/u/project";
  c.home = "/home/u";
  c.which = [](std::string_view name) -> std::optional<std::string> {
    if (name == "rg")
      return "/opt/homebrew/bin/rg";
    if (name == "cd" || name == "nosuch")
      return std::nullopt;
    return "/usr/bin/" + std::string(name);
  };
  return c;
}

AllowlistEntry entry(std::string pattern, std::optional<std::string> arg_pattern = std::nullopt) {
  AllowlistEntry e;
  e.id = "id-" + pattern;
  e.pattern = std::move(pattern);
  e.arg_pattern = std::move(arg_pattern);
  return e;
}

ExecPolicy allowlist_policy(std::vector<AllowlistEntry> entries, ExecAsk ask = ExecAsk::on_miss) {
  ExecPolicy p;
  p.security = ExecSecurity::allowlist;
  p.ask = ask;
  p.allowlist = std::move(entries);
  return p;
}

Verdict verdict(const ExecPolicy& p, std::string_view text) {
  return decide(p, text, context()).verdict;
}

// Patterns are globs: * stays in a segment, ** crosses them.
TEST(ExecApprovals, GlobMatchesLikeTheDocsSay) {
  EXPECT_TRUE(glob_match("rg", "rg"));
  EXPECT_FALSE(glob_match("rg", "rgx"));
  EXPECT_TRUE(glob_match("git*", "git-lfs"));
  EXPECT_TRUE(glob_match("/home/u/.local/bin/*", "/home/u/.local/bin/tool"));
  EXPECT_FALSE(glob_match("/home/u/.local/bin/*", "/home/u/.local/bin/sub/tool"));
  EXPECT_TRUE(glob_match("/home/u/path/**/bin/rg", "/home/u/path/a/b/bin/rg"));
  EXPECT_TRUE(glob_match("/home/u/path/**/bin/rg", "/home/u/path/bin/rg"));
  EXPECT_TRUE(glob_match("py?hon[0-9]", "python3"));
  EXPECT_FALSE(glob_match("py[!t]hon", "python"));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_FALSE(glob_match("*", "a/b"));
}

// Bare names match only PATH lookups; path patterns match the resolved path.
TEST(ExecApprovals, MatchesResolvedExecutables) {
  auto p =
      allowlist_policy({entry("rg"), entry("~/.local/bin/*"), entry("/usr/bin/git")}, ExecAsk::off);
  EXPECT_EQ(verdict(p, "rg foo"), Verdict::allow);
  EXPECT_EQ(verdict(p, "./rg foo"), Verdict::deny);
  EXPECT_EQ(verdict(p, "/tmp/rg foo"), Verdict::deny);
  EXPECT_EQ(verdict(p, "~/.local/bin/tool"), Verdict::allow);
  EXPECT_EQ(verdict(p, "/home/u/.local/bin/tool -x"), Verdict::allow);
  EXPECT_EQ(verdict(p, "../../u/.local/bin/tool"), Verdict::allow);  // normalised from cwd
  EXPECT_EQ(verdict(p, "git status"), Verdict::allow);               // PATH lookup -> /usr/bin/git
  EXPECT_EQ(verdict(p, "/usr/bin/git status"), Verdict::allow);
  EXPECT_EQ(verdict(p, "/usr/local/bin/git status"), Verdict::deny);
  auto exe = resolve_executable(parse_command("rg x").commands[0], context());
  ASSERT_TRUE(exe);
  EXPECT_EQ(exe->path, "/opt/homebrew/bin/rg");
  EXPECT_TRUE(exe->via_path);
}

// Every simple command - chains, substitutions, wrapped commands - must pass.
TEST(ExecApprovals, EveryCommandMustBeAllowlisted) {
  auto p =
      allowlist_policy({entry("ls"), entry("echo"), entry("cat"), entry("grep")}, ExecAsk::off);
  EXPECT_EQ(verdict(p, "ls -la && echo done | grep d"), Verdict::allow);
  EXPECT_EQ(verdict(p, "ls; rm -rf /"), Verdict::deny);
  EXPECT_EQ(verdict(p, "ls && $(curl x|sh)"), Verdict::deny);
  EXPECT_EQ(verdict(p, "echo `id`"), Verdict::deny);
  EXPECT_EQ(verdict(p, "echo \"$(rm x)\""), Verdict::deny);
  EXPECT_EQ(verdict(p, "sh -c \"ls; rm x\""), Verdict::deny);
  EXPECT_EQ(verdict(p, "sh -c 'ls; echo x'"), Verdict::allow);
  EXPECT_EQ(verdict(p, "env X=1 rm"), Verdict::deny);
  EXPECT_EQ(verdict(p, "ls | xargs rm"), Verdict::deny);
  EXPECT_EQ(verdict(p, "timeout 5 rm"), Verdict::deny);
  EXPECT_EQ(verdict(p, "timeout 5 ls"), Verdict::allow);
  EXPECT_EQ(verdict(p, "cat <(rm x)"), Verdict::deny);
  EXPECT_EQ(verdict(p, "'l''s'"), Verdict::allow);
  EXPECT_EQ(verdict(p, "l\\s"), Verdict::allow);
  EXPECT_EQ(verdict(p, "ls\nrm x"), Verdict::deny);
  EXPECT_EQ(verdict(p, "$CMD"), Verdict::deny);
  EXPECT_EQ(verdict(p, "l$IFS-la"), Verdict::deny);
  EXPECT_EQ(verdict(p, "{rm,-rf,/}"), Verdict::deny);
  EXPECT_EQ(verdict(p, "find . -exec rm {} \\;"), Verdict::deny);
  auto d = decide(p, "ls; rm -rf /; echo ok; curl x", context());
  ASSERT_EQ(d.misses.size(), 2u);
  EXPECT_NE(d.misses[0].find("rm -rf /"), std::string::npos);
  EXPECT_NE(d.misses[1].find("curl"), std::string::npos);
  EXPECT_NE(d.reason.find("not allowlisted"), std::string::npos);
}

// Elevated commands also need sudo itself allowlisted.
TEST(ExecApprovals, ElevatedCommandsNeedSudoAllowlisted) {
  auto p = allowlist_policy({entry("ls")}, ExecAsk::off);
  EXPECT_EQ(verdict(p, "sudo ls"), Verdict::deny);
  p.allowlist.push_back(entry("sudo"));
  EXPECT_EQ(verdict(p, "sudo ls"), Verdict::allow);
  EXPECT_EQ(verdict(p, "sudo rm x"), Verdict::deny);
}

// Text the parser cannot follow asks (ask != off) or is denied.
TEST(ExecApprovals, UnparseableAsksOrDenies) {
  auto p = allowlist_policy({entry("echo"), entry("eval")}, ExecAsk::on_miss);
  auto d = decide(p, "eval \"echo hi\"", context());
  EXPECT_EQ(d.verdict, Verdict::ask);
  EXPECT_NE(d.reason.find("cannot be checked"), std::string::npos);
  EXPECT_FALSE(d.allowlist_satisfied);
  p.ask = ExecAsk::off;
  EXPECT_EQ(verdict(p, "echo 'unterminated"), Verdict::deny);
  EXPECT_EQ(verdict(p, "cat <<EOF\nhi\nEOF"), Verdict::deny);
}

// security x ask: deny denies all, full allows all (asks when always), allowlist per match.
TEST(ExecApprovals, DecidesPerSecurityAndAsk) {
  struct Case {
    ExecSecurity security;
    ExecAsk ask;
    const char* command;
    Verdict expected;
  };
  const Case cases[] = {
      {ExecSecurity::deny, ExecAsk::off, "ls", Verdict::deny},
      {ExecSecurity::deny, ExecAsk::always, "ls", Verdict::deny},
      {ExecSecurity::deny, ExecAsk::on_miss, "rm x", Verdict::deny},
      {ExecSecurity::full, ExecAsk::off, "rm x", Verdict::allow},
      {ExecSecurity::full, ExecAsk::on_miss, "rm x", Verdict::allow},
      {ExecSecurity::full, ExecAsk::always, "ls", Verdict::ask},
      {ExecSecurity::full, ExecAsk::off, "eval x", Verdict::allow},
      {ExecSecurity::allowlist, ExecAsk::off, "ls", Verdict::allow},
      {ExecSecurity::allowlist, ExecAsk::off, "rm x", Verdict::deny},
      {ExecSecurity::allowlist, ExecAsk::on_miss, "ls", Verdict::allow},
      {ExecSecurity::allowlist, ExecAsk::on_miss, "rm x", Verdict::ask},
      {ExecSecurity::allowlist, ExecAsk::always, "ls", Verdict::ask},
      {ExecSecurity::allowlist, ExecAsk::always, "rm x", Verdict::ask},
  };
  for (const auto& c : cases) {
    ExecPolicy p = allowlist_policy({entry("ls")}, c.ask);
    p.security = c.security;
    EXPECT_EQ(verdict(p, c.command), c.expected)
        << to_string(c.security) << "/" << to_string(c.ask) << ": " << c.command;
  }
  ExecPolicy p = allowlist_policy({entry("ls")});
  EXPECT_EQ(decide(p, "", context()).verdict, Verdict::deny);
  EXPECT_EQ(decide(p, "X=1", context()).verdict, Verdict::deny);
}

// argPattern restricts the arguments; unknown arguments never match it.
TEST(ExecApprovals, ArgPatternRestrictsArguments) {
  auto p = allowlist_policy({entry("python3", "^safe\\.py$")}, ExecAsk::off);
  EXPECT_EQ(verdict(p, "python3 safe.py"), Verdict::allow);
  EXPECT_EQ(verdict(p, "python3 other.py"), Verdict::deny);
  EXPECT_EQ(verdict(p, "python3 $X"), Verdict::deny);
  EXPECT_EQ(verdict(p, "echo safe.py | xargs python3"), Verdict::deny);
  p.allowlist.push_back(entry("python3"));  // a path-only entry still allows the rest
  EXPECT_EQ(verdict(p, "python3 other.py"), Verdict::allow);
  auto bad = allowlist_policy({entry("ls", "([")}, ExecAsk::off);
  EXPECT_EQ(verdict(bad, "ls"), Verdict::deny);  // invalid regex matches nothing
  auto hashed = allowlist_policy({entry("ls", "sha256:argv:abc")}, ExecAsk::off);
  EXPECT_EQ(verdict(hashed, "ls"), Verdict::deny);
}

// autoAllowSkills treats skill bins as allowlisted bare names.
TEST(ExecApprovals, AutoAllowsSkillBins) {
  auto p = allowlist_policy({}, ExecAsk::off);
  auto c = context();
  c.skill_bins = {"peekaboo"};
  EXPECT_EQ(decide(p, "peekaboo snap", c).verdict, Verdict::deny);
  p.auto_allow_skills = true;
  EXPECT_EQ(decide(p, "peekaboo snap", c).verdict, Verdict::allow);
  EXPECT_EQ(decide(p, "./peekaboo snap", c).verdict, Verdict::deny);
}

// askFallback decides an ask nobody answered.
TEST(ExecApprovals, AskFallbackResolvesUnansweredAsks) {
  auto p = allowlist_policy({entry("ls")}, ExecAsk::always);
  auto matched = decide(p, "ls", context());
  auto missed = decide(p, "rm x", context());
  ASSERT_EQ(matched.verdict, Verdict::ask);
  ASSERT_EQ(missed.verdict, Verdict::ask);
  p.ask_fallback = ExecSecurity::deny;
  EXPECT_EQ(resolve_ask_fallback(p, matched), Verdict::deny);
  p.ask_fallback = ExecSecurity::allowlist;
  EXPECT_EQ(resolve_ask_fallback(p, matched), Verdict::allow);
  EXPECT_EQ(resolve_ask_fallback(p, missed), Verdict::deny);
  p.ask_fallback = ExecSecurity::full;
  EXPECT_EQ(resolve_ask_fallback(p, matched), Verdict::allow);
  EXPECT_EQ(resolve_ask_fallback(p, missed), Verdict::deny);  // allowlist limits still apply
  p.security = ExecSecurity::full;
  EXPECT_EQ(resolve_ask_fallback(p, decide(p, "rm x", context())), Verdict::allow);
}

// The effective policy is the stricter of config and the approvals document.
TEST(ExecApprovals, EffectivePolicyIsTheStricter) {
  ExecApprovalsFile file;
  EXPECT_EQ(effective_policy(file, "main", {}).security, ExecSecurity::full);
  EXPECT_EQ(effective_policy(file, "main", {}).ask, ExecAsk::off);
  EXPECT_EQ(effective_policy(file, "main", {}).ask_fallback, ExecSecurity::deny);
  file.defaults.security = ExecSecurity::allowlist;
  file.defaults.ask = ExecAsk::on_miss;
  auto p = effective_policy(file, "main", {.security = ExecSecurity::full, .ask = ExecAsk::off});
  EXPECT_EQ(p.security, ExecSecurity::allowlist);
  EXPECT_EQ(p.ask, ExecAsk::on_miss);
  p = effective_policy(file, "main", {.security = ExecSecurity::deny, .ask = ExecAsk::always});
  EXPECT_EQ(p.security, ExecSecurity::deny);
  EXPECT_EQ(p.ask, ExecAsk::always);
  AgentApprovals ops;
  ops.policy.security = ExecSecurity::full;
  ops.policy.ask = ExecAsk::always;
  ops.allowlist.push_back(entry("rg"));
  file.agents["ops"] = ops;
  p = effective_policy(file, "ops", {});
  EXPECT_EQ(p.security, ExecSecurity::full);
  EXPECT_EQ(p.ask, ExecAsk::always);
  ASSERT_EQ(p.allowlist.size(), 1u);
  EXPECT_TRUE(effective_policy(file, "other", {}).allowlist.empty());
}

// The approvals document round-trips and malformed fields are reported by name.
TEST(ExecApprovals, ReadsAndWritesTheApprovalsDocument) {
  auto doc = json::parse(R"({
    "version": 1,
    "socket": {"path": "~/.pincer/exec-approvals.sock", "token": "t"},
    "defaults": {"security": "deny", "ask": "on-miss", "askFallback": "deny", "autoAllowSkills": false},
    "agents": {
      "main": {
        "security": "allowlist", "ask": "on-miss", "askFallback": "deny", "autoAllowSkills": true,
        "allowlist": [
          {"id": "B0C8", "pattern": "~/path/to/**/bin/rg", "argPattern": "^x$", "source": "allow-always",
           "lastUsedAt": 1737150000000, "lastResolvedPath": "/Users/user/bin/rg"},
          {"pattern": "~/path/to/**/bin/git", "lastUsedAt": null, "lastUsedCommand": null, "commandText": "git"}
        ],
        "mcpTools": [{"server": "docs", "tool": "publish", "source": "allow-always", "addedAt": 1}]
      }
    }
  })");
  auto file = ExecApprovalsFile::from_json(doc);
  ASSERT_TRUE(file) << file.error().describe();
  EXPECT_EQ(file->defaults.security, ExecSecurity::deny);
  const auto& main = file->agents.at("main");
  EXPECT_EQ(main.policy.auto_allow_skills, true);
  ASSERT_EQ(main.allowlist.size(), 2u);
  EXPECT_EQ(main.allowlist[0].id, "B0C8");
  EXPECT_EQ(main.allowlist[0].last_used_at, 1737150000000);
  EXPECT_FALSE(main.allowlist[1].id.empty());  // generated
  EXPECT_FALSE(main.allowlist[1].last_used_at);
  auto again = ExecApprovalsFile::from_json(file->to_json());
  ASSERT_TRUE(again);
  EXPECT_EQ(json::serialize(again->to_json()), json::serialize(file->to_json()));
  EXPECT_EQ(file->to_json().at("agents").at("main").at("mcpTools").as_array().size(), 1u);
  EXPECT_FALSE(file->to_json()
                   .at("agents")
                   .at("main")
                   .at("allowlist")
                   .as_array()[1]
                   .as_object()
                   .contains("commandText"));

  auto legacy = ExecApprovalsFile::from_json(
      json::parse(R"({"version":1,"agents":{"default":{"allowlist":[{"pattern":"ls"}]}}})"));
  ASSERT_TRUE(legacy);
  EXPECT_TRUE(legacy->agents.contains("main"));
  EXPECT_FALSE(legacy->agents.contains("default"));

  auto bad = ExecApprovalsFile::from_json(
      json::parse(R"({"version":1,"agents":{"main":{"ask":"sometimes"}}})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("agents.main.ask"), std::string::npos);
  bad = ExecApprovalsFile::from_json(
      json::parse(R"({"version":1,"agents":{"main":{"allowlist":[{"id":"x"}]}}})"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("agents.main.allowlist[0].pattern"), std::string::npos);
  EXPECT_FALSE(ExecApprovalsFile::from_json(json::parse(R"({"version":2})")));
  EXPECT_FALSE(ExecApprovalsFile::from_json(json::parse(R"([1])")));
}

// "Allow always" adds the resolved executables that missed, then the command is allowed.
TEST(ExecApprovals, AllowAlwaysWritesBackPatterns) {
  ExecApprovalsFile file;
  file.defaults.security = ExecSecurity::allowlist;
  file.defaults.ask = ExecAsk::on_miss;
  AgentApprovals main;
  main.allowlist.push_back(entry("ls"));
  file.agents["main"] = main;
  auto policy = effective_policy(file, "main", {});
  const char* command = "ls && env A=1 rg foo | ./build/tool -x";
  ASSERT_EQ(decide(policy, command, context()).verdict, Verdict::ask);

  auto added = add_allow_always(file, "main", policy, command, context(), 1000);
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_EQ(*added, 2u);
  const auto& list = file.agents.at("main").allowlist;
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[1].pattern, "/opt/homebrew/bin/rg");  // inner command, not env
  EXPECT_EQ(list[1].source, "allow-always");
  EXPECT_EQ(list[1].last_used_at, 1000);
  EXPECT_EQ(list[2].pattern, "/home/u/project/build/tool");
  policy = effective_policy(file, "main", {});
  EXPECT_EQ(decide(policy, command, context()).verdict, Verdict::allow);
  // Idempotent.
  EXPECT_EQ(*add_allow_always(file, "main", policy, command, context(), 2000), 0u);

  // Refused where nothing stable can be trusted.
  EXPECT_FALSE(add_allow_always(file, "main", policy, "eval x", context(), 1));
  EXPECT_FALSE(add_allow_always(file, "main", policy, "$CMD x", context(), 1));
}

// With exact arguments, only the approved argv is allowed later.
TEST(ExecApprovals, AllowAlwaysCanBindExactArguments) {
  ExecApprovalsFile file;
  auto policy = allowlist_policy({}, ExecAsk::on_miss);
  auto added = add_allow_always(file, "main", policy, "python3 a.py --n=1 (x)", context(), 5, true);
  EXPECT_FALSE(added);  // "(x)" is a syntax error
  added = add_allow_always(file, "main", policy, "python3 a.py '--n=1 (x)'", context(), 5, true);
  ASSERT_TRUE(added) << added.error().describe();
  policy.allowlist = file.agents.at("main").allowlist;
  EXPECT_EQ(verdict(policy, "python3 a.py '--n=1 (x)'"), Verdict::allow);
  EXPECT_EQ(verdict(policy, "python3 a.py '--n=2 (x)'"), Verdict::ask);
  EXPECT_EQ(verdict(policy, "python3 a.py"), Verdict::ask);
  EXPECT_FALSE(add_allow_always(file, "main", policy, "python3 $F", context(), 5, true));
}

// Entries that allowed a command get lastUsedAt / lastUsedCommand / lastResolvedPath.
TEST(ExecApprovals, RecordsAllowlistUse) {
  ExecApprovalsFile file;
  AgentApprovals main;
  main.allowlist = {entry("rg"), entry("ls")};
  file.agents["main"] = main;
  auto policy = effective_policy(file, "main", {.security = ExecSecurity::allowlist});
  auto d = decide(policy, "rg foo src", context());
  ASSERT_EQ(d.verdict, Verdict::allow);
  EXPECT_EQ(record_allowlist_use(file, "main", policy, d, context(), 42), 1u);
  const auto& rg = file.agents.at("main").allowlist[0];
  EXPECT_EQ(rg.last_used_at, 42);
  EXPECT_EQ(rg.last_used_command, "rg foo src");
  EXPECT_EQ(rg.last_resolved_path, "/opt/homebrew/bin/rg");
  EXPECT_FALSE(file.agents.at("main").allowlist[1].last_used_at);
}

}  // namespace
}  // namespace pincer::tools::exec

// ---- ApprovalBroker ------------------------------------------------------------------------

namespace pincer::tools::exec {
namespace {

namespace asio = boost::asio;

struct RecordingListener : ApprovalListener {
  std::vector<PendingApproval> requested;
  std::vector<std::pair<std::string, ApprovalOutcome>> resolved;
  void on_requested(const PendingApproval& pending) override { requested.push_back(pending); }
  void on_resolved(const std::string& id, const ApprovalOutcome& outcome) override {
    resolved.emplace_back(id, outcome);
  }
};

ApprovalRequest sample_request(std::string id) {
  ApprovalRequest r;
  r.id = std::move(id);
  r.command = "rm -rf build";
  r.command_argv = {"rm", "-rf", "build"};
  r.cwd = "/home/u/project";
  r.agent_id = "main";
  r.session_key = "agent:main:main";
  r.security = ExecSecurity::allowlist;
  r.ask = ExecAsk::on_miss;
  r.warning_text = "not allowlisted: 'rm -rf build'";
  return r;
}

class ApprovalBrokerTest : public ::testing::Test {
 protected:
  ApprovalBrokerTest() : broker_(io_.get_executor(), [] { return int64_t{1'700'000'000'000}; }) {
    broker_.set_listener(&listener_);
  }

  // Starts a request; its outcome lands in the returned slot when the wait ends.
  std::shared_ptr<std::optional<ApprovalOutcome>> start(ApprovalRequest request,
                                                        std::chrono::milliseconds timeout) {
    auto slot = std::make_shared<std::optional<ApprovalOutcome>>();
    asio::co_spawn(io_, broker_.request(std::move(request), timeout),
                   [slot](std::exception_ptr error, ApprovalOutcome outcome) {
                     ASSERT_FALSE(error);
                     *slot = outcome;
                   });
    io_.poll();  // runs the request up to its wait
    return slot;
  }

  asio::io_context io_;
  RecordingListener listener_;
  InMemoryApprovalBroker broker_;
};

// A resolve before the deadline ends the wait with the reviewer's decision.
TEST_F(ApprovalBrokerTest, ResolveBeforeTimeoutDelivers) {
  auto outcome = start(sample_request("a1"), std::chrono::hours(1));
  ASSERT_FALSE(outcome->has_value());
  ASSERT_EQ(listener_.requested.size(), 1u);
  EXPECT_EQ(listener_.requested[0].expires_at_ms, 1'700'000'000'000 + 3'600'000);
  ASSERT_TRUE(broker_.resolve("a1", ApprovalDecision::allow_always, "operator"));
  io_.run();
  ASSERT_TRUE(outcome->has_value());
  EXPECT_EQ((*outcome)->decision, ApprovalDecision::allow_always);
  EXPECT_EQ((*outcome)->end, ApprovalEnd::resolved);
  EXPECT_EQ((*outcome)->resolved_by, "operator");
  EXPECT_TRUE((*outcome)->allowed());
  EXPECT_TRUE(broker_.pending().empty());
  ASSERT_EQ(listener_.resolved.size(), 1u);
  EXPECT_EQ(listener_.resolved[0].first, "a1");
  // A second answer finds nothing.
  EXPECT_FALSE(broker_.resolve("a1", ApprovalDecision::deny));
}

// No answer by the deadline denies.
TEST_F(ApprovalBrokerTest, TimeoutDenies) {
  auto outcome = start(sample_request("t1"), std::chrono::milliseconds(0));
  io_.run();
  ASSERT_TRUE(outcome->has_value());
  EXPECT_EQ((*outcome)->decision, ApprovalDecision::deny);
  EXPECT_EQ((*outcome)->end, ApprovalEnd::timeout);
  EXPECT_FALSE(broker_.resolve("t1", ApprovalDecision::allow_once));

  outcome = start(sample_request("t2"), std::chrono::milliseconds(20));
  io_.restart();
  io_.run_for(std::chrono::seconds(5));  // the deadline, not this bound, ends the wait
  ASSERT_TRUE(outcome->has_value());
  EXPECT_EQ((*outcome)->end, ApprovalEnd::timeout);
  EXPECT_FALSE((*outcome)->allowed());
}

// Pending requests are listed oldest first, in the protocol's shape.
TEST_F(ApprovalBrokerTest, ListsPendingRequestsAsJson) {
  auto first = start(sample_request("p1"), std::chrono::hours(1));
  auto second = start(sample_request("p0"), std::chrono::hours(1));
  auto pending = broker_.pending();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].request.id, "p1");
  EXPECT_EQ(pending[1].request.id, "p0");
  auto j = to_json(pending[0]);
  EXPECT_EQ(j.at("id").as_string(), "p1");
  EXPECT_EQ(j.at("createdAtMs").as_int64(), 1'700'000'000'000);
  const auto& request = j.at("request").as_object();
  EXPECT_EQ(request.at("command").as_string(), "rm -rf build");
  EXPECT_EQ(request.at("commandArgv").as_array().size(), 3u);
  EXPECT_EQ(request.at("cwd").as_string(), "/home/u/project");
  EXPECT_EQ(request.at("host").as_string(), "gateway");
  EXPECT_EQ(request.at("agentId").as_string(), "main");
  EXPECT_EQ(request.at("sessionKey").as_string(), "agent:main:main");
  EXPECT_EQ(request.at("security").as_string(), "allowlist");
  EXPECT_EQ(request.at("ask").as_string(), "on-miss");
  EXPECT_TRUE(request.at("resolvedPath").is_null());
  EXPECT_FALSE(request.contains("unavailableDecisions"));
  ApprovalRequest no_always = sample_request("x");
  no_always.allow_always_available = false;
  EXPECT_EQ(json::serialize(to_json(no_always).at("unavailableDecisions")), R"(["allow-always"])");
  broker_.cancel_all();
  io_.run();
}

// Shutdown denies everything pending; duplicates and unknown ids are refused.
TEST_F(ApprovalBrokerTest, CancelAllDeniesAndDuplicatesAreRefused) {
  auto outcome = start(sample_request("c1"), std::chrono::hours(1));
  auto duplicate = start(sample_request("c1"), std::chrono::hours(1));
  ASSERT_TRUE(duplicate->has_value());
  EXPECT_EQ((*duplicate)->end, ApprovalEnd::cancelled);
  EXPECT_EQ((*duplicate)->decision, ApprovalDecision::deny);
  EXPECT_EQ(broker_.resolve("nope", ApprovalDecision::allow_once).error().code, Errc::not_found);
  broker_.cancel_all();
  io_.run();
  ASSERT_TRUE(outcome->has_value());
  EXPECT_EQ((*outcome)->end, ApprovalEnd::cancelled);
  EXPECT_FALSE((*outcome)->allowed());
  EXPECT_TRUE(broker_.pending().empty());
}

// An empty id gets a generated one, reported to the listener.
TEST_F(ApprovalBrokerTest, GeneratesMissingIds) {
  auto outcome = start(sample_request(""), std::chrono::hours(1));
  ASSERT_EQ(listener_.requested.size(), 1u);
  std::string id = listener_.requested[0].request.id;
  EXPECT_EQ(id.size(), 36u);
  ASSERT_TRUE(broker_.resolve(id, ApprovalDecision::deny));
  io_.run();
  EXPECT_EQ((*outcome)->end, ApprovalEnd::resolved);
  EXPECT_EQ((*outcome)->decision, ApprovalDecision::deny);
}

TEST(ApprovalBroker, DecisionNamesFollowTheProtocol) {
  EXPECT_EQ(to_string(ApprovalDecision::allow_once), "allow-once");
  EXPECT_EQ(parse_approval_decision("allow-always"), ApprovalDecision::allow_always);
  EXPECT_EQ(parse_approval_decision("deny"), ApprovalDecision::deny);
  EXPECT_FALSE(parse_approval_decision("yes"));
}

}  // namespace
}  // namespace pincer::tools::exec
