#pragma once
// The process's one TLS client context: peer verification against the system CA store, TLS 1.2
// or newer. Loading the CA store costs milliseconds and an SSL_CTX is safe to share between
// connections and threads, so every HTTPS client (model calls, the HTTP client, channels) uses
// this one.

#include <boost/asio/ssl/context.hpp>

namespace pincer::core {

// Built on first use (thread-safe static initialisation) and never destroyed before exit.
// Callers still set SNI and hostname verification per connection.
boost::asio::ssl::context& tls_client_context();

}  // namespace pincer::core
