#include "tools/exec/approval_broker.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include "core/ids.hpp"

namespace pincer::tools::exec {

namespace asio = boost::asio;
namespace json = boost::json;

struct InMemoryApprovalBroker::Entry {
  explicit Entry(asio::any_io_executor executor) : timer(std::move(executor)) {}

  PendingApproval info;
  uint64_t sequence = 0;
  asio::steady_timer timer;  // the deadline; cancelled early by resolve() and cancel_all()
  std::optional<ApprovalOutcome> outcome;
};

std::string_view to_string(ApprovalDecision decision) {
  switch (decision) {
    case ApprovalDecision::allow_once:
      return "allow-once";
    case ApprovalDecision::allow_always:
      return "allow-always";
    case ApprovalDecision::deny:
      return "deny";
  }
  return "deny";
}

std::optional<ApprovalDecision> parse_approval_decision(std::string_view text) {
  if (text == "allow-once")
    return ApprovalDecision::allow_once;
  if (text == "allow-always")
    return ApprovalDecision::allow_always;
  if (text == "deny")
    return ApprovalDecision::deny;
  return std::nullopt;
}

std::string_view to_string(ApprovalEnd end) {
  switch (end) {
    case ApprovalEnd::resolved:
      return "resolved";
    case ApprovalEnd::timeout:
      return "timeout";
    case ApprovalEnd::cancelled:
      return "cancelled";
  }
  return "cancelled";
}

json::object to_json(const ApprovalRequest& request) {
  json::object o;
  o["id"] = request.id;
  o["command"] = request.command;
  if (!request.command_argv.empty()) {
    json::array argv;
    for (const auto& arg : request.command_argv) {
      argv.emplace_back(arg);
    }
    o["commandArgv"] = std::move(argv);
  }
  auto optional = [&](std::string_view key, const std::optional<std::string>& value) {
    if (value) {
      o[key] = *value;
    } else {
      o[key] = nullptr;
    }
  };
  optional("cwd", request.cwd);
  o["host"] = request.host;
  if (request.security)
    o["security"] = to_string(*request.security);
  if (request.ask)
    o["ask"] = to_string(*request.ask);
  optional("warningText", request.warning_text);
  if (!request.allow_always_available) {
    o["unavailableDecisions"] = json::array{"allow-always"};
  }
  optional("agentId", request.agent_id);
  optional("resolvedPath", request.resolved_path);
  optional("sessionKey", request.session_key);
  return o;
}

json::object to_json(const PendingApproval& pending) {
  json::object o;
  o["id"] = pending.request.id;
  o["request"] = to_json(pending.request);
  o["createdAtMs"] = pending.created_at_ms;
  o["expiresAtMs"] = pending.expires_at_ms;
  return o;
}

InMemoryApprovalBroker::InMemoryApprovalBroker(asio::any_io_executor executor,
                                               std::function<int64_t()> now_ms)
    : executor_(std::move(executor)), now_ms_(std::move(now_ms)) {}

asio::awaitable<ApprovalOutcome> InMemoryApprovalBroker::request(
    ApprovalRequest request, std::chrono::milliseconds timeout) {
  if (request.id.empty()) {
    request.id = core::random_uuid();
  }
  if (pending_.contains(request.id)) {
    co_return ApprovalOutcome{ApprovalDecision::deny, ApprovalEnd::cancelled, {}};
  }
  timeout = std::max(timeout, std::chrono::milliseconds(0));
  auto entry = std::make_shared<Entry>(executor_);
  entry->sequence = next_sequence_++;
  entry->timer.expires_after(timeout);
  int64_t now = now_ms_();
  entry->info = PendingApproval{std::move(request), now, now + timeout.count()};
  std::string id = entry->info.request.id;
  pending_.emplace(id, entry);
  if (listener_) {
    listener_->on_requested(entry->info);
  }

  auto [ec] = co_await entry->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!entry->outcome) {
    // No answer: the deadline passed, or the waiting coroutine itself was cancelled.
    ApprovalEnd end =
        ec == asio::error::operation_aborted ? ApprovalEnd::cancelled : ApprovalEnd::timeout;
    entry->outcome = ApprovalOutcome{ApprovalDecision::deny, end, {}};
  }
  if (auto it = pending_.find(id); it != pending_.end() && it->second == entry) {
    pending_.erase(it);
  }
  if (listener_) {
    listener_->on_resolved(id, *entry->outcome);
  }
  co_return *entry->outcome;
}

Status InMemoryApprovalBroker::resolve(std::string_view id, ApprovalDecision decision,
                                       std::string_view resolved_by) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second->outcome ||
      it->second->timer.expiry() <= asio::steady_timer::clock_type::now()) {
    return fail(Errc::not_found, "no pending exec approval with id '" + std::string(id) + "'",
                "it may have been answered already or expired");
  }
  it->second->outcome = ApprovalOutcome{decision, ApprovalEnd::resolved, std::string(resolved_by)};
  it->second->timer.cancel();
  return {};
}

std::vector<PendingApproval> InMemoryApprovalBroker::pending() const {
  std::vector<std::pair<uint64_t, const PendingApproval*>> ordered;
  for (const auto& [id, entry] : pending_) {
    if (!entry->outcome) {
      ordered.emplace_back(entry->sequence, &entry->info);
    }
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<PendingApproval> out;
  out.reserve(ordered.size());
  for (const auto& [sequence, info] : ordered) {
    out.push_back(*info);
  }
  return out;
}

void InMemoryApprovalBroker::cancel_all() {
  for (auto& [id, entry] : pending_) {
    if (!entry->outcome) {
      entry->outcome = ApprovalOutcome{ApprovalDecision::deny, ApprovalEnd::cancelled, {}};
      entry->timer.cancel();
    }
  }
}

}  // namespace pincer::tools::exec
