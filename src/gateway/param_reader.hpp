#pragma once
// ParamReader: checks a request's params against the fields a method takes, the way the
// protocol schema states them (an object; no unknown members; types, lengths and ranges), and
// collects the first problem as an INVALID_REQUEST naming the method and the field — so a
// client learns exactly what to fix. Reading a field both validates and returns it; call error()
// once after reading every field.
//
//   ParamReader params(context, {"key", "limit"});
//   std::string key = params.required_string("key");
//   std::optional<int64_t> limit = params.integer("limit", 1, 1000);
//   if (auto error = params.error()) co_return std::unexpected(*error);

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "gateway/rpc_error.hpp"

namespace pincer::gateway {

class RpcContext;

class ParamReader {
 public:
  ParamReader(const RpcContext& context, std::initializer_list<std::string_view> allowed);

  // A non-empty string of at most max_length characters (0: no limit).
  std::string required_string(std::string_view key, std::size_t max_length = 0);
  std::optional<std::string> string(std::string_view key, std::size_t max_length = 0,
                                    bool allow_empty = false);
  // Absent: nullopt. Present and null: an engaged optional holding nullopt ("clear it").
  std::optional<std::optional<std::string>> nullable_string(std::string_view key,
                                                            std::size_t max_length = 0);
  std::optional<int64_t> integer(std::string_view key, int64_t minimum, int64_t maximum);
  std::optional<bool> boolean(std::string_view key);
  // One of `choices`.
  std::optional<std::string> one_of(std::string_view key,
                                    std::initializer_list<std::string_view> choices);
  std::optional<std::vector<std::string>> string_array(std::string_view key,
                                                       std::size_t min_items = 0);
  // The raw member, unchecked (for fields with their own structure).
  const boost::json::value* raw(std::string_view key) const;
  bool has(std::string_view key) const { return object_.contains(key); }

  // Records a problem found by the caller's own checks (the first one wins).
  void fail(std::string problem);
  std::optional<RpcError> error() const;
  const boost::json::object& object() const { return object_; }

 private:
  const boost::json::value* member(std::string_view key) const;

  std::string method_;
  boost::json::object object_;
  std::string error_;
};

}  // namespace pincer::gateway
