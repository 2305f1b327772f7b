#pragma once
// The key names of the reference system's config (generated from its schema by
// scripts/dev/gen-reference-config-keys), so validation can tell a key Pincer does not use yet
// from a typo.

#include <string>
#include <string_view>
#include <vector>

namespace pincer::core {

// True when the reference config has a key at `path` (map keys and array indexes match `*`).
bool is_reference_config_key(const std::vector<std::string>& path);

// The keys the reference allows directly under `path` (for did-you-mean suggestions).
std::vector<std::string> reference_config_children(const std::vector<std::string>& path);

}  // namespace pincer::core
