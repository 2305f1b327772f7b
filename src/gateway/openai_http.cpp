#include "gateway/openai_http.hpp"

#include <openssl/sha.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>

#include "agent/agent_service.hpp"
#include "agent/run_types.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "gateway/gateway.hpp"
#include "gateway/proxy_identity.hpp"
#include "gateway/shared_secret.hpp"
#include "sessions/session_key.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

constexpr auto kWriteTimeout = std::chrono::seconds(30);
// Image limits for the latest user message (as documented for the endpoint).
constexpr std::size_t kMaxImageParts = 8;
constexpr std::size_t kMaxImageBytes = std::size_t{10} * 1024 * 1024;
constexpr std::size_t kMaxTotalImageBytes = std::size_t{20} * 1024 * 1024;
constexpr std::size_t kMaxUserKeyChars = 64;
constexpr int64_t kMaxSafeInteger = 9'007'199'254'740'991;

// Labels around the conversation the client sent along: the model sees which part is context
// and which message it answers.
constexpr std::string_view kHistoryMarker = "[Earlier in this conversation, for context]";
constexpr std::string_view kCurrentMarker = "[The message to answer]";
constexpr std::string_view kImageOnlyMessage = "(an image without text)";
constexpr std::string_view kNoResponse = "(the assistant gave no reply)";
constexpr std::string_view kDefaultChannel = "openai-http";

constexpr std::string_view kChatPath = "/v1/chat/completions";
constexpr std::string_view kModelsPath = "/v1/models";

std::string_view path_of(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) {
    target = target.substr(0, q);
  }
  return target;
}

// ---- responses --------------------------------------------------------------------------------

json::object error_body(std::string_view message, std::string_view type) {
  return json::object{{"error", json::object{{"message", message}, {"type", type}}}};
}

Response json_response(const Request& request, http::status status, const json::value& body) {
  Response response{status, request.version()};
  response.set(http::field::server, "pincer");
  response.set(http::field::content_type, "application/json; charset=utf-8");
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = json::serialize(body);
  response.prepare_payload();
  return response;
}

Response invalid_request(const Request& request, std::string_view message) {
  return json_response(request, http::status::bad_request,
                       error_body(message, "invalid_request_error"));
}

Response method_not_allowed(const Request& request, std::string_view allow) {
  auto response = json_response(request, http::status::method_not_allowed,
                                error_body("Method Not Allowed", "invalid_request_error"));
  response.set(http::field::allow, allow);
  return response;
}

asio::awaitable<bool> write_response(beast::tcp_stream& stream, Response response) {
  bool keep_alive = response.keep_alive();
  stream.expires_after(kWriteTimeout);
  auto [ec, n] = co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
  co_return !ec && keep_alive;
}

// ---- auth -------------------------------------------------------------------------------------

// The credential of "Authorization: Bearer <secret>"; empty when absent or another scheme.
std::string_view bearer_token(std::string_view header) {
  header = core::trim(header);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() ||
      core::to_lower_ascii(header.substr(0, kScheme.size())) != kScheme) {
    return {};
  }
  if (header[kScheme.size()] != ' ' && header[kScheme.size()] != '\t') {
    return {};
  }
  return core::trim(header.substr(kScheme.size()));
}

// Who is calling, as far as rate limiting cares (the client behind a trusted proxy).
ProxyIdentity caller_identity(const core::GatewayConfig& config, beast::tcp_stream& stream,
                              const Request& request) {
  std::string peer;
  boost::system::error_code ec;
  auto endpoint = stream.socket().remote_endpoint(ec);
  if (!ec) {
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    peer = address.to_string();
  }
  HeaderLookup header = [&request](std::string_view name) -> std::optional<std::string> {
    auto it = request.find(name);
    if (it == request.end()) {
      return std::nullopt;
    }
    return std::string(it->value());
  };
  return resolve_proxy_identity(config, peer, header);
}

// nullopt when the request may proceed; otherwise the 401/429 to send.
std::optional<Response> authorize(Gateway& gateway, beast::tcp_stream& stream,
                                  const Request& request) {
  const auto& config = gateway.config().gateway;
  const auto& auth = config.auth;
  ProxyIdentity caller = caller_identity(config, stream, request);
  auto& limiter = gateway.rate_limiter();
  if (int64_t wait = limiter.retry_after_ms(caller.client_address, caller.client_loopback);
      wait > 0) {
    auto response =
        json_response(request, http::status::too_many_requests,
                      error_body("Too many failed authentication attempts. Please try again later.",
                                 "rate_limited"));
    response.set(http::field::retry_after, std::to_string((wait + 999) / 1000));
    return response;
  }
  std::string_view presented = bearer_token(request[http::field::authorization]);
  bool allowed = false;
  std::string_view key = "gateway.auth.token";
  switch (auth.mode) {
    case core::AuthMode::none:
      allowed = true;
      break;
    case core::AuthMode::trusted_proxy:
      // The proxy authenticated the user; direct callers may still present the password.
      key = "gateway.auth.password";
      allowed = !caller.user.empty() || secrets_equal(presented, auth.password);
      break;
    case core::AuthMode::token:
      allowed = secrets_equal(presented, auth.token);
      break;
    case core::AuthMode::password:
      key = "gateway.auth.password";
      allowed = secrets_equal(presented, auth.password);
      break;
  }
  if (allowed) {
    limiter.record_success(caller.client_address);
    return std::nullopt;
  }
  limiter.record_failure(caller.client_address, caller.client_loopback);
  log::warn("gateway", "{} {} from {} refused: {}", std::string_view(request.method_string()),
            path_of(request.target()), caller.client_address,
            presented.empty() ? "no credentials" : "wrong credentials");
  std::string message = presented.empty()
                            ? "Unauthorized: send this gateway's " + std::string(key) +
                                  " as `Authorization: Bearer <secret>`."
                            : "Unauthorized: the bearer credential does not match this gateway's " +
                                  std::string(key) + ".";
  auto response = json_response(request, http::status::unauthorized,
                                error_body(message, "authentication_error"));
  response.set(http::field::www_authenticate, "Bearer");
  return response;
}

// ---- agent targets ----------------------------------------------------------------------------

// Agent ids: [a-z0-9][a-z0-9_-]{0,63} (compared lowercased).
bool is_valid_agent_id(std::string_view id) {
  if (id.empty() || id.size() > 64) {
    return false;
  }
  auto plain = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!plain(id.front())) {
    return false;
  }
  for (char c : id) {
    if (!plain(c) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

// For "openclaw/<id>", "openclaw:<id>" and "agent:<id>": the id (lowercased, possibly invalid).
std::optional<std::string> agent_part_of_model(std::string_view model) {
  std::string lowered = core::lowercase_trimmed(model);
  for (std::string_view prefix : {"openclaw/", "openclaw:", "agent:"}) {
    if (lowered.starts_with(prefix)) {
      return lowered.substr(prefix.size());
    }
  }
  return std::nullopt;
}

bool is_default_model(std::string_view model) {
  std::string lowered = core::lowercase_trimmed(model);
  return lowered == "openclaw" || lowered == "openclaw/default";
}

bool is_agent_model_id(std::string_view model) {
  if (is_default_model(model)) {
    return true;
  }
  auto id = agent_part_of_model(model);
  return id && is_valid_agent_id(*id);
}

// The agents a request may name: the configured roster, or the implicit "main".
std::vector<std::string> known_agent_ids(const core::AgentsConfig& agents) {
  std::vector<std::string> ids;
  for (const auto& entry : agents.list) {
    if (std::find(ids.begin(), ids.end(), entry.id) == ids.end()) {
      ids.push_back(entry.id);
    }
  }
  std::string fallback = core::default_agent_id(agents);
  if (std::find(ids.begin(), ids.end(), fallback) == ids.end()) {
    ids.push_back(std::move(fallback));
  }
  return ids;
}

bool is_known_agent(const core::AgentsConfig& agents, std::string_view id) {
  auto ids = known_agent_ids(agents);
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

std::vector<std::string> model_ids(const core::AgentsConfig& agents) {
  std::vector<std::string> ids = {"openclaw", "openclaw/default"};
  for (const auto& id : known_agent_ids(agents)) {
    ids.push_back("openclaw/" + id);
  }
  return ids;
}

json::object model_json(std::string_view id) {
  return json::object{{"id", id},
                      {"object", "model"},
                      {"created", 0},
                      {"owned_by", "openclaw"},
                      {"permission", json::array()}};
}

std::optional<std::string> percent_decode(std::string_view text) {
  auto encoded = boost::urls::make_pct_string_view(text);
  if (!encoded) {
    return std::nullopt;
  }
  boost::urls::decode_view decoded(*encoded);
  return std::string(decoded.begin(), decoded.end());
}

Response models_response(Gateway& gateway, const Request& request, std::string_view path) {
  const auto& agents = gateway.config().agents;
  auto ids = model_ids(agents);
  if (path == kModelsPath) {
    json::array data;
    for (const auto& id : ids) {
      data.push_back(model_json(id));
    }
    return json_response(request, http::status::ok,
                         json::object{{"object", "list"}, {"data", std::move(data)}});
  }
  std::string_view encoded = path.substr(kModelsPath.size() + 1);
  if (encoded.empty()) {
    return invalid_request(request, "Missing model id.");
  }
  auto decoded = percent_decode(encoded);
  if (!decoded) {
    return invalid_request(request, "Invalid model id encoding.");
  }
  if (!is_agent_model_id(*decoded)) {
    return invalid_request(request, "Invalid model id.");
  }
  bool listed = std::find(ids.begin(), ids.end(), *decoded) != ids.end();
  if (!listed) {
    return json_response(
        request, http::status::not_found,
        error_body("Model '" + *decoded + "' not found.", "invalid_request_error"));
  }
  return json_response(request, http::status::ok, model_json(*decoded));
}

// ---- the request body -------------------------------------------------------------------------

struct ChatCall {
  std::string model = "openclaw";  // echoed back as the response's "model"
  bool stream = false;
  bool include_usage = false;
  std::string user;
  std::string prompt;
  std::string extra_system_prompt;
  std::vector<providers::ImagePart> images;
};

std::optional<double> number_of(const json::value& value) {
  if (value.is_int64()) {
    return static_cast<double>(value.get_int64());
  }
  if (value.is_uint64()) {
    return static_cast<double>(value.get_uint64());
  }
  if (value.is_double()) {
    return value.get_double();
  }
  return std::nullopt;
}

const json::value* present(const json::object& body, std::string_view key) {
  const json::value* value = body.if_contains(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

// Sampling fields are forwarded best-effort by the reference; Pincer validates them the same way
// (a client learns of a typo either way) and leaves the agent's model settings alone.
std::optional<std::string> check_sampling(const json::object& body) {
  struct Range {
    std::string_view key;
    double min;
    double max;
    std::string_view text;
  };
  for (const Range& range : {Range{"temperature", 0, 2, "0 and 2"}, Range{"top_p", 0, 1, "0 and 1"},
                             Range{"frequency_penalty", -2, 2, "-2.0 and 2.0"},
                             Range{"presence_penalty", -2, 2, "-2.0 and 2.0"}}) {
    const json::value* value = present(body, range.key);
    if (value == nullptr) {
      continue;
    }
    auto number = number_of(*value);
    if (!number || !std::isfinite(*number)) {
      return "`" + std::string(range.key) + "` must be a finite number.";
    }
    if (*number < range.min || *number > range.max) {
      return "`" + std::string(range.key) + "` must be between " + std::string(range.text) + ".";
    }
  }
  if (const json::value* seed = present(body, "seed")) {
    auto number = number_of(*seed);
    if (!number || !std::isfinite(*number)) {
      return "`seed` must be a finite number.";
    }
    if (std::trunc(*number) != *number) {
      return "`seed` must be an integer.";
    }
  }
  for (std::string_view key : {"max_completion_tokens", "max_tokens"}) {
    if (const json::value* cap = present(body, key)) {
      auto number = number_of(*cap);
      if (!number || std::trunc(*number) != *number || *number < 1 ||
          *number > static_cast<double>(kMaxSafeInteger)) {
        return std::string(key) + " must be a positive safe integer";
      }
    }
  }
  if (const json::value* stop = present(body, "stop")) {
    if (const auto* list = stop->if_array()) {
      if (list->size() > 4) {
        return "Invalid stop: stop supports at most 4 sequences";
      }
      for (const auto& item : *list) {
        if (!item.is_string() || item.get_string().empty()) {
          return "Invalid stop: stop entries must be non-empty strings";
        }
      }
    } else if (!stop->is_string()) {
      return "Invalid stop: stop must be a string or array of strings";
    }
  }
  if (const json::value* format = present(body, "response_format")) {
    const auto* object = format->if_object();
    if (object == nullptr) {
      return "Invalid response_format: response_format must be an object";
    }
    const json::value* type = object->if_contains("type");
    bool known = type != nullptr && type->is_string() &&
                 (type->get_string() == "text" || type->get_string() == "json_object" ||
                  type->get_string() == "json_schema");
    if (!known) {
      return "Invalid response_format: response_format.type must be text, json_object, or "
             "json_schema";
    }
  }
  return std::nullopt;
}

// Client function tools are validated like the reference does, but Pincer's runtime cannot hand
// them to the agent yet: a choice that requires a call could never be satisfied, so it is refused
// up front instead of answering with prose.
std::optional<std::string> check_tools(const json::object& body) {
  std::vector<std::string> names;
  if (const json::value* tools = present(body, "tools")) {
    const auto* list = tools->if_array();
    if (list == nullptr) {
      return "Invalid tools/tool_choice: tools must be an array";
    }
    for (const auto& tool : *list) {
      const auto* object = tool.if_object();
      const json::value* type = object == nullptr ? nullptr : object->if_contains("type");
      if (type == nullptr || !type->is_string() || type->get_string() != "function") {
        return "Invalid tools/tool_choice: only function tools are supported";
      }
      const json::value* function = object->if_contains("function");
      if (function == nullptr || !function->is_object()) {
        return "Invalid tools/tool_choice: tool.function is required";
      }
      const json::value* name = function->get_object().if_contains("name");
      if (name == nullptr || !name->is_string() || core::trim(name->get_string()).empty()) {
        return "Invalid tools/tool_choice: tool.function.name is required";
      }
      names.emplace_back(core::trim(name->get_string()));
    }
  }
  const json::value* choice = present(body, "tool_choice");
  if (choice == nullptr) {
    return std::nullopt;
  }
  constexpr std::string_view kUnsupported =
      "Invalid tools/tool_choice: Pincer does not offer client tools to the agent yet, so a "
      "tool_choice that requires a call cannot be honoured";
  if (choice->is_string()) {
    std::string_view mode = choice->get_string();
    if (mode == "auto" || mode == "none") {
      return std::nullopt;
    }
    if (mode == "required") {
      return std::string(kUnsupported);
    }
    return "Invalid tools/tool_choice: unsupported tool_choice \"" + std::string(mode) + "\"";
  }
  const auto* object = choice->if_object();
  const json::value* type = object == nullptr ? nullptr : object->if_contains("type");
  if (type == nullptr || !type->is_string() || type->get_string() != "function") {
    return "Invalid tools/tool_choice: unsupported tool_choice";
  }
  const json::value* function = object->if_contains("function");
  const json::value* name = function != nullptr && function->is_object()
                                ? function->get_object().if_contains("name")
                                : nullptr;
  if (name == nullptr || !name->is_string() ||
      std::find(names.begin(), names.end(), core::trim(name->get_string())) == names.end()) {
    return "Invalid tools/tool_choice: tool_choice.function.name does not match a provided tool";
  }
  return std::string(kUnsupported);
}

// Message content as text: a string, or the "text"/"input_text" parts of an array joined by
// newlines. nullopt for anything else (null, numbers, arrays with only non-text parts).
std::optional<std::string> text_of(const json::value* content) {
  if (content == nullptr) {
    return std::nullopt;
  }
  if (content->is_string()) {
    return std::string(content->get_string());
  }
  const auto* parts = content->if_array();
  if (parts == nullptr) {
    return std::nullopt;
  }
  std::string text;
  bool first = true;
  bool all_text = true;
  for (const auto& part : *parts) {
    const auto* object = part.if_object();
    const json::value* piece = nullptr;
    if (object != nullptr) {
      const json::value* type = object->if_contains("type");
      const json::value* value = object->if_contains("text");
      bool text_type = type != nullptr && type->is_string() &&
                       (type->get_string() == "text" || type->get_string() == "input_text");
      if (text_type && value != nullptr && value->is_string()) {
        piece = value;
      } else if (const json::value* input = object->if_contains("input_text");
                 input != nullptr && input->is_string()) {
        piece = input;
      }
    }
    if (piece == nullptr) {
      all_text = false;
      continue;
    }
    if (piece->get_string().empty()) {
      continue;  // the reference joins only non-empty parts
    }
    if (!first) {
      text += '\n';
    }
    first = false;
    text += piece->get_string();
  }
  if (core::trim(text).empty() && !all_text) {
    return std::nullopt;
  }
  return text;
}

std::string role_of(const json::object& message) {
  const json::value* role = message.if_contains("role");
  if (role == nullptr || !role->is_string()) {
    return {};
  }
  return std::string(core::trim(role->get_string()));
}

std::string string_member(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(core::trim(value->get_string()))
                                                : std::string();
}

// The image URLs of a user message's image_url parts; nullopt when a part has no usable URL.
std::optional<std::vector<std::string>> image_urls_of(const json::object& message) {
  std::vector<std::string> urls;
  const json::value* content = message.if_contains("content");
  const auto* parts = content == nullptr ? nullptr : content->if_array();
  if (parts == nullptr) {
    return urls;
  }
  for (const auto& part : *parts) {
    const auto* object = part.if_object();
    const json::value* type = object == nullptr ? nullptr : object->if_contains("type");
    if (type == nullptr || !type->is_string() || type->get_string() != "image_url") {
      continue;
    }
    const json::value* image = object->if_contains("image_url");
    const json::value* url = nullptr;
    if (image != nullptr && image->is_string()) {
      url = image;
    } else if (image != nullptr && image->is_object()) {
      url = image->get_object().if_contains("url");
    }
    if (url == nullptr || !url->is_string() || core::trim(url->get_string()).empty()) {
      return std::nullopt;
    }
    urls.emplace_back(core::trim(url->get_string()));
  }
  return urls;
}

// A "data:<mime>;base64,<data>" URL as an image part. Fetching http(s) URLs is the reference's
// opt-in (images.allowUrl, off by default) and not implemented here.
Result<providers::ImagePart> decode_image_url(std::string_view url, std::size_t& total_bytes) {
  std::string head = core::to_lower_ascii(url.substr(0, std::min<std::size_t>(url.size(), 5)));
  if (head != "data:") {
    return fail(Errc::invalid_argument, "only data: URLs are accepted for image_url");
  }
  auto comma = url.find(',');
  if (comma == std::string_view::npos) {
    return fail(Errc::invalid_argument, "malformed data: URL");
  }
  std::string meta = core::to_lower_ascii(url.substr(5, comma - 5));
  constexpr std::string_view kBase64 = ";base64";
  if (!meta.ends_with(kBase64)) {
    return fail(Errc::invalid_argument, "image data: URLs must be base64-encoded");
  }
  std::string mime = meta.substr(0, meta.size() - kBase64.size());
  if (mime == "image/jpg") {
    mime = "image/jpeg";
  }
  if (mime != "image/jpeg" && mime != "image/png" && mime != "image/gif" && mime != "image/webp") {
    return fail(Errc::invalid_argument, "unsupported image type \"" + mime + "\"");
  }
  std::string data;
  data.reserve(url.size() - comma - 1);
  for (char c : url.substr(comma + 1)) {
    bool base64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=';
    if (base64) {
      data += c;
    } else if (c != '\r' && c != '\n' && c != ' ') {
      return fail(Errc::invalid_argument, "image data is not valid base64");
    }
  }
  std::size_t padding = data.ends_with("==") ? 2 : data.ends_with("=") ? 1 : 0;
  std::size_t bytes = data.size() / 4 * 3 - std::min(padding, data.size() / 4 * 3);
  if (data.empty() || data.size() % 4 != 0) {
    return fail(Errc::invalid_argument, "image data is not valid base64");
  }
  if (bytes > kMaxImageBytes) {
    return fail(Errc::invalid_argument, "image too large (" + std::to_string(bytes) +
                                            " bytes; limit " + std::to_string(kMaxImageBytes) +
                                            ")");
  }
  total_bytes += bytes;
  if (total_bytes > kMaxTotalImageBytes) {
    return fail(Errc::invalid_argument, "total image payload too large (limit " +
                                            std::to_string(kMaxTotalImageBytes) + " bytes)");
  }
  return providers::ImagePart{std::move(mime), std::move(data)};
}

struct PromptEntry {
  std::string role;  // user | assistant | tool
  std::string sender;
  std::string body;
};

// The last user or tool entry is the message to answer; the entries before it become a labelled
// history block above it (the agent keeps its own transcript; this is the client's view).
std::string fold_prompt(const std::vector<PromptEntry>& entries) {
  if (entries.empty()) {
    return {};
  }
  std::size_t current = entries.size() - 1;
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (entries[i].role == "user" || entries[i].role == "tool") {
      current = i;
      break;
    }
  }
  std::string history;
  for (std::size_t i = 0; i < current; ++i) {
    history += (history.empty() ? "" : "\n") + entries[i].sender + ": " + entries[i].body;
  }
  const PromptEntry& now = entries[current];
  if (core::trim(history).empty()) {
    return now.role == "tool" ? now.sender + ": " + now.body : now.body;
  }
  return std::string(kHistoryMarker) + "\n" + history + "\n\n" + std::string(kCurrentMarker) +
         "\n" + now.sender + ": " + now.body;
}

Result<ChatCall> parse_chat_call(std::string_view text) {
  auto invalid = [](std::string message) {
    return fail(Errc::invalid_argument, std::move(message));
  };
  boost::system::error_code ec;
  json::value document = json::parse(text, ec);
  if (ec) {
    return invalid("Invalid JSON body: " + ec.message() + ".");
  }
  const auto* body = document.if_object();
  if (body == nullptr) {
    return invalid("The request body must be a JSON object.");
  }
  ChatCall call;
  if (const json::value* model = present(*body, "model")) {
    if (!model->is_string()) {
      return invalid("`model` must be a string.");
    }
    call.model = std::string(model->get_string());
  }
  if (const json::value* stream = present(*body, "stream")) {
    if (!stream->is_bool()) {
      return invalid("`stream` must be a boolean.");
    }
    call.stream = stream->get_bool();
  }
  if (const json::value* options = present(*body, "stream_options")) {
    if (!options->is_object()) {
      return invalid("`stream_options` must be an object.");
    }
    const json::value* usage = options->get_object().if_contains("include_usage");
    call.include_usage = call.stream && usage != nullptr && usage->is_bool() && usage->get_bool();
  }
  if (const json::value* user = present(*body, "user")) {
    if (!user->is_string()) {
      return invalid("`user` must be a string.");
    }
    call.user = std::string(core::trim(user->get_string()));
  }
  if (auto problem = check_sampling(*body)) {
    return invalid(std::move(*problem));
  }
  if (auto problem = check_tools(*body)) {
    return invalid(std::move(*problem));
  }
  const json::value* messages_value = present(*body, "messages");
  const json::array* messages = messages_value == nullptr ? nullptr : messages_value->if_array();
  if (messages == nullptr || messages->empty()) {
    return invalid("`messages` must be a non-empty array.");
  }

  // The active turn: the last user or tool message. Only its images are used.
  std::optional<std::size_t> active_user;
  std::vector<std::string> urls;
  for (std::size_t i = messages->size(); i-- > 0;) {
    const auto* message = (*messages)[i].if_object();
    if (message == nullptr) {
      continue;
    }
    std::string role = role_of(*message);
    if (role == "user") {
      active_user = i;
      auto found = image_urls_of(*message);
      if (!found) {
        return invalid("Invalid image_url content in `messages`: an image_url part has no URL.");
      }
      urls = std::move(*found);
      break;
    }
    if (role == "tool" || role == "function") {
      break;
    }
  }
  if (urls.size() > kMaxImageParts) {
    return invalid("Invalid image_url content in `messages`: too many image_url parts (" +
                   std::to_string(urls.size()) + "; limit " + std::to_string(kMaxImageParts) +
                   ").");
  }
  std::size_t total_bytes = 0;
  for (const auto& url : urls) {
    auto image = decode_image_url(url, total_bytes);
    if (!image) {
      return invalid("Invalid image_url content in `messages`: " + image.error().message + ".");
    }
    call.images.push_back(std::move(*image));
  }

  std::vector<std::string> system_parts;
  std::vector<PromptEntry> entries;
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const auto* message = (*messages)[i].if_object();
    if (message == nullptr) {
      continue;
    }
    std::string role = role_of(*message);
    if (role.empty()) {
      continue;
    }
    const json::value* raw_content = message->if_contains("content");
    std::optional<std::string> content;
    if (role == "function" && raw_content != nullptr && raw_content->is_null()) {
      content = "";  // legacy function results may carry content: null
    } else if (auto found = text_of(raw_content)) {
      content = std::string(core::trim(*found));
    }
    if (role == "system" || role == "developer") {
      if (content && !content->empty()) {
        system_parts.push_back(std::move(*content));
      }
      continue;
    }
    std::string normalized = role == "function" ? "tool" : role;
    if (normalized != "user" && normalized != "assistant" && normalized != "tool") {
      continue;
    }
    std::string body_text = content.value_or("");
    if (normalized == "user" && body_text.empty() && !call.images.empty() && active_user == i) {
      body_text = kImageOnlyMessage;
    }
    if (normalized == "assistant") {
      // Earlier tool calls stay visible to the agent as text.
      const json::value* calls = message->if_contains("tool_calls");
      if (calls != nullptr && calls->is_array()) {
        for (const auto& tool_call : calls->get_array()) {
          const auto* object = tool_call.if_object();
          const json::value* function =
              object == nullptr ? nullptr : object->if_contains("function");
          if (function == nullptr || !function->is_object()) {
            continue;
          }
          std::string name = string_member(function->get_object(), "name");
          if (name.empty()) {
            continue;
          }
          const json::value* arguments = function->get_object().if_contains("arguments");
          std::string args = arguments == nullptr     ? ""
                             : arguments->is_string() ? std::string(arguments->get_string())
                                                      : json::serialize(*arguments);
          body_text += (body_text.empty() ? "" : "\n") + std::string("tool_call id=") +
                       string_member(*object, "id") + " name=" + name + " arguments=" + args;
        }
      }
    }
    std::string name = string_member(*message, "name");
    std::string call_id = string_member(*message, "tool_call_id");
    bool tool_result = normalized == "tool" && !(role == "function" ? name : call_id).empty() &&
                       content.has_value();
    if (body_text.empty() && !tool_result) {
      continue;
    }
    std::string sender = normalized == "assistant" ? "Assistant"
                         : normalized == "user"    ? "User"
                         : !call_id.empty()        ? "Tool:" + call_id
                         : !name.empty()           ? "Tool:" + name
                                                   : "Tool";
    entries.push_back({normalized, std::move(sender), std::move(body_text)});
  }
  bool has_turn = std::any_of(entries.begin(), entries.end(), [](const PromptEntry& entry) {
    return entry.role == "user" || entry.role == "tool";
  });
  call.prompt = has_turn ? fold_prompt(entries) : std::string();
  if (call.prompt.empty() && call.images.empty()) {
    return invalid("Missing user message in `messages`.");
  }
  for (std::size_t i = 0; i < system_parts.size(); ++i) {
    call.extra_system_prompt += (i == 0 ? "" : "\n\n") + system_parts[i];
  }
  return call;
}

// ---- routing ----------------------------------------------------------------------------------

struct Route {
  std::string agent_id;
  std::string session_key;
  std::string channel;
};

std::string short_hash(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 6; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

// The `user` field as one session key part: lowercase [a-z0-9_.@-], at most 64 characters. When
// anything else had to be replaced or cut, a hash of the original keeps distinct users apart
// ("conv:1" and "conv-1" must not share a session).
std::string user_key_part(std::string_view user) {
  std::string out;
  bool changed = false;
  for (char c : user) {
    char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    bool keep = (lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_' ||
                lower == '-' || lower == '.' || lower == '@';
    out += keep ? lower : '-';
    changed = changed || !keep;
  }
  constexpr std::size_t kHashPart = 13;  // "-" and 12 hex digits
  if (out.size() > kMaxUserKeyChars) {
    changed = true;
  }
  if (changed) {
    out.resize(std::min(out.size(), kMaxUserKeyChars - kHashPart));
    out += "-" + short_hash(user);
  }
  return out;
}

bool reserved_session_key(std::string_view lowered) {
  auto reserved = [](std::string_view key) {
    return key.starts_with("subagent:") || key.starts_with("cron:") || key.starts_with("acp:");
  };
  if (reserved(lowered)) {
    return true;
  }
  auto parsed = sessions::parse_session_key(lowered);
  return parsed && reserved(parsed->rest);
}

Result<Route> route_request(const core::Config& config, const Request& request,
                            const ChatCall& call) {
  auto invalid = [](std::string message) {
    return fail(Errc::invalid_argument, std::move(message));
  };
  if (!core::trim(call.model).empty() && !is_agent_model_id(call.model)) {
    return invalid("Invalid `model`. Use `openclaw` or `openclaw/<agentId>`.");
  }
  Route route;
  std::string header_agent(core::trim(request["x-openclaw-agent-id"]));
  if (header_agent.empty()) {
    header_agent = std::string(core::trim(request["x-openclaw-agent"]));
  }
  if (!header_agent.empty()) {
    std::string lowered = core::to_lower_ascii(header_agent);
    if (!is_valid_agent_id(lowered) || !is_known_agent(config.agents, lowered)) {
      return invalid("Unknown agent '" + header_agent + "'.");
    }
    route.agent_id = lowered;
  } else if (auto id = agent_part_of_model(call.model); id && !is_default_model(call.model)) {
    if (!is_known_agent(config.agents, *id)) {
      return invalid("Unknown agent '" + *id + "'.");
    }
    route.agent_id = *id;
  } else {
    route.agent_id = core::default_agent_id(config.agents);
  }

  std::string explicit_key(core::trim(request["x-openclaw-session-key"]));
  if (!explicit_key.empty()) {
    std::string lowered = core::to_lower_ascii(explicit_key);
    if (reserved_session_key(lowered)) {
      return invalid("`x-openclaw-session-key` cannot use reserved internal session namespaces.");
    }
    route.session_key = sessions::to_agent_store_key(route.agent_id, lowered);
  } else if (!call.user.empty()) {
    route.session_key = "agent:" + route.agent_id + ":openai-user:" + user_key_part(call.user);
  } else {
    route.session_key = "agent:" + route.agent_id + ":openai:" + core::random_uuid();
  }
  std::string channel = core::lowercase_trimmed(request["x-openclaw-message-channel"]);
  route.channel = channel.empty() ? std::string(kDefaultChannel) : std::move(channel);
  return route;
}

// ---- running the agent ------------------------------------------------------------------------

// Keeps Gateway::drain() waiting for this request, like an RPC in flight.
class InFlight {
 public:
  explicit InFlight(Gateway& gateway) : gateway_(gateway) { gateway_.request_started(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() { gateway_.request_finished(); }

 private:
  Gateway& gateway_;
};

// What the run hands to the coroutine answering the request: text not yet written, the outcome,
// and whether the client went away. The observer calls, the run's completion and the peer
// watcher all run on the I/O thread; each wakes the writer by cancelling `wake_`. Shared: the
// run's completion handler keeps it alive until the agent service drops the observer pointer,
// even when the request ended first.
class RunChannel : public agent::RunObserver {
 public:
  explicit RunChannel(const asio::any_io_executor& executor)
      : wake_(executor, asio::steady_timer::time_point::max()) {}

  void on_run_event(const agent::RunEvent& event) override {
    if (event.kind == agent::RunEvent::Kind::text_delta && !event.text.empty()) {
      pending_text.append(event.text);
      wake_.cancel();
    }
  }
  void finish(agent::RunOutcome result) {
    outcome = std::move(result);
    wake_.cancel();
  }
  void peer_gone() {
    client_gone = true;
    wake_.cancel();
  }
  // Returns after the next change above. Callers check the state first: a change made while
  // nobody waits is seen by that check, not lost.
  asio::awaitable<void> changed() {
    wake_.expires_at(asio::steady_timer::time_point::max());
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  std::string pending_text;
  std::optional<agent::RunOutcome> outcome;
  bool client_gone = false;
  bool watching = false;  // a peer watch is pending
  asio::cancellation_signal stop_watch;

 private:
  asio::steady_timer wake_;
};

// Reports a client that closed its end while the run is going. Readable means end-of-stream, an
// error, or a pipelined next request (the client is still there: stop watching).
void watch_peer(tcp::socket& socket, const std::shared_ptr<RunChannel>& channel) {
  channel->watching = true;
  socket.async_wait(
      tcp::socket::wait_read,
      asio::bind_cancellation_slot(
          channel->stop_watch.slot(), [&socket, channel](const boost::system::error_code& ec) {
            if (!channel->watching) {
              return;  // the request is over; the socket may already serve the next one
            }
            channel->watching = false;
            if (ec) {
              channel->peer_gone();  // closed under us (the gateway is stopping)
              return;
            }
            char byte = 0;
            ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
              watch_peer(socket, channel);  // spurious wake-up
              return;
            }
            if (n <= 0) {
              channel->peer_gone();
            }
          }));
}

void stop_watching(RunChannel& channel) {
  if (channel.watching) {
    channel.watching = false;
    channel.stop_watch.emit(asio::cancellation_type::terminal);
  }
}

struct Failure {
  http::status status;
  std::string_view type;
};

// How a failed run is reported: provider limits keep their meaning for OpenAI clients (which
// retry 429/5xx), everything else is a server-side error carrying the run's own message.
Failure failure_of(const agent::RunOutcome& outcome) {
  const std::string& reason = outcome.error_reason;
  if (outcome.status == agent::RunStatus::timeout || reason == "timeout") {
    return {http::status::gateway_timeout, "api_error"};
  }
  if (outcome.status == agent::RunStatus::aborted) {
    return {http::status::service_unavailable, "api_error"};
  }
  if (reason == "rate_limit" || reason == "queue_full") {
    return {http::status::too_many_requests, "rate_limit_error"};
  }
  if (reason == "billing") {
    return {http::status::payment_required, "insufficient_quota"};
  }
  if (reason == "overloaded") {
    return {http::status::service_unavailable, "api_error"};
  }
  if (reason == "server_error") {
    return {http::status::bad_gateway, "api_error"};
  }
  if (reason == "context_overflow" || reason == "format") {
    return {http::status::bad_request, "invalid_request_error"};
  }
  return {http::status::internal_server_error, "api_error"};
}

std::string failure_message(const agent::RunOutcome& outcome) {
  if (!outcome.error.empty()) {
    return outcome.error;
  }
  return outcome.status == agent::RunStatus::aborted ? "The run was stopped before it finished."
                                                     : "The agent run failed.";
}

json::object usage_json(const providers::Usage& usage) {
  int64_t prompt = usage.input + usage.cache_read + usage.cache_write;
  return json::object{{"prompt_tokens", prompt},
                      {"completion_tokens", usage.output},
                      {"total_tokens", prompt + usage.output}};
}

std::string_view finish_reason_of(const agent::RunOutcome& outcome) {
  return outcome.stop_reason == "max_tokens" ? "length" : "stop";
}

// What the response says about itself; `id` is also the run id.
struct Identity {
  std::string id;
  int64_t created = 0;
  std::string model;
  std::string session_key;  // for aborting the run when the client leaves
};

std::string sse(const json::value& value) {
  return "data: " + json::serialize(value) + "\n\n";
}

std::string chunk_event(const Identity& identity, json::object delta, json::value finish_reason) {
  json::object choice{
      {"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}};
  return sse(json::object{{"id", identity.id},
                          {"object", "chat.completion.chunk"},
                          {"created", identity.created},
                          {"model", identity.model},
                          {"choices", json::array{std::move(choice)}}});
}

std::string content_event(const Identity& identity, std::string_view text) {
  return chunk_event(identity, json::object{{"content", text}}, nullptr);
}

asio::awaitable<bool> write_events(beast::tcp_stream& stream, const std::string& events,
                                   bool chunked) {
  stream.expires_after(kWriteTimeout);
  if (chunked) {
    auto [ec, n] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(events)),
                                              asio::as_tuple(asio::use_awaitable));
    co_return !ec;
  }
  auto [ec, n] =
      co_await asio::async_write(stream, asio::buffer(events), asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

// The non-streaming answer: waits for the outcome (or the client leaving), then one document.
asio::awaitable<bool> reply_once(Gateway& gateway, beast::tcp_stream& stream,
                                 const Request& request, const Identity& identity,
                                 RunChannel& channel) {
  while (!channel.outcome && !channel.client_gone) {
    co_await channel.changed();
  }
  stop_watching(channel);
  if (!channel.outcome) {
    gateway.agent().abort(identity.session_key, identity.id);
    co_return false;
  }
  const agent::RunOutcome& outcome = *channel.outcome;
  if (outcome.status != agent::RunStatus::ok) {
    log::warn("gateway", "chat completion {} failed: {}", identity.id, failure_message(outcome));
    Failure failure = failure_of(outcome);
    co_return co_await write_response(
        stream,
        json_response(request, failure.status, error_body(failure_message(outcome), failure.type)));
  }
  std::string content = outcome.text.empty() ? std::string(kNoResponse) : outcome.text;
  json::object message{{"role", "assistant"}, {"content", content}};
  json::object choice{
      {"index", 0}, {"message", std::move(message)}, {"finish_reason", finish_reason_of(outcome)}};
  json::object completion{{"id", identity.id},
                          {"object", "chat.completion"},
                          {"created", identity.created},
                          {"model", identity.model},
                          {"choices", json::array{std::move(choice)}},
                          {"usage", usage_json(outcome.usage)}};
  co_return co_await write_response(stream, json_response(request, http::status::ok, completion));
}

// The SSE answer: headers and the role chunk at once, then each text delta as it arrives, then
// the finish chunk (or an error event), the optional usage chunk and [DONE].
asio::awaitable<bool> reply_streaming(Gateway& gateway, beast::tcp_stream& stream,
                                      const Request& request, const Identity& identity,
                                      bool include_usage, RunChannel& channel) {
  // HTTP/1.0 has no chunked encoding: the end of the body is the end of the connection.
  bool chunked = request.version() >= 11;
  http::response<http::empty_body> head{http::status::ok, request.version()};
  head.set(http::field::server, "pincer");
  head.set(http::field::content_type, "text/event-stream; charset=utf-8");
  head.set(http::field::cache_control, "no-cache");
  head.set("x-accel-buffering", "no");  // reverse proxies must not hold the stream back
  head.keep_alive(chunked && request.keep_alive());
  head.chunked(chunked);
  bool keep_alive = head.keep_alive();
  auto client_left = [&] {
    stop_watching(channel);
    if (!channel.outcome) {
      gateway.agent().abort(identity.session_key, identity.id);
    }
  };

  http::response_serializer<http::empty_body> serializer{head};
  stream.expires_after(kWriteTimeout);
  auto [head_ec, head_n] =
      co_await http::async_write_header(stream, serializer, asio::as_tuple(asio::use_awaitable));
  // Built outside the co_await: GCC 12 cannot keep a braced-init-list's array alive across one.
  std::string role_event = chunk_event(identity, json::object{{"role", "assistant"}}, nullptr);
  if (head_ec || !co_await write_events(stream, role_event, chunked)) {
    client_left();
    co_return false;
  }

  std::string streamed;
  for (;;) {
    if (channel.client_gone) {
      client_left();
      co_return false;
    }
    if (!channel.pending_text.empty()) {
      std::string text = std::exchange(channel.pending_text, {});
      streamed += text;
      if (!co_await write_events(stream, content_event(identity, text), chunked)) {
        client_left();
        co_return false;
      }
      continue;
    }
    if (channel.outcome) {
      break;
    }
    co_await channel.changed();
  }
  stop_watching(channel);

  const agent::RunOutcome& outcome = *channel.outcome;
  std::string tail;
  if (outcome.status == agent::RunStatus::ok) {
    // Replies that never streamed (chat commands, silent turns) arrive whole in the outcome;
    // text the deltas did not cover is appended when it extends what was sent.
    std::string final_text =
        outcome.text.empty() && streamed.empty() ? std::string(kNoResponse) : outcome.text;
    if (final_text.size() > streamed.size() && final_text.starts_with(streamed)) {
      tail += content_event(identity, std::string_view(final_text).substr(streamed.size()));
    }
    tail += chunk_event(identity, json::object(), json::string(finish_reason_of(outcome)));
    if (include_usage) {
      tail += sse(json::object{{"id", identity.id},
                               {"object", "chat.completion.chunk"},
                               {"created", identity.created},
                               {"model", identity.model},
                               {"choices", json::array()},
                               {"usage", usage_json(outcome.usage)}});
    }
  } else {
    log::warn("gateway", "streaming chat completion {} failed: {}", identity.id,
              failure_message(outcome));
    tail += sse(error_body(failure_message(outcome), failure_of(outcome).type));
  }
  tail += "data: [DONE]\n\n";
  if (!co_await write_events(stream, tail, chunked)) {
    co_return false;
  }
  if (chunked) {
    stream.expires_after(kWriteTimeout);
    auto [last_ec, last_n] = co_await asio::async_write(stream, http::make_chunk_last(),
                                                        asio::as_tuple(asio::use_awaitable));
    if (last_ec) {
      co_return false;
    }
  }
  co_return keep_alive;
}

asio::awaitable<bool> serve_chat(Gateway& gateway, beast::tcp_stream& stream,
                                 const Request& request) {
  auto call = parse_chat_call(request.body());
  if (!call) {
    co_return co_await write_response(stream, invalid_request(request, call.error().message));
  }
  auto route = route_request(gateway.config(), request, *call);
  if (!route) {
    co_return co_await write_response(stream, invalid_request(request, route.error().message));
  }
  std::string model_override(core::trim(request["x-openclaw-model"]));
  if (!model_override.empty()) {
    auto resolved = gateway.agent().catalog().resolve(model_override);
    if (!resolved) {
      co_return co_await write_response(
          stream,
          invalid_request(request, "Invalid `x-openclaw-model`: " + resolved.error().describe()));
    }
    model_override = resolved->ref;
  }

  Identity identity{"chatcmpl-" + core::random_uuid(), unix_ms() / 1000, call->model,
                    route->session_key};
  agent::ChatRequest chat;
  chat.session_key = route->session_key;
  chat.text = std::move(call->prompt);
  chat.images = std::move(call->images);
  chat.run_id = identity.id;
  chat.model = std::move(model_override);
  chat.extra_system_prompt = std::move(call->extra_system_prompt);
  chat.channel = route->channel;
  // Each request is its own turn with its own answer: never steered into (or collected with)
  // another run of the same session.
  chat.queue_mode = core::QueueMode::followup;
  log::debug("gateway", "chat completion {} for session {} (stream {})", identity.id,
             chat.session_key, call->stream);

  InFlight in_flight(gateway);
  auto executor = co_await asio::this_coro::executor;
  auto channel = std::make_shared<RunChannel>(executor);
  asio::co_spawn(
      executor, gateway.agent().run(std::move(chat), call->stream ? channel.get() : nullptr),
      [channel, run_id = identity.id](std::exception_ptr error, agent::RunOutcome outcome) {
        if (error) {
          // AgentService::run reports failures as outcomes; a throw is a bug there.
          outcome = agent::RunOutcome{};
          outcome.run_id = run_id;
          outcome.status = agent::RunStatus::error;
          outcome.error = "internal error while running the agent";
          outcome.error_reason = "internal";
        }
        channel->finish(std::move(outcome));
      });
  watch_peer(stream.socket(), channel);
  if (call->stream) {
    co_return co_await reply_streaming(gateway, stream, request, identity, call->include_usage,
                                       *channel);
  }
  co_return co_await reply_once(gateway, stream, request, identity, *channel);
}

}  // namespace

bool is_openai_http_target(const core::GatewayConfig& config, std::string_view target) {
  if (!config.chat_completions_enabled) {
    return false;
  }
  std::string_view path = path_of(target);
  return path == kChatPath || path == kModelsPath ||
         path.starts_with(std::string(kModelsPath) + "/");
}

asio::awaitable<bool> serve_openai_http(Gateway& gateway, beast::tcp_stream& stream,
                                        const Request& request) {
  std::string_view path = path_of(request.target());
  bool chat = path == kChatPath;
  if (!chat && path != kModelsPath && !path.starts_with(std::string(kModelsPath) + "/")) {
    co_return co_await write_response(
        stream, json_response(request, http::status::not_found,
                              error_body("Unknown path.", "invalid_request_error")));
  }
  http::verb wanted = chat ? http::verb::post : http::verb::get;
  if (request.method() != wanted) {
    co_return co_await write_response(stream, method_not_allowed(request, chat ? "POST" : "GET"));
  }
  if (auto rejected = authorize(gateway, stream, request)) {
    co_return co_await write_response(stream, std::move(*rejected));
  }
  if (!chat) {
    co_return co_await write_response(stream, models_response(gateway, request, path));
  }
  co_return co_await serve_chat(gateway, stream, request);
}

}  // namespace pincer::gateway
