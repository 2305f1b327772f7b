#pragma once
// How the fake Telegram server reads a Bot API call: the parameters may come from the query
// string and from a body in any of the three encodings the Bot API accepts.

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "fakes/fake_telegram_server.hpp"

namespace pincer::fakes {

struct BotRequest {
  boost::json::object params;  // form and query values stay strings
  std::vector<TelegramUpload> uploads;
};

// The query string's parameters, then the body's (application/json object,
// application/x-www-form-urlencoded, multipart/form-data with file parts). On failure returns the
// description to answer with a 400.
std::expected<BotRequest, std::string> parse_bot_request(std::string_view query,
                                                         std::string_view content_type,
                                                         std::string_view body);

// "http://host[:port][/target]" as the webhook sender needs it; nullopt for anything else.
struct HttpUrl {
  std::string host;
  std::uint16_t port = 80;
  std::string target = "/";
};
std::optional<HttpUrl> parse_http_url(std::string_view url);

// application/x-www-form-urlencoded decoding ('+' is a space); bad escapes are kept as text.
std::string percent_decode(std::string_view text);
// name=value pairs of a query string or form body, decoded.
std::vector<std::pair<std::string, std::string>> parse_form(std::string_view text);
// RFC 4648 base64 (padding optional); nullopt on a character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace pincer::fakes
