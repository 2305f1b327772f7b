#pragma once
// Private to the gateway: hands an upgraded HTTP request to the WebSocket connection. Only
// gateway_server.cpp and connection.cpp include this (it pulls in Beast).

#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "gateway/principal.hpp"

namespace pincer::gateway {

class Gateway;

// Accepts the WebSocket upgrade in `request` and serves the connection until it closes. The
// server keeps its own reference to `stream` so stop() can cut it.
boost::asio::awaitable<void> serve_websocket(
    Gateway& gateway, std::shared_ptr<boost::beast::tcp_stream> stream,
    boost::beast::http::request<boost::beast::http::string_body> request, PeerInfo peer);

}  // namespace pincer::gateway
