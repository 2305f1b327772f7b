#include <gtest/gtest.h>

#include <map>

#include "core/config_loader.hpp"
#include "support/fake_env.hpp"

namespace pincer::core {
namespace {

using testing::fake_env;

ConfigLoad load(std::string_view text, std::map<std::string, std::string> vars = {}) {
  return load_config_text(text, "pincer.json", fake_env(std::move(vars)));
}

std::vector<ConfigIssue> of_severity(const ConfigLoad& l, ConfigIssue::Severity s) {
  std::vector<ConfigIssue> out;
  for (const auto& i : l.issues) {
    if (i.severity == s) {
      out.push_back(i);
    }
  }
  return out;
}

struct BadCase {
  std::string_view text;
  std::string_view path;     // key path the error must name
  std::string_view message;  // substring of the message
};

// Every invalid value is reported at its key path with the expected form and the bad value.
TEST(ConfigValidation, BadValuesNameTheirKeyPath) {
  const BadCase cases[] = {
      {R"({gateway: {port: "abc"}})", "gateway.port", R"(expected an integer 1-65535, got "abc")"},
      {R"({gateway: {port: 0}})", "gateway.port", "expected an integer 1-65535, got 0"},
      {R"({gateway: {port: 65536}})", "gateway.port", "got 65536"},
      {R"({gateway: {port: 80.5}})", "gateway.port", "got 80.5"},
      {R"({gateway: {port: -1}})", "gateway.port", "got -1"},
      {R"({gateway: {port: true}})", "gateway.port", "got true"},
      {R"({gateway: {bind: "everywhere"}})", "gateway.bind", R"(one of "loopback", "lan")"},
      {R"({gateway: {bind: 1}})", "gateway.bind", "got 1"},
      {R"({gateway: {auth: {mode: "magic"}}})", "gateway.auth.mode", R"(got "magic")"},
      {R"({gateway: {auth: {token: 12345}}})", "gateway.auth.token",
       "expected a string, got a number"},
      {R"({gateway: {auth: []}})", "gateway.auth", "expected an object, got an array"},
      {R"({gateway: "fast"})", "gateway", R"(expected an object, got "fast")"},
      {R"({gateway: {bind: "custom"}})", "gateway.customBindHost", "required when gateway.bind"},
      {R"({gateway: {bind: "lan", auth: {mode: "none"}}})", "gateway.auth.mode", "only with"},
      {R"({gateway: {reload: {mode: "hot"}}})", "gateway.reload.mode", R"(got "hot")"},
      {R"({gateway: {controlUi: {enabled: "yes"}}})", "gateway.controlUi.enabled", "true or false"},
      {R"({gateway: {controlUi: {basePath: "ui"}}})", "gateway.controlUi.basePath",
       "starting with"},
      {R"({gateway: {auth: {rateLimit: {maxAttempts: 0}}}})", "gateway.auth.rateLimit.maxAttempts",
       "got 0"},
      {R"({gateway: {controlUi: {allowedOrigins: ["https://x.example/ui"]}}})",
       "gateway.controlUi.allowedOrigins[0]", "no path"},
      {R"({gateway: {trustedProxies: ["10.0.0.1", "proxy.local"]}})", "gateway.trustedProxies[1]",
       "CIDR"},
      {R"({gateway: {trustedProxies: ["10.0.0.1"], auth: {mode: "trusted-proxy"}}})",
       "gateway.auth.trustedProxy.userHeader", "required when"},
      {R"({gateway: {auth: {mode: "trusted-proxy", trustedProxy: {userHeader: "x-user"}}}})",
       "gateway.trustedProxies", "required when"},
      {R"({logging: {level: "loud"}})", "logging.level", R"(one of "silent")"},
      {R"({logging: {consoleLevel: 3}})", "logging.consoleLevel", "got 3"},
      {R"({logging: {consoleStyle: "fancy"}})", "logging.consoleStyle", R"(got "fancy")"},
      {R"({logging: {maxFileBytes: 10}})", "logging.maxFileBytes", "got 10"},
      {R"({logging: {redactPatterns: "sk-"}})", "logging.redactPatterns", "a list of strings"},
      {R"({logging: {redactPatterns: ["ok", 5]}})", "logging.redactPatterns[1]",
       "expected a string"},
      {R"({logging: {redactPatterns: ["(unclosed"]}})", "logging.redactPatterns[0]",
       "regular expression"},
      {R"({logging: {file: false}})", "logging.file", "expected a string, got false"},
      {R"({env: {vars: {KEY: 1}}})", "env.vars.KEY", "expected a string, got 1"},
      {R"({env: {vars: {"BAD-NAME": "x"}}})", "env.vars", "not a valid environment variable name"},
      {R"({env: {vars: []}})", "env.vars", "an object of strings"},
      {R"({agents: {defaults: {model: 42}}})", "agents.defaults.model", "provider/model"},
      {R"({agents: {defaults: {model: {primary: 1}}}})", "agents.defaults.model.primary",
       "expected a string"},
      {R"({agents: {defaults: {model: {fallbacks: "x"}}}})", "agents.defaults.model.fallbacks",
       "list of strings"},
      {R"({agents: {defaults: {maxConcurrent: 0}}})", "agents.defaults.maxConcurrent", "got 0"},
      {R"({agents: {defaults: {timeoutSeconds: -5}}})", "agents.defaults.timeoutSeconds", "got -5"},
      {R"({agents: {defaults: {userTimezone: "Mars/Olympus"}}})", "agents.defaults.userTimezone",
       "unknown time zone"},
      {R"({agents: {defaults: {userTimezone: "../../etc/passwd"}}})",
       "agents.defaults.userTimezone", "unknown time zone"},
      {R"({agents: {defaults: {workspace: ["a"]}}})", "agents.defaults.workspace",
       "expected a string, got an array"},
      {R"({agents: 3})", "agents", "expected an object, got 3"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    ConfigLoad l = load(c.text);
    EXPECT_FALSE(l.config.has_value());
    auto errors = of_severity(l, ConfigIssue::Severity::error);
    ASSERT_FALSE(errors.empty());
    bool found = false;
    for (const auto& e : errors) {
      if (e.path == c.path && e.message.find(c.message) != std::string::npos) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "first error: " << errors.front().to_string();
  }
}

// Good configs load, with the values they set and defaults for the rest.
TEST(ConfigValidation, GoodConfigsLoad) {
  const std::string_view cases[] = {
      "",
      "{}",
      "// only a comment\n{}",
      R"({gateway: {port: 19001}})",
      R"({gateway: {port: 8080.0}})",
      R"({gateway: {bind: "lan", auth: {mode: "token", token: "t0ken-value"}}})",
      R"({gateway: {bind: "custom", customBindHost: "127.0.0.2"}})",
      R"({gateway: {auth: {mode: "password", password: "pw"}}})",
      R"({gateway: {reload: {mode: "off"}}, logging: {level: "debug", consoleStyle: "json"}})",
      R"({logging: {redactPatterns: ["secret-[0-9]+"], maxFileBytes: 1048576}})",
      R"({agents: {defaults: {model: "anthropic/claude-sonnet-4-5"}}})",
      R"({agents: {defaults: {model: {primary: "openai/gpt-5", fallbacks: ["google/gemini-2.5-pro"]}}}})",
      R"({agents: {defaults: {userTimezone: "Europe/Berlin", maxConcurrent: 2}}})",
      R"({env: {vars: {OPENAI_API_KEY: "sk-test"}}, $schema: "https://example.com/s.json"})",
      R"({channels: {telegram: {botToken: "1:abc", dmPolicy: "pairing"}}, cron: {enabled: true},})",
  };
  for (auto text : cases) {
    SCOPED_TRACE(text);
    ConfigLoad l = load(text);
    ASSERT_TRUE(l.config.has_value()) << l.describe_errors();
  }
}

// Absent keys keep the documented defaults.
TEST(ConfigValidation, DefaultsMatchTheReference) {
  ConfigLoad l = load("{}");
  ASSERT_TRUE(l.config);
  EXPECT_EQ(l.config->gateway.port, 18789);
  EXPECT_EQ(l.config->gateway.bind, BindMode::loopback);
  EXPECT_EQ(l.config->gateway.auth.mode, AuthMode::token);
  EXPECT_EQ(l.config->logging.level, LogLevel::info);
  EXPECT_EQ(l.config->gateway.reload, ReloadMode::hybrid);
}

// Values set in the file reach the typed struct.
TEST(ConfigValidation, ReadsTypedValues) {
  ConfigLoad l = load(R"({
    gateway: {port: 19001, bind: 'lan', auth: {token: 'abcdef123'}},
    logging: {level: 'warn', consoleLevel: 'debug'},
    agents: {defaults: {model: {primary: 'a/b', fallbacks: ['c/d']}, workspace: '~/ws'}},
  })");
  ASSERT_TRUE(l.config) << l.describe_errors();
  EXPECT_EQ(l.config->gateway.port, 19001);
  EXPECT_EQ(l.config->gateway.bind, BindMode::lan);
  EXPECT_EQ(l.config->gateway.auth.token, "abcdef123");
  EXPECT_EQ(l.config->logging.level, LogLevel::warn);
  EXPECT_EQ(l.config->logging.console_level, LogLevel::debug);
  EXPECT_EQ(l.config->agents.defaults.model.primary, "a/b");
  EXPECT_EQ(l.config->agents.defaults.model.fallbacks, std::vector<std::string>{"c/d"});
  EXPECT_EQ(l.config->agents.defaults.workspace, "~/ws");
}

// Several problems are all reported, not just the first.
TEST(ConfigValidation, ReportsEveryError) {
  ConfigLoad l = load(R"({gateway: {port: "x", bind: "y"}, logging: {level: "z"}})");
  EXPECT_EQ(of_severity(l, ConfigIssue::Severity::error).size(), 3u);
}

// A key nobody knows warns (with a suggestion) but does not fail.
TEST(ConfigValidation, UnknownKeysWarnWithSuggestion) {
  ConfigLoad l = load(R"({gateway: {prot: 1234}, nonsense: true})");
  ASSERT_TRUE(l.config);
  auto warnings = of_severity(l, ConfigIssue::Severity::warning);
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_EQ(warnings[0].path, "gateway.prot");
  EXPECT_NE(warnings[0].message.find("did you mean \"port\""), std::string::npos);
  EXPECT_EQ(warnings[1].path, "nonsense");
}

// Keys the reference config has but Pincer does not use yet are notes, not warnings.
TEST(ConfigValidation, ReferenceKeysAreNotes) {
  ConfigLoad l =
      load(R"({gateway: {tailscale: {mode: "off"}}, channels: {discord: {token: "x"}}})");
  ASSERT_TRUE(l.config);
  EXPECT_TRUE(of_severity(l, ConfigIssue::Severity::warning).empty());
  EXPECT_EQ(of_severity(l, ConfigIssue::Severity::note).size(), 2u);
}

// A parse error is one error carrying line and column.
TEST(ConfigValidation, ParseErrorHasLocation) {
  ConfigLoad l = load("{\n  gateway: {port: 1,,}\n}");
  ASSERT_FALSE(l.config);
  auto errors = of_severity(l, ConfigIssue::Severity::error);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("line 2"), std::string::npos) << errors[0].message;
}

// The document must be an object.
TEST(ConfigValidation, TopLevelMustBeObject) {
  ConfigLoad l = load("[1, 2]");
  ASSERT_FALSE(l.config);
  EXPECT_NE(l.describe_errors().find("top level"), std::string::npos);
}

// ${VAR} is substituted from the environment, then from env.vars; $${VAR} stays literal.
TEST(ConfigEnv, SubstitutesVariables) {
  ConfigLoad l = load(R"({gateway: {auth: {token: "${TOKEN}"}},
                         agents: {defaults: {workspace: "${BASE}/ws/$${LITERAL}"}},
                         env: {vars: {BASE: "/srv"}}})",
                      {{"TOKEN", "from-env"}});
  ASSERT_TRUE(l.config) << l.describe_errors();
  EXPECT_EQ(l.config->gateway.auth.token, "from-env");
  EXPECT_EQ(l.config->agents.defaults.workspace, "/srv/ws/${LITERAL}");
}

// A missing variable stays visibly unresolved and warns at the key path.
TEST(ConfigEnv, MissingVariableWarns) {
  ConfigLoad l = load(R"({gateway: {auth: {token: "${NOPE_NOT_SET}"}}})");
  ASSERT_TRUE(l.config);
  EXPECT_EQ(l.config->gateway.auth.token, "${NOPE_NOT_SET}");
  auto warnings = of_severity(l, ConfigIssue::Severity::warning);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].path, "gateway.auth.token");
  EXPECT_NE(warnings[0].message.find("NOPE_NOT_SET"), std::string::npos);
}

// Lower-case names are not variables (the reference matches [A-Z_][A-Z0-9_]* only).
TEST(ConfigEnv, LowercaseIsLiteral) {
  ConfigLoad l = load(R"({agents: {defaults: {workspace: "${home}/x"}}})", {{"home", "/h"}});
  ASSERT_TRUE(l.config);
  EXPECT_EQ(l.config->agents.defaults.workspace, "${home}/x");
}

// PINCER_GATEWAY_TOKEN fills in a token the file does not set.
TEST(ConfigEnv, GatewayTokenFromEnvironment) {
  ConfigLoad l = load("{}", {{"PINCER_GATEWAY_TOKEN", "tok-123456"}});
  ASSERT_TRUE(l.config);
  EXPECT_EQ(l.config->gateway.auth.token, "tok-123456");
}

// Secrets in bad values are not echoed into error messages.
TEST(ConfigValidation, ErrorsDoNotEchoSecrets) {
  ConfigLoad l = load(R"({gateway: {auth: {token: 987654321}}})");
  ASSERT_FALSE(l.config);
  EXPECT_EQ(l.describe_errors().find("987654321"), std::string::npos);
}

// gateway.http.endpoints.chatCompletions.enabled is typed: read (no "not used" note), and a
// non-boolean is an error at its key path.
TEST(ConfigValidation, ChatCompletionsEnabledIsTyped) {
  ConfigLoad off = load("{}");
  ASSERT_TRUE(off.config);
  EXPECT_FALSE(off.config->gateway.chat_completions_enabled);

  ConfigLoad on = load(R"({gateway: {http: {endpoints: {chatCompletions: {enabled: true}}}}})");
  ASSERT_TRUE(on.config) << on.describe_errors();
  EXPECT_TRUE(on.config->gateway.chat_completions_enabled);
  EXPECT_TRUE(of_severity(on, ConfigIssue::Severity::note).empty());
  EXPECT_TRUE(of_severity(on, ConfigIssue::Severity::warning).empty());

  ConfigLoad bad = load(R"({gateway: {http: {endpoints: {chatCompletions: {enabled: "yes"}}}}})");
  ASSERT_FALSE(bad.config);
  auto errors = of_severity(bad, ConfigIssue::Severity::error);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "gateway.http.endpoints.chatCompletions.enabled");
  EXPECT_NE(errors[0].message.find("true or false"), std::string::npos) << errors[0].message;
}

}  // namespace
}  // namespace pincer::core

// ---- channels.telegram: commands.native, customCommands, actions; the global commands.native.

namespace pincer::core {
namespace {

const TelegramAccountConfig& telegram_account(const ConfigLoad& l, const std::string& id) {
  return l.config->channels.telegram.accounts.at(id);
}

bool has_error(const ConfigLoad& l, std::string_view path, std::string_view message) {
  for (const auto& e : of_severity(l, ConfigIssue::Severity::error)) {
    if (e.path == path && e.message.find(message) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// customCommands are read as written (normalized only when the menu is built); a missing
// description is empty.
TEST(ConfigTelegramCommands, ReadsCustomCommands) {
  ConfigLoad l = load(R"({channels: {telegram: {customCommands: [
    {command: "/Backup", description: "Run a backup"},
    {command: "status"},
  ]}}})");
  ASSERT_TRUE(l.config) << l.describe_errors();
  const auto& commands = telegram_account(l, "default").custom_commands;
  ASSERT_EQ(commands.size(), 2u);
  EXPECT_EQ(commands[0].command, "/Backup");
  EXPECT_EQ(commands[0].description, "Run a backup");
  EXPECT_EQ(commands[1].command, "status");
  EXPECT_EQ(commands[1].description, "");
  EXPECT_TRUE(of_severity(l, ConfigIssue::Severity::warning).empty());
  EXPECT_TRUE(of_severity(l, ConfigIssue::Severity::note).empty());
}

// An entry without a command name, a non-list, or a non-string value is an error at its path.
TEST(ConfigTelegramCommands, BadCustomCommandsAreErrors) {
  ConfigLoad blank = load(R"({channels: {telegram: {customCommands: [
    {command: "ok"}, {description: "no name"}, {command: "   "}]}}})");
  EXPECT_FALSE(blank.config);
  EXPECT_TRUE(has_error(blank, "channels.telegram.customCommands[1].command", "command name"))
      << blank.describe_errors();
  EXPECT_TRUE(has_error(blank, "channels.telegram.customCommands[2].command", "command name"))
      << blank.describe_errors();

  ConfigLoad not_list = load(R"({channels: {telegram: {customCommands: "backup"}}})");
  EXPECT_FALSE(not_list.config);
  EXPECT_TRUE(has_error(not_list, "channels.telegram.customCommands", "list"))
      << not_list.describe_errors();

  ConfigLoad number = load(R"({channels: {telegram: {customCommands: [{command: 5}]}}})");
  EXPECT_FALSE(number.config);
  EXPECT_TRUE(has_error(number, "channels.telegram.customCommands[0].command", "string"))
      << number.describe_errors();
}

// An account's customCommands replace the channel root's; otherwise it inherits them.
TEST(ConfigTelegramCommands, AccountCustomCommandsReplaceTheRoots) {
  ConfigLoad l = load(R"({channels: {telegram: {
    customCommands: [{command: "root_cmd", description: "from the root"}],
    accounts: {
      inherit: {botToken: "1:a"},
      own: {botToken: "2:b", customCommands: [{command: "own_cmd", description: "mine"}]},
    },
  }}})");
  ASSERT_TRUE(l.config) << l.describe_errors();
  ASSERT_EQ(telegram_account(l, "inherit").custom_commands.size(), 1u);
  EXPECT_EQ(telegram_account(l, "inherit").custom_commands[0].command, "root_cmd");
  ASSERT_EQ(telegram_account(l, "own").custom_commands.size(), 1u);
  EXPECT_EQ(telegram_account(l, "own").custom_commands[0].command, "own_cmd");
}

// channels.telegram.commands.native: true, false or "auto" (unset); anything else is an error.
TEST(ConfigTelegramCommands, ReadsChannelNativeCommands) {
  ConfigLoad unset = load(R"({channels: {telegram: {}}})");
  ASSERT_TRUE(unset.config) << unset.describe_errors();
  EXPECT_FALSE(telegram_account(unset, "default").native_commands.has_value());

  ConfigLoad on = load(R"({channels: {telegram: {commands: {native: true}}}})");
  ASSERT_TRUE(on.config) << on.describe_errors();
  EXPECT_EQ(telegram_account(on, "default").native_commands, std::optional<bool>(true));

  ConfigLoad off = load(R"({channels: {telegram: {commands: {native: false}}}})");
  ASSERT_TRUE(off.config) << off.describe_errors();
  EXPECT_EQ(telegram_account(off, "default").native_commands, std::optional<bool>(false));

  ConfigLoad automatic = load(R"({channels: {telegram: {commands: {native: "auto"}}}})");
  ASSERT_TRUE(automatic.config) << automatic.describe_errors();
  EXPECT_FALSE(telegram_account(automatic, "default").native_commands.has_value());

  // An account's "auto" undoes the root's false.
  ConfigLoad account_auto = load(R"({channels: {telegram: {commands: {native: false},
    accounts: {a: {botToken: "1:a", commands: {native: "auto"}}, b: {botToken: "2:b"}}}}})");
  ASSERT_TRUE(account_auto.config) << account_auto.describe_errors();
  EXPECT_FALSE(telegram_account(account_auto, "a").native_commands.has_value());
  EXPECT_EQ(telegram_account(account_auto, "b").native_commands, std::optional<bool>(false));

  for (std::string_view text : {R"({channels: {telegram: {commands: {native: "yes"}}}})",
                                R"({channels: {telegram: {commands: {native: 1}}}})",
                                R"({channels: {telegram: {commands: {native: "AUTO"}}}})"}) {
    SCOPED_TRACE(text);
    ConfigLoad bad = load(text);
    EXPECT_FALSE(bad.config);
    EXPECT_TRUE(
        has_error(bad, "channels.telegram.commands.native", R"(expected true, false or "auto")"))
        << bad.describe_errors();
  }
}

// The global commands.native: true, false or "auto" (unset); anything else is an error.
TEST(ConfigCommands, ReadsGlobalNative) {
  ConfigLoad unset = load("{}");
  ASSERT_TRUE(unset.config);
  EXPECT_FALSE(unset.config->commands.native.has_value());

  ConfigLoad on = load(R"({commands: {native: true}})");
  ASSERT_TRUE(on.config) << on.describe_errors();
  EXPECT_EQ(on.config->commands.native, std::optional<bool>(true));

  ConfigLoad off = load(R"({commands: {native: false}})");
  ASSERT_TRUE(off.config) << off.describe_errors();
  EXPECT_EQ(off.config->commands.native, std::optional<bool>(false));

  ConfigLoad automatic = load(R"({commands: {native: "auto"}})");
  ASSERT_TRUE(automatic.config) << automatic.describe_errors();
  EXPECT_FALSE(automatic.config->commands.native.has_value());

  for (std::string_view text : {R"({commands: {native: "on"}})", R"({commands: {native: 0}})",
                                R"({commands: {native: null}})"}) {
    SCOPED_TRACE(text);
    ConfigLoad bad = load(text);
    EXPECT_FALSE(bad.config);
    EXPECT_TRUE(has_error(bad, "commands.native", R"(expected true, false or "auto")"))
        << bad.describe_errors();
  }
}

// channels.telegram.actions.*: all on but sticker by default; each key is a boolean.
TEST(ConfigTelegramCommands, ReadsActions) {
  ConfigLoad defaults = load(R"({channels: {telegram: {}}})");
  ASSERT_TRUE(defaults.config) << defaults.describe_errors();
  const TelegramActionsConfig& d = telegram_account(defaults, "default").actions;
  EXPECT_TRUE(d.send_message);
  EXPECT_TRUE(d.edit_message);
  EXPECT_TRUE(d.delete_message);
  EXPECT_TRUE(d.reactions);
  EXPECT_FALSE(d.sticker);

  ConfigLoad set = load(R"({channels: {telegram: {actions: {sendMessage: false,
    editMessage: false, deleteMessage: false, reactions: false, sticker: true}}}})");
  ASSERT_TRUE(set.config) << set.describe_errors();
  const TelegramActionsConfig& s = telegram_account(set, "default").actions;
  EXPECT_FALSE(s.send_message);
  EXPECT_FALSE(s.edit_message);
  EXPECT_FALSE(s.delete_message);
  EXPECT_FALSE(s.reactions);
  EXPECT_TRUE(s.sticker);

  // An account overrides one action and inherits the rest from the root.
  ConfigLoad account = load(R"({channels: {telegram: {actions: {deleteMessage: false},
    accounts: {a: {botToken: "1:a", actions: {reactions: false}}}}}})");
  ASSERT_TRUE(account.config) << account.describe_errors();
  const TelegramActionsConfig& a = telegram_account(account, "a").actions;
  EXPECT_FALSE(a.delete_message);
  EXPECT_FALSE(a.reactions);
  EXPECT_TRUE(a.send_message);

  ConfigLoad bad = load(R"({channels: {telegram: {actions: {reactions: "yes"}}}})");
  EXPECT_FALSE(bad.config);
  EXPECT_TRUE(has_error(bad, "channels.telegram.actions.reactions", "true or false"))
      << bad.describe_errors();

  ConfigLoad unknown = load(R"({channels: {telegram: {actions: {reaction: false}}}})");
  ASSERT_TRUE(unknown.config) << unknown.describe_errors();
  EXPECT_EQ(of_severity(unknown, ConfigIssue::Severity::warning).size(), 1u);
}

}  // namespace
}  // namespace pincer::core
