#pragma once
// The one table of RPC methods: name → who may call it, and the handler. hello-ok's
// features.methods/events come from here, so a client is never told about a method Pincer does
// not implement. Later subsystems add their methods to the same registry
// (gateway/methods/<family>.cpp, one register_*_methods() per family).

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "gateway/rpc_error.hpp"

namespace pincer::gateway {

class RpcContext;

// Who may call a method.
enum class Access {
  operator_scope,  // an operator holding `scope` (or a scope that implies it)
  node,            // only a connection with role "node"
  dynamic,         // any authenticated connection; the handler checks (e.g. node.invoke)
};

using MethodHandler = std::function<boost::asio::awaitable<RpcResult>(RpcContext&)>;

struct MethodSpec {
  std::string name;
  Access access = Access::operator_scope;
  std::string scope;  // for Access::operator_scope
  // Side-effecting: a request carrying params.idempotencyKey runs once; a retry with the same
  // key gets the first result (idempotency_cache.hpp).
  bool side_effects = false;
  MethodHandler handler;
};

class MethodRegistry {
 public:
  // Registering a name twice is a programmer error (throws std::logic_error).
  void add(MethodSpec spec);
  void add_event(std::string name);

  const MethodSpec* find(std::string_view name) const;
  std::vector<std::string> method_names() const;  // in registration order
  const std::vector<std::string>& event_names() const { return events_; }

 private:
  std::map<std::string, MethodSpec, std::less<>> methods_;
  std::vector<std::string> order_;
  std::vector<std::string> events_;
};

}  // namespace pincer::gateway
