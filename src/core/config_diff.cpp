#include "core/config_diff.hpp"

#include <algorithm>

namespace pincer::core {

namespace json = boost::json;

namespace {

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// `a` or `b` may be null (the key is absent on that side). Objects are walked down to their
// leaves, so adding {agents: {defaults: {x: 1}}} reports "agents.defaults.x".
void diff(const json::value* a, const json::value* b, const std::string& path,
          std::vector<std::string>& out) {
  const json::object* oa = a != nullptr ? a->if_object() : nullptr;
  const json::object* ob = b != nullptr ? b->if_object() : nullptr;
  bool walk = (oa != nullptr && ob != nullptr) || (oa != nullptr && b == nullptr) ||
              (ob != nullptr && a == nullptr);
  if (walk) {
    if (oa != nullptr) {
      for (const auto& member : *oa) {
        const json::value* other = ob != nullptr ? ob->if_contains(member.key()) : nullptr;
        diff(&member.value(), other, child_path(path, member.key()), out);
      }
    }
    if (ob != nullptr) {
      for (const auto& member : *ob) {
        if (oa == nullptr || !oa->contains(member.key())) {
          diff(nullptr, &member.value(), child_path(path, member.key()), out);
        }
      }
    }
    return;
  }
  if (a == nullptr || b == nullptr || *a != *b) {
    out.push_back(path);
  }
}

}  // namespace

std::vector<std::string> changed_config_paths(const json::value& before, const json::value& after) {
  std::vector<std::string> out;
  diff(&before, &after, "", out);
  std::ranges::sort(out);
  return out;
}

}  // namespace pincer::core
