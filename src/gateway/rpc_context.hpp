#pragma once
// What a method handler gets: the gateway, the calling connection and its identity, and the
// request. The connection may close while the handler runs; the response is then dropped, but
// the handler still finishes (side effects are not rolled back by a disconnect).

#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "gateway/connection.hpp"
#include "gateway/frame.hpp"
#include "gateway/principal.hpp"

namespace pincer::gateway {

class Gateway;

class RpcContext {
 public:
  RpcContext(Gateway& gateway, std::shared_ptr<Connection> connection,
             std::shared_ptr<const Principal> principal, RequestFrame request)
      : gateway_(gateway),
        connection_(std::move(connection)),
        principal_(std::move(principal)),
        request_(std::move(request)) {}

  Gateway& gateway() const { return gateway_; }
  const std::shared_ptr<Connection>& connection() const { return connection_; }
  const Principal& principal() const { return *principal_; }
  const RequestFrame& request() const { return request_; }
  const boost::json::value& params() const { return request_.params; }

 private:
  Gateway& gateway_;
  std::shared_ptr<Connection> connection_;
  // Shared, not copied per call; stays valid if the connection goes away mid-call.
  std::shared_ptr<const Principal> principal_;
  RequestFrame request_;
};

}  // namespace pincer::gateway
