#include "tools/web/ssrf_guard.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace pincer::tools::web {

namespace {

std::string normalize_host(std::string_view host) {
  std::string out(host);
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

struct V4Range {
  std::uint32_t base;
  int prefix;
  const char* reason;
};

bool in_range(std::uint32_t value, std::uint32_t base, int prefix) {
  if (prefix == 0) {
    return true;
  }
  std::uint32_t mask = prefix == 32 ? 0xFFFFFFFFu : ~((1u << (32 - prefix)) - 1);
  return (value & mask) == (base & mask);
}

constexpr std::uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

std::string v4_reason(const boost::asio::ip::address_v4& address, const SsrfPolicy& policy) {
  static constexpr std::array<V4Range, 14> kBlocked{{
      {ip4(0, 0, 0, 0), 8, "\"this network\" 0.0.0.0/8"},
      {ip4(10, 0, 0, 0), 8, "private (RFC 1918)"},
      {ip4(100, 64, 0, 0), 10, "carrier-grade NAT 100.64.0.0/10"},
      {ip4(127, 0, 0, 0), 8, "loopback"},
      {ip4(169, 254, 0, 0), 16, "link-local (cloud metadata lives here)"},
      {ip4(172, 16, 0, 0), 12, "private (RFC 1918)"},
      {ip4(192, 0, 0, 0), 24, "IETF protocol assignments 192.0.0.0/24"},
      {ip4(192, 0, 2, 0), 24, "documentation range"},
      {ip4(192, 168, 0, 0), 16, "private (RFC 1918)"},
      {ip4(198, 51, 100, 0), 24, "documentation range"},
      {ip4(203, 0, 113, 0), 24, "documentation range"},
      {ip4(224, 0, 0, 0), 4, "multicast"},
      {ip4(240, 0, 0, 0), 4, "reserved 240.0.0.0/4 (and broadcast)"},
      {ip4(198, 18, 0, 0), 15, "benchmark range 198.18.0.0/15"},
  }};
  std::uint32_t value = address.to_uint();
  for (const auto& range : kBlocked) {
    if (!in_range(value, range.base, range.prefix)) {
      continue;
    }
    if (range.base == ip4(198, 18, 0, 0) && policy.allow_rfc2544_benchmark_range) {
      return {};
    }
    if (range.base == ip4(127, 0, 0, 0) && policy.allow_loopback_for_test) {
      return {};
    }
    return range.reason;
  }
  return {};
}

std::string v6_reason(const boost::asio::ip::address_v6& address, const SsrfPolicy& policy) {
  auto bytes = address.to_bytes();
  auto embedded_v4 = [&](std::size_t offset) {
    return boost::asio::ip::address_v4(boost::asio::ip::address_v4::bytes_type{
        bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3]});
  };
  if (address.is_unspecified()) {
    return "unspecified address";
  }
  if (address.is_loopback()) {
    return policy.allow_loopback_for_test ? std::string() : "loopback";
  }
  if (address.is_v4_mapped()) {  // ::ffff:a.b.c.d
    auto reason = v4_reason(embedded_v4(12), policy);
    return reason.empty() ? reason : "IPv4-mapped " + reason;
  }
  bool zero_prefix = std::all_of(bytes.begin(), bytes.begin() + 12, [](auto b) { return b == 0; });
  if (zero_prefix) {  // deprecated IPv4-compatible ::a.b.c.d
    auto reason = v4_reason(embedded_v4(12), policy);
    return reason.empty() ? reason : "IPv4-compatible " + reason;
  }
  // 64:ff9b::/96 (NAT64) carries an IPv4 address in its last 4 bytes.
  static constexpr std::array<unsigned char, 12> kNat64{0, 0x64, 0xff, 0x9b, 0, 0,
                                                        0, 0,    0,    0,    0, 0};
  if (std::equal(kNat64.begin(), kNat64.end(), bytes.begin())) {
    auto reason = v4_reason(embedded_v4(12), policy);
    return reason.empty() ? reason : "NAT64 " + reason;
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x02) {  // 2002::/16 6to4 carries one in bytes 2..5
    auto reason = v4_reason(embedded_v4(2), policy);
    return reason.empty() ? reason : "6to4 " + reason;
  }
  if (address.is_link_local()) {
    return "link-local";
  }
  if (address.is_site_local()) {
    return "site-local";
  }
  if (address.is_multicast()) {
    return "multicast";
  }
  if ((bytes[0] & 0xFE) == 0xFC) {
    return policy.allow_ipv6_unique_local_range ? std::string() : "unique-local (fc00::/7)";
  }
  if (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) {
    return "documentation range 2001:db8::/32";
  }
  return {};
}

}  // namespace

std::string blocked_address_reason(const boost::asio::ip::address& address,
                                   const SsrfPolicy& policy) {
  if (policy.allow_private_network) {
    return {};
  }
  return address.is_v4() ? v4_reason(address.to_v4(), policy) : v6_reason(address.to_v6(), policy);
}

bool host_explicitly_allowed(std::string_view host, const SsrfPolicy& policy) {
  std::string name = normalize_host(host);
  return std::any_of(policy.allowed_hostnames.begin(), policy.allowed_hostnames.end(),
                     [&](const std::string& allowed) { return normalize_host(allowed) == name; });
}

std::string blocked_host_reason(std::string_view host, const SsrfPolicy& policy) {
  std::string name = normalize_host(host);
  for (const auto& entry : policy.blocked_hostnames) {
    std::string blocked = normalize_host(entry);
    if (blocked.starts_with("*.")) {
      if (ends_with(name, blocked.substr(1))) {
        return "listed in tools.web.fetch.ssrfPolicy.blockedHostnames";
      }
    } else if (blocked == name) {
      return "listed in tools.web.fetch.ssrfPolicy.blockedHostnames";
    }
  }
  if (policy.allow_private_network || host_explicitly_allowed(name, policy)) {
    return {};
  }
  if (name.empty()) {
    return "empty host name";
  }
  if (name == "localhost" || ends_with(name, ".localhost") || name == "localhost.localdomain" ||
      name == "ip6-localhost" || name == "ip6-loopback") {
    return policy.allow_loopback_for_test ? std::string() : "a local host name";
  }
  if (ends_with(name, ".local") || ends_with(name, ".internal") || ends_with(name, ".lan") ||
      ends_with(name, ".home.arpa") || name == "metadata" || name == "metadata.google.internal") {
    return "an internal host name";
  }
  return {};
}

}  // namespace pincer::tools::web
