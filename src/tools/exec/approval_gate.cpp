#include "tools/exec/approval_gate.hpp"

#include <cstdlib>

#include <boost/json/parse.hpp>

#include "core/executor.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "tools/exec/exec_approvals.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// tools.exec.security / tools.exec.ask (the agent's own tools.exec wins).
exec::RequestedExecPolicy requested_policy(const core::Config& config, std::string_view agent_id) {
  exec::RequestedExecPolicy out;
  auto read = [&out](const json::value* tools) {
    if (tools == nullptr || !tools->is_object()) {
      return;
    }
    const json::value* exec_settings = tools->get_object().if_contains("exec");
    if (exec_settings == nullptr || !exec_settings->is_object()) {
      return;
    }
    const json::object& fields = exec_settings->get_object();
    if (const json::value* security = fields.if_contains("security");
        security && security->is_string()) {
      if (auto parsed = exec::parse_exec_security(security->get_string())) {
        out.security = parsed;
      }
    }
    if (const json::value* ask = fields.if_contains("ask"); ask && ask->is_string()) {
      if (auto parsed = exec::parse_exec_ask(ask->get_string())) {
        out.ask = parsed;
      }
    }
  };
  if (const auto* root = config.raw.if_object()) {
    read(root->if_contains("tools"));
  }
  for (const auto& agent : config.agents.list) {
    if (agent.id == agent_id && agent.raw.is_object()) {
      read(agent.raw.get_object().if_contains("tools"));
    }
  }
  return out;
}

std::optional<std::string> which(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    std::string_view dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    if (dir.empty()) {
      continue;
    }
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec)) {
      return candidate.string();
    }
  }
  return std::nullopt;
}

}  // namespace

ExecGate make_approval_gate(const ToolDeps& deps, std::filesystem::path approvals_file) {
  return [&pool = deps.pool, config = deps.config, home = deps.paths.state_dir.parent_path(),
          approvals_file](const GateRequest& request) -> asio::awaitable<GateDecision> {
    exec::RequestedExecPolicy requested = requested_policy(config(), request.agent_id);
    std::string command = request.command;
    std::string cwd = request.cwd;
    std::string agent_id = request.agent_id;
    auto judge = [&]() -> std::pair<exec::ExecDecision, exec::Verdict> {
      exec::ExecApprovalsFile file;
      if (auto text = core::read_file(approvals_file)) {
        boost::system::error_code ec;
        json::value document = json::parse(*text, ec);
        if (!ec) {
          if (auto parsed = exec::ExecApprovalsFile::from_json(document)) {
            file = std::move(*parsed);
          } else {
            log::warn("tools", "{} is invalid, using the defaults: {}", approvals_file.string(),
                      parsed.error().describe());
          }
        }
      }
      exec::ExecPolicy policy = exec::effective_policy(file, agent_id, requested);
      exec::DecisionContext context{cwd, home.string(), which, {}};
      exec::ExecDecision decision = exec::decide(policy, command, context);
      exec::Verdict verdict = decision.verdict;
      if (verdict == exec::Verdict::ask) {
        verdict = exec::resolve_ask_fallback(policy, decision);
      }
      return {std::move(decision), verdict};
    };
    auto [decision, verdict] = co_await core::run_blocking(pool, judge);
    if (verdict == exec::Verdict::allow) {
      co_return GateDecision::allow();
    }
    std::string reason = decision.reason.empty() ? "the exec policy denies it" : decision.reason;
    if (decision.verdict == exec::Verdict::ask) {
      reason = "this command needs approval (" + reason +
               ") and no reviewer answered, so it was denied; ask the user to allow it "
               "(exec-approvals allowlist) or to run it themselves";
    }
    co_return GateDecision::deny("exec denied: " + reason);
  };
}

}  // namespace pincer::tools
