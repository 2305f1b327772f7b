#include "channels/telegram/command_menu.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config_loader.hpp"
#include "support/fake_env.hpp"

namespace pincer::channels::telegram {
namespace {

const std::vector<std::string> kNativeNames = {"new", "reset", "think", "model", "compact"};

std::vector<std::string> names(const CommandMenu& menu) {
  std::vector<std::string> out;
  for (const auto& [name, description] : menu) {
    out.push_back(name);
  }
  return out;
}

std::vector<std::string> with_natives(std::vector<std::string> extra) {
  std::vector<std::string> out = kNativeNames;
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

core::TelegramAccountConfig account_with(std::vector<core::TelegramCustomCommand> commands) {
  core::TelegramAccountConfig account;
  account.custom_commands = std::move(commands);
  return account;
}

// Named defaults: GCC 12 warns (maybe-uninitialized) about a temporary Config built from {}.
const core::Config& no_config() {
  static const core::Config config;
  return config;
}

const core::TelegramAccountConfig& plain_account() {
  static const core::TelegramAccountConfig account;
  return account;
}

// Counts the warnings that contain `needle`.
std::size_t count_containing(const std::vector<std::string>& warnings, std::string_view needle) {
  std::size_t n = 0;
  for (const auto& w : warnings) {
    if (w.find(needle) != std::string::npos) {
      ++n;
    }
  }
  return n;
}

// Number of UTF-8 characters (code points) in a valid UTF-8 string.
std::size_t utf8_chars(std::string_view text) {
  std::size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++n;
    }
  }
  return n;
}

// True when `text` ends on a whole character (no cut multi-byte sequence at the end).
bool ends_on_utf8_boundary(std::string_view text) {
  std::size_t i = text.size();
  std::size_t continuation = 0;
  while (i > 0 && (static_cast<unsigned char>(text[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++continuation;
  }
  if (i == 0) {
    return continuation == 0;
  }
  auto lead = static_cast<unsigned char>(text[i - 1]);
  std::size_t expected = lead < 0x80             ? 0
                         : (lead & 0xE0) == 0xC0 ? 1
                         : (lead & 0xF0) == 0xE0 ? 2
                                                 : 3;
  return continuation == expected;
}

// With nothing configured, the menu lists Pincer's own chat commands, each with a description.
TEST(CommandMenu, NativeCommandsAreOnByDefault) {
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(plain_account(), no_config(), {}, warnings);
  EXPECT_EQ(names(menu), kNativeNames);
  for (const auto& [name, description] : menu) {
    EXPECT_FALSE(description.empty()) << name;
  }
  EXPECT_TRUE(warnings.empty());
}

// channels.telegram.commands.native: false leaves the built-ins out; custom commands remain.
TEST(CommandMenu, AccountNativeFalseLeavesBuiltinsOut) {
  auto account = account_with({{"backup", "Run a backup"}});
  account.native_commands = false;
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), {}, warnings);
  EXPECT_EQ(names(menu), std::vector<std::string>{"backup"});
  EXPECT_TRUE(warnings.empty());
}

// The global commands.native: false applies when the account says nothing.
TEST(CommandMenu, GlobalNativeFalseLeavesBuiltinsOut) {
  core::Config config;
  config.commands.native = false;
  std::vector<std::string> warnings;
  EXPECT_TRUE(build_command_menu(plain_account(), config, {}, warnings).empty());
  EXPECT_TRUE(warnings.empty());

  config.commands.native = true;
  EXPECT_EQ(names(build_command_menu(plain_account(), config, {}, warnings)), kNativeNames);
}

// The account's own setting wins over the global one, either way.
TEST(CommandMenu, AccountNativeSettingOverridesGlobal) {
  core::Config config;
  config.commands.native = false;
  core::TelegramAccountConfig account;
  account.native_commands = true;
  std::vector<std::string> warnings;
  EXPECT_EQ(names(build_command_menu(account, config, {}, warnings)), kNativeNames);

  config.commands.native = true;
  account.native_commands = false;
  EXPECT_TRUE(build_command_menu(account, config, {}, warnings).empty());
}

// Custom names lose their leading "/" and are lower-cased; they follow the built-ins in order.
TEST(CommandMenu, CustomNamesAreNormalized) {
  auto account = account_with({{"/Backup", "Run a backup"},
                               {"  /STATUS_2 ", "Show status"},
                               {"//deploy", "Deploy"},
                               {"Zz9", "Last"}});
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), {}, warnings);
  EXPECT_EQ(names(menu), with_natives({"backup", "status_2", "deploy", "zz9"}));
  EXPECT_EQ(menu[5].second, "Run a backup");
  EXPECT_EQ(menu[6].second, "Show status");
  EXPECT_TRUE(warnings.empty());
}

// Names Telegram would refuse are skipped, one warning each naming the entry as written.
TEST(CommandMenu, InvalidNamesAreSkippedWithAWarning) {
  std::string too_long(33, 'a');
  std::string longest(32, 'b');
  auto account = account_with({{too_long, "x"},
                               {"hello-world", "x"},
                               {"what?", "x"},
                               {"dot.name", "x"},
                               {"two words", "x"},
                               {"/", "x"},
                               {"héllo", "x"},
                               {longest, "the longest allowed"}});
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), {}, warnings);
  EXPECT_EQ(names(menu), with_natives({longest}));
  ASSERT_EQ(warnings.size(), 7u);
  EXPECT_NE(warnings[0].find(too_long), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("hello-world"), std::string::npos) << warnings[1];
  EXPECT_NE(warnings[2].find("what?"), std::string::npos) << warnings[2];
  EXPECT_NE(warnings[6].find("héllo"), std::string::npos) << warnings[6];
  EXPECT_EQ(count_containing(warnings, "1-32 of a-z, 0-9 and _"), 7u);
}

// A name listed twice (after normalization) appears once; the second gets a warning.
TEST(CommandMenu, DuplicatesAreSkippedWithAWarning) {
  auto account = account_with({{"backup", "first"}, {"/BACKUP", "second"}, {"other", "x"}});
  std::vector<MenuSkill> skills = {{"other", "a skill with a custom command's name"},
                                   {"summarize", "Summarize a page"}};
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), skills, warnings);
  EXPECT_EQ(names(menu), with_natives({"backup", "other", "summarize"}));
  EXPECT_EQ(menu[5].second, "first");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("/backup"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("listed twice"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("skill /other"), std::string::npos) << warnings[1];
}

// A custom command or skill named like a built-in is skipped: the built-in still answers it.
TEST(CommandMenu, NamesShadowingBuiltinsAreSkipped) {
  auto account = account_with({{"/new", "my new"}, {"Reset", "my reset"}, {"keep", "kept"}});
  std::vector<MenuSkill> skills = {{"model", "a skill called model"}};
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), skills, warnings);
  EXPECT_EQ(names(menu), with_natives({"keep"}));
  EXPECT_EQ(menu[0].second, "Start a new session");  // the built-in's description, not "my new"
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(count_containing(warnings, "shadow the built-in"), 3u);
  EXPECT_NE(warnings[0].find("/new"), std::string::npos);
  EXPECT_NE(warnings[1].find("/reset"), std::string::npos);
  EXPECT_NE(warnings[2].find("skill /model"), std::string::npos);

  // Also when the built-ins are not in the menu: typing /new still reaches the built-in.
  account.native_commands = false;
  warnings.clear();
  EXPECT_EQ(names(build_command_menu(account, no_config(), skills, warnings)),
            std::vector<std::string>{"keep"});
  EXPECT_EQ(warnings.size(), 3u);
}

// Descriptions longer than 256 characters are cut to 256 characters, never inside a UTF-8
// sequence; 256 exactly is kept whole, and surrounding whitespace is trimmed.
TEST(CommandMenu, DescriptionsAreClippedOnACharacterBoundary) {
  std::string ascii(300, 'a');
  std::string exact(256, 'e');
  std::string two_byte;
  for (int i = 0; i < 300; ++i) {
    two_byte += "é";
  }
  std::string mixed = std::string(255, 'm') + "€€€";           // the 256th character is 3 bytes
  std::string emoji = std::string(254, 'x') + "🦀🦀🦀";  // 4-byte characters at the cut
  auto account = account_with({{"ascii", ascii},
                               {"exact", exact},
                               {"twobyte", two_byte},
                               {"mixed", mixed},
                               {"emoji", emoji},
                               {"padded", "   Run it   "}});
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), {}, warnings);
  ASSERT_EQ(menu.size(), 11u);
  EXPECT_EQ(menu[5].second, std::string(256, 'a'));
  EXPECT_EQ(menu[6].second, exact);
  EXPECT_EQ(utf8_chars(menu[7].second), 256u);
  EXPECT_EQ(menu[7].second.size(), 512u);
  EXPECT_EQ(menu[8].second, std::string(255, 'm') + "€");
  EXPECT_EQ(menu[9].second, std::string(254, 'x') + "🦀🦀");
  EXPECT_EQ(menu[10].second, "Run it");
  for (const auto& [name, description] : menu) {
    EXPECT_LE(utf8_chars(description), 256u) << name;
    EXPECT_TRUE(ends_on_utf8_boundary(description)) << name;
  }
  EXPECT_TRUE(warnings.empty());
}

// An empty (or blank) description falls back to the command itself: Telegram needs 1-256.
TEST(CommandMenu, EmptyDescriptionFallsBackToTheCommand) {
  auto account = account_with({{"backup", ""}, {"/Status", "   "}});
  std::vector<MenuSkill> skills = {{"summarize", ""}};
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), skills, warnings);
  ASSERT_EQ(menu.size(), 8u);
  EXPECT_EQ(menu[5], (std::pair<std::string, std::string>{"backup", "/backup"}));
  EXPECT_EQ(menu[6], (std::pair<std::string, std::string>{"status", "/status"}));
  EXPECT_EQ(menu[7], (std::pair<std::string, std::string>{"summarize", "/summarize"}));
  EXPECT_TRUE(warnings.empty());
}

// Telegram shows at most 100 commands: the first 100 are kept, each one left out is warned.
TEST(CommandMenu, CapsTheMenuAt100Commands) {
  std::vector<core::TelegramCustomCommand> commands;
  for (int i = 0; i < 120; ++i) {
    commands.push_back({"cmd" + std::to_string(i), "command " + std::to_string(i)});
  }
  auto account = account_with(commands);
  std::vector<MenuSkill> skills = {{"skill_one", "a skill"}};
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), skills, warnings);
  ASSERT_EQ(menu.size(), kMaxMenuCommands);
  EXPECT_EQ(menu[4].first, "compact");
  EXPECT_EQ(menu[5].first, "cmd0");
  EXPECT_EQ(menu[99].first, "cmd94");
  EXPECT_EQ(warnings.size(), 26u);  // cmd95..cmd119 and the skill
  EXPECT_EQ(count_containing(warnings, "at most 100"), 26u);
  EXPECT_NE(warnings.front().find("/cmd95"), std::string::npos) << warnings.front();
  EXPECT_NE(warnings.back().find("skill /skill_one"), std::string::npos) << warnings.back();

  // Without the built-ins the custom commands get all 100 places.
  account.native_commands = false;
  warnings.clear();
  menu = build_command_menu(account, no_config(), {}, warnings);
  ASSERT_EQ(menu.size(), kMaxMenuCommands);
  EXPECT_EQ(menu.front().first, "cmd0");
  EXPECT_EQ(menu.back().first, "cmd99");
  EXPECT_EQ(warnings.size(), 20u);
}

// Skills follow the custom commands, normalized and checked the same way.
TEST(CommandMenu, SkillsFollowCustomCommands) {
  auto account = account_with({{"backup", "Run a backup"}});
  std::vector<MenuSkill> skills = {{"/Summarize", "Summarize a page"}, {"bad name", "x"}};
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, no_config(), skills, warnings);
  EXPECT_EQ(names(menu), with_natives({"backup", "summarize"}));
  EXPECT_EQ(menu.back().second, "Summarize a page");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("skill \"bad name\""), std::string::npos) << warnings[0];
}

// From the config file to the menu: customCommands and commands.native as an operator writes
// them.
TEST(CommandMenu, BuiltFromTheConfigFile) {
  auto loaded = core::load_config_text(R"({
    commands: {native: true},
    channels: {telegram: {
      commands: {native: false},
      customCommands: [
        {command: "/Backup", description: "Run a backup"},
        {command: "new", description: "shadows the built-in"},
        {command: "bad-name", description: "x"},
      ],
    }},
  })",
                                       "pincer.json", testing::fake_env());
  ASSERT_TRUE(loaded.config) << loaded.describe_errors();
  const auto& account = loaded.config->channels.telegram.accounts.at("default");
  std::vector<std::string> warnings;
  CommandMenu menu = build_command_menu(account, *loaded.config, {}, warnings);
  EXPECT_EQ(names(menu), std::vector<std::string>{"backup"});
  EXPECT_EQ(menu[0].second, "Run a backup");
  EXPECT_EQ(warnings.size(), 2u);
}

}  // namespace
}  // namespace pincer::channels::telegram
