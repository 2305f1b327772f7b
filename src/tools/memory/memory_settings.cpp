#include "tools/memory/memory_settings.hpp"

#include <boost/json.hpp>

#include "core/config.hpp"

namespace pincer::tools::memory {

namespace json = boost::json;

namespace {

const json::object* child(const json::object* parent, std::string_view key) {
  if (parent == nullptr) {
    return nullptr;
  }
  const auto* value = parent->if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

std::optional<double> number(const json::value& value) {
  if (value.is_int64()) {
    return static_cast<double>(value.as_int64());
  }
  if (value.is_uint64()) {
    return static_cast<double>(value.as_uint64());
  }
  if (value.is_double()) {
    return value.as_double();
  }
  return std::nullopt;
}

void apply_search(const json::object* search, MemorySettings& out) {
  if (search == nullptr) {
    return;
  }
  if (const auto* v = search->if_contains("enabled"); v != nullptr && v->is_bool()) {
    out.enabled = v->as_bool();
  }
  if (const auto* v = search->if_contains("provider"); v != nullptr && v->is_string()) {
    out.provider = std::string(v->as_string());
  }
  if (const auto* v = search->if_contains("model"); v != nullptr && v->is_string()) {
    out.model = std::string(v->as_string());
  }
  if (const auto* remote = child(search, "remote")) {
    if (const auto* v = remote->if_contains("baseUrl"); v != nullptr && v->is_string()) {
      out.remote_base_url = std::string(v->as_string());
    }
    if (const auto* v = remote->if_contains("apiKey"); v != nullptr && v->is_string()) {
      out.remote_api_key = std::string(v->as_string());
    }
    if (const auto* headers = child(remote, "headers")) {
      out.remote_headers.clear();
      for (const auto& [name, value] : *headers) {
        if (value.is_string()) {
          out.remote_headers.emplace_back(std::string(name), std::string(value.as_string()));
        }
      }
    }
  }
  if (const auto* query = child(search, "query")) {
    if (const auto* v = query->if_contains("maxResults")) {
      if (auto n = number(*v); n && *n >= 1) {
        out.max_results = static_cast<int64_t>(*n);
      }
    }
    if (const auto* v = query->if_contains("minScore")) {
      if (auto n = number(*v); n && *n >= 0 && *n <= 1) {
        out.min_score = *n;
      }
    }
  }
}

void apply_limits(const json::object* limits, MemorySettings& out) {
  if (const auto* v = limits != nullptr ? limits->if_contains("memoryGetMaxChars") : nullptr) {
    if (auto n = number(*v); n && *n >= 1) {
      out.get_max_chars = static_cast<int64_t>(*n);
    }
  }
}

}  // namespace

MemorySettings read_memory_settings(const core::Config& config, std::string_view agent_id) {
  MemorySettings out;
  const auto* root = config.raw.if_object();
  const auto* defaults = child(child(root, "agents"), "defaults");
  apply_search(child(defaults, "memorySearch"), out);
  apply_search(child(child(root, "memory"), "search"), out);
  apply_limits(child(defaults, "contextLimits"), out);
  for (const auto& entry : config.agents.list) {
    if (entry.id == agent_id) {
      const auto* raw = entry.raw.if_object();
      apply_search(child(raw, "memorySearch"), out);
      apply_search(child(child(raw, "memory"), "search"), out);
      apply_limits(child(raw, "contextLimits"), out);
      break;
    }
  }
  return out;
}

}  // namespace pincer::tools::memory
