#pragma once
// Asking a person whether a command may run (docs: tools/exec-approvals.md "Approval flow").
//
// When decide() says ask, the exec tool calls ApprovalBroker::request() and waits. The broker
// tells its listener (later: the gateway broadcasts `exec.approval.requested`, a channel posts a
// message) and the wait ends with the first of: resolve() (later: the `exec.approval.resolve`
// RPC or a chat reply), the request's deadline (deny, end = timeout) or cancel_all() at
// shutdown (deny, end = cancelled). Every wait has a deadline: there is no "wait forever".
//
// The in-memory broker lives on one executor (the I/O thread): request(), resolve(), pending()
// and cancel_all() must all be called there; it has no lock. It keeps nothing across restarts:
// a restart denies every pending request, which is the safe side.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "core/result.hpp"
#include "tools/exec/exec_approvals.hpp"

namespace pincer::tools::exec {

// The reviewer's answer (protocol ApprovalDecision).
enum class ApprovalDecision { allow_once, allow_always, deny };
std::string_view to_string(ApprovalDecision decision);
std::optional<ApprovalDecision> parse_approval_decision(std::string_view text);

// Why a wait ended.
enum class ApprovalEnd { resolved, timeout, cancelled };
std::string_view to_string(ApprovalEnd end);

struct ApprovalOutcome {
  ApprovalDecision decision = ApprovalDecision::deny;
  ApprovalEnd end = ApprovalEnd::timeout;
  std::string resolved_by;  // who answered (a client id, "telegram:123"); empty unless resolved

  bool allowed() const { return decision != ApprovalDecision::deny; }
};

// What the reviewer is shown; fields and names follow the protocol's ExecApprovalRequestParams.
struct ApprovalRequest {
  std::string id;  // generated when empty
  std::string command;
  std::vector<std::string> command_argv;
  std::optional<std::string> cwd;
  std::string host = "gateway";
  std::optional<std::string> agent_id;
  std::optional<std::string> session_key;
  std::optional<std::string> resolved_path;
  std::optional<ExecSecurity> security;
  std::optional<ExecAsk> ask;
  std::optional<std::string> warning_text;  // why it asks: the commands that missed
  bool allow_always_available = true;       // false: "allow-always" listed as unavailable
};

struct PendingApproval {
  ApprovalRequest request;
  int64_t created_at_ms = 0;  // Unix ms
  int64_t expires_at_ms = 0;  // Unix ms
};

// {"id", "command", "commandArgv", "cwd", "host", "agentId", ...} (ExecApprovalRequestParams).
boost::json::object to_json(const ApprovalRequest& request);
// {"id", "request": {...}, "createdAtMs", "expiresAtMs"}: the `exec.approval.requested` event
// payload and one item of `exec.approval.list`.
boost::json::object to_json(const PendingApproval& pending);

// Told about requests as they appear and end. Called on the broker's executor; must not block.
class ApprovalListener {
 public:
  virtual ~ApprovalListener() = default;
  virtual void on_requested(const PendingApproval& pending) = 0;
  virtual void on_resolved(const std::string& id, const ApprovalOutcome& outcome) = 0;
};

// The seam between the exec tool and whoever answers approvals.
class ApprovalBroker {
 public:
  virtual ~ApprovalBroker() = default;

  // Waits for a decision on `request`, at most `timeout` (then deny, end = timeout). A request
  // whose id is already pending is denied at once (end = cancelled).
  virtual boost::asio::awaitable<ApprovalOutcome> request(ApprovalRequest request,
                                                          std::chrono::milliseconds timeout) = 0;

  // Answers a pending request. not_found when the id is unknown, already answered or expired.
  virtual Status resolve(std::string_view id, ApprovalDecision decision,
                         std::string_view resolved_by = {}) = 0;

  // Pending requests, oldest first.
  virtual std::vector<PendingApproval> pending() const = 0;

  // Denies every pending request (end = cancelled): shutdown.
  virtual void cancel_all() = 0;
};

class InMemoryApprovalBroker final : public ApprovalBroker {
 public:
  // `now_ms` is the wall clock for createdAtMs/expiresAtMs shown to people; deadlines run on
  // the executor's steady timers.
  // The broker must outlive its waiting requests: at shutdown call cancel_all() and let the
  // executor run them to completion before destroying it.
  InMemoryApprovalBroker(boost::asio::any_io_executor executor, std::function<int64_t()> now_ms);

  // Not owned; may be null. Set before the first request.
  void set_listener(ApprovalListener* listener) { listener_ = listener; }

  boost::asio::awaitable<ApprovalOutcome> request(ApprovalRequest request,
                                                  std::chrono::milliseconds timeout) override;
  Status resolve(std::string_view id, ApprovalDecision decision,
                 std::string_view resolved_by = {}) override;
  std::vector<PendingApproval> pending() const override;
  void cancel_all() override;

 private:
  struct Entry;

  boost::asio::any_io_executor executor_;
  std::function<int64_t()> now_ms_;
  ApprovalListener* listener_ = nullptr;
  uint64_t next_sequence_ = 0;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> pending_;
};

}  // namespace pincer::tools::exec
