#pragma once
// Assembles the agent's system prompt from its workspace files, skills index, tools and runtime
// facts. Pure: the caller gathers the inputs (files via load_workspace_files, the time from its
// clock) and sends the two pieces as ModelRequest::system and ::system_suffix.
//
// Ordering promise, for provider prompt caches: `stable` holds only what stays the same from turn
// to turn and session to session of one agent (identity, rules, tool guidance, runtime host and
// model, skills index, workspace files, roughly least to most often edited), so the cached prefix
// hits on every later turn. Everything per turn (local time, channel, chat type, session key,
// extra channel context) goes into `suffix`, after the cache breakpoint.
//
// What it does not do: tool schemas are not rendered here (they travel in ModelRequest::tools;
// repeating them would pay for them twice); skill bodies are not inlined (the model reads a
// SKILL.md when a task needs it).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/workspace_files.hpp"

namespace pincer::agent {

struct SkillIndexEntry {
  std::string name;
  std::string description;  // one line; longer text is cut
  std::string path;         // where its SKILL.md is
};

struct ToolGuidance {
  std::string name;
  std::string guidance;  // one line on when to use it (may be empty)
};

// `minimal` is for sub-agents: AGENTS.md only, no reply conventions, no skills.
enum class PromptMode { full, minimal };

struct SystemPromptInputs {
  PromptMode mode = PromptMode::full;
  std::string agent_name;  // display name; empty when the person has not chosen one
  std::string agent_id;    // "main"
  std::filesystem::path workspace_dir;
  std::vector<WorkspaceFile> files;
  std::vector<SkillIndexEntry> skills;
  std::vector<ToolGuidance> tools;
  // Stable runtime facts.
  std::string host;
  std::string os;
  std::string model;  // "provider/model"
  // Per-turn facts.
  std::string timezone;    // IANA name, e.g. "Europe/Berlin"
  std::string local_time;  // preformatted by the runner, e.g. "2026-01-18 Sun 14:05"
  std::string channel;     // "telegram", "webchat", "cli", ...
  std::string chat_type;   // "direct", "group", "channel"
  std::string session_key;
  std::string extra_context;  // channel notes for this turn (group name, members ...); verbatim
};

struct PromptFileReport {
  std::string name;
  std::size_t bytes = 0;      // as injected
  std::size_t raw_bytes = 0;  // on disk
  bool truncated = false;
};

// What the prompt costs, for /context-style diagnostics and the token figures.
struct SystemPromptReport {
  std::size_t bytes = 0;  // stable + suffix
  int64_t estimated_tokens = 0;
  std::size_t stable_bytes = 0;
  std::size_t suffix_bytes = 0;
  std::vector<PromptFileReport> files;
};

struct SystemPrompt {
  std::string stable;
  std::string suffix;
  SystemPromptReport report;
};

SystemPrompt build_system_prompt(const SystemPromptInputs& inputs);

}  // namespace pincer::agent
