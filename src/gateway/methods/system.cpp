// System methods: health, status, system-presence.

#include <unistd.h>

#include <fstream>

#include <boost/json.hpp>

#include "core/version.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Resident set size from /proc/self/statm (pages → bytes); 0 if unreadable.
int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0;
  int64_t resident = 0;
  if (!(statm >> size >> resident)) {
    return 0;
  }
  return resident * ::sysconf(_SC_PAGESIZE);
}

asio::awaitable<RpcResult> health(RpcContext& context) {
  co_return json::value(context.gateway().health_snapshot());
}

asio::awaitable<RpcResult> status(RpcContext& context) {
  Gateway& gateway = context.gateway();
  json::object out{
      {"runtimeVersion", core::version()},
      {"commit", core::git_hash()},
      {"uptimeMs", gateway.uptime_ms()},
      {"connections", gateway.connection_count()},
      {"processMemory", {{"rssBytes", resident_bytes()}}},
      {"pid", ::getpid()},
  };
  // Paths are only for admins: they say where the secrets live.
  if (scope_satisfied(context.principal().scopes, scope::kAdmin)) {
    out["stateDir"] = gateway.paths().state_dir.string();
    out["configPath"] = gateway.paths().config_file.string();
  }
  co_return json::value(std::move(out));
}

asio::awaitable<RpcResult> system_presence(RpcContext& context) {
  co_return json::value(context.gateway().presence_snapshot());
}

}  // namespace

void register_system_methods(Gateway& gateway) {
  auto& methods = gateway.methods();
  methods.add({"health", Access::operator_scope, std::string(scope::kRead), false, health});
  methods.add({"status", Access::operator_scope, std::string(scope::kRead), false, status});
  methods.add({"system-presence", Access::operator_scope, std::string(scope::kRead), false,
               system_presence});
  methods.add_event("tick");
  methods.add_event("presence");
  methods.add_event("shutdown");
}

void register_all_methods(Gateway& gateway) {
  register_system_methods(gateway);
  register_device_methods(gateway);
  register_config_methods(gateway);
  register_logs_methods(gateway);
  register_node_methods(gateway);
  register_session_methods(gateway);
  register_chat_methods(gateway);
  register_diagnostics_methods(gateway);
  register_agent_methods(gateway);
  register_channel_methods(gateway);
  register_message_methods(gateway);
}

}  // namespace pincer::gateway
