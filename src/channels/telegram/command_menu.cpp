#include "channels/telegram/command_menu.hpp"

#include <algorithm>
#include <set>

#include "core/text.hpp"

namespace pincer::channels::telegram {

namespace {

// The chat commands the agent runtime itself understands (sessions/session_intake.cpp,
// agent/turn_runner.cpp).
constexpr std::pair<std::string_view, std::string_view> kNativeCommands[] = {
    {"new", "Start a new session"},
    {"reset", "Reset the current session"},
    {"think", "Set the thinking level: off, minimal, low, medium, high"},
    {"model", "Show or switch the model for this session"},
    {"compact", "Summarise older messages to free context"},
};

std::string normalize(std::string_view name) {
  std::string out = core::lowercase_trimmed(name);
  while (!out.empty() && out.front() == '/') {
    out.erase(out.begin());
  }
  return out;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Telegram counts description length in characters; cut on a UTF-8 boundary.
std::string clip_description(std::string_view text) {
  std::string out(core::trim(text));
  std::size_t chars = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if ((static_cast<unsigned char>(out[i]) & 0xC0) != 0x80 && ++chars > 256) {
      out.resize(i);
      break;
    }
  }
  return out;
}

// commands.native: true, false or "auto" (Telegram supports native commands, so auto means on).
bool native_enabled(const core::TelegramAccountConfig& account, const core::Config& config) {
  if (account.native_commands) {
    return *account.native_commands;
  }
  if (config.commands.native) {
    return *config.commands.native;
  }
  return true;
}

}  // namespace

CommandMenu build_command_menu(const core::TelegramAccountConfig& account,
                               const core::Config& config, const std::vector<MenuSkill>& skills,
                               std::vector<std::string>& warnings) {
  CommandMenu menu;
  std::set<std::string> taken;
  std::set<std::string> native;
  for (const auto& [name, description] : kNativeCommands) {
    native.emplace(name);
  }
  if (native_enabled(account, config)) {
    for (const auto& [name, description] : kNativeCommands) {
      menu.emplace_back(name, description);
      taken.emplace(name);
    }
  }
  auto add = [&](std::string_view raw, std::string_view description, std::string_view what) {
    std::string name = normalize(raw);
    if (!valid_name(name)) {
      warnings.push_back(std::string(what) + " \"" + std::string(raw) +
                         "\" skipped: names are 1-32 of a-z, 0-9 and _");
      return;
    }
    if (native.contains(name)) {
      warnings.push_back(std::string(what) + " /" + name +
                         " skipped: it would shadow the built-in command");
      return;
    }
    if (!taken.insert(name).second) {
      warnings.push_back(std::string(what) + " /" + name + " skipped: listed twice");
      return;
    }
    if (menu.size() >= kMaxMenuCommands) {
      warnings.push_back(std::string(what) + " /" + name +
                         " left out of the menu: Telegram shows at most 100 commands");
      return;
    }
    std::string text = clip_description(description);
    menu.emplace_back(name, text.empty() ? "/" + name : text);
  };
  for (const auto& command : account.custom_commands) {
    add(command.command, command.description, "custom command");
  }
  for (const auto& skill : skills) {
    add(skill.name, skill.description, "skill");
  }
  return menu;
}

}  // namespace pincer::channels::telegram
