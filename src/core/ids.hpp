#pragma once
// Random identifiers: session ids, transcript entry ids, boot ids, request ids.

#include <string>

namespace pincer::core {

// A random RFC 4122 version-4 UUID, lowercase with dashes.
std::string random_uuid();

}  // namespace pincer::core
