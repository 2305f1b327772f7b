#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/paths.hpp"

namespace pincer::testing {

// An environment that holds exactly `vars`, for code that takes a core::EnvLookup.
inline core::EnvLookup fake_env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

}  // namespace pincer::testing
