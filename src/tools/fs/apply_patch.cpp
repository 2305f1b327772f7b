// `apply_patch`: every file operation of the patch is checked and computed in memory first;
// only then are files written. A write that fails midway puts back what was already changed,
// so the patch applies whole or not at all.
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "tools/fs/file_content.hpp"
#include "tools/fs/file_descriptor.hpp"
#include "tools/fs/file_operations.hpp"
#include "tools/fs/patch.hpp"

namespace pincer::tools::file_tools {

namespace stdfs = std::filesystem;

namespace {

agent::ToolOutput error(std::string text) {
  return agent::ToolOutput::failure("apply_patch: " + std::move(text) + " No file was changed.");
}

// What is at a path: nothing, a regular file, or (delete only) a symlink.
struct Entry {
  enum class Kind { absent, file, symlink } kind = Kind::absent;
  std::string content;
  stdfs::path link_target;
};

Result<Entry> load_entry(const stdfs::path& path, const std::string& shown) {
  std::error_code ec;
  auto status = stdfs::symlink_status(path, ec);
  if (ec || status.type() == stdfs::file_type::not_found) {
    return Entry{};
  }
  if (stdfs::is_symlink(status)) {
    Entry entry{.kind = Entry::Kind::symlink};
    entry.link_target = stdfs::read_symlink(path, ec);
    return entry;
  }
  auto opened = open_regular_file(path, shown);
  if (!opened) {
    return std::unexpected(opened.error());
  }
  if (opened->size > kEditMaxFileBytes) {
    return fail(Errc::invalid_argument,
                shown + " is too large to patch (" + std::to_string(opened->size) + " bytes)");
  }
  auto content = read_all(opened->fd.get(), opened->size);
  if (!content) {
    return std::unexpected(content.error());
  }
  return Entry{.kind = Entry::Kind::file, .content = std::move(*content)};
}

// The patch's view of the files: what earlier operations of the same patch left, else the disk.
class Staging {
 public:
  explicit Staging(const FsScope& scope) : scope_(scope) {}

  Result<const Entry*> current(const stdfs::path& path) {
    if (auto it = staged_.find(path); it != staged_.end()) {
      return &it->second;
    }
    auto entry = load_original(path);
    if (!entry) {
      return std::unexpected(entry.error());
    }
    staged_[path] = **entry;
    return &staged_[path];
  }

  void put(const stdfs::path& path, Entry entry) {
    if (!original_.contains(path)) {
      (void)load_original(path);
    }
    staged_[path] = std::move(entry);
  }

  // Writes every staged change; on a failure restores the originals of what it already did.
  Status commit() {
    std::vector<stdfs::path> done;
    for (const stdfs::path& path : order_) {
      const Entry& before = original_[path];
      const Entry& after = staged_[path];
      if (before.kind == after.kind && before.content == after.content &&
          before.link_target == after.link_target) {
        continue;  // only looked at
      }
      auto applied = write_entry(path, staged_[path]);
      if (!applied) {
        done.push_back(path);
        for (auto it = done.rbegin(); it != done.rend(); ++it) {
          (void)write_entry(*it, original_[*it]);
        }
        return std::unexpected(applied.error());
      }
      done.push_back(path);
    }
    return {};
  }

  const std::vector<stdfs::path>& order() const { return order_; }
  const Entry& original(const stdfs::path& path) { return original_[path]; }
  const Entry& staged(const stdfs::path& path) { return staged_[path]; }

 private:
  Result<const Entry*> load_original(const stdfs::path& path) {
    if (auto it = original_.find(path); it != original_.end()) {
      return &it->second;
    }
    auto entry = load_entry(path, display_path(path, scope_));
    if (!entry) {
      return std::unexpected(entry.error());
    }
    order_.push_back(path);
    return &(original_[path] = std::move(*entry));
  }

  static Status write_entry(const stdfs::path& path, const Entry& entry) {
    std::error_code ec;
    switch (entry.kind) {
      case Entry::Kind::absent:
        if (stdfs::symlink_status(path, ec).type() != stdfs::file_type::not_found) {
          stdfs::remove(path, ec);
          if (ec) {
            return fail(Errc::io, "cannot delete " + path.string() + ": " + ec.message());
          }
        }
        return {};
      case Entry::Kind::file:
        return save_file(path, entry.content);
      case Entry::Kind::symlink:
        stdfs::remove(path, ec);
        stdfs::create_symlink(entry.link_target, path, ec);
        if (ec) {
          return fail(Errc::io, "cannot restore the symlink " + path.string());
        }
        return {};
    }
    return {};
  }

  const FsScope& scope_;
  std::map<stdfs::path, Entry> original_;
  std::map<stdfs::path, Entry> staged_;
  std::vector<stdfs::path> order_;  // first touched first
};

std::string header_of(const FilePatch& patch) {
  switch (patch.action) {
    case PatchAction::add:
      return "*** Add File: " + patch.path;
    case PatchAction::remove:
      return "*** Delete File: " + patch.path;
    case PatchAction::update:
      return "*** Update File: " + patch.path;
  }
  return patch.path;
}

// Delete acts on the last component itself (a symlink is removed, not its target), so only the
// parent directory is resolved.
Result<stdfs::path> resolve_for_delete(const std::string& requested, const FsScope& scope) {
  stdfs::path named(requested);
  if (!named.has_filename() || named.filename() == "." || named.filename() == "..") {
    return resolve_tool_path(requested, scope);
  }
  std::string parent = named.parent_path().string();
  auto dir = resolve_tool_path(parent.empty() ? "." : parent, scope);
  if (!dir) {
    return std::unexpected(dir.error());
  }
  return *dir / named.filename();
}

}  // namespace

agent::ToolOutput apply_patch(const std::string& input, const FsScope& scope) {
  auto patches = parse_patch(input);
  if (!patches) {
    return error(patches.error().describe() + ".");
  }
  Staging staging(scope);
  std::vector<std::string> summary;
  for (const FilePatch& patch : *patches) {
    const std::string where =
        header_of(patch) + " (patch line " + std::to_string(patch.patch_line) + "): ";
    auto resolved = patch.action == PatchAction::remove ? resolve_for_delete(patch.path, scope)
                                                        : resolve_tool_path(patch.path, scope);
    if (!resolved) {
      return error(where + resolved.error().describe() + ".");
    }
    const std::string shown = display_path(*resolved, scope);
    auto current = staging.current(*resolved);
    if (!current) {
      return error(where + current.error().describe() + ".");
    }
    const Entry& entry = **current;
    switch (patch.action) {
      case PatchAction::add:
        if (entry.kind != Entry::Kind::absent) {
          return error(where + shown +
                       " already exists; use \"*** Update File:\", or delete it earlier in the "
                       "same patch to replace it.");
        }
        staging.put(*resolved, Entry{.kind = Entry::Kind::file, .content = patch.content});
        summary.push_back("A " + shown);
        break;
      case PatchAction::remove:
        if (entry.kind == Entry::Kind::absent) {
          return error(where + shown + " does not exist.");
        }
        staging.put(*resolved, Entry{});
        summary.push_back("D " + shown);
        break;
      case PatchAction::update: {
        if (entry.kind != Entry::Kind::file) {
          return error(where + shown + " does not exist; use \"*** Add File:\" to create it.");
        }
        if (looks_binary(std::string_view(entry.content).substr(0, 8192))) {
          return error(where + shown + " looks like a binary file; apply_patch changes text.");
        }
        std::string updated = entry.content;
        if (!patch.hunks.empty()) {
          auto applied = apply_hunks(entry.content, patch.hunks, shown);
          if (!applied) {
            return error(applied.error().describe() + ".");
          }
          updated = std::move(*applied);
        }
        if (patch.move_to.empty()) {
          staging.put(*resolved, Entry{.kind = Entry::Kind::file, .content = std::move(updated)});
          summary.push_back("M " + shown);
          break;
        }
        auto target = resolve_tool_path(patch.move_to, scope);
        if (!target) {
          return error(where + "*** Move to: " + target.error().describe() + ".");
        }
        const std::string target_shown = display_path(*target, scope);
        if (*target != *resolved) {
          auto existing = staging.current(*target);
          if (!existing) {
            return error(where + existing.error().describe() + ".");
          }
          if ((*existing)->kind != Entry::Kind::absent) {
            return error(where + "cannot move to " + target_shown +
                         ": it already exists; delete it earlier in the same patch to replace "
                         "it.");
          }
          staging.put(*resolved, Entry{});
        }
        staging.put(*target, Entry{.kind = Entry::Kind::file, .content = std::move(updated)});
        summary.push_back("M " + shown + " -> " + target_shown);
        break;
      }
    }
  }

  auto committed = staging.commit();
  if (!committed) {
    return {.text = "apply_patch: writing failed: " + committed.error().describe() +
                    ". The files already changed were restored.",
            .is_error = true};
  }
  std::string text = "Success. Updated the following files:";
  for (const std::string& line : summary) {
    text += "\n" + line;
  }
  return {.text = std::move(text)};
}

}  // namespace pincer::tools::file_tools
