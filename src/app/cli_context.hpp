#pragma once
// What every command shares: the global flags (--profile, --json) and the state paths they
// resolve to, and the exit code a command sets.

#include <string>

#include "core/paths.hpp"
#include "core/result.hpp"

namespace pincer::app {

class CliContext {
 public:
  std::string profile;  // --profile NAME
  int exit_code = 0;

  // Resolves the state paths once; prints the error and sets exit_code 2 when they cannot be.
  const core::StatePaths* paths();

  // Prints "error: <what> (<hint>)" to stderr and sets the exit code.
  void report(const Error& error, int code = 1);

 private:
  bool resolved_ = false;
  Result<core::StatePaths> paths_ = fail(Errc::internal, "paths not resolved");
};

}  // namespace pincer::app
