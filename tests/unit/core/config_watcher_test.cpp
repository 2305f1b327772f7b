#include "core/config_watcher.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <boost/asio/steady_timer.hpp>

#include "core/config_loader.hpp"
#include "support/temp_dir.hpp"

namespace pincer::core {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

EnvLookup no_env() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

// Runs the I/O loop until `done()` or the deadline; the watcher's work is all on this loop.
template <class Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds deadline = 5s) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (!done() && std::chrono::steady_clock::now() < end) {
    io.run_for(10ms);
    io.restart();
  }
  return done();
}

class ConfigWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_ / "pincer.json";
    write(R"({gateway: {port: 19000}})");
    auto loaded = load_valid_config(file_, no_env());
    ASSERT_TRUE(loaded);
    watcher_ = std::make_unique<ConfigWatcher>(io_, pool_, file_, no_env(), *loaded);
    watcher_->subscribe([this](const Config& c, const std::vector<std::string>& changed) {
      last_port_ = c.gateway.port;
      changed_ = changed;
      ++notified_;
    });
    watcher_->on_rejected([this](const std::vector<ConfigIssue>& issues) {
      rejected_issues_ = issues;
      ++rejected_;
    });
    ASSERT_TRUE(watcher_->start(20ms));
  }
  void TearDown() override {
    watcher_->stop();
    pool_.join();
  }
  // Editors save by writing a temporary file and renaming it over the original.
  void write(const std::string& text) {
    std::ofstream(dir_ / "pincer.json.tmp") << text;
    std::filesystem::rename(dir_ / "pincer.json.tmp", file_);
  }

  testing::TempDir dir_;
  std::filesystem::path file_;
  asio::io_context io_;
  asio::thread_pool pool_{1};
  std::unique_ptr<ConfigWatcher> watcher_;
  int notified_ = 0;
  int rejected_ = 0;
  int64_t last_port_ = 0;
  std::vector<std::string> changed_;
  std::vector<ConfigIssue> rejected_issues_;
};

// A valid edit replaces the config and names the changed keys.
TEST_F(ConfigWatcherTest, ValidEditNotifiesWithChangedPaths) {
  write(R"({gateway: {port: 19001}, logging: {level: "debug"}})");
  ASSERT_TRUE(run_until(io_, [&] { return notified_ == 1; }));
  EXPECT_EQ(last_port_, 19001);
  EXPECT_EQ(changed_, (std::vector<std::string>{"gateway.port", "logging.level"}));
  EXPECT_EQ(watcher_->current().gateway.port, 19001);
}

// An invalid edit is rejected with its errors and the running config stays.
TEST_F(ConfigWatcherTest, InvalidEditKeepsOldConfig) {
  write(R"({gateway: {port: "nope"}})");
  ASSERT_TRUE(run_until(io_, [&] { return rejected_ == 1; }));
  EXPECT_EQ(notified_, 0);
  EXPECT_EQ(watcher_->current().gateway.port, 19000);
  ASSERT_FALSE(rejected_issues_.empty());
  EXPECT_EQ(rejected_issues_[0].path, "gateway.port");
}

// Rewriting the same content (a save without changes) notifies nobody.
TEST_F(ConfigWatcherTest, UnchangedContentIsIgnored) {
  write(R"({gateway: {port: 19000}})");
  write(R"({gateway: {port: 19002}})");
  ASSERT_TRUE(run_until(io_, [&] { return notified_ == 1; }));
  // Several writes within the debounce window collapse into one reload of the final state.
  EXPECT_EQ(last_port_, 19002);
  write(R"({gateway: {port: 19002}})");
  run_until(
      io_, [] { return false; }, 200ms);
  EXPECT_EQ(notified_, 1);
}

// Deleting the file means "all defaults", which is a valid change.
TEST_F(ConfigWatcherTest, DeletedFileFallsBackToDefaults) {
  std::filesystem::remove(file_);
  ASSERT_TRUE(run_until(io_, [&] { return notified_ == 1; }));
  EXPECT_EQ(last_port_, GatewayConfig::kDefaultPort);
}

}  // namespace
}  // namespace pincer::core
