#pragma once
// Seeds a new agent workspace with starter files the assistant reads every turn: AGENTS.md
// (operating rules), SOUL.md (persona), USER.md (about its person), IDENTITY.md (name and
// style), TOOLS.md (local notes on tools), HEARTBEAT.md (what to check on its own) and
// BOOTSTRAP.md (a first-run conversation it deletes when done), plus memory/ for daily notes.
// Existing files are never overwritten: the workspace belongs to the user and the agent.

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace pincer::agent {

struct WorkspaceSeedResult {
  std::vector<std::string> created;  // file names written now
  std::vector<std::string> kept;     // file names that already existed
};

// Creates `dir` (0700) and whichever starter files are missing. With `skip_bootstrap` only the
// directory, TOOLS.md and HEARTBEAT.md are created (for people who bring their own files).
Result<WorkspaceSeedResult> seed_workspace(const std::filesystem::path& dir,
                                           bool skip_bootstrap = false);

// The starter files' names, in the order they are written.
const std::vector<std::string>& workspace_file_names();

}  // namespace pincer::agent
