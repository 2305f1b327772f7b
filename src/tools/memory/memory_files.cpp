#include "tools/memory/memory_files.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace pincer::tools::memory {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 3> kRootFiles{"MEMORY.md", "memory.md", "USER.md"};
constexpr std::string_view kMemoryDir = "memory";

bool ends_with_md(std::string_view name) {
  return name.size() > 3 && name.ends_with(".md");
}

// lstat: one syscall for type, size and mtime, without following a symlink.
bool stat_regular_file(const fs::path& path, MemoryFile& out) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return false;
  }
  out.size = static_cast<int64_t>(info.st_size);
  out.mtime_ns = static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 +
                 static_cast<int64_t>(info.st_mtim.tv_nsec);
  return true;
}

bool is_symlink_or_missing(const fs::path& path, bool& missing) {
  std::error_code ec;
  auto status = fs::symlink_status(path, ec);
  missing = ec || status.type() == fs::file_type::not_found;
  return !missing && status.type() == fs::file_type::symlink;
}

}  // namespace

bool is_memory_path(std::string_view relative) {
  if (std::find(kRootFiles.begin(), kRootFiles.end(), relative) != kRootFiles.end()) {
    return true;
  }
  if (!relative.starts_with("memory/") || !ends_with_md(relative)) {
    return false;
  }
  // Every component below memory/ must be a plain name: no "..", no ".", no dot-directories.
  std::string_view rest = relative.substr(kMemoryDir.size() + 1);
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto part = rest.substr(0, slash);
    if (part.empty() || part.front() == '.') {
      return false;
    }
    if (slash == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  return true;
}

Result<std::vector<MemoryFile>> list_memory_files(const fs::path& workspace) {
  std::vector<MemoryFile> files;
  for (auto name : kRootFiles) {
    MemoryFile file{std::string(name), workspace / name};
    if (stat_regular_file(file.absolute, file)) {
      files.push_back(std::move(file));
    }
  }
  // A case-insensitive file system shows MEMORY.md twice: keep the first spelling.
  if (files.size() >= 2 && files[0].path == "MEMORY.md" && files[1].path == "memory.md") {
    std::error_code ec;
    if (fs::equivalent(files[0].absolute, files[1].absolute, ec)) {
      files.erase(files.begin() + 1);
    }
  }

  const fs::path root = workspace / kMemoryDir;
  bool missing = false;
  if (is_symlink_or_missing(root, missing) || missing || !fs::is_directory(root)) {
    std::sort(files.begin(), files.end(),
              [](const MemoryFile& a, const MemoryFile& b) { return a.path < b.path; });
    return files;
  }
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) {
    return fail(Errc::io, "cannot read " + root.string() + ": " + ec.message(),
                "check the directory's permissions");
  }
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) {
      return fail(Errc::io, "cannot read " + root.string() + ": " + ec.message(),
                  "check the directory's permissions");
    }
    const auto& entry = *it;
    auto name = entry.path().filename().string();
    std::error_code type_ec;
    if (entry.is_symlink(type_ec)) {
      continue;
    }
    if (entry.is_directory(type_ec)) {
      if (!name.empty() && name.front() == '.') {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!ends_with_md(name) || name.front() == '.') {
      continue;
    }
    MemoryFile file;
    file.absolute = entry.path();
    // entry.path() is root / "...": its relative form is "memory/" plus the rest.
    const auto& full = entry.path().native();
    file.path = std::string(kMemoryDir) + full.substr(root.native().size());
    if (stat_regular_file(file.absolute, file) && is_memory_path(file.path)) {
      files.push_back(std::move(file));
    }
  }
  std::sort(files.begin(), files.end(),
            [](const MemoryFile& a, const MemoryFile& b) { return a.path < b.path; });
  return files;
}

Result<MemoryFile> resolve_memory_path(const fs::path& workspace, std::string_view requested) {
  if (requested.empty() || requested.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid_argument, "path: expected a memory file path",
                "use a path from memory_search, e.g. MEMORY.md or memory/2025-01-02.md");
  }
  fs::path asked{std::string(requested)};
  fs::path relative;
  if (asked.is_absolute()) {
    relative = asked.lexically_normal().lexically_relative(workspace.lexically_normal());
  } else {
    relative = asked.lexically_normal();
  }
  auto text = relative.generic_string();
  if (text.empty() || text.starts_with("..") || relative.is_absolute() || !is_memory_path(text)) {
    return fail(Errc::invalid_argument,
                "path: " + std::string(requested) + " is not a memory file of this workspace",
                "memory_get reads MEMORY.md, USER.md and memory/**/*.md only");
  }
  // No symlink anywhere between the workspace and the file: the index skips them, and a link
  // would let a memory path read any file of the host.
  fs::path walk = workspace;
  for (const auto& part : relative) {
    walk /= part;
    bool missing = false;
    if (is_symlink_or_missing(walk, missing)) {
      return fail(Errc::invalid_argument, "path: " + text + " goes through a symlink",
                  "memory files must be regular files inside the workspace");
    }
    if (missing) {
      return fail(Errc::not_found, "path: " + text + " does not exist");
    }
  }
  MemoryFile file{text, workspace / relative};
  if (!stat_regular_file(file.absolute, file)) {
    return fail(Errc::not_found, "path: " + text + " is not a regular file");
  }
  return file;
}

}  // namespace pincer::tools::memory
