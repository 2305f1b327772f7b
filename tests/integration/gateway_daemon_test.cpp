// The real `pincer gateway` process: start-up, health probes, hot reload, shutdown, crashes.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

using namespace std::chrono_literals;

void write_config(const std::filesystem::path& file, const std::string& text) {
  // Write then rename, as editors do; the watcher must see it either way.
  std::filesystem::path tmp = file.string() + ".tmp";
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, file);
}

// The daemon starts on a free port in a fresh state dir and answers the health probes.
TEST(GatewayDaemon, StartsAndAnswersHealth) {
  auto gateway = GatewayProcess::start();
  auto health = http_get(gateway->port(), "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->first, 200);
  EXPECT_EQ(health->second, R"({"ok":true,"status":"live"})");
  auto ready = http_get(gateway->port(), "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->first, 200);
  auto missing = http_get(gateway->port(), "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->first, 404);
  EXPECT_EQ(gateway->stop(), 0);
  EXPECT_TRUE(gateway->wait_for_output("gateway stopped", 1s));
}

// State dir, database and log files are private to the user.
TEST(GatewayDaemon, CreatesPrivateState) {
  auto gateway = GatewayProcess::start();
  struct stat st {};
  ASSERT_EQ(::stat(gateway->state_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat((gateway->state_dir() / "state.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  gateway->stop();
}

// A second gateway on the same state dir refuses to start instead of answering chats twice.
TEST(GatewayDaemon, SecondInstanceOnSameStateRefuses) {
  auto gateway = GatewayProcess::start();
  auto env = gateway->env();
  auto second = run_pincer({"gateway", "--port", std::to_string(free_loopback_port())}, env);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("already running"), std::string::npos) << second.err;
  gateway->stop();
}

// After kill -9 the lock dies with the process: the gateway starts again on the same state and
// the database is intact.
TEST(GatewayDaemon, RestartsAfterKill9) {
  TempDir state;
  GatewayProcess::Options options;
  options.state_dir = state.path();
  auto first = GatewayProcess::start(options);
  first->kill_hard();
  auto second = GatewayProcess::start(options);
  auto doctor = run_pincer({"doctor", "--json"}, second->env());
  EXPECT_NE(doctor.out.find("integrity ok"), std::string::npos) << doctor.out;
  EXPECT_EQ(second->stop(), 0);
}

// An invalid config stops start-up with the key path and reason.
TEST(GatewayDaemon, InvalidConfigRefusesToStart) {
  TempDir state;
  std::ofstream(state / "pincer.json") << R"({gateway: {port: "abc"}})";
  auto result = run_pincer({"gateway"}, isolated_env(state.path()));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(R"(gateway.port: expected an integer 1-65535, got "abc")"),
            std::string::npos)
      << result.err;
}

// Binding beyond loopback without a token is refused.
TEST(GatewayDaemon, RefusesLanBindWithoutAuth) {
  TempDir state;
  auto result = run_pincer({"gateway", "--bind", "lan", "--port", "0"}, isolated_env(state.path()));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("without authentication"), std::string::npos) << result.err;
}

// A valid edit is applied live and subscribers hear which keys changed.
TEST(GatewayDaemon, HotReloadAppliesValidEdit) {
  GatewayProcess::Options options;
  options.config = R"({logging: {level: "info"}})";
  auto gateway = GatewayProcess::start(options);
  write_config(gateway->state_dir() / "pincer.json",
               R"({logging: {level: "info"}, agents: {defaults: {maxConcurrent: 2}}})");
  EXPECT_TRUE(gateway->wait_for_output("[config] agents.defaults.maxConcurrent changed"))
      << gateway->output();
  gateway->stop();
}

// An invalid edit is rejected with its reason and the gateway keeps running on the old config.
TEST(GatewayDaemon, HotReloadRejectsInvalidEditAndKeepsRunning) {
  auto gateway = GatewayProcess::start();
  write_config(gateway->state_dir() / "pincer.json", R"({gateway: {port: "oops"}})");
  EXPECT_TRUE(gateway->wait_for_output("[config] reload rejected")) << gateway->output();
  EXPECT_TRUE(gateway->wait_for_output(R"(gateway.port: expected an integer 1-65535, got "oops")"));
  auto health = http_get(gateway->port(), "/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->first, 200);
  // A later valid edit is picked up again.
  write_config(gateway->state_dir() / "pincer.json", R"({agents: {defaults: {maxConcurrent: 3}}})");
  EXPECT_TRUE(gateway->wait_for_output("[config] agents.defaults.maxConcurrent changed"))
      << gateway->output();
  gateway->stop();
}

// The token never appears in the daemon's console or file logs.
TEST(GatewayDaemon, TokenIsNotLogged) {
  GatewayProcess::Options options;
  options.extra_args = {"--verbose", "--token", "super-secret-gateway-token-42"};
  auto gateway = GatewayProcess::start(options);
  gateway->stop();
  EXPECT_EQ(gateway->output().find("super-secret-gateway-token-42"), std::string::npos);
  std::ifstream log(gateway->state_dir() / "logs" / "pincer.log");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find("super-secret-gateway-token-42"), std::string::npos);
}

}  // namespace
}  // namespace pincer::testing
