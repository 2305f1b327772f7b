#pragma once
// The gateway's named command lanes. A turn holds two permits: its session lane
// `session:<key>` (cap 1, so one conversation runs one turn at a time, in arrival order) and
// one global lane that caps parallelism across sessions:
//   main      inbound turns            agents.defaults.maxConcurrent (default max(8, 4 x CPUs))
//   cron      isolated cron jobs       1 (unconfigured lanes run one at a time)
//   subagent  child agent runs         agents.defaults.subagents.maxConcurrent (default 8)
//   nested    nested runs (heartbeat)  1
//
// Session lanes are made on first use and dropped as soon as they are idle, so a gateway that
// has seen a million sessions holds lanes only for the ones with work in flight. The session
// lane is taken first and the global lane second: a session with a queued turn never occupies
// a global slot while it waits for itself.
//
// Same threading contract as Lane: everything runs on the I/O thread, no locks.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "sessions/lane.hpp"

namespace pincer::sessions {

enum class GlobalLane { main, cron, subagent, nested };
inline constexpr std::size_t kGlobalLaneCount = 4;
std::string_view to_string(GlobalLane lane);

// The reference's default for agents.defaults.maxConcurrent: max(8, 4 x available CPUs).
std::size_t default_main_lane_cap();

// Caps of the global lanes; the caller maps config onto this (values below 1 read as 1).
struct LaneCaps {
  std::size_t main = default_main_lane_cap();
  std::size_t cron = 1;
  std::size_t subagent = 8;
  std::size_t nested = 1;
};

// What a turn holds while it runs; released global lane first, then the session lane.
struct TurnPermit {
  LanePermit session;
  LanePermit global;
};

struct LaneDiagnostics {
  std::vector<LaneStats> global;  // main, cron, subagent, nested
  // Session lanes in aggregate (there can be many): how many exist now (= have work), how
  // many turns run and wait in them, and how many were made/dropped since start.
  std::size_t session_lanes = 0;
  std::size_t session_active = 0;
  std::size_t session_queued = 0;
  std::uint64_t session_lanes_created = 0;
  std::uint64_t session_lanes_dropped = 0;
  std::chrono::microseconds session_max_wait{0};
};

// The diagnostics.lanes payload: {"lanes":[{name,cap,active,queued,totalAcquired,maxWaitMs,
// lastWaitMs}...], "sessions":{lanes,active,queued,created,dropped,maxWaitMs}}.
boost::json::value lane_diagnostics_json(const LaneDiagnostics& diagnostics);

class LaneRegistry {
 public:
  explicit LaneRegistry(LaneCaps caps = {});
  LaneRegistry(const LaneRegistry&) = delete;
  LaneRegistry& operator=(const LaneRegistry&) = delete;
  ~LaneRegistry();

  // Waits for the session lane of `session_key`, then for `global`. Cancellation while waiting
  // throws operation_aborted and leaves nothing held.
  boost::asio::awaitable<TurnPermit> enter(std::string_view session_key,
                                           GlobalLane global = GlobalLane::main);

  Lane& global(GlobalLane lane) { return *globals_[static_cast<std::size_t>(lane)]; }
  // The session lane, made if missing. It is dropped again once idle, so take a permit (or
  // wait) before the next co_await or keep no reference.
  Lane& session_lane(std::string_view session_key);
  // nullptr when the session has no lane (nothing running or waiting).
  const Lane* find_session_lane(std::string_view session_key) const;

  // Config reload: new caps apply at once (raising one admits waiters).
  void apply(const LaneCaps& caps);

  LaneDiagnostics diagnostics() const;
  std::size_t session_lane_count() const { return sessions_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
      return std::hash<std::string_view>{}(text);
    }
  };
  static void drop_idle_session_lane(void* registry, Lane& lane);

  std::array<std::unique_ptr<Lane>, kGlobalLaneCount> globals_;
  // Keyed by the session key (the lane's name adds the "session:" prefix).
  std::unordered_map<std::string, std::unique_ptr<Lane>, StringHash, std::equal_to<>> sessions_;
  std::uint64_t session_lanes_created_ = 0;
  std::uint64_t session_lanes_dropped_ = 0;
  std::chrono::microseconds session_max_wait_{0};
};

}  // namespace pincer::sessions
