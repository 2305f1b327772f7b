#include "core/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include <boost/json.hpp>

#include "support/temp_dir.hpp"

namespace pincer::core {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  return lines;
}

fs::perms mode_of(const fs::path& path) {
  return fs::status(path).permissions() & fs::perms::mask;
}

// Every test gets a fresh logs directory and leaves logging as it found it.
class LogFileTest : public ::testing::Test {
 protected:
  LogOptions options(std::uint64_t max_bytes = 1024 * 1024, std::size_t max_files = 5) {
    LogOptions opts;
    opts.console = false;
    opts.dir = dir_ / "logs";
    opts.max_file_bytes = max_bytes;
    opts.max_files = max_files;
    return opts;
  }
  fs::path log_file() const { return dir_ / "logs" / "pincer.log"; }
  void TearDown() override { shutdown_logging(); }

  pincer::testing::TempDir dir_;
};

// One JSON object per line, with the documented field names.
TEST_F(LogFileTest, WritesJsonLinesWithStableFields) {
  ASSERT_TRUE(init_logging(options()));
  log::info("gateway", "listening on {}:{}", "127.0.0.1", 18789);
  log::warn("telegram", "poll failed: {}", "timeout");

  auto lines = read_lines(log_file());
  ASSERT_EQ(lines.size(), 2u);
  json::object first = json::parse(lines[0]).as_object();
  EXPECT_TRUE(std::regex_match(std::string(first.at("time").as_string()),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first.at("time");
  EXPECT_EQ(first.at("level"), "info");
  EXPECT_EQ(first.at("subsystem"), "gateway");
  EXPECT_EQ(first.at("message"), "listening on 127.0.0.1:18789");
  EXPECT_EQ(first.at("pid").as_int64(), ::getpid());
  EXPECT_TRUE(first.contains("hostname"));
  json::object second = json::parse(lines[1]).as_object();
  EXPECT_EQ(second.at("level"), "warn");
  EXPECT_EQ(second.at("subsystem"), "telegram");
}

// Secrets never reach the file: registered values, built-in shapes and user patterns.
TEST_F(LogFileTest, RedactsEveryMessage) {
  auto opts = options();
  opts.redact.patterns = {"internal-host-[0-9]+"};
  ASSERT_TRUE(init_logging(opts));
  log_redactor().add_secret("gateway-token-0123456789abcdef");
  log::info("gateway", "auth with gateway-token-0123456789abcdef");
  log::info("agent", "calling with sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123");
  log::info("cron", "ping internal-host-7 with password={}", "hunter2");
  logger("direct").info("spdlog call Bearer abcdefghijklmnopqrstuvwx");

  std::stringstream all;
  all << std::ifstream(log_file()).rdbuf();
  std::string text = all.str();
  for (std::string_view secret : {"0123456789abcdef", "AbCdEfGhIjKlMnOpQrStUvWx", "hunter2",
                                  "internal-host-7", "ghijklmnopqrstuvwx"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  auto lines = read_lines(log_file());
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(json::parse(lines[2]).at("message"), "ping *** with password=***");
}

// Quotes, newlines, control characters and broken UTF-8 still give one valid JSON line.
TEST_F(LogFileTest, EscapesMessagesIntoValidJson) {
  ASSERT_TRUE(init_logging(options()));
  log::info("x", "quote \" backslash \\ newline \n tab \t bell \x07 utf8 \xc3\xa9 bad \xff end");
  auto lines = read_lines(log_file());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(json::parse(lines[0]).at("message"),
            "quote \" backslash \\ newline \n tab \t bell \x07 utf8 \xc3\xa9 bad \ufffd end");
}

// The directory is 0700 and the file 0600, even when it existed with looser bits.
TEST_F(LogFileTest, CreatesPrivateDirectoryAndFile) {
  fs::create_directories(dir_ / "logs");
  std::ofstream(log_file()) << "";
  fs::permissions(log_file(), fs::perms(0644));
  ASSERT_TRUE(init_logging(options()));
  log::info("x", "hello");
  EXPECT_EQ(mode_of(dir_ / "logs"), fs::perms(0700));
  EXPECT_EQ(mode_of(log_file()), fs::perms(0600));
}

// pincer.log rotates to pincer.1.log before a write would pass the limit; at most
// max_files old files are kept, and every file stays under the limit.
TEST_F(LogFileTest, RotatesAtSizeLimit) {
  constexpr std::uint64_t kLimit = 2000;
  ASSERT_TRUE(init_logging(options(kLimit, 2)));
  for (int i = 0; i < 100; ++i) {
    log::info("rot", "line {:03} {}", i, std::string(40, 'x'));
  }
  const fs::path logs = dir_ / "logs";
  ASSERT_TRUE(fs::exists(logs / "pincer.log"));
  ASSERT_TRUE(fs::exists(logs / "pincer.1.log"));
  ASSERT_TRUE(fs::exists(logs / "pincer.2.log"));
  EXPECT_FALSE(fs::exists(logs / "pincer.3.log"));
  for (const char* name : {"pincer.log", "pincer.1.log", "pincer.2.log"}) {
    EXPECT_LE(fs::file_size(logs / name), kLimit) << name;
    EXPECT_EQ(mode_of(logs / name), fs::perms(0600)) << name;
  }
  // The newest line is last in the active file; the rotated file holds the ones before it.
  auto active = read_lines(logs / "pincer.log");
  ASSERT_FALSE(active.empty());
  EXPECT_NE(active.back().find("line 099"), std::string::npos);
  auto older = read_lines(logs / "pincer.1.log");
  ASSERT_FALSE(older.empty());
  auto first_active = json::parse(active.front()).at("message").as_string();
  auto last_older = json::parse(older.back()).at("message").as_string();
  EXPECT_EQ(std::stoi(std::string(first_active.subview(5, 3))),
            std::stoi(std::string(last_older.subview(5, 3))) + 1);
}

// The file and the console have separate levels, and both change at runtime.
TEST_F(LogFileTest, LevelsFilterAndChangeAtRuntime) {
  auto opts = options();
  opts.level = LogLevel::warn;
  ASSERT_TRUE(init_logging(opts));
  EXPECT_FALSE(log_enabled(LogLevel::info));
  log::info("x", "dropped");
  log::error("x", "kept");
  set_log_level(LogLevel::debug, LogLevel::silent);
  EXPECT_TRUE(log_enabled(LogLevel::debug));
  EXPECT_FALSE(log_enabled(LogLevel::trace));
  log::debug("x", "now kept");
  log::trace("x", "still dropped");
  auto lines = read_lines(log_file());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(json::parse(lines[0]).at("message"), "kept");
  EXPECT_EQ(json::parse(lines[1]).at("message"), "now kept");
  EXPECT_EQ(json::parse(lines[1]).at("level"), "debug");
}

// A bad option fails with a clear error and leaves the working configuration alone.
TEST_F(LogFileTest, RejectsBadOptionsAndKeepsPreviousSetup) {
  ASSERT_TRUE(init_logging(options()));
  auto bad_pattern = options();
  bad_pattern.redact.patterns = {"[unclosed"};
  auto status = init_logging(bad_pattern);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("logging.redactPatterns[0]"), std::string::npos);

  auto zero = options(0);
  ASSERT_FALSE(init_logging(zero));

  auto blocked = options();
  std::ofstream(dir_ / "file") << "x";
  blocked.dir = dir_ / "file" / "logs";  // a path under a regular file cannot be created
  auto io = init_logging(blocked);
  ASSERT_FALSE(io);
  EXPECT_EQ(io.error().code, Errc::io);

  log::info("x", "still written");
  auto lines = read_lines(log_file());
  ASSERT_EQ(lines.size(), 1u);
}

TEST(LogLevel, ParsesNamesCaseInsensitively) {
  EXPECT_EQ(parse_log_level("trace"), LogLevel::trace);
  EXPECT_EQ(parse_log_level("DEBUG"), LogLevel::debug);
  EXPECT_EQ(parse_log_level("Warning"), LogLevel::warn);
  EXPECT_EQ(parse_log_level("fatal"), LogLevel::fatal);
  EXPECT_EQ(parse_log_level("off"), LogLevel::silent);
  auto bad = parse_log_level("verbose");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::config);
  EXPECT_NE(bad.error().message.find("verbose"), std::string::npos);
  EXPECT_NE(bad.error().hint.find("trace, debug, info"), std::string::npos);
  EXPECT_EQ(to_string(LogLevel::warn), "warn");
  EXPECT_EQ(to_string(LogLevel::fatal), "fatal");
}

}  // namespace
}  // namespace pincer::core
