#include "core/version.hpp"

namespace pincer::core {

extern const char* const kGitHash;  // version_hash.cpp, generated at build time

std::string_view version() {
  return PINCER_VERSION;
}
std::string_view git_hash() {
  return kGitHash;
}

}  // namespace pincer::core
