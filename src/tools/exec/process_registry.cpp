#include "tools/exec/process_registry.hpp"

#include <algorithm>

#include "core/ids.hpp"

namespace pincer::tools {

ProcessRegistry::~ProcessRegistry() {
  for (auto& [id, entry] : sessions_) {
    entry.session->kill_now("the daemon is stopping");
  }
}

std::string ProcessRegistry::add(std::shared_ptr<ExecSession> session) {
  reap();
  std::string id;
  do {
    id = core::random_uuid().substr(0, 8);
  } while (sessions_.contains(id));
  sessions_.emplace(id, Entry{next_order_++, std::move(session)});
  return id;
}

std::shared_ptr<ExecSession> ProcessRegistry::find(const std::string& agent_id,
                                                   const std::string& id) {
  reap();
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.session->info().agent_id != agent_id) {
    return nullptr;
  }
  return it->second.session;
}

std::vector<std::pair<std::string, std::shared_ptr<ExecSession>>> ProcessRegistry::list(
    const std::string& agent_id) {
  reap();
  std::vector<std::pair<uint64_t, std::pair<std::string, std::shared_ptr<ExecSession>>>> found;
  for (const auto& [id, entry] : sessions_) {
    if (entry.session->info().agent_id == agent_id) {
      found.push_back({entry.order, {id, entry.session}});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::shared_ptr<ExecSession>>> out;
  for (auto& item : found) {
    out.push_back(std::move(item.second));
  }
  return out;
}

bool ProcessRegistry::remove(const std::string& agent_id, const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.session->info().agent_id != agent_id) {
    return false;
  }
  sessions_.erase(it);
  return true;
}

void ProcessRegistry::reap() {
  const auto now = now_();
  std::vector<std::pair<std::chrono::steady_clock::time_point, std::string>> finished;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const auto& session = *it->second.session;
    if (session.finished() && now - session.finished_at() >= finished_ttl_) {
      it = sessions_.erase(it);
      continue;
    }
    if (session.finished()) {
      finished.emplace_back(session.finished_at(), it->first);
    }
    ++it;
  }
  if (finished.size() > kMaxFinished) {
    std::sort(finished.begin(), finished.end());
    for (std::size_t i = 0; i < finished.size() - kMaxFinished; ++i) {
      sessions_.erase(finished[i].second);
    }
  }
}

}  // namespace pincer::tools
