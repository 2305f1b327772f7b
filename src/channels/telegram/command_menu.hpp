#pragma once
// The Telegram command menu (setMyCommands): Pincer's own chat commands when native commands are
// on, then the account's customCommands, then user-invocable skills.
//
// Telegram's rules (Bot API BotCommand): names are 1-32 lower-case letters, digits and
// underscores; descriptions 1-256 characters; at most 100 commands. Names are normalized the
// reference's way (leading "/" dropped, lower-cased); an invalid name, a duplicate, or a custom
// command that would shadow a native one is skipped with a warning, never an error: the menu is
// a convenience and the commands work when typed either way.

#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"

namespace pincer::channels::telegram {

inline constexpr std::size_t kMaxMenuCommands = 100;

struct MenuSkill {
  std::string name;
  std::string description;
};

using CommandMenu = std::vector<std::pair<std::string, std::string>>;

// `warnings` receives one line per skipped entry.
CommandMenu build_command_menu(const core::TelegramAccountConfig& account,
                               const core::Config& config, const std::vector<MenuSkill>& skills,
                               std::vector<std::string>& warnings);

}  // namespace pincer::channels::telegram
