#include "sessions/lane_registry.hpp"

#include <algorithm>
#include <thread>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace pincer::sessions {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kSessionLanePrefix = "session:";

double to_ms(std::chrono::microseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace

std::string_view to_string(GlobalLane lane) {
  switch (lane) {
    case GlobalLane::main:
      return "main";
    case GlobalLane::cron:
      return "cron";
    case GlobalLane::subagent:
      return "subagent";
    case GlobalLane::nested:
      return "nested";
  }
  return "main";
}

std::size_t default_main_lane_cap() {
  const std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
  return std::max<std::size_t>(8, cpus * 4);
}

LaneRegistry::LaneRegistry(LaneCaps caps) {
  for (GlobalLane lane :
       {GlobalLane::main, GlobalLane::cron, GlobalLane::subagent, GlobalLane::nested}) {
    globals_[static_cast<std::size_t>(lane)] =
        std::make_unique<Lane>(std::string(to_string(lane)), 1);
  }
  apply(caps);
}

LaneRegistry::~LaneRegistry() {
  // Lanes dropping themselves while the map is torn down would erase from it mid-destruction.
  for (auto& [key, lane] : sessions_) {
    lane->set_idle_hook(nullptr, nullptr);
  }
}

void LaneRegistry::apply(const LaneCaps& caps) {
  global(GlobalLane::main).set_cap(caps.main);
  global(GlobalLane::cron).set_cap(caps.cron);
  global(GlobalLane::subagent).set_cap(caps.subagent);
  global(GlobalLane::nested).set_cap(caps.nested);
}

asio::awaitable<TurnPermit> LaneRegistry::enter(std::string_view session_key, GlobalLane lane) {
  TurnPermit permit;
  permit.session = co_await session_lane(session_key).acquire();
  // If this wait is cancelled, unwinding destroys `permit` and frees the session lane.
  permit.global = co_await global(lane).acquire();
  co_return permit;
}

Lane& LaneRegistry::session_lane(std::string_view session_key) {
  auto it = sessions_.find(session_key);
  if (it == sessions_.end()) {
    std::string name;
    name.reserve(kSessionLanePrefix.size() + session_key.size());
    name.append(kSessionLanePrefix).append(session_key);
    auto lane = std::make_unique<Lane>(std::move(name), 1);
    lane->set_idle_hook(&LaneRegistry::drop_idle_session_lane, this);
    it = sessions_.emplace(std::string(session_key), std::move(lane)).first;
    ++session_lanes_created_;
  }
  return *it->second;
}

const Lane* LaneRegistry::find_session_lane(std::string_view session_key) const {
  auto it = sessions_.find(session_key);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void LaneRegistry::drop_idle_session_lane(void* context, Lane& lane) {
  auto* self = static_cast<LaneRegistry*>(context);
  self->session_max_wait_ = std::max(self->session_max_wait_, lane.stats().max_wait);
  std::string_view key = std::string_view(lane.name()).substr(kSessionLanePrefix.size());
  auto it = self->sessions_.find(key);
  if (it != self->sessions_.end() && it->second.get() == &lane) {
    self->sessions_.erase(it);  // destroys `lane`; Lane::release() returns without touching it
    ++self->session_lanes_dropped_;
  }
}

LaneDiagnostics LaneRegistry::diagnostics() const {
  LaneDiagnostics out;
  for (const auto& lane : globals_) {
    out.global.push_back(lane->stats());
  }
  out.session_lanes = sessions_.size();
  out.session_max_wait = session_max_wait_;
  for (const auto& [key, lane] : sessions_) {
    out.session_active += lane->active();
    out.session_queued += lane->queued();
    out.session_max_wait = std::max(out.session_max_wait, lane->stats().max_wait);
  }
  out.session_lanes_created = session_lanes_created_;
  out.session_lanes_dropped = session_lanes_dropped_;
  return out;
}

json::value lane_diagnostics_json(const LaneDiagnostics& diagnostics) {
  json::array lanes;
  for (const LaneStats& lane : diagnostics.global) {
    lanes.push_back(json::object{
        {"name", lane.name},
        {"cap", lane.cap},
        {"active", lane.active},
        {"queued", lane.queued},
        {"totalAcquired", lane.total_acquired},
        {"maxWaitMs", to_ms(lane.max_wait)},
        {"lastWaitMs", to_ms(lane.last_wait)},
    });
  }
  json::object sessions{
      {"lanes", diagnostics.session_lanes},
      {"active", diagnostics.session_active},
      {"queued", diagnostics.session_queued},
      {"created", diagnostics.session_lanes_created},
      {"dropped", diagnostics.session_lanes_dropped},
      {"maxWaitMs", to_ms(diagnostics.session_max_wait)},
  };
  return json::object{{"lanes", std::move(lanes)}, {"sessions", std::move(sessions)}};
}

}  // namespace pincer::sessions
