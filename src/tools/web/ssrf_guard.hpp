#pragma once
// The SSRF guard of web_fetch: the model chooses the URL, so by default a fetch may only reach
// public addresses. Host names are checked before DNS ("localhost" and friends), and every
// address a name resolves to is checked after; the fetcher then connects only to the addresses
// checked here, so a second DNS answer (rebinding) cannot steer it somewhere else.
//
// Blocked unless the policy allows private networks: unspecified, loopback, RFC 1918,
// CGNAT 100.64/10, link-local (169.254/16 with cloud metadata, fe80::/10), multicast,
// broadcast and reserved 240/4, "this network" 0/8, RFC 2544 198.18/15 (opt-in), documentation
// ranges, unique-local fc00::/7 (opt-in), site-local fec0::/10, and IPv6 forms that embed an
// IPv4 address (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::/96 NAT64, 2002::/16 6to4) when the embedded
// address is blocked.

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace pincer::tools::web {

// tools.web.fetch.ssrfPolicy.* (docs: tools/web-fetch.md).
struct SsrfPolicy {
  bool allow_private_network = false;  // dangerouslyAllowPrivateNetwork: everything allowed
  bool allow_rfc2544_benchmark_range = false;
  bool allow_ipv6_unique_local_range = false;
  // Exact host names let through although they resolve to private addresses.
  std::vector<std::string> allowed_hostnames;
  // Exact names, or "*.example.com" for subdomains (not the apex); refused even when private
  // networks are allowed.
  std::vector<std::string> blocked_hostnames;
  // Tests only: loopback addresses (127/8, ::1) pass, every other private range stays blocked,
  // so a test can reach its fake on 127.0.0.1 and still see redirects to 10.x refused.
  bool allow_loopback_for_test = false;
};

// Why `address` may not be fetched ("loopback", "private (RFC 1918)" ...); empty when allowed.
std::string blocked_address_reason(const boost::asio::ip::address& address,
                                   const SsrfPolicy& policy);

// Why the host name `host` (lower-case, no brackets, no trailing dot needed) may not be
// fetched before any DNS lookup; empty when it may be resolved and checked by address.
std::string blocked_host_reason(std::string_view host, const SsrfPolicy& policy);

// Whether `host` is in policy.allowed_hostnames (case and a trailing dot ignored).
bool host_explicitly_allowed(std::string_view host, const SsrfPolicy& policy);

}  // namespace pincer::tools::web
