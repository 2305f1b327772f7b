#pragma once
// fetch_page(): the HTTP half of web_fetch. A GET that follows redirects itself (each hop's host
// goes through the SSRF guard again), keeps at most max_body_bytes of the body and then drops
// the connection (a 50 MB page costs 750 kB of memory, not 50 MB), and finishes every hop
// within one deadline.
//
// Why not core::HttpClient: the guard must check the address actually connected to, not a
// name that a second DNS lookup could answer differently (rebinding), and a page larger than
// the cap should come back cut off rather than fail. So this resolves the name once, checks
// every address, connects to those addresses only, and sends the name in Host and in TLS SNI
// (the certificate is still verified against the name). It reads the body in small pieces.
//
// What it does not do: proxies (connections are direct; an environment proxy would resolve
// names itself, which the guard could not check: tools.web.fetch.useTrustedEnvProxy is not
// supported yet), compression (it asks for identity), cookies, or keep-alive.

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "core/result.hpp"
#include "tools/web/ssrf_guard.hpp"

namespace pincer::tools::web {

struct PageRequest {
  std::string url;  // http:// or https://, chosen by the model
  SsrfPolicy policy;
  std::vector<std::pair<std::string, std::string>> headers;     // User-Agent, Accept ...
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};  // all hops together
  std::size_t max_body_bytes = 750'000;  // more is cut off: PageResponse::truncated
  int max_redirects = 3;
};

struct PageResponse {
  std::string final_url;     // after redirects
  int status = 0;            // of the last hop
  std::string content_type;  // the header's whole value ("text/html; charset=...")
  std::string body;          // at most max_body_bytes
  bool truncated = false;    // the body was longer and was cut off
  int redirects = 0;
};

// Fetches `request.url`. Any HTTP status is a response; errors are bad URLs, refusals by the
// guard (Errc::invalid_argument, naming the host and the reason), too many redirects, and
// network failures and timeouts (Errc::unavailable). Must be awaited on an I/O executor.
boost::asio::awaitable<Result<PageResponse>> fetch_page(PageRequest request);

}  // namespace pincer::tools::web
