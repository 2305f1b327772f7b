#pragma once

#include <string_view>

namespace pincer::core {

// The release version, e.g. "0.1.0".
std::string_view version();
// The git commit the binary was built from ("unknown" outside a checkout; "-dirty" if modified).
std::string_view git_hash();

}  // namespace pincer::core
