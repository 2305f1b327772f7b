#pragma once
// Who a connection really comes from when it arrives through a reverse proxy.
//
// Forwarding headers (X-Forwarded-For, X-Real-IP) and identity headers (gateway.auth.
// trustedProxy.userHeader) are believed only when the TCP peer itself is listed in
// gateway.trustedProxies: anyone else could simply send them. For a trusted peer the client
// address is the right-most X-Forwarded-For entry that is not itself a trusted proxy (the
// proxy appends what it saw; entries further left are client claims). With
// gateway.auth.mode "trusted-proxy", the user header names the authenticated user, subject to
// requiredHeaders, allowUsers and allowLoopback (a proxy on this host is trusted only with
// that explicit opt-in). A proxied connection never counts as loopback, and neither does a
// loopback connection carrying forwarding headers from a proxy nobody listed.
//
// Tailscale Serve identity headers are not honoured: they are only trustworthy after
// `tailscale whois` confirms them, which Pincer does not do.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"

namespace pincer::gateway {

// Looks up a request header by (case-insensitive) name; nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string>(std::string_view name)>;

struct ProxyIdentity {
  std::string client_address;  // the peer, or the client a trusted proxy forwarded for
  bool client_loopback = false;
  bool via_trusted_proxy = false;
  std::string user;     // the user a trusted proxy asserted ("" when none)
  std::string problem;  // why trusted-proxy identity was not accepted ("" when fine or n/a)
};

// True when `address` (an IP, possibly IPv4-mapped IPv6) matches an entry of `proxies`
// (IPs or CIDR ranges).
bool is_trusted_proxy(std::string_view address, const std::vector<std::string>& proxies);

ProxyIdentity resolve_proxy_identity(const core::GatewayConfig& config,
                                     std::string_view peer_address, const HeaderLookup& header);

}  // namespace pincer::gateway
