#include "tools/web/web_settings.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>

#include <boost/json/object.hpp>

#include "core/text.hpp"

namespace pincer::tools::web {

namespace json = boost::json;

namespace {

const json::value* find(const json::value& root, std::initializer_list<std::string_view> keys) {
  const json::value* at = &root;
  for (auto key : keys) {
    const auto* object = at->if_object();
    if (object == nullptr) {
      return nullptr;
    }
    auto it = object->find(key);
    if (it == object->end()) {
      return nullptr;
    }
    at = &it->value();
  }
  return at;
}

void read_bool(const json::value* value, bool& out) {
  if (value != nullptr && value->is_bool()) {
    out = value->get_bool();
  }
}

void read_int(const json::value* value, int64_t& out, int64_t minimum, int64_t maximum) {
  if (value == nullptr) {
    return;
  }
  int64_t number = 0;
  if (value->is_int64()) {
    number = value->get_int64();
  } else if (value->is_uint64()) {
    number = static_cast<int64_t>(std::min<uint64_t>(value->get_uint64(), INT64_MAX));
  } else if (value->is_double()) {
    number = static_cast<int64_t>(value->get_double());
  } else {
    return;
  }
  out = std::clamp(number, minimum, maximum);
}

void read_string(const json::value* value, std::string& out) {
  if (value != nullptr && value->is_string() && !value->get_string().empty()) {
    out = std::string(value->get_string());
  }
}

void read_seconds(const json::value* value, std::chrono::milliseconds& out) {
  if (value != nullptr && value->is_number()) {
    double seconds = value->to_number<double>();
    if (seconds > 0 && seconds <= 600) {
      out = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
    }
  }
}

std::vector<std::string> read_strings(const json::value* value) {
  std::vector<std::string> out;
  if (value != nullptr && value->is_array()) {
    for (const auto& item : value->get_array()) {
      if (item.is_string()) {
        out.emplace_back(item.get_string());
      }
    }
  }
  return out;
}

bool valid_token(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// Headers the fetch itself owns, or that framing forbids (docs: tools/web-fetch.md).
bool reserved_header(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kReserved{
      "accept",     "accept-language", "user-agent", "content-length", "transfer-encoding",
      "connection", "upgrade",         "host",       "keep-alive",     "te",
      "trailer",    "accept-encoding"};
  std::string lower = core::to_lower_ascii(name);
  return std::find(kReserved.begin(), kReserved.end(), lower) != kReserved.end();
}

}  // namespace

WebFetchSettings read_web_fetch_settings(const json::value& root) {
  WebFetchSettings settings;
  const json::value* fetch = find(root, {"tools", "web", "fetch"});
  if (fetch == nullptr || !fetch->is_object()) {
    return settings;
  }
  read_bool(find(*fetch, {"enabled"}), settings.enabled);
  read_int(find(*fetch, {"maxCharsCap"}), settings.max_chars_cap, 100, 1'000'000);
  read_int(find(*fetch, {"maxChars"}), settings.max_chars, 100, settings.max_chars_cap);
  settings.max_chars = std::min(settings.max_chars, settings.max_chars_cap);
  int64_t bytes = static_cast<int64_t>(settings.max_response_bytes);
  read_int(find(*fetch, {"maxResponseBytes"}), bytes, 32'000, 10'000'000);
  settings.max_response_bytes = static_cast<std::size_t>(bytes);
  read_seconds(find(*fetch, {"timeoutSeconds"}), settings.timeout);
  int64_t redirects = settings.max_redirects;
  read_int(find(*fetch, {"maxRedirects"}), redirects, 0, 20);
  settings.max_redirects = static_cast<int>(redirects);
  read_string(find(*fetch, {"userAgent"}), settings.user_agent);
  if (const auto* headers = find(*fetch, {"headers"}); headers != nullptr && headers->is_object()) {
    for (const auto& [name, value] : headers->get_object()) {
      if (!value.is_string() || !valid_token(name) || reserved_header(name)) {
        continue;
      }
      std::string_view text = value.get_string();
      bool clean = std::none_of(text.begin(), text.end(),
                                [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
      if (!clean) {
        continue;
      }
      std::string lower = core::to_lower_ascii(name);
      // Names differing only in case: the later entry wins.
      std::erase_if(settings.headers,
                    [&](const auto& entry) { return core::to_lower_ascii(entry.first) == lower; });
      settings.headers.emplace_back(std::string(name), std::string(text));
    }
  }
  if (const auto* policy = find(*fetch, {"ssrfPolicy"}); policy != nullptr) {
    read_bool(find(*policy, {"dangerouslyAllowPrivateNetwork"}),
              settings.policy.allow_private_network);
    read_bool(find(*policy, {"allowRfc2544BenchmarkRange"}),
              settings.policy.allow_rfc2544_benchmark_range);
    read_bool(find(*policy, {"allowIpv6UniqueLocalRange"}),
              settings.policy.allow_ipv6_unique_local_range);
    settings.policy.allowed_hostnames = read_strings(find(*policy, {"allowedHostnames"}));
    settings.policy.blocked_hostnames = read_strings(find(*policy, {"blockedHostnames"}));
  }
  return settings;
}

WebSearchSettings read_web_search_settings(const json::value& root, const core::EnvLookup& env) {
  WebSearchSettings settings;
  if (const auto* search = find(root, {"tools", "web", "search"}); search != nullptr) {
    read_bool(find(*search, {"enabled"}), settings.enabled);
    read_string(find(*search, {"provider"}), settings.provider);
    settings.provider = core::lowercase_trimmed(settings.provider);
    read_int(find(*search, {"maxResults"}), settings.max_results, 1, 10);
    read_seconds(find(*search, {"timeoutSeconds"}), settings.timeout);
    read_string(find(*search, {"apiKey"}), settings.brave_api_key);  // legacy place
  }
  if (const auto* brave = find(root, {"plugins", "entries", "brave", "config", "webSearch"});
      brave != nullptr) {
    read_string(find(*brave, {"apiKey"}), settings.brave_api_key);
    read_string(find(*brave, {"baseUrl"}), settings.brave_base_url);
  }
  if (settings.brave_api_key.empty() && env) {
    if (auto key = env("BRAVE_API_KEY"); key && !key->empty()) {
      settings.brave_api_key = *key;
    }
  }
  if (const auto* ddg = find(root, {"plugins", "entries", "duckduckgo", "config", "webSearch"});
      ddg != nullptr) {
    read_string(find(*ddg, {"region"}), settings.duckduckgo_region);
    read_string(find(*ddg, {"safeSearch"}), settings.duckduckgo_safe_search);
  }
  while (!settings.brave_base_url.empty() && settings.brave_base_url.back() == '/') {
    settings.brave_base_url.pop_back();
  }
  return settings;
}

}  // namespace pincer::tools::web
