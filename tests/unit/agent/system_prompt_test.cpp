#include "agent/system_prompt.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "agent/token_estimate.hpp"
#include "agent/workspace_bootstrap.hpp"
#include "agent/workspace_files.hpp"
#include "support/temp_dir.hpp"

namespace pincer::agent {
namespace {

void write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string big_file(std::size_t lines) {
  std::string text = "FIRST LINE\n";
  for (std::size_t i = 0; i < lines; ++i) {
    text += "line " + std::to_string(i) + " of the middle\n";
  }
  return text + "LAST LINE\n";
}

std::vector<std::string> names(const std::vector<WorkspaceFile>& files) {
  std::vector<std::string> out;
  for (const auto& file : files) {
    out.push_back(file.name);
  }
  return out;
}

// The tools a default agent has, with the one-line guidance the registry will give.
std::vector<ToolGuidance> default_tools() {
  return {
      {"read", "read a file (text or image)"},
      {"write", "create or overwrite a file"},
      {"edit", "replace exact text in a file"},
      {"exec", "run a shell command"},
      {"process", "manage background commands"},
      {"web_search", "search the web"},
      {"web_fetch", "fetch a URL as readable text"},
      {"browser", "drive a real browser"},
      {"memory_search", "search MEMORY.md and memory/*.md"},
      {"message", "send to a chat or channel"},
      {"cron", "schedule reminders and recurring jobs"},
      {"sessions_spawn", "start a sub-agent for a larger task"},
  };
}

SystemPromptInputs turn_inputs(const std::filesystem::path& dir) {
  SystemPromptInputs in;
  in.agent_id = "main";
  in.workspace_dir = dir;
  in.files = load_workspace_files(dir);
  in.tools = default_tools();
  in.host = "pi5";
  in.os = "Linux 6.6";
  in.model = "anthropic/claude-sonnet-4-5";
  in.timezone = "Europe/Berlin";
  in.local_time = "2026-01-18 Sun 14:05";
  in.channel = "telegram";
  in.chat_type = "direct";
  in.session_key = "agent:main:telegram:direct:42";
  return in;
}

// Files load in prompt order; missing ones are skipped; memory.md stands in for MEMORY.md.
TEST(WorkspaceFiles, LoadsPresentFilesInOrderAndSkipsMissing) {
  testing::TempDir dir;
  write(dir / "USER.md", "user notes");
  write(dir / "memory.md", "remember this");
  write(dir / "AGENTS.md", "rules");
  auto files = load_workspace_files(dir.path());
  EXPECT_EQ(names(files), (std::vector<std::string>{"AGENTS.md", "USER.md", "memory.md"}));
  EXPECT_EQ(files[0].text, "rules");
  EXPECT_FALSE(files[0].truncated);
  EXPECT_EQ(files[2].raw_bytes, 13u);
}

// A HEARTBEAT.md of headings only means "no checks" and is not sent; one with a task is.
TEST(WorkspaceFiles, SkipsHeartbeatWithOnlyHeadings) {
  testing::TempDir dir;
  write(dir / "HEARTBEAT.md", "# HEARTBEAT.md\n\n# keep this short\n");
  EXPECT_TRUE(load_workspace_files(dir.path()).empty());
  write(dir / "HEARTBEAT.md", "# HEARTBEAT.md\n- check the inbox\n");
  auto files = load_workspace_files(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "HEARTBEAT.md");
}

// BOOTSTRAP.md comes last and only while it exists (first run).
TEST(WorkspaceFiles, BootstrapOnlyWhilePresent) {
  testing::TempDir dir;
  write(dir / "AGENTS.md", "rules");
  write(dir / "BOOTSTRAP.md", "first run");
  write(dir / "MEMORY.md", "facts");
  EXPECT_EQ(names(load_workspace_files(dir.path())),
            (std::vector<std::string>{"AGENTS.md", "MEMORY.md", "BOOTSTRAP.md"}));
  std::filesystem::remove(dir / "BOOTSTRAP.md");
  EXPECT_EQ(names(load_workspace_files(dir.path())),
            (std::vector<std::string>{"AGENTS.md", "MEMORY.md"}));
}

// A file over the per-file cap keeps head and tail and says where the whole file is.
TEST(WorkspaceFiles, OversizedFileKeepsHeadAndTailWithMarker) {
  testing::TempDir dir;
  std::string text = big_file(2000);
  write(dir / "MEMORY.md", text);
  auto files = load_workspace_files(dir.path(), {.per_file = 4000, .total = 60000});
  ASSERT_EQ(files.size(), 1u);
  const auto& file = files[0];
  EXPECT_TRUE(file.truncated);
  EXPECT_EQ(file.raw_bytes, text.size());
  EXPECT_LE(file.text.size(), 4000u);
  EXPECT_GT(file.text.size(), 3000u);
  EXPECT_EQ(file.text.rfind("FIRST LINE\n", 0), 0u);
  EXPECT_TRUE(file.text.ends_with("LAST LINE\n"));
  EXPECT_NE(file.text.find((dir / "MEMORY.md").string()), std::string::npos);
  EXPECT_NE(file.text.find("bytes of MEMORY.md left out"), std::string::npos);
}

// The total cap shares out what is left; a file with almost nothing left becomes a pointer.
TEST(WorkspaceFiles, TotalCapLimitsLaterFiles) {
  testing::TempDir dir;
  write(dir / "AGENTS.md", std::string(5000, 'a'));
  write(dir / "SOUL.md", std::string(5000, 's'));
  write(dir / "USER.md", std::string(5000, 'u'));
  auto files = load_workspace_files(dir.path(), {.per_file = 20000, .total = 10100});
  ASSERT_EQ(files.size(), 3u);
  EXPECT_FALSE(files[0].truncated);
  EXPECT_FALSE(files[1].truncated);
  EXPECT_TRUE(files[2].truncated);
  EXPECT_LT(files[2].text.size(), 256u);
  EXPECT_NE(files[2].text.find((dir / "USER.md").string()), std::string::npos);

  auto tighter = load_workspace_files(dir.path(), {.per_file = 20000, .total = 8000});
  std::size_t total = 0;
  for (const auto& file : tighter) {
    total += file.text.size();
  }
  EXPECT_LE(total, 8000u + 256u);
  EXPECT_TRUE(tighter[1].truncated);
}

// Per-turn facts go to the suffix only, so the stable prefix is byte-identical across turns.
TEST(SystemPrompt, PerTurnFactsOnlyInSuffix) {
  testing::TempDir dir;
  write(dir / "AGENTS.md", "# rules\nbe kind\n");
  auto in = turn_inputs(dir.path());
  auto first = build_system_prompt(in);
  for (const auto* fact : {"2026-01-18", "Europe/Berlin", "telegram", "agent:main:telegram"}) {
    EXPECT_EQ(first.stable.find(fact), std::string::npos) << fact;
    EXPECT_NE(first.suffix.find(fact), std::string::npos) << fact;
  }
  in.local_time = "2026-01-19 Mon 09:00";
  in.channel = "discord";
  in.chat_type = "group";
  in.session_key = "agent:main:discord:group:7";
  in.extra_context = "Group: family";
  auto second = build_system_prompt(in);
  EXPECT_EQ(first.stable, second.stable);
  EXPECT_NE(first.suffix, second.suffix);
  EXPECT_NE(second.suffix.find("Group: family"), std::string::npos);
  EXPECT_NE(first.stable.find("be kind"), std::string::npos);
  EXPECT_NE(first.stable.find("anthropic/claude-sonnet-4-5"), std::string::npos);
}

// Tools are named with their one-line guidance; rules about a tool appear only with the tool.
TEST(SystemPrompt, ToolGuidanceFollowsTheToolList) {
  testing::TempDir dir;
  auto in = turn_inputs(dir.path());
  auto with_cron = build_system_prompt(in);
  EXPECT_NE(with_cron.stable.find("- cron: schedule reminders"), std::string::npos);
  EXPECT_NE(with_cron.stable.find("goes in cron"), std::string::npos);
  std::erase_if(in.tools, [](const ToolGuidance& tool) { return tool.name == "cron"; });
  auto without = build_system_prompt(in);
  EXPECT_EQ(without.stable.find("cron"), std::string::npos);
}

// The skills index is one line per skill; only the description's first line is used.
TEST(SystemPrompt, SkillsIndexIsOneLineEach) {
  testing::TempDir dir;
  auto in = turn_inputs(dir.path());
  in.skills = {
      {"weather", "Forecasts for a place.\nLong usage notes here.", "/ws/skills/weather/SKILL.md"},
      {"notes", std::string(400, 'n'), "/ws/skills/notes/SKILL.md"}};
  auto prompt = build_system_prompt(in);
  EXPECT_NE(prompt.stable.find("- weather: Forecasts for a place. (/ws/skills/weather/SKILL.md)\n"),
            std::string::npos);
  EXPECT_EQ(prompt.stable.find("Long usage notes"), std::string::npos);
  auto line_at = prompt.stable.find("- notes: ");
  ASSERT_NE(line_at, std::string::npos);
  auto line_end = prompt.stable.find('\n', line_at);
  EXPECT_LT(line_end - line_at, 220u);
}

// Sub-agents get AGENTS.md only and no reply conventions.
TEST(SystemPrompt, MinimalModeKeepsOnlyAgentsFile) {
  testing::TempDir dir;
  write(dir / "AGENTS.md", "agents rules");
  write(dir / "SOUL.md", "soul text");
  auto in = turn_inputs(dir.path());
  in.mode = PromptMode::minimal;
  auto prompt = build_system_prompt(in);
  EXPECT_NE(prompt.stable.find("agents rules"), std::string::npos);
  EXPECT_EQ(prompt.stable.find("soul text"), std::string::npos);
  EXPECT_EQ(prompt.stable.find("HEARTBEAT_OK"), std::string::npos);
  ASSERT_EQ(prompt.report.files.size(), 1u);
  EXPECT_EQ(prompt.report.files[0].name, "AGENTS.md");
}

// The report adds up and flags truncated files; the prompt notes that files were shortened.
TEST(SystemPrompt, ReportCountsBytesTokensAndTruncation) {
  testing::TempDir dir;
  write(dir / "AGENTS.md", "short");
  write(dir / "MEMORY.md", big_file(3000));
  auto in = turn_inputs(dir.path());
  in.files = load_workspace_files(dir.path(), {.per_file = 2000, .total = 60000});
  auto prompt = build_system_prompt(in);
  const auto& report = prompt.report;
  EXPECT_EQ(report.bytes, prompt.stable.size() + prompt.suffix.size());
  EXPECT_EQ(report.estimated_tokens,
            estimate_tokens(prompt.stable) + estimate_tokens(prompt.suffix));
  ASSERT_EQ(report.files.size(), 2u);
  EXPECT_FALSE(report.files[0].truncated);
  EXPECT_TRUE(report.files[1].truncated);
  EXPECT_LE(report.files[1].bytes, 2000u);
  EXPECT_GT(report.files[1].raw_bytes, 2000u);
  EXPECT_NE(prompt.stable.find("were shortened"), std::string::npos);
  EXPECT_NE(prompt.stable.find("HEARTBEAT_OK"), std::string::npos);
  EXPECT_NE(prompt.stable.find("NO_REPLY"), std::string::npos);
}

// Figures for the issue: the prompt for a trivial turn with the starter workspace and the
// default tool list (schemas are sent separately and measured by the tools work).
TEST(SystemPrompt, StarterWorkspaceFigures) {
  testing::TempDir dir;
  ASSERT_TRUE(seed_workspace(dir.path()));
  auto in = turn_inputs(dir.path());
  in.skills = {{"weather", "Current weather and forecasts for a place.",
                (dir / "skills/weather/SKILL.md").string()}};
  auto prompt = build_system_prompt(in);
  std::size_t file_bytes = 0;
  for (const auto& file : prompt.report.files) {
    file_bytes += file.bytes;
  }
  std::cout << "[figures] starter workspace system prompt: stable " << prompt.report.stable_bytes
            << " B + suffix " << prompt.report.suffix_bytes << " B = " << prompt.report.bytes
            << " B, ~" << prompt.report.estimated_tokens << " tokens (workspace files "
            << file_bytes << " B in " << prompt.report.files.size() << " files)\n";
  if (std::getenv("PINCER_PRINT_PROMPT") != nullptr) {
    std::cout << prompt.stable << "----- suffix -----\n" << prompt.suffix;
  }
  // Seeded files with BOOTSTRAP.md; HEARTBEAT.md holds only comment headings, so it is skipped.
  EXPECT_EQ(prompt.report.files.size(), 6u);
  EXPECT_LT(prompt.report.bytes, 8192u);

  // Without per-tool guidance lines (the schemas already describe each tool).
  for (auto& tool : in.tools) {
    tool.guidance.clear();
  }
  auto names_only = build_system_prompt(in);
  std::cout << "[figures] same, tool names only: " << names_only.report.bytes << " B, ~"
            << names_only.report.estimated_tokens << " tokens\n";
  EXPECT_NE(names_only.stable.find("Tools: read, write, edit, exec"), std::string::npos);
  EXPECT_LT(names_only.report.bytes, prompt.report.bytes);

  // After the first run (BOOTSTRAP.md deleted).
  std::filesystem::remove(dir / "BOOTSTRAP.md");
  in.files = load_workspace_files(dir.path());
  auto later = build_system_prompt(in);
  std::cout << "[figures] after first run, tool names only: " << later.report.bytes << " B, ~"
            << later.report.estimated_tokens << " tokens\n";
}

}  // namespace
}  // namespace pincer::agent
