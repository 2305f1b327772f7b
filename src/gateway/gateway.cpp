#include "gateway/gateway.hpp"

#include <fmt/core.h>
#include <openssl/rand.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <array>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/log.hpp"
#include "core/version.hpp"
#include "gateway/protocol.hpp"
#include "gateway/run_events.hpp"
#include "gateway/scopes.hpp"
#include "tools/builtin_tools.hpp"
#include "tools/messaging/message_tool.hpp"
#include "tools/sessions/sessions_tools.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

std::string read_host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) {
    return "localhost";
  }
  return name.data();
}

std::string platform_string() {
  utsname info{};
  if (::uname(&info) != 0) {
    return "linux";
  }
  return fmt::format("{} {}", std::string_view(info.sysname) == "Linux" ? "linux" : info.sysname,
                     info.release);
}

}  // namespace

Gateway::Gateway(asio::io_context& io, asio::thread_pool& pool, store::Database& database,
                 core::StatePaths paths, core::Config config,
                 agent::AgentServiceOptions agent_options)
    : io_(io),
      pool_(pool),
      database_(pool, database),
      paths_(std::move(paths)),
      config_(std::move(config)),
      rate_limiter_(config_.gateway.auth.rate_limit),
      idempotency_(io),
      nodes_(io),
      lanes_(lane_caps(config_)),
      agent_(std::make_unique<agent::AgentService>(io, database_, lanes_, paths_, config_,
                                                   agent_options)),
      started_(std::chrono::steady_clock::now()),
      boot_id_(random_uuid()),
      host_name_(read_host_name()),
      tick_timer_(io),
      presence_timer_(io),
      idle_timer_(io, asio::steady_timer::time_point::max()) {
  run_events_ = std::make_unique<RunEventBroadcaster>(*this);
  agent_->add_observer(run_events_.get());
  channels_ = std::make_unique<channels::ChannelManager>(io, database_, *agent_, config_,
                                                         paths_.state_dir / "media");
  tools_http_ = std::make_unique<core::HttpClient>(io.get_executor());
  tools::ToolDeps deps{io, pool, database_, paths_,
                       [this]() -> const core::Config& { return config_; }};
  tools::register_builtin_tools(*agent_, deps, *tools_http_);
  // message and sessions_*: the channel layer and the agent are this process's, so the
  // backends are wired here (pincer_tools cannot depend on channels).
  tools::MessageBackend message_backend;
  message_backend.action =
      [this](tools::MessageActionRequest request) -> asio::awaitable<Result<json::object>> {
    channels::ActionRequest action{std::move(request.channel), std::move(request.account_id),
                                   std::move(request.action), std::move(request.params)};
    co_return co_await channels_->action(std::move(action));
  };
  message_backend.delivery_context = tools::session_delivery_lookup(database_);
  tools::register_message_tool(agent_->tools(), std::move(message_backend));
  tools::register_sessions_tools(agent_->tools(), tools::make_sessions_backend(deps, *agent_));
}

Gateway::~Gateway() {
  agent_->remove_observer(run_events_.get());
}

void Gateway::update_config(core::Config config) {
  config_ = std::move(config);
  rate_limiter_.configure(config_.gateway.auth.rate_limit);
  lanes_.apply(lane_caps(config_));
  agent_->update_config(config_);
  channels_->update_config(config_);
}

sessions::LaneCaps lane_caps(const core::Config& config) {
  sessions::LaneCaps caps;
  caps.main = static_cast<std::size_t>(std::max<int64_t>(1, config.agents.defaults.max_concurrent));
  return caps;
}

bool shows_in_presence(const Principal& who) {
  // Presence is about devices and app instances people see (apps, the Control UI, nodes).
  // One-shot CLI calls, probes and anonymous backend sockets are not: listing them would make
  // every `pincer gateway call` a presence broadcast to every client.
  if (who.client.mode == "cli" || who.client.mode == "probe") {
    return false;
  }
  return !who.device_id.empty() || !who.client.instance_id.empty();
}

void Gateway::attach(const std::shared_ptr<Connection>& connection) {
  connections_[connection->id()] = connection;
  nodes_.on_attach(connection);
  if (const Principal* who = connection->principal(); who != nullptr && shows_in_presence(*who)) {
    presence_changed();
  }
}

void Gateway::detach(const Connection& connection) {
  nodes_.on_detach(connection);
  const Principal* who = connection.principal();
  if (connections_.erase(connection.id()) > 0 && !stopped_ && who != nullptr &&
      shows_in_presence(*who)) {
    presence_changed();
  }
}

std::shared_ptr<Connection> Gateway::find_connection(std::string_view connection_id) const {
  auto it = connections_.find(connection_id);
  return it == connections_.end() ? nullptr : it->second.lock();
}

void Gateway::for_each_connection(
    const std::function<void(const std::shared_ptr<Connection>&)>& fn) const {
  // Copy first: fn may close connections, which detaches them from the map.
  std::vector<std::shared_ptr<Connection>> live;
  live.reserve(connections_.size());
  for (const auto& [id, weak] : connections_) {
    if (auto connection = weak.lock()) {
      live.push_back(std::move(connection));
    }
  }
  for (const auto& connection : live) {
    fn(connection);
  }
}

void Gateway::broadcast(std::string_view event, const json::value& payload,
                        std::string_view required_scope, bool include_state_version) {
  std::optional<StateVersion> version;
  if (include_state_version) {
    version = state_version_;
  }
  std::string payload_json;  // serialized once, on the first recipient
  for_each_connection([&](const std::shared_ptr<Connection>& connection) {
    const Principal* who = connection->principal();
    if (who == nullptr || connection->closed()) {
      return;
    }
    bool allowed = required_scope.empty()         ? true
                   : who->role == role::kOperator ? scope_satisfied(who->scopes, required_scope)
                                                  : false;
    if (!allowed) {
      return;
    }
    if (payload_json.empty()) {
      payload_json = json::serialize(payload);
    }
    connection->send_event_text(event, payload_json, version);
  });
}

json::array Gateway::presence_snapshot() const {
  json::array entries;
  json::object self{{"host", host_name_},
                    {"ip", "127.0.0.1"},
                    {"version", core::version()},
                    {"platform", platform_string()},
                    {"deviceFamily", "Linux"},
                    {"mode", "gateway"},
                    {"reason", "self"},
                    {"instanceId", boot_id_},
                    {"text", fmt::format("Gateway: {} · app {} · mode gateway · reason self",
                                         host_name_, core::version())},
                    {"ts", unix_ms()}};
  entries.push_back(std::move(self));
  // One entry per device (or per client instance without a device): a device connected as both
  // operator and node shows once, with both roles.
  std::map<std::string, json::object> by_key;
  for (const auto& [id, weak] : connections_) {
    auto connection = weak.lock();
    const Principal* who = connection ? connection->principal() : nullptr;
    if (who == nullptr || !shows_in_presence(*who)) {
      continue;
    }
    std::string key = !who->device_id.empty()            ? "device:" + who->device_id
                      : !who->client.instance_id.empty() ? "instance:" + who->client.instance_id
                                                         : "conn:" + id;
    auto [it, inserted] = by_key.try_emplace(key);
    json::object& entry = it->second;
    if (inserted) {
      const auto& peer = connection->peer();
      if (!peer.remote_address.empty()) {
        entry["ip"] = peer.remote_address;
      }
      if (!who->client.display_name.empty()) {
        entry["host"] = who->client.display_name;
      }
      entry["version"] = who->client.version;
      entry["platform"] = who->client.platform;
      if (!who->client.device_family.empty()) {
        entry["deviceFamily"] = who->client.device_family;
      }
      if (!who->client.model_identifier.empty()) {
        entry["modelIdentifier"] = who->client.model_identifier;
      }
      entry["mode"] = who->client.mode;
      entry["reason"] = "connect";
      entry["ts"] = who->connected_at_ms;
      entry["onlineSince"] = who->connected_at_ms;
      if (!who->device_id.empty()) {
        entry["deviceId"] = who->device_id;
      }
      if (!who->client.instance_id.empty()) {
        entry["instanceId"] = who->client.instance_id;
      }
      entry["roles"] = json::array{};
      entry["scopes"] = json::array{};
    }
    auto& roles = entry["roles"].as_array();
    if (std::ranges::find(roles, json::value(who->role)) == roles.end()) {
      roles.emplace_back(who->role);
    }
    auto& scopes = entry["scopes"].as_array();
    for (const auto& scope : who->scopes) {
      if (std::ranges::find(scopes, json::value(scope)) == scopes.end()) {
        scopes.emplace_back(scope);
      }
    }
  }
  for (auto& [key, entry] : by_key) {
    entries.push_back(std::move(entry));
  }
  return entries;
}

json::object Gateway::health_snapshot() const {
  return json::object{
      {"ok", true},
      {"ts", unix_ms()},
      {"durationMs", 0},
      {"configReload",
       {{"hotReloadStatus",
         config_.gateway.reload == core::ReloadMode::hybrid ? "active" : "disabled"}}},
      {"channels", json::object{}},
      {"channelOrder", json::array{}},
      {"channelLabels", json::object{}},
      {"defaultAgentId", "main"},
  };
}

int64_t Gateway::uptime_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               started_)
      .count();
}

void Gateway::request_finished() {
  if (--in_flight_ == 0 && draining_) {
    idle_timer_.cancel();
  }
}

void Gateway::presence_changed() {
  ++state_version_.presence;
  // Coalesce: a burst of connects/disconnects (a reconnect storm, a bench opening 1 000 sockets)
  // becomes one presence broadcast, not one full list per change to every client.
  if (presence_pending_ || stopped_) {
    return;
  }
  presence_pending_ = true;
  presence_timer_.expires_after(kPresenceCoalesce);
  presence_timer_.async_wait([this](const boost::system::error_code& ec) {
    presence_pending_ = false;
    if (ec || stopped_) {
      return;
    }
    json::object payload{{"presence", presence_snapshot()}};
    broadcast("presence", payload, scope::kRead, true);
  });
}

void Gateway::start() {
  asio::co_spawn(io_, tick_loop(), asio::detached);
  channels_->start();
}

asio::awaitable<void> Gateway::tick_loop() {
  while (!stopped_) {
    tick_timer_.expires_after(std::chrono::milliseconds(kTickIntervalMs));
    auto [ec] = co_await tick_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopped_) {
      co_return;
    }
    json::object payload{{"ts", unix_ms()}};
    // Ticks go to every connection, nodes included: clients use them as a liveness watchdog.
    for_each_connection([&](const std::shared_ptr<Connection>& connection) {
      if (connection->principal() != nullptr) {
        connection->send_event("tick", payload);
      }
    });
  }
}

asio::awaitable<void> Gateway::drain(std::chrono::milliseconds bound, std::string reason) {
  if (draining_) {
    co_return;
  }
  draining_ = true;
  json::object payload{{"reason", reason}};
  for_each_connection([&](const std::shared_ptr<Connection>& connection) {
    if (connection->principal() != nullptr) {
      connection->send_event("shutdown", payload);
    }
  });
  if (in_flight_ > 0) {
    log::info("gateway", "waiting up to {} ms for {} in-flight request(s)", bound.count(),
              in_flight_);
    idle_timer_.expires_after(bound);
    co_await idle_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  // Channel messages whose turns the shutdown interrupts stay open and are resumed at the next
  // start; receiving stops first so nothing new comes in.
  channels_->prepare_stop();
  // Turns still running are stopped like a user abort: each keeps what its transcript holds.
  agent_->abort_all();
  co_await channels_->stop();
  stopped_ = true;
  tick_timer_.cancel();
  presence_timer_.cancel();
  for_each_connection([&](const std::shared_ptr<Connection>& connection) {
    connection->close(kCloseServiceRestart, "gateway shutting down");
  });
}

}  // namespace pincer::gateway
