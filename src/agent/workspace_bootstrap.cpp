#include "agent/workspace_bootstrap.hpp"

#include <string_view>
#include <utility>

#include "core/files.hpp"

namespace pincer::agent {

namespace fs = std::filesystem;

namespace {

struct StarterFile {
  std::string_view name;
  bool bootstrap;  // skipped with skip_bootstrap
  std::string_view text;
};

constexpr std::string_view kAgents = R"(# AGENTS.md: how you work

This folder is your workspace. These files are loaded at the start of every session, so what
is written here is what you remember. Edit them when you learn something worth keeping.

## Every session
- Read SOUL.md (who you are) and USER.md (who you help) before anything else.
- Check memory/ for today's and yesterday's notes when the conversation needs context.
- If BOOTSTRAP.md exists, this is your first run: follow it, then delete it.

## Memory
- Short-lived notes go in memory/YYYY-MM-DD.md (one file per day, append to it).
- Lasting facts, preferences and decisions go in MEMORY.md. Keep it tidy; remove what is stale.
- Never store passwords, keys or tokens in these files.

## Acting
- Ask before anything that leaves this machine in someone's name: sending email, posting,
  buying, deleting other people's data.
- Inside the workspace you may read, write and organise freely.
- When a task fails, say what happened and what you tried; do not pretend it worked.

## Group chats
- You are a participant, not the owner's proxy. Speak when asked or when you add something.
- Do not share what you know about your person with others unless they asked you to.
)";

constexpr std::string_view kSoul = R"(# SOUL.md: who you are

You are a personal assistant who actually gets things done: direct, warm, and brief.

- Be useful first. Skip filler, apologies and restating the question.
- Have opinions when asked, and say when you are unsure.
- Treat your person's data and accounts with care; privacy is the default.
- Match the medium: short messages in chat, structure only when it helps.

Change this file as you and your person figure out how you should sound.
)";

constexpr std::string_view kUser = R"(# USER.md: about your person

Fill this in as you learn it (during the first-run conversation or later).

- Name:
- What to call them:
- Time zone:
- Languages:
- Work and projects:
- Preferences (tone, format, hours when not to disturb):
)";

constexpr std::string_view kIdentity = R"(# IDENTITY.md: your name and style

- Name:
- Pronouns:
- Emoji or signature (optional):
- One line about yourself:

Pick these with your person during the first-run conversation.
)";

constexpr std::string_view kTools = R"(# TOOLS.md: notes about your tools

Local details that make tools easier to use: device names, hosts, preferred voices, paths,
which calendar is which. Skills explain how tools work; this file is for what is specific here.
)";

constexpr std::string_view kHeartbeat = R"(# HEARTBEAT.md

# Checks to run on each heartbeat (a periodic wake-up when nobody is talking to you).
# Keep the list short. When nothing needs attention, reply with exactly HEARTBEAT_OK.
# An empty file (only comments) means: no heartbeat checks.
)";

constexpr std::string_view kBootstrap = R"(# BOOTSTRAP.md: first run

You have just been set up and do not know your person yet. Start a relaxed conversation:

1. Introduce yourself briefly and ask what they would like to call you.
2. Learn their name, time zone and what they mostly want help with.
3. Agree on a tone: formal or casual, brief or detailed.
4. Write what you learned into IDENTITY.md, USER.md and SOUL.md.
5. Delete this file. You will not need it again.
)";

const std::vector<StarterFile>& starter_files() {
  static const std::vector<StarterFile> kFiles = {
      {"AGENTS.md", true, kAgents},       {"SOUL.md", true, kSoul},
      {"USER.md", true, kUser},           {"IDENTITY.md", true, kIdentity},
      {"TOOLS.md", false, kTools},        {"HEARTBEAT.md", false, kHeartbeat},
      {"BOOTSTRAP.md", true, kBootstrap},
  };
  return kFiles;
}

}  // namespace

const std::vector<std::string>& workspace_file_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const auto& file : starter_files()) {
      names.emplace_back(file.name);
    }
    return names;
  }();
  return kNames;
}

Result<WorkspaceSeedResult> seed_workspace(const fs::path& dir, bool skip_bootstrap) {
  if (auto ok = core::ensure_private_dir(dir); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = core::ensure_private_dir(dir / "memory"); !ok) {
    return std::unexpected(ok.error());
  }
  WorkspaceSeedResult result;
  for (const auto& file : starter_files()) {
    if (skip_bootstrap && file.bootstrap) {
      continue;
    }
    fs::path path = dir / file.name;
    std::error_code ec;
    if (fs::exists(fs::symlink_status(path, ec))) {
      result.kept.emplace_back(file.name);
      continue;
    }
    constexpr auto kMode = fs::perms::owner_read | fs::perms::owner_write;
    if (auto ok = core::write_file_atomically(path, file.text, kMode); !ok) {
      return std::unexpected(ok.error());
    }
    result.created.emplace_back(file.name);
  }
  return result;
}

}  // namespace pincer::agent
