// `pincer channels`, `pincer pairing` and `pincer message` against a real `pincer gateway` whose
// Telegram channel talks to the fake Bot API server; and `channels add/remove` editing a config
// file with no gateway at all.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include "core/json5.hpp"
#include "fakes/fake_telegram_server.hpp"
#include "support/pincer_process.hpp"
#include "support/temp_dir.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using fakes::FakeTelegramServer;

constexpr const char* kGatewayToken = "channels-cli-token";
constexpr int64_t kStranger = 515151;
constexpr int64_t kFriend = 626262;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return done();
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

// The texts of the answered sendMessage calls to `chat`, in order.
std::vector<std::string> sent_texts(const FakeTelegramServer& telegram, int64_t chat) {
  std::vector<std::string> out;
  for (const auto& call : telegram.calls("sendMessage")) {
    const json::value* id = call.params.if_contains("chat_id");
    bool same = id != nullptr && ((id->is_int64() && id->get_int64() == chat) ||
                                  (id->is_string() && id->get_string() == std::to_string(chat)));
    if (same && call.status == 200) {
      out.emplace_back(call.params.at("text").as_string());
    }
  }
  return out;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json::value read_config(const std::filesystem::path& file) {
  auto parsed = core::json5::parse(read_text(file));
  EXPECT_TRUE(parsed.has_value()) << read_text(file);
  return parsed ? *parsed : json::value();
}

// The pairing code in the first answer the bot sent to `chat` (its pairing notice).
std::string pairing_code_sent_to(const FakeTelegramServer& telegram, int64_t chat) {
  auto texts = sent_texts(telegram, chat);
  std::smatch match;
  if (texts.empty() ||
      !std::regex_search(texts.front(), match, std::regex("([A-HJ-NP-Z2-9]{8})"))) {
    return {};
  }
  return match[1].str();
}

class ChannelsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    GatewayProcess::Options options;
    options.config = std::string(R"({
      gateway: { auth: { mode: "token", token: ")") +
                     kGatewayToken + R"(" } },
      channels: { telegram: {
        botToken: ")" +
                     telegram_.token() +
                     R"(",
        apiRoot: ")" +
                     telegram_.api_root() +
                     R"(",
        dmPolicy: "pairing",
      } },
    })";
    gateway_ = GatewayProcess::start(options);
  }
  void TearDown() override { gateway_->stop(); }

  // Runs a gateway client command against this gateway.
  RunResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--url", "ws://127.0.0.1:" + std::to_string(gateway_->port()),
                             "--token", kGatewayToken});
    return run_pincer(args, gateway_->env());
  }

  FakeTelegramServer telegram_;
  std::unique_ptr<GatewayProcess> gateway_;
};

// `channels status --json` is the gateway's channels.status answer: the default Telegram bot.
TEST_F(ChannelsCli, StatusShowsTheDefaultTelegramAccount) {
  auto r = run({"channels", "status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err << gateway_->output();
  json::value status = json::parse(r.out);
  const auto& accounts = status.at("channelAccounts").at("telegram").as_array();
  ASSERT_EQ(accounts.size(), 1U) << r.out;
  EXPECT_EQ(accounts[0].at("accountId"), "default");
  EXPECT_EQ(accounts[0].at("configured"), true);
  EXPECT_EQ(accounts[0].at("dmPolicy"), "pairing");
  EXPECT_EQ(status.at("channelDefaultAccountId").at("telegram"), "default");

  auto text = run({"channels", "status"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("CHANNEL"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("telegram"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("default"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pairing"), std::string::npos) << text.out;
}

// `channels list` asks the running gateway; --json names its source.
TEST_F(ChannelsCli, ListUsesTheRunningGateway) {
  auto r = run({"channels", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value list = json::parse(r.out);
  EXPECT_EQ(list.at("gatewayRunning"), true);
  EXPECT_EQ(list.at("source"), "gateway");
  const auto& channel = list.at("channels").as_array().at(0);
  EXPECT_EQ(channel.at("channel"), "telegram");
  EXPECT_EQ(channel.at("accounts").as_array().at(0).at("accountId"), "default");
}

// A stranger's DM gets a pairing code; the operator lists it and approves it by that code.
TEST_F(ChannelsCli, PairingListAndApproveByCode) {
  telegram_.push_private_text(kStranger, "Eve", "hello bot");
  ASSERT_TRUE(wait_until([&] { return !sent_texts(telegram_, kStranger).empty(); }, 15s))
      << gateway_->output();
  std::string notice = sent_texts(telegram_, kStranger).front();
  std::smatch match;
  ASSERT_TRUE(std::regex_search(notice, match, std::regex("([A-HJ-NP-Z2-9]{8})"))) << notice;
  std::string code = match[1].str();

  auto list = run({"pairing", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  json::value pending = json::parse(list.out);
  const auto& requests = pending.at("requests").as_array();
  ASSERT_EQ(requests.size(), 1U) << list.out;
  EXPECT_EQ(requests[0].at("requestId").as_string(), code);
  EXPECT_EQ(requests[0].at("channel"), "telegram");
  EXPECT_EQ(requests[0].at("accountId"), "default");
  EXPECT_EQ(requests[0].at("senderId").as_string(), std::to_string(kStranger));

  auto table = run({"pairing", "list", "telegram"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(code), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("Pending pairing requests (1)"), std::string::npos) << table.out;

  // The code is accepted in any case.
  std::string lower = code;
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto approved = run({"pairing", "approve", "telegram", lower});
  ASSERT_EQ(approved.exit_code, 0) << approved.err << gateway_->output();
  EXPECT_NE(approved.out.find("approved telegram sender " + std::to_string(kStranger)),
            std::string::npos)
      << approved.out;

  auto after = run({"pairing", "list", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_TRUE(json::parse(after.out).at("requests").as_array().empty()) << after.out;
}

// The first approved DM sender becomes the command owner: "telegram:<id>" is written to
// commands.ownerAllowFrom in pincer.json (the rest of the file untouched), the gateway reloads it
// without reconnecting the bot, and a second approval adds no owner.
TEST_F(ChannelsCli, FirstApprovalBootstrapsTheCommandOwner) {
  std::filesystem::path config = gateway_->state_dir() / "pincer.json";
  auto before = run({"pairing", "list", "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(json::parse(before.out).at("commandOwnerConfigured"), false) << before.out;

  telegram_.push_private_text(kStranger, "Eve", "hello bot");
  ASSERT_TRUE(wait_until([&] { return !pairing_code_sent_to(telegram_, kStranger).empty(); }, 15s))
      << gateway_->output();
  std::size_t get_me_calls = telegram_.calls("getMe").size();
  auto first = run({"pairing", "approve", "telegram", pairing_code_sent_to(telegram_, kStranger)});
  ASSERT_EQ(first.exit_code, 0) << first.err << gateway_->output();
  std::string owner = "telegram:" + std::to_string(kStranger);
  EXPECT_NE(first.out.find(owner + " is now the owner"), std::string::npos) << first.out;
  json::array owners{json::string(owner)};
  EXPECT_EQ(read_config(config).at("commands").at("ownerAllowFrom"), json::value(owners));
  // A targeted edit: the JSON5 the test wrote (unquoted keys, trailing commas) is still there.
  EXPECT_NE(read_text(config).find("dmPolicy: \"pairing\",\n"), std::string::npos)
      << read_text(config);

  // The watcher reloads the owner; the bot keeps its connection (no second getMe).
  ASSERT_TRUE(wait_until(
      [&] {
        auto list = run({"pairing", "list", "--json"});
        return list.exit_code == 0 &&
               json::parse(list.out).at("commandOwnerConfigured") == json::value(true);
      },
      15s))
      << gateway_->output();
  EXPECT_EQ(telegram_.calls("getMe").size(), get_me_calls) << gateway_->output();
  EXPECT_EQ(gateway_->output().find("reconnecting"), std::string::npos) << gateway_->output();

  telegram_.push_private_text(kFriend, "Bob", "me too");
  ASSERT_TRUE(wait_until([&] { return !pairing_code_sent_to(telegram_, kFriend).empty(); }, 15s))
      << gateway_->output();
  auto second =
      run({"pairing", "approve", "telegram", pairing_code_sent_to(telegram_, kFriend), "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err << gateway_->output();
  json::value answer = json::parse(second.out);
  EXPECT_EQ(answer.at("senderId").as_string(), std::to_string(kFriend));
  EXPECT_EQ(answer.at("commandOwnerBootstrap"), "already-configured") << second.out;
  EXPECT_EQ(read_config(config).at("commands").at("ownerAllowFrom"), json::value(owners));
}

// With the gateway gone, `channels status` answers from the config file with the same fields the
// gateway's channels.status rows have, every account stopped, and exits 0 (status is
// informational); the text says how to start the gateway.
TEST_F(ChannelsCli, StatusFallsBackToTheConfigWhenTheGatewayStops) {
  auto live = run({"channels", "status", "--json"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  json::value live_status = json::parse(live.out);
  EXPECT_EQ(live_status.at("gatewayReachable"), true);
  gateway_->stop();

  auto offline = run({"channels", "status", "--json"});
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  json::value status = json::parse(offline.out);
  EXPECT_EQ(status.at("gatewayReachable"), false);
  EXPECT_EQ(status.at("channelOrder"), live_status.at("channelOrder"));
  EXPECT_EQ(status.at("channelDefaultAccountId"), live_status.at("channelDefaultAccountId"));
  const auto& live_row = live_status.at("channelAccounts").at("telegram").at(0).as_object();
  const auto& row = status.at("channelAccounts").at("telegram").at(0).as_object();
  for (const auto& field : live_row) {
    if (field.key() != "botUsername") {  // known only once the bot answered getMe
      EXPECT_TRUE(row.contains(field.key())) << field.key() << " missing from " << offline.out;
    }
  }
  for (const auto& field : row) {
    EXPECT_TRUE(live_row.contains(field.key())) << field.key() << " not in " << live.out;
  }
  EXPECT_EQ(row.at("accountId"), "default");
  EXPECT_EQ(row.at("running"), false);
  EXPECT_EQ(row.at("connected"), false);
  EXPECT_EQ(row.at("configured"), true);
  EXPECT_EQ(row.at("tokenSource"), "config");
  EXPECT_EQ(row.at("dmPolicy"), "pairing");
  EXPECT_EQ(row.at("mode"), "polling");

  auto text = run({"channels", "status"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("gateway is not running"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pincer gateway"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("telegram"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pairing"), std::string::npos) << text.out;
}

// An unknown code fails with the gateway's reason; --json gives the stable failure envelope.
TEST_F(ChannelsCli, ApprovingAnUnknownCodeFails) {
  auto r = run({"pairing", "approve", "telegram", "ZZZZ2222"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no pending pairing request ZZZZ2222"), std::string::npos) << r.err;
  auto j = run({"pairing", "reject", "telegram", "ZZZZ2222", "--json"});
  EXPECT_EQ(j.exit_code, 1);
  EXPECT_EQ(json::parse(j.out).at("ok"), false) << j.out;
}

// `message send` delivers through the bot: the fake sees a sendMessage to that chat.
TEST_F(ChannelsCli, MessageSendReachesTheChat) {
  auto r = run({"message", "send", "--channel", "telegram", "--to", std::to_string(kFriend),
                "--text", "hi"});
  ASSERT_EQ(r.exit_code, 0) << r.err << gateway_->output();
  ASSERT_TRUE(wait_until([&] { return !sent_texts(telegram_, kFriend).empty(); }, 15s))
      << gateway_->output();
  EXPECT_EQ(sent_texts(telegram_, kFriend).front(), "hi");
  EXPECT_TRUE(r.out.find("sent to telegram " + std::to_string(kFriend)) != std::string::npos ||
              r.out.find("queued") != std::string::npos)
      << r.out;

  auto j = run({"message", "send", "--channel", "telegram", "--to", std::to_string(kFriend),
                "--text", "again", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json::value answer = json::parse(j.out);
  EXPECT_EQ(answer.at("channel"), "telegram");
  EXPECT_EQ(answer.at("to").as_string(), std::to_string(kFriend));
}

// An empty message never reaches the gateway.
TEST_F(ChannelsCli, MessageSendRefusesEmptyText) {
  auto r = run({"message", "send", "--channel", "telegram", "--to", "1", "--text", "  "});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the message is empty"), std::string::npos) << r.err;
}

// login starts the bot and reports that the token works (getMe answered); logout stops it;
// login starts it again.
TEST_F(ChannelsCli, LoginChecksTheTokenAndLogoutStops) {
  auto login = run({"channels", "login", "--channel", "telegram"});
  ASSERT_EQ(login.exit_code, 0) << login.err << gateway_->output();
  EXPECT_NE(login.out.find("as @pincer_test_bot"), std::string::npos) << login.out;
  EXPECT_NE(login.out.find("the token works"), std::string::npos) << login.out;

  auto logout = run({"channels", "logout", "--channel", "telegram", "--json"});
  ASSERT_EQ(logout.exit_code, 0) << logout.err;
  EXPECT_EQ(json::parse(logout.out).at("ok"), true);
  auto status = run({"channels", "status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(json::parse(status.out).at("channelAccounts").at("telegram").at(0).at("running"), false)
      << status.out;

  auto again = run({"channels", "login", "--channel", "telegram", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out).at("tokenVerified"), true) << again.out;
}

// Logging in an account that is not configured says so.
TEST_F(ChannelsCli, LoginUnknownAccountFails) {
  auto r = run({"channels", "login", "--channel", "telegram", "--account", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("\"nope\" is not configured"), std::string::npos) << r.err;
}

// A token Telegram refuses: login fails with the Bot API's reason and says what to do.
TEST(ChannelsCliBadToken, LoginReportsARejectedToken) {
  FakeTelegramServer telegram;
  GatewayProcess::Options options;
  options.config = std::string(R"({
    gateway: { auth: { mode: "token", token: ")") +
                   kGatewayToken + R"(" } },
    channels: { telegram: { botToken: "999:not-the-fakes-token", apiRoot: ")" +
                   telegram.api_root() + R"(" } },
  })";
  auto gateway = GatewayProcess::start(options);
  auto r =
      run_pincer({"channels", "login", "--channel", "telegram", "--url",
                  "ws://127.0.0.1:" + std::to_string(gateway->port()), "--token", kGatewayToken},
                 gateway->env());
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("did not connect"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("check the bot token"), std::string::npos) << r.err;
  gateway->stop();
}

// When the owner cannot be written (the config is managed elsewhere), the approval still stands
// and the CLI says how to set the owner by hand; the file is left alone.
TEST(ChannelsCliReadonlyConfig, OwnerBootstrapUnavailableStillApproves) {
  FakeTelegramServer telegram;
  GatewayProcess::Options options;
  options.config = std::string(R"({
    gateway: { auth: { mode: "token", token: ")") +
                   kGatewayToken + R"(" } },
    channels: { telegram: { botToken: ")" +
                   telegram.token() + R"(", apiRoot: ")" + telegram.api_root() +
                   R"(", dmPolicy: "pairing" } },
  })";
  options.extra_env["PINCER_CONFIG_READONLY"] = "1";
  auto gateway = GatewayProcess::start(options);
  std::string before = read_text(gateway->state_dir() / "pincer.json");
  telegram.push_private_text(kStranger, "Eve", "hello bot");
  ASSERT_TRUE(wait_until([&] { return !pairing_code_sent_to(telegram, kStranger).empty(); }, 15s))
      << gateway->output();
  auto r = run_pincer(
      {"pairing", "approve", "telegram", pairing_code_sent_to(telegram, kStranger), "--url",
       "ws://127.0.0.1:" + std::to_string(gateway->port()), "--token", kGatewayToken},
      gateway->env());
  EXPECT_EQ(r.exit_code, 0) << r.err << gateway->output();
  EXPECT_NE(r.out.find("approved telegram sender"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pincer config set commands.ownerAllowFrom"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(gateway->state_dir() / "pincer.json"), before);
  gateway->stop();
}

// ---- no gateway: config edits ------------------------------------------------------------------

class ChannelsCliConfig : public ::testing::Test {
 protected:
  std::filesystem::path config() const { return state_.path() / "pincer.json"; }
  RunResult run(const std::vector<std::string>& args) {
    return run_pincer(args, isolated_env(state_.path()));
  }
  // A URL where no gateway listens, for commands that would ask one.
  std::string nowhere() const { return "ws://127.0.0.1:" + std::to_string(free_loopback_port()); }

  TempDir state_;
};

// add writes the token into the config (keeping comments) and never prints it.
TEST_F(ChannelsCliConfig, AddWritesTheDefaultAccount) {
  std::ofstream(config()) << "{\n  // my notes\n  gateway: { port: 19999 },\n}\n";
  auto r = run({"channels", "add", "--channel", "telegram", "--token", "111:SECRET-one",
                "--dm-policy", "allowlist", "--allow-from", "42,43"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("SECRET"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("SECRET"), std::string::npos) << r.err;
  EXPECT_NE(read_text(config()).find("// my notes"), std::string::npos) << read_text(config());
  json::value doc = read_config(config());
  const auto& telegram = doc.at("channels").at("telegram");
  EXPECT_EQ(telegram.at("botToken"), "111:SECRET-one");
  EXPECT_EQ(telegram.at("dmPolicy"), "allowlist");
  EXPECT_EQ(telegram.at("allowFrom"), json::value(json::array{"42", "43"}));
  EXPECT_EQ(doc.at("gateway").at("port"), 19999);

  auto list = run({"channels", "list", "--url", nowhere()});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("not running"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("default"), std::string::npos) << list.out;
  auto list_json = run({"channels", "list", "--json", "--url", nowhere()});
  ASSERT_EQ(list_json.exit_code, 0) << list_json.err;
  json::value listed = json::parse(list_json.out);
  EXPECT_EQ(listed.at("gatewayRunning"), false);
  EXPECT_EQ(listed.at("source"), "config");
  const auto& account = listed.at("channels").at(0).at("accounts").at(0);
  EXPECT_EQ(account.at("accountId"), "default");
  EXPECT_EQ(account.at("tokenSource"), "config");
  EXPECT_EQ(account.at("dmPolicy"), "allowlist");
}

// A second account moves the root's token to accounts.default so the first bot keeps working;
// removing accounts takes them out again, the last one with the channel.
TEST_F(ChannelsCliConfig, SecondAccountPromotesTheDefaultAndRemoveUndoes) {
  ASSERT_EQ(run({"channels", "add", "--channel", "telegram", "--token", "111:one"}).exit_code, 0);
  std::ofstream(state_.path() / "work.token") << "222:two\n";
  auto r = run({"channels", "add", "--channel", "telegram", "--account", "Work", "--token-file",
                (state_.path() / "work.token").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value doc = read_config(config());
  const auto& telegram = doc.at("channels").at("telegram").as_object();
  EXPECT_FALSE(telegram.contains("botToken")) << read_text(config());
  EXPECT_EQ(telegram.at("accounts").at("default").at("botToken"), "111:one");
  EXPECT_EQ(telegram.at("accounts").at("work").at("tokenFile").as_string(),
            (state_.path() / "work.token").string());

  auto removed = run({"channels", "remove", "--channel", "telegram", "--account", "work"});
  ASSERT_EQ(removed.exit_code, 0) << removed.err;
  doc = read_config(config());
  EXPECT_FALSE(doc.at("channels").at("telegram").at("accounts").as_object().contains("work"));
  EXPECT_EQ(doc.at("channels").at("telegram").at("accounts").at("default").at("botToken"),
            "111:one");

  auto last = run({"channels", "remove", "--channel", "telegram", "--json"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(json::parse(last.out).at("removedChannel"), true);
  doc = read_config(config());
  EXPECT_FALSE(doc.at("channels").as_object().contains("telegram")) << read_text(config());
}

// A combination the config would refuse writes nothing at all.
TEST_F(ChannelsCliConfig, InvalidCombinationWritesNothing) {
  std::ofstream(config()) << "{}\n";
  auto r = run({"channels", "add", "--channel", "telegram", "--token", "111:one", "--dm-policy",
                "allowlist"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("allowFrom"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(config()), "{}\n");
}

// Bad input is refused with what to do.
TEST_F(ChannelsCliConfig, RefusesBadInput) {
  auto no_token = run({"channels", "add", "--channel", "telegram"});
  EXPECT_EQ(no_token.exit_code, 1);
  EXPECT_NE(no_token.err.find("--token"), std::string::npos) << no_token.err;
  auto bad_token = run({"channels", "add", "--channel", "telegram", "--token", "not a token"});
  EXPECT_EQ(bad_token.exit_code, 1);
  EXPECT_NE(bad_token.err.find("does not look like a Telegram bot token"), std::string::npos);
  auto blank =
      run({"channels", "add", "--channel", "telegram", "--account", " ", "--token", "111:one"});
  EXPECT_EQ(blank.exit_code, 1);
  EXPECT_NE(blank.err.find("--account must not be blank"), std::string::npos) << blank.err;
  auto other = run({"channels", "add", "--channel", "discord", "--token", "111:one"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_NE(other.err.find("telegram"), std::string::npos) << other.err;
  auto missing = run({"channels", "remove", "--channel", "telegram"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("not configured"), std::string::npos) << missing.err;
}

// Gateway commands with no gateway say how to start one; status still shows the config.
TEST_F(ChannelsCliConfig, StatusWithoutGatewaySaysHowToStartOne) {
  auto r = run({"channels", "status", "--url", nowhere()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pincer gateway"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("telegram: not configured"), std::string::npos) << r.out;
  auto p = run({"pairing", "list", "--url", nowhere()});
  EXPECT_EQ(p.exit_code, 1);
  EXPECT_NE(p.err.find("pincer gateway"), std::string::npos) << p.err;
}

// Without a gateway, status lists every configured account from the file, none running: webhook
// accounts as webhook, and an account whose token file is missing as not configured with why.
TEST_F(ChannelsCliConfig, StatusWithoutGatewayShowsEveryConfiguredAccount) {
  std::ofstream(config()) << R"({
    channels: { telegram: { dmPolicy: "pairing", accounts: {
      default: { botToken: "111:one" },
      hooks: { botToken: "222:two", webhookUrl: "https://bot.example.com/tg",
               webhookSecret: "hook-secret" },
      broken: { tokenFile: "/nonexistent/pincer-bot.token", enabled: false },
    } } },
  })";
  auto r = run({"channels", "status", "--json", "--url", nowhere()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value status = json::parse(r.out);
  EXPECT_EQ(status.at("gatewayReachable"), false);
  EXPECT_EQ(status.at("configPath").as_string(), config().string());
  EXPECT_EQ(status.at("channels").at("telegram").at("running"), false);
  std::map<std::string, json::object> rows;
  for (const auto& item : status.at("channelAccounts").at("telegram").as_array()) {
    rows[std::string(item.at("accountId").as_string())] = item.as_object();
  }
  ASSERT_EQ(rows.size(), 3U) << r.out;
  for (const auto& [id, row] : rows) {
    EXPECT_EQ(row.at("running"), false) << id;
    EXPECT_EQ(row.at("connected"), false) << id;
    EXPECT_EQ(row.at("dmPolicy"), "pairing") << id;
  }
  EXPECT_EQ(rows["default"].at("mode"), "polling");
  EXPECT_EQ(rows["default"].at("tokenSource"), "config");
  EXPECT_EQ(rows["default"].at("healthState"), "stopped");
  EXPECT_EQ(rows["hooks"].at("mode"), "webhook");
  EXPECT_EQ(rows["hooks"].at("webhookUrl"), "https://bot.example.com/tg");
  EXPECT_EQ(rows["broken"].at("enabled"), false);
  EXPECT_EQ(rows["broken"].at("configured"), false);
  EXPECT_EQ(rows["broken"].at("tokenSource"), "tokenFile");
  EXPECT_NE(rows["broken"].at("lastError").as_string().find("does not exist"), std::string::npos);
  EXPECT_EQ(r.out.find("222:two"), std::string::npos) << "a token was printed";

  auto text = run({"channels", "status", "--url", nowhere()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("gateway is not running"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pincer gateway"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("hooks"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("webhook"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("broken: tokenFile"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("111:one"), std::string::npos) << "a token was printed";
}

}  // namespace
}  // namespace pincer::testing
