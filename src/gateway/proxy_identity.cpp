#include "gateway/proxy_identity.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include "core/text.hpp"

namespace pincer::gateway {

namespace ip = boost::asio::ip;

namespace {

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto address = ip::make_address(text, ec);
  if (ec) {
    return std::nullopt;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

bool matches(const ip::address& address, const std::string& entry) {
  boost::system::error_code ec;
  if (entry.find('/') == std::string::npos) {
    auto single = parse_address(entry);
    return single && *single == address;
  }
  if (auto net = ip::make_network_v4(entry, ec); !ec) {
    return address.is_v4() &&
           ip::network_v4(address.to_v4(), net.prefix_length()).canonical() == net.canonical();
  }
  ec.clear();
  auto net = ip::make_network_v6(entry, ec);
  if (ec) {
    return false;
  }
  ip::address_v6 v6;
  if (address.is_v4()) {
    // An IPv4 peer matches a mapped range (::ffff:10.0.0.0/104), never a native IPv6 one.
    if (!net.address().is_v4_mapped()) {
      return false;
    }
    v6 = ip::make_address_v6(ip::v4_mapped, address.to_v4());
  } else {
    v6 = address.to_v6();
  }
  return ip::network_v6(v6, net.prefix_length()).canonical() == net.canonical();
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

// "1.2.3.4", "[::1]:443" or "1.2.3.4:5678" → the address, or nullopt.
std::optional<ip::address> forwarded_address(std::string_view item) {
  std::string text = trim(item);
  if (auto address = parse_address(text)) {
    return address;
  }
  if (text.starts_with("[")) {
    auto close = text.find(']');
    return close == std::string::npos ? std::nullopt : parse_address(text.substr(1, close - 1));
  }
  auto colon = text.find(':');
  if (colon != std::string::npos && text.find(':', colon + 1) == std::string::npos) {
    return parse_address(text.substr(0, colon));
  }
  return std::nullopt;
}

}  // namespace

bool is_trusted_proxy(std::string_view address_text, const std::vector<std::string>& proxies) {
  auto address = parse_address(address_text);
  return address &&
         std::ranges::any_of(proxies, [&](const auto& entry) { return matches(*address, entry); });
}

ProxyIdentity resolve_proxy_identity(const core::GatewayConfig& config,
                                     std::string_view peer_address, const HeaderLookup& header) {
  ProxyIdentity out;
  out.client_address = std::string(peer_address);
  auto peer = parse_address(peer_address);
  out.client_loopback = peer && peer->is_loopback();
  bool proxy_mode = config.auth.mode == core::AuthMode::trusted_proxy;
  if (!peer || !is_trusted_proxy(peer_address, config.trusted_proxies)) {
    // A local reverse proxy nobody configured still relays remote users: forwarding headers on
    // a loopback connection mean it is not a local client, whatever the socket says.
    for (std::string_view name :
         {"forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip"}) {
      if (header(name)) {
        out.client_loopback = false;
      }
    }
    if (proxy_mode) {
      out.problem = "trusted_proxy_untrusted_source";
    }
    return out;
  }
  out.via_trusted_proxy = true;

  // Walk X-Forwarded-For from the right, skipping our own proxies.
  std::optional<ip::address> client;
  if (auto chain = header("x-forwarded-for"); chain && !trim(*chain).empty()) {
    std::vector<std::string_view> items;
    std::string_view rest = *chain;
    while (true) {
      auto comma = rest.find(',');
      items.push_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) {
        break;
      }
      rest = rest.substr(comma + 1);
    }
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
      auto address = forwarded_address(*it);
      if (!address) {
        break;  // an unparsable hop: stop rather than guess
      }
      client = address;
      if (!std::ranges::any_of(config.trusted_proxies,
                               [&](const auto& entry) { return matches(*address, entry); })) {
        break;
      }
    }
  } else if (config.allow_real_ip_fallback) {
    if (auto real_ip = header("x-real-ip")) {
      client = forwarded_address(*real_ip);
    }
  }
  if (client) {
    out.client_address = client->to_string();
  }
  // Whatever it claims, a proxied client is never a local one (local clients get exemptions).
  out.client_loopback = false;

  if (!proxy_mode) {
    return out;
  }
  const auto& settings = config.auth.trusted_proxy;
  if (peer->is_loopback() && !settings.allow_loopback) {
    out.problem = "trusted_proxy_loopback_source";
    return out;
  }
  if (!client || client->is_loopback()) {
    out.problem = "proxy_attribution_required";
    return out;
  }
  for (const auto& name : settings.required_headers) {
    auto value = header(core::to_lower_ascii(name));
    if (!value || trim(*value).empty()) {
      out.problem = "trusted_proxy_missing_header_" + core::to_lower_ascii(name);
      return out;
    }
  }
  auto user_value = header(core::to_lower_ascii(settings.user_header));
  std::string user = user_value ? trim(*user_value) : std::string();
  if (user.empty()) {
    out.problem = "trusted_proxy_user_missing";
    return out;
  }
  if (!settings.allow_users.empty() &&
      std::ranges::find(settings.allow_users, user) == settings.allow_users.end()) {
    out.problem = "trusted_proxy_user_not_allowed";
    return out;
  }
  out.user = std::move(user);
  return out;
}

}  // namespace pincer::gateway
