#pragma once
// File helpers for state that must survive a crash at any moment.

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace pincer::core {

// Replaces `path` with `content` so that a crash leaves either the old or the new file, never a
// mix: write a temporary file beside it, fsync it, rename it over `path`, fsync the directory.
// The new file gets `mode` (0600 by default: configs hold tokens). A symlink at `path` is
// replaced, not written through.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content,
                             std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);

// Creates `dir` (and parents) if missing, and makes it 0700. Parents are created with the
// default umask; only `dir` itself is tightened.
Status ensure_private_dir(const std::filesystem::path& dir);

// Reads a whole file. Errc::not_found when it does not exist.
Result<std::string> read_file(const std::filesystem::path& path);

}  // namespace pincer::core
