#include "tools/fs/workspace_path.hpp"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>
#include <system_error>

namespace pincer::tools::file_tools {

namespace stdfs = std::filesystem;

namespace {

bool is_within(const stdfs::path& path, const stdfs::path& root) {
  auto [root_end, path_it] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  // A trailing empty element of `root` ("/ws/") matches anything.
  return root_end == root.end() || (std::next(root_end) == root.end() && root_end->empty());
}

stdfs::path without_trailing_separator(stdfs::path path) {
  while (!path.has_filename() && path.has_parent_path() && path != path.root_path()) {
    path = path.parent_path();
  }
  return path;
}

Result<stdfs::path> canonical_workspace(const FsScope& scope) {
  std::error_code ec;
  stdfs::path absolute = stdfs::absolute(scope.workspace, ec);
  if (ec) {
    return fail(Errc::io,
                "cannot resolve the workspace " + scope.workspace.string() + ": " + ec.message());
  }
  stdfs::path canonical = stdfs::weakly_canonical(absolute, ec);
  if (ec) {
    return fail(Errc::io,
                "cannot resolve the workspace " + scope.workspace.string() + ": " + ec.message());
  }
  return without_trailing_separator(canonical);
}

}  // namespace

Result<stdfs::path> resolve_tool_path(std::string_view requested, const FsScope& scope) {
  if (requested.empty()) {
    return fail(Errc::invalid_argument, "path: must not be empty");
  }
  if (requested.find('\0') != std::string_view::npos) {
    return fail(Errc::invalid_argument, "path: contains a NUL character");
  }
  auto workspace = canonical_workspace(scope);
  if (!workspace) {
    return std::unexpected(workspace.error());
  }

  stdfs::path named;
  if (requested == "~" || requested.starts_with("~/")) {
    const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe): read-only use
    if (home == nullptr || *home == '\0') {
      return fail(Errc::invalid_argument, "path: \"~\" cannot be expanded (no home directory)",
                  "use an absolute path, or ./~/... for a directory named \"~\"");
    }
    named = stdfs::path(home) / std::string(requested.substr(requested == "~" ? 1 : 2));
  } else {
    named = stdfs::path(std::string(requested));
  }
  stdfs::path lexical = without_trailing_separator(
      (named.is_absolute() ? named : *workspace / named).lexically_normal());

  std::error_code ec;
  stdfs::path resolved = without_trailing_separator(stdfs::weakly_canonical(lexical, ec));
  if (ec) {
    return fail(Errc::invalid_argument,
                "path: cannot resolve " + std::string(requested) + ": " + ec.message());
  }
  // weakly_canonical stops at the first component that does not exist; a symlink among the rest
  // is dangling, and following it later could land anywhere.
  stdfs::path prefix;
  for (const auto& part : resolved) {
    prefix /= part;
    if (stdfs::is_symlink(stdfs::symlink_status(prefix, ec))) {
      return fail(
          Errc::invalid_argument,
          "path: " + std::string(requested) + " goes through the broken symlink " + prefix.string(),
          "remove the symlink or use a path without it");
    }
  }

  if (scope.workspace_only && !is_within(resolved, *workspace)) {
    bool via_symlink = is_within(lexical, *workspace);
    std::string message = "path: " + std::string(requested) +
                          (via_symlink ? " goes through a symlink that points outside the "
                                         "workspace (to " +
                                             resolved.string() + ")"
                                       : " is outside the workspace " + workspace->string());
    return fail(Errc::invalid_argument, std::move(message),
                "file tools are confined to the workspace (tools.fs.workspaceOnly); use a path "
                "inside it, relative paths start there");
  }
  return resolved;
}

std::string display_path(const stdfs::path& path, const FsScope& scope) {
  auto workspace = canonical_workspace(scope);
  if (workspace && is_within(path, *workspace)) {
    stdfs::path relative = path.lexically_relative(*workspace);
    if (!relative.empty() && relative != ".") {
      return relative.string();
    }
  }
  return path.string();
}

}  // namespace pincer::tools::file_tools
