#include "core/proxy_settings.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/parse.hpp>

#include "core/text.hpp"

namespace pincer::core {
namespace {

namespace ip = boost::asio::ip;

std::string env_value(const char* lower, const char* upper) {
  if (const char* value = std::getenv(lower); value != nullptr && *value != '\0') {
    return value;
  }
  if (const char* value = std::getenv(upper); value != nullptr && *value != '\0') {
    return value;
  }
  return {};
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string_view strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

std::optional<ip::address> parse_ip(std::string_view host) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(strip_brackets(host)), ec);
  if (ec) {
    return std::nullopt;
  }
  return address;
}

bool entry_matches(std::string_view entry, std::string_view host, std::uint16_t port) {
  if (entry == "*") {
    return true;
  }
  // An optional ":port" (not inside an IPv6 literal or a bare IPv6 address).
  if (auto colon = entry.rfind(':'); colon != std::string_view::npos && entry.find(':') == colon &&
                                     entry.find('/') == entry.npos) {
    std::string_view entry_port = entry.substr(colon + 1);
    entry = entry.substr(0, colon);
    if (entry_port != std::to_string(port)) {
      return false;
    }
  } else if (entry.starts_with('[')) {
    if (auto close = entry.find("]:"); close != std::string_view::npos) {
      if (entry.substr(close + 2) != std::to_string(port)) {
        return false;
      }
      entry = entry.substr(0, close + 1);
    }
  }
  entry = strip_brackets(entry);
  if (auto slash = entry.find('/'); slash != std::string_view::npos) {
    auto address = parse_ip(host);
    if (!address) {
      return false;
    }
    boost::system::error_code ec;
    std::string cidr(entry);
    if (address->is_v4()) {
      auto network = ip::make_network_v4(cidr, ec);
      return !ec && (address->to_v4().to_uint() & network.netmask().to_uint()) ==
                        network.network().to_uint();
    }
    auto network = ip::make_network_v6(cidr, ec);
    if (ec) {
      return false;
    }
    auto hosts = network.hosts();
    return hosts.find(address->to_v6()) != hosts.end();
  }
  std::string_view bare_host = strip_brackets(host);
  if (entry.starts_with('.')) {
    entry.remove_prefix(1);  // ".example.com" reads as "example.com", as in curl
  }
  if (entry.starts_with("*.")) {
    entry.remove_prefix(2);
  }
  if (bare_host == entry) {
    return true;
  }
  return bare_host.size() > entry.size() && bare_host.ends_with(entry) &&
         bare_host[bare_host.size() - entry.size() - 1] == '.';
}

}  // namespace

ProxyEnvironment ProxyEnvironment::from_process() {
  return {env_value("https_proxy", "HTTPS_PROXY"), env_value("http_proxy", "HTTP_PROXY"),
          env_value("no_proxy", "NO_PROXY")};
}

Result<ProxyServer> parse_proxy_url(std::string_view url) {
  std::string text(trim(url));
  if (text.find("://") == std::string::npos) {
    text = "http://" + text;
  }
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    return fail(Errc::config, "the proxy URL \"" + text + "\" is not a valid URL",
                "write it as http://host:port");
  }
  if (to_lower_ascii(parsed->scheme()) != "http") {
    return fail(Errc::config,
                "the proxy URL \"" + std::string(parsed->scheme()) +
                    "://...\" is not supported: only http:// proxies (with CONNECT for https) are",
                "use an http:// proxy URL");
  }
  if (parsed->host().empty()) {
    return fail(Errc::config, "the proxy URL has no host", "write it as http://host:port");
  }
  ProxyServer server;
  server.host = std::string(strip_brackets(parsed->encoded_host_address()));
  server.port = parsed->has_port() ? parsed->port_number() : 80;
  if (parsed->has_userinfo()) {
    server.authorization = "Basic " + base64(parsed->userinfo());
  }
  return server;
}

bool is_loopback_host(std::string_view host) {
  std::string lowered = to_lower_ascii(strip_brackets(host));
  if (lowered == "localhost" || lowered.ends_with(".localhost")) {
    return true;
  }
  auto address = parse_ip(lowered);
  return address && address->is_loopback();
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
  std::string lowered_host = to_lower_ascii(host);
  std::string list = to_lower_ascii(no_proxy);
  std::string_view rest = list;
  while (!rest.empty()) {
    auto end = rest.find_first_of(", ");
    std::string_view entry = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (!entry.empty() && entry_matches(entry, lowered_host, port)) {
      return true;
    }
  }
  return false;
}

Result<std::optional<ProxyServer>> select_proxy(const ProxyChoice& choice, std::string_view scheme,
                                                std::string_view host, std::uint16_t port) {
  if (choice.bypass_loopback && is_loopback_host(host)) {
    return std::nullopt;
  }
  std::string url = choice.explicit_proxy;
  if (url.empty() && choice.use_environment) {
    url = scheme == "https" ? choice.environment.https_proxy : choice.environment.http_proxy;
  }
  if (url.empty()) {
    return std::nullopt;
  }
  if (no_proxy_matches(choice.environment.no_proxy, host, port)) {
    return std::nullopt;
  }
  auto server = parse_proxy_url(url);
  if (!server) {
    return std::unexpected(server.error());
  }
  return std::optional<ProxyServer>(std::move(*server));
}

}  // namespace pincer::core
