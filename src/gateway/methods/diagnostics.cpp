// Diagnostics methods: diagnostics.lanes — the command lanes' caps, running and queued turns
// and wait times, so "why is my message not answered yet" has a visible answer.

#include <boost/json.hpp>

#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"
#include "sessions/lane_registry.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

asio::awaitable<RpcResult> diagnostics_lanes(RpcContext& context) {
  ParamReader params(context, {});
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  json::value lanes = sessions::lane_diagnostics_json(context.gateway().lanes().diagnostics());
  json::object result = std::move(lanes.as_object());
  result["ts"] = unix_ms();
  co_return result;
}

}  // namespace

void register_diagnostics_methods(Gateway& gateway) {
  gateway.methods().add({"diagnostics.lanes", Access::operator_scope, std::string(scope::kRead),
                         false, diagnostics_lanes});
}

}  // namespace pincer::gateway
