#pragma once
// The gateway's shared state on the I/O thread: the method registry, the open connections,
// presence, the tick timer, the shared secret and its rate limiter, and serialized access to
// state.db for method handlers.
//
// Everything here is owned by the I/O thread and needs no lock, except the database, which
// handlers reach through with_database() (it runs on the blocking pool, one call at a time).
// Shutdown order: begin_drain() refuses new requests, sends `shutdown`, waits for in-flight
// handlers up to a bound, then closes every connection.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "agent/agent_service.hpp"
#include "channels/channel_manager.hpp"
#include "core/config.hpp"
#include "core/executor.hpp"
#include "core/http_client.hpp"
#include "core/ids.hpp"
#include "core/paths.hpp"
#include "gateway/connection.hpp"
#include "gateway/idempotency_cache.hpp"
#include "gateway/method_registry.hpp"
#include "gateway/node_registry.hpp"
#include "gateway/shared_secret.hpp"
#include "sessions/lane_registry.hpp"
#include "store/database.hpp"
#include "store/database_access.hpp"

namespace pincer::gateway {

class RunEventBroadcaster;

class Gateway {
 public:
  Gateway(boost::asio::io_context& io, boost::asio::thread_pool& pool, store::Database& database,
          core::StatePaths paths, core::Config config,
          agent::AgentServiceOptions agent_options = {});
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;
  ~Gateway();

  boost::asio::io_context& io() { return io_; }
  boost::asio::thread_pool& pool() { return pool_; }
  MethodRegistry& methods() { return methods_; }
  const MethodRegistry& methods() const { return methods_; }
  const core::StatePaths& paths() const { return paths_; }
  const core::Config& config() const { return config_; }
  // Hot reload: later connections and method calls see the new config.
  void update_config(core::Config config);

  AuthRateLimiter& rate_limiter() { return rate_limiter_; }
  IdempotencyCache& idempotency() { return idempotency_; }
  // Connected nodes and invokes to them; attach()/detach() keep it current.
  NodeRegistry& nodes() { return nodes_; }
  const NodeRegistry& nodes() const { return nodes_; }
  // The command lanes every agent turn goes through (sessions/lane_registry.hpp).
  sessions::LaneRegistry& lanes() { return lanes_; }
  const sessions::LaneRegistry& lanes() const { return lanes_; }
  // The agent runtime: chat.send, agent, the OpenAI-compatible endpoint and sessions.compact
  // submit turns here; its run events become `agent` and `chat` events (run_events.hpp).
  agent::AgentService& agent() { return *agent_; }
  // The chat channels (Telegram ...): inbound messages become agent turns, replies go out through
  // the persisted delivery queue (channels/channel_manager.hpp).
  channels::ChannelManager& channels() { return *channels_; }

  // Runs fn(Database&) on the blocking pool, one call at a time, and resumes on the I/O thread.
  template <class Fn>
  auto with_database(Fn fn) -> boost::asio::awaitable<std::invoke_result_t<Fn&, store::Database&>> {
    co_return co_await database_.with(std::move(fn));
  }
  store::DatabaseAccess& database() { return database_; }

  // Connections register once their handshake succeeds (and leave on close).
  void attach(const std::shared_ptr<Connection>& connection);
  void detach(const Connection& connection);
  std::shared_ptr<Connection> find_connection(std::string_view connection_id) const;
  std::size_t connection_count() const { return connections_.size(); }
  // Calls fn for every authenticated connection.
  void for_each_connection(const std::function<void(const std::shared_ptr<Connection>&)>& fn) const;

  // Sends an event to every operator holding `required_scope` (and to nodes when asked).
  void broadcast(std::string_view event, const boost::json::value& payload,
                 std::string_view required_scope, bool include_state_version = false);

  // Presence: one entry for the gateway itself plus one per connected client device/instance.
  boost::json::array presence_snapshot() const;
  StateVersion state_version() const { return state_version_; }
  boost::json::object health_snapshot() const;
  int64_t uptime_ms() const;
  const std::string& boot_id() const { return boot_id_; }

  // Requests in flight across all connections (drain waits for them).
  void request_started() { ++in_flight_; }
  void request_finished();

  void start();  // arms the tick timer
  bool draining() const { return draining_; }
  // Stops taking requests, sends `shutdown`, waits up to `bound` for in-flight requests, closes
  // every connection. Safe to call twice.
  boost::asio::awaitable<void> drain(std::chrono::milliseconds bound, std::string reason);

 private:
  boost::asio::awaitable<void> tick_loop();
  void presence_changed();

  boost::asio::io_context& io_;
  boost::asio::thread_pool& pool_;
  store::DatabaseAccess database_;
  core::StatePaths paths_;
  core::Config config_;
  MethodRegistry methods_;
  AuthRateLimiter rate_limiter_;
  IdempotencyCache idempotency_;
  NodeRegistry nodes_;
  sessions::LaneRegistry lanes_;
  std::unique_ptr<agent::AgentService> agent_;          // after the lanes and database it uses
  std::unique_ptr<RunEventBroadcaster> run_events_;     // observes agent_; destroyed first
  std::unique_ptr<channels::ChannelManager> channels_;  // observes agent_ too
  std::unique_ptr<core::HttpClient> tools_http_;        // web_fetch / web_search
  std::map<std::string, std::weak_ptr<Connection>, std::less<>> connections_;
  StateVersion state_version_{1, 1};
  std::chrono::steady_clock::time_point started_;
  std::string boot_id_;
  std::string host_name_;
  int64_t in_flight_ = 0;
  bool draining_ = false;
  bool stopped_ = false;
  boost::asio::steady_timer tick_timer_;
  boost::asio::steady_timer presence_timer_;
  bool presence_pending_ = false;
  static constexpr std::chrono::milliseconds kPresenceCoalesce{250};
  boost::asio::steady_timer idle_timer_;  // drain waits on it for in-flight requests
};

// The lane caps config asks for (agents.defaults.maxConcurrent ...).
sessions::LaneCaps lane_caps(const core::Config& config);

// Whether a connection is listed in presence (devices and app instances; not CLI calls).
bool shows_in_presence(const Principal& who);

// Unix time in milliseconds (wall clock, for timestamps people and clients read).
int64_t unix_ms();
using core::random_uuid;

}  // namespace pincer::gateway
