#pragma once
// Which HTTP proxy, if any, an outbound call goes through (model calls in providers/model_stream,
// everything else in HttpClient): an explicit proxy from the config, or the
// conventional HTTPS_PROXY / HTTP_PROXY / NO_PROXY environment (upper or lower case, as curl
// reads them). Loopback targets (localhost, 127.0.0.0/8, ::1) always go direct: a local model
// server behind a corporate proxy setting is the common case, never the proxy.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pincer::core {

struct ProxyEnvironment {
  std::string https_proxy;
  std::string http_proxy;
  std::string no_proxy;

  // HTTPS_PROXY/https_proxy, HTTP_PROXY/http_proxy, NO_PROXY/no_proxy; the lower-case form wins
  // when both are set, as curl does.
  static ProxyEnvironment from_process();
};

struct ProxyServer {
  std::string host;
  std::uint16_t port = 0;
  std::string authorization;  // "Basic ..." when the proxy URL carries user:password, else empty
};

// "http://[user:password@]host[:port]" or "host:port" (http assumed). https:// proxies (TLS to
// the proxy itself) are refused with a message saying so.
Result<ProxyServer> parse_proxy_url(std::string_view url);

bool is_loopback_host(std::string_view host);

// Whether NO_PROXY's list (comma or space separated: "*", host names matching themselves and
// their subdomains, ".suffix", IP addresses, CIDR ranges, optional ":port") covers the target.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

struct ProxyChoice {
  std::string explicit_proxy;   // StreamOptions::proxy; wins over the environment
  bool use_environment = true;  // StreamOptions::use_environment_proxy
  bool bypass_loopback = true;  // false only in tests that proxy a 127.0.0.1 fake
  ProxyEnvironment environment;
};

// The proxy for `scheme://host:port`, nullopt to go direct, or an error for a malformed proxy URL.
Result<std::optional<ProxyServer>> select_proxy(const ProxyChoice& choice, std::string_view scheme,
                                                std::string_view host, std::uint16_t port);

}  // namespace pincer::core
