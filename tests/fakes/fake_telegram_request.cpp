#include "fakes/fake_telegram_request.hpp"

#include <cctype>

#include <boost/json/parse.hpp>

#include "core/text.hpp"

namespace pincer::fakes {
namespace {

namespace json = boost::json;

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// The value of `key` in a header like `form-data; name="x"; filename="y"`.
std::optional<std::string> header_parameter(std::string_view header, std::string_view key) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    // A quoted value may hold ';': skip to the closing quote first.
    std::size_t quote = header.find('"', pos);
    if (quote != std::string_view::npos && quote < end) {
      std::size_t close = header.find('"', quote + 1);
      end = close == std::string_view::npos ? std::string_view::npos : header.find(';', close);
    }
    std::string_view part =
        core::trim(header.substr(pos, end == std::string_view::npos ? end : end - pos));
    std::size_t equals = part.find('=');
    if (equals != std::string_view::npos &&
        core::to_lower_ascii(core::trim(part.substr(0, equals))) == key) {
      std::string_view value = core::trim(part.substr(equals + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

std::expected<void, std::string> parse_multipart(std::string_view content_type,
                                                 std::string_view body, BotRequest& out) {
  auto boundary = header_parameter(content_type, "boundary");
  if (!boundary || boundary->empty()) {
    return std::unexpected("Bad Request: multipart/form-data without a boundary");
  }
  const std::string delimiter = "--" + *boundary;
  std::size_t pos = body.find(delimiter);
  if (pos == std::string_view::npos) {
    return std::unexpected("Bad Request: can't parse multipart/form-data body");
  }
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") {
      return {};
    }
    if (body.substr(pos, 2) == "\r\n") {
      pos += 2;
    }
    std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) {
      return std::unexpected("Bad Request: can't parse multipart/form-data body");
    }
    std::string_view headers = body.substr(pos, headers_end - pos);
    std::size_t content_begin = headers_end + 4;
    std::size_t next = body.find("\r\n" + delimiter, content_begin);
    if (next == std::string_view::npos) {
      return std::unexpected("Bad Request: can't parse multipart/form-data body");
    }
    std::string_view content = body.substr(content_begin, next - content_begin);

    std::optional<std::string> name;
    std::optional<std::string> filename;
    std::string part_type;
    std::size_t line_begin = 0;
    while (line_begin <= headers.size()) {
      std::size_t line_end = headers.find("\r\n", line_begin);
      std::string_view line = headers.substr(
          line_begin, line_end == std::string_view::npos ? line_end : line_end - line_begin);
      std::size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string header = core::lowercase_trimmed(line.substr(0, colon));
        std::string_view value = core::trim(line.substr(colon + 1));
        if (header == "content-disposition") {
          name = header_parameter(value, "name");
          filename = header_parameter(value, "filename");
        } else if (header == "content-type") {
          part_type = std::string(value);
        }
      }
      if (line_end == std::string_view::npos) {
        break;
      }
      line_begin = line_end + 2;
    }
    if (name) {
      if (filename) {
        out.uploads.push_back({*name, *filename, part_type, std::string(content)});
      } else {
        out.params[*name] = std::string(content);
      }
    }
    pos = next + 2;
  }
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_form(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    std::size_t end = text.find('&', pos);
    std::string_view pair =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (!pair.empty()) {
      std::size_t equals = pair.find('=');
      if (equals == std::string_view::npos) {
        pairs.emplace_back(percent_decode(pair), "");
      } else {
        pairs.emplace_back(percent_decode(pair.substr(0, equals)),
                           percent_decode(pair.substr(equals + 1)));
      }
    }
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  return pairs;
}

std::optional<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    if (c == '+' || c == '-') {
      return 62;
    }
    if (c == '/' || c == '_') {
      return 63;
    }
    return -1;
  };
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') {
      continue;
    }
    int v = value(c);
    if (v < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  if (!core::to_lower_ascii(url.substr(0, 7)).starts_with("http://")) {
    return std::nullopt;
  }
  std::string_view rest = url.substr(7);
  std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != std::string_view::npos) {
    out.target = std::string(rest.substr(slash));
    if (out.target.front() == '?') {
      out.target.insert(out.target.begin(), '/');
    }
  }
  if (authority.find('@') != std::string_view::npos || authority.empty()) {
    return std::nullopt;
  }
  std::size_t colon = authority.rfind(':');
  out.host = core::to_lower_ascii(authority.substr(0, colon));
  if (colon != std::string_view::npos) {
    std::string_view digits = authority.substr(colon + 1);
    unsigned long port = 0;
    for (char c : digits) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
        return std::nullopt;
      }
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (digits.empty() || port == 0 || port > 65535) {
      return std::nullopt;
    }
    out.port = static_cast<std::uint16_t>(port);
  }
  return out.host.empty() ? std::nullopt : std::optional<HttpUrl>(std::move(out));
}

std::expected<BotRequest, std::string> parse_bot_request(std::string_view query,
                                                         std::string_view content_type,
                                                         std::string_view body) {
  BotRequest out;
  for (auto& [name, value] : parse_form(query)) {
    out.params[name] = value;
  }
  std::string type = core::lowercase_trimmed(content_type.substr(0, content_type.find(';')));
  if (body.empty()) {
    return out;
  }
  if (type == "application/json") {
    boost::system::error_code ec;
    json::value parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
      return std::unexpected("Bad Request: can't parse JSON object");
    }
    for (auto& [name, value] : parsed.get_object()) {
      out.params[name] = value;
    }
  } else if (type == "application/x-www-form-urlencoded") {
    for (auto& [name, value] : parse_form(body)) {
      out.params[name] = value;
    }
  } else if (type == "multipart/form-data") {
    if (auto parsed = parse_multipart(content_type, body, out); !parsed) {
      return std::unexpected(parsed.error());
    }
  }
  return out;
}

}  // namespace pincer::fakes
