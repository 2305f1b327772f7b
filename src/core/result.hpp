#pragma once
// Errors at subsystem boundaries are values: Result<T> = std::expected<T, Error>.
// An Error says what happened (message) and, where there is one, what to do about it (hint);
// both are written for the person reading the CLI output or the log.

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace pincer {

enum class Errc {
  invalid_argument,  // the caller or the user passed something malformed
  not_found,         // a file, key or record that should exist does not
  parse,             // untrusted text (JSON5, SKILL.md, frames) could not be parsed
  config,            // the configuration is invalid
  io,                // the OS refused a file, socket or process operation
  store,             // the database failed
  unavailable,       // a service is down or busy; retrying later may help
  internal,          // a bug: an invariant did not hold
};

std::string_view to_string(Errc code);

struct Error {
  Errc code = Errc::internal;
  std::string message;  // what happened
  std::string hint;     // what to do; may be empty

  // "message" or "message (hint)" — the form shown to users.
  std::string describe() const;
};

template <class T>
using Result = std::expected<T, Error>;

// Result<void> reads better as Status at call sites that return nothing.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Errc code, std::string message, std::string hint = {}) {
  return std::unexpected(Error{code, std::move(message), std::move(hint)});
}

}  // namespace pincer
