#pragma once
// ${VAR} substitution in config strings, as the reference config does it: names are
// [A-Z_][A-Z0-9_]*, "$${VAR}" is a literal "${VAR}", and a missing or empty variable stays
// visibly unresolved with a warning (the consumer then sees the literal text).

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/config_issue.hpp"
#include "core/paths.hpp"

namespace pincer::core {

// Substitutes inside one string; appends the names that were missing to `missing`.
std::string substitute_env_vars(std::string_view text, const EnvLookup& env,
                                std::vector<std::string>& missing);

// Substitutes in every string value of `document` (keys are left alone), reporting each missing
// variable as a warning at the key path where it was used.
void substitute_env_vars(boost::json::value& document, const EnvLookup& env,
                         std::vector<ConfigIssue>& issues);

}  // namespace pincer::core
