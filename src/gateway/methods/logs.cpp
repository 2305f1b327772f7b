// logs.tail: pages through the gateway's JSON-lines log file.
//
// The cursor is a byte offset into the active file. Without one, the last `limit` lines within
// the last `maxBytes` are returned; with one, what was written since (at most `maxBytes`, the
// newest part when more was written: `skippedBytes` says how much was passed over). A cursor
// past the end means the file was rotated: the tail is returned with `reset: true`. Only whole
// lines are returned and the cursor always lands after a newline, so a line being written is
// picked up by the next call. Lines are returned as stored; they were redacted when written.

#include <fmt/core.h>

#include <fstream>

#include <boost/json.hpp>

#include "core/config.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kDefaultLimit = 500;
constexpr int64_t kMaxLimit = 5000;
constexpr int64_t kDefaultMaxBytes = 250'000;
constexpr int64_t kMaxMaxBytes = 1'000'000;

struct TailRequest {
  std::optional<int64_t> cursor;
  int64_t limit = kDefaultLimit;
  int64_t max_bytes = kDefaultMaxBytes;
};

Result<json::object> tail(const fs::path& file, const TailRequest& request) {
  json::object out{{"file", file.string()}};
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    // Nothing logged to a file yet (or logging to a file is off): an empty page, not an error.
    out["cursor"] = 0;
    out["size"] = 0;
    out["lines"] = json::array();
    out["reset"] = request.cursor.value_or(0) > 0;
    return out;
  }
  in.seekg(0, std::ios::end);
  auto size = static_cast<int64_t>(in.tellg());
  bool reset = request.cursor && *request.cursor > size;
  bool from_cursor = request.cursor && !reset;
  int64_t start = from_cursor ? *request.cursor : std::max<int64_t>(0, size - request.max_bytes);
  int64_t skipped = 0;
  if (from_cursor && size - start > request.max_bytes) {
    skipped = size - request.max_bytes - start;
    start = size - request.max_bytes;
  }
  std::string buffer(static_cast<std::size_t>(size - start), '\0');
  in.seekg(start);
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  buffer.resize(static_cast<std::size_t>(in.gcount()));

  std::size_t begin = 0;
  bool truncated = skipped > 0 || (!from_cursor && start > 0);
  if (start > 0 && !(from_cursor && skipped == 0)) {
    // Started mid-file at an arbitrary byte: the first piece is part of an older line.
    auto newline = buffer.find('\n');
    begin = newline == std::string::npos ? buffer.size() : newline + 1;
  }
  std::vector<std::string_view> lines;
  std::size_t end = begin;
  while (true) {
    auto newline = buffer.find('\n', end);
    if (newline == std::string::npos) {
      break;  // an unfinished line stays for the next call
    }
    std::string_view line(buffer.data() + end, newline - end);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      lines.push_back(line);
    }
    end = newline + 1;
  }
  if (std::ssize(lines) > request.limit) {
    truncated = true;
    lines.erase(lines.begin(), lines.end() - request.limit);
  }
  json::array items;
  for (auto line : lines) {
    items.emplace_back(line);
  }
  out["cursor"] = start + static_cast<int64_t>(end);
  out["size"] = size;
  out["lines"] = std::move(items);
  out["truncated"] = truncated;
  out["reset"] = reset;
  if (skipped > 0) {
    out["skippedBytes"] = skipped;
  }
  return out;
}

std::optional<int64_t> integer(const json::value& value) {
  if (value.is_int64()) {
    return value.get_int64();
  }
  if (value.is_uint64() && value.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(value.get_uint64());
  }
  return std::nullopt;
}

asio::awaitable<RpcResult> logs_tail(RpcContext& context) {
  TailRequest request;
  if (const auto* params = context.params().if_object()) {
    struct Field {
      std::string_view key;
      int64_t min;
      int64_t max;
    };
    for (const Field& field : {Field{"cursor", 0, INT64_MAX}, Field{"limit", 1, kMaxLimit},
                               Field{"maxBytes", 1, kMaxMaxBytes}}) {
      const auto* value = params->if_contains(field.key);
      if (value == nullptr) {
        continue;
      }
      auto number = integer(*value);
      if (!number || *number < field.min || *number > field.max) {
        co_return std::unexpected(invalid_request(fmt::format(
            "logs.tail {} must be an integer from {} to {}", field.key, field.min, field.max)));
      }
      if (field.key == "cursor") {
        request.cursor = *number;
      } else if (field.key == "limit") {
        request.limit = *number;
      } else {
        request.max_bytes = *number;
      }
    }
  }
  Gateway& gateway = context.gateway();
  fs::path file =
      core::log_file_path(gateway.config().logging, gateway.paths(), core::process_env());
  auto read = [&file, &request]() { return tail(file, request); };
  auto result = co_await core::run_blocking(gateway.pool(), read);
  if (!result) {
    co_return std::unexpected(from_error(result.error()));
  }
  co_return json::value(std::move(*result));
}

}  // namespace

void register_logs_methods(Gateway& gateway) {
  gateway.methods().add(
      {"logs.tail", Access::operator_scope, std::string(scope::kRead), false, logs_tail});
}

}  // namespace pincer::gateway
