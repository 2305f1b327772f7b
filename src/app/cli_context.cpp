#include "app/cli_context.hpp"

#include <fmt/core.h>

#include <cstdio>

namespace pincer::app {

const core::StatePaths* CliContext::paths() {
  if (!resolved_) {
    paths_ = core::resolve_state_paths(core::process_env(), profile);
    resolved_ = true;
  }
  if (!paths_) {
    report(paths_.error(), 2);
    return nullptr;
  }
  return &*paths_;
}

void CliContext::report(const Error& error, int code) {
  fmt::print(stderr, "error: {}\n", error.describe());
  exit_code = code;
}

}  // namespace pincer::app
