#include "gateway/scopes.hpp"

#include <algorithm>
#include <array>

namespace pincer::gateway {

namespace {

constexpr std::array<std::string_view, 8> kOperatorScopes{
    scope::kAdmin, scope::kApprovals, scope::kPairing,     scope::kQuestions,
    scope::kRead,  scope::kTalk,      scope::kTalkSecrets, scope::kWrite,
};

bool contains(std::span<const std::string> set, std::string_view name) {
  return std::ranges::find(set, name) != set.end();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::span<const std::string_view> all_operator_scopes() {
  return kOperatorScopes;
}

bool is_operator_scope(std::string_view name) {
  return std::ranges::find(kOperatorScopes, name) != kOperatorScopes.end();
}

std::vector<std::string> normalize_scopes(std::span<const std::string> requested) {
  std::vector<std::string> out;
  auto add = [&out](std::string_view name) {
    if (!contains(out, name)) {
      out.emplace_back(name);
    }
  };
  for (const auto& raw : requested) {
    auto name = trim(raw);
    if (is_operator_scope(name)) {
      add(name);
    }
  }
  if (contains(out, scope::kAdmin)) {
    add(scope::kRead);
    add(scope::kWrite);
  } else if (contains(out, scope::kWrite)) {
    add(scope::kRead);
  }
  std::ranges::sort(out);
  return out;
}

bool scope_satisfied(std::span<const std::string> granted, std::string_view required) {
  if (contains(granted, required) || contains(granted, scope::kAdmin)) {
    return true;
  }
  if (required == scope::kRead || required == scope::kTalk) {
    return contains(granted, scope::kWrite);
  }
  return false;
}

}  // namespace pincer::gateway
