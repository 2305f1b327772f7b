#pragma once
// Roles and operator scopes. A connection holds a role ("operator" or "node") and, for
// operators, a set of scopes; every method names the one scope it needs (method_registry.hpp).
// Implications follow the reference: operator.admin satisfies every operator scope,
// operator.write satisfies operator.read and operator.talk.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::gateway {

namespace role {
inline constexpr std::string_view kOperator = "operator";
inline constexpr std::string_view kNode = "node";
}  // namespace role

namespace scope {
inline constexpr std::string_view kRead = "operator.read";
inline constexpr std::string_view kWrite = "operator.write";
inline constexpr std::string_view kAdmin = "operator.admin";
inline constexpr std::string_view kApprovals = "operator.approvals";
inline constexpr std::string_view kQuestions = "operator.questions";
inline constexpr std::string_view kPairing = "operator.pairing";
inline constexpr std::string_view kTalk = "operator.talk";
inline constexpr std::string_view kTalkSecrets = "operator.talk.secrets";
}  // namespace scope

// The closed set of operator scopes, in the order hello-ok lists them.
std::span<const std::string_view> all_operator_scopes();
bool is_operator_scope(std::string_view name);

// Trims, drops unknown and duplicate names, adds implied scopes, sorts.
std::vector<std::string> normalize_scopes(std::span<const std::string> requested);

// True when `granted` satisfies `required` (directly or by implication).
bool scope_satisfied(std::span<const std::string> granted, std::string_view required);

}  // namespace pincer::gateway
