#pragma once
// Which browser origins may open the gateway's WebSocket (cross-site WebSocket hijacking / CSRF
// defence). Browsers always send Origin on a WebSocket upgrade and page scripts cannot forge
// it; CLI and node clients send none and are not affected by this check.
//
// An Origin is accepted when
//   - gateway.controlUi.allowedOrigins lists it (or lists "*");
//   - it is a loopback origin (localhost, 127.x, [::1]) and the gateway listens on loopback;
//   - it is the same origin as the request's Host header and that host is private (loopback,
//     RFC 1918, link-local, CGNAT/Tailscale, IPv6 ULA, *.local, *.ts.net). A public host name is
//     not enough on its own: with DNS rebinding any web site can make a browser send a Host
//     that matches its own Origin. gateway.controlUi.dangerouslyAllowHostHeaderOriginFallback
//     accepts every same-origin load anyway.
// Everything else is refused, including the opaque origin "null".

#include <string>
#include <string_view>

#include "core/config.hpp"

namespace pincer::gateway {

struct OriginDecision {
  bool allowed = true;
  std::string reason;  // why it was refused, for the 403 body and the log
};

// `origin` and `host` are the raw header values ("" when absent). `listening_on_loopback` is
// whether the gateway's socket is bound to a loopback address.
OriginDecision check_origin(std::string_view origin, std::string_view host,
                            const core::GatewayConfig& config, bool listening_on_loopback);

}  // namespace pincer::gateway
