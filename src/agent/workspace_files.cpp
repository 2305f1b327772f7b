#include "agent/workspace_files.hpp"

#include <array>
#include <string_view>
#include <system_error>

#include "agent/head_tail.hpp"
#include "core/files.hpp"

namespace pincer::agent {

namespace fs = std::filesystem;

namespace {

// Prompt order: rules first, then persona and notes, then who the user is, then what changes
// most (heartbeat checks, memory), and the first-run script last.
constexpr std::array<std::string_view, 7> kFileOrder = {
    "AGENTS.md", "SOUL.md", "TOOLS.md", "IDENTITY.md", "USER.md", "HEARTBEAT.md", "MEMORY.md",
};
constexpr std::string_view kBootstrapName = "BOOTSTRAP.md";

// Below this, a file's share of the total is too small to be worth injecting at all: the model
// gets a pointer to the file instead.
constexpr std::size_t kMinUsefulBytes = 256;

// Only blank lines and Markdown headings: the heartbeat convention for "no checks", so there is
// nothing worth sending.
bool effectively_empty(std::string_view text) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    auto first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') {
      return false;
    }
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  return true;
}

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

}  // namespace

std::string cap_workspace_file(std::string_view text, const fs::path& path, std::size_t max_bytes) {
  std::string where = path.string();
  auto marker = [&](std::size_t cut) {
    return "\n[... " + std::to_string(cut) + " bytes of " + path.filename().string() +
           " left out to save context; read " + where + " for the whole file ...]\n";
  };
  return keep_head_and_tail(text, max_bytes, marker);
}

std::vector<WorkspaceFile> load_workspace_files(const fs::path& dir,
                                                const WorkspaceFileCaps& caps) {
  std::vector<fs::path> paths;
  for (auto name : kFileOrder) {
    fs::path path = dir / name;
    if (name == "MEMORY.md" && !is_file(path)) {
      path = dir / "memory.md";
    }
    if (is_file(path)) {
      paths.push_back(path);
    }
  }
  if (is_file(dir / kBootstrapName)) {
    paths.push_back(dir / kBootstrapName);
  }

  std::vector<WorkspaceFile> files;
  std::size_t used = 0;
  for (const auto& path : paths) {
    WorkspaceFile file;
    file.name = path.filename().string();
    file.path = path;
    auto text = core::read_file(path);
    if (!text) {
      file.text = "[" + file.name + " could not be read: " + text.error().message + "]";
      files.push_back(std::move(file));
      continue;
    }
    file.raw_bytes = text->size();
    if (file.name == "HEARTBEAT.md" && effectively_empty(*text)) {
      continue;
    }
    std::size_t left = caps.total > used ? caps.total - used : 0;
    std::size_t cap = std::min(caps.per_file, left);
    if (text->size() > cap && cap < kMinUsefulBytes) {
      file.text = "[" + file.name +
                  " left out: the workspace files reached their size limit; read " + path.string() +
                  " when you need it]";
      file.truncated = true;
    } else {
      file.text = cap_workspace_file(*text, path, cap);
      file.truncated = text->size() > cap;
    }
    used += file.text.size();
    files.push_back(std::move(file));
  }
  return files;
}

}  // namespace pincer::agent
