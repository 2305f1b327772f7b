#include "gateway/origin_policy.hpp"

#include <algorithm>
#include <optional>

#include <boost/asio/ip/address.hpp>

#include "core/text.hpp"

namespace pincer::gateway {

namespace {

struct HostPort {
  std::string host;  // lower case, IPv6 without brackets
  std::string port;  // empty when the text named none
};

// "example.com:8080", "[::1]:18789", "127.0.0.1".
std::optional<HostPort> split_host_port(std::string_view text) {
  HostPort out;
  if (text.starts_with("[")) {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    out.host = core::to_lower_ascii(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(":")) {
        return std::nullopt;
      }
      out.port = std::string(rest.substr(1));
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon) {
      return std::nullopt;  // an unbracketed IPv6 literal is not a valid authority
    }
    out.host = core::to_lower_ascii(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      out.port = std::string(text.substr(colon + 1));
    }
  }
  if (out.host.empty() ||
      !std::ranges::all_of(out.port, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return out;
}

struct Origin {
  std::string scheme;
  HostPort authority;  // port filled in from the scheme when absent
};

std::optional<Origin> parse_origin(std::string_view text) {
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return std::nullopt;
  }
  Origin out;
  out.scheme = core::to_lower_ascii(text.substr(0, scheme_end));
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.ends_with("/")) {
    rest.remove_suffix(1);
  }
  if (rest.find_first_of("/?#@") != std::string_view::npos) {
    return std::nullopt;
  }
  auto authority = split_host_port(rest);
  if (!authority) {
    return std::nullopt;
  }
  out.authority = std::move(*authority);
  if (out.authority.port.empty()) {
    out.authority.port = out.scheme == "https" || out.scheme == "wss" ? "443" : "80";
  }
  return out;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost" || host.ends_with(".localhost")) {
    return true;
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

// Hosts only reachable from a private network: a page served from one of them was loaded
// from that network, not from an arbitrary web site.
bool is_private_host(const std::string& host) {
  if (is_loopback_host(host) || host.ends_with(".local") || host.ends_with(".ts.net")) {
    return true;
  }
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return false;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    return bytes[0] == 10 || (bytes[0] == 172 && (bytes[1] & 0xf0) == 16) ||
           (bytes[0] == 192 && bytes[1] == 168) || (bytes[0] == 169 && bytes[1] == 254) ||
           (bytes[0] == 100 && (bytes[1] & 0xc0) == 64);  // CGNAT, used by Tailscale
  }
  auto bytes = address.to_v6().to_bytes();
  return (bytes[0] & 0xfe) == 0xfc || address.to_v6().is_link_local();
}

std::string canonical(const Origin& origin) {
  bool ipv6 = origin.authority.host.find(':') != std::string::npos;
  return origin.scheme + "://" +
         (ipv6 ? "[" + origin.authority.host + "]" : origin.authority.host) + ":" +
         origin.authority.port;
}

}  // namespace

OriginDecision check_origin(std::string_view origin_text, std::string_view host_text,
                            const core::GatewayConfig& config, bool listening_on_loopback) {
  if (origin_text.empty()) {
    return {};
  }
  auto refuse = [&](std::string why) {
    return OriginDecision{false, "origin not allowed: " + std::string(origin_text) + " (" + why +
                                     "); add it to gateway.controlUi.allowedOrigins"};
  };
  auto origin = parse_origin(origin_text);
  if (!origin) {
    return refuse("not a scheme://host[:port] origin");
  }
  for (const auto& allowed_text : config.control_ui_allowed_origins) {
    if (allowed_text == "*") {
      return {};
    }
    if (auto allowed = parse_origin(allowed_text);
        allowed && canonical(*allowed) == canonical(*origin)) {
      return {};
    }
  }
  if (listening_on_loopback && is_loopback_host(origin->authority.host)) {
    return {};
  }
  auto host = split_host_port(host_text);
  if (!host) {
    return refuse("the request has no usable Host header");
  }
  // A Host without a port means the default port of the page's scheme.
  std::string host_port = host->port.empty() ? origin->authority.port : host->port;
  bool same_origin = host->host == origin->authority.host && host_port == origin->authority.port;
  if (!same_origin) {
    return refuse("cross-origin");
  }
  if (is_private_host(host->host) || config.control_ui_allow_host_header_origin_fallback) {
    return {};
  }
  return refuse("same-origin loads are accepted without an allowlist entry only for private hosts");
}

}  // namespace pincer::gateway
