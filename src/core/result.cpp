#include "core/result.hpp"

namespace pincer {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::not_found:
      return "not_found";
    case Errc::parse:
      return "parse";
    case Errc::config:
      return "config";
    case Errc::io:
      return "io";
    case Errc::store:
      return "store";
    case Errc::unavailable:
      return "unavailable";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  if (hint.empty()) {
    return message;
  }
  return message + " (" + hint + ")";
}

}  // namespace pincer
