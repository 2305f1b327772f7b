#pragma once
// The exec sessions that went to the background (background: true, or still running after
// yieldMs), for the process tool. In memory only; owned by the I/O thread (no lock). Sessions
// are scoped per agent: an agent sees only the sessions its own calls started.
//
// Finished sessions are kept for `finished_ttl` after they end (tools.exec.cleanupMs, default
// 30 min), at most `max_finished` of them, oldest dropped first; both rules apply whenever the
// registry is touched. Running sessions are never dropped, and die with the registry.

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tools/exec/exec_session.hpp"

namespace pincer::tools {

class ProcessRegistry {
 public:
  explicit ProcessRegistry(SteadyNow now = [] { return std::chrono::steady_clock::now(); })
      : now_(std::move(now)) {}
  ProcessRegistry(const ProcessRegistry&) = delete;
  ProcessRegistry& operator=(const ProcessRegistry&) = delete;
  ~ProcessRegistry();  // kills the sessions still running

  const SteadyNow& clock() const { return now_; }

  // Keeps `session` and returns its new id (8 hex digits).
  std::string add(std::shared_ptr<ExecSession> session);
  // nullptr when unknown, reaped, or another agent's.
  std::shared_ptr<ExecSession> find(const std::string& agent_id, const std::string& id);
  // The agent's sessions, oldest first, with their ids.
  std::vector<std::pair<std::string, std::shared_ptr<ExecSession>>> list(
      const std::string& agent_id);
  bool remove(const std::string& agent_id, const std::string& id);

  // Drops finished sessions past their time; `finished_ttl` is read per call (hot reload).
  void reap();
  void set_finished_ttl(std::chrono::milliseconds ttl) { finished_ttl_ = ttl; }
  std::size_t size() const { return sessions_.size(); }

  static constexpr std::size_t kMaxFinished = 50;

 private:
  SteadyNow now_;
  std::chrono::milliseconds finished_ttl_{std::chrono::minutes(30)};
  uint64_t next_order_ = 0;
  struct Entry {
    uint64_t order;  // insertion order, for listing
    std::shared_ptr<ExecSession> session;
  };
  std::map<std::string, Entry> sessions_;
};

}  // namespace pincer::tools
