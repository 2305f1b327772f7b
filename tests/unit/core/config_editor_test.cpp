#include "core/config_editor.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>

#include <boost/json/parse.hpp>

#include "core/files.hpp"
#include "support/fake_env.hpp"
#include "support/temp_dir.hpp"

namespace pincer::core {
namespace {

namespace json = boost::json;

using testing::fake_env;

class ConfigEditorTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;
  std::filesystem::path file_ = dir_ / "pincer.json";
};

// Setting a key in a missing file creates it, private to the user.
TEST_F(ConfigEditorTest, CreatesMissingFilePrivately) {
  auto outcome = set_config_value(file_, "gateway.port", json::value(19001), fake_env({}));
  ASSERT_TRUE(outcome) << outcome.error().describe();
  EXPECT_TRUE(outcome->written);
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(read_file(file_).value_or("").find("19001"), std::string::npos);
}

// A change that would not validate is refused and leaves the file byte for byte.
TEST_F(ConfigEditorTest, RefusesInvalidResult) {
  std::ofstream(file_) << "// keep\n{gateway: {port: 1}}\n";
  auto outcome = set_config_value(file_, "gateway.port", json::value("x"), fake_env({}));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, Errc::config);
  EXPECT_NE(outcome.error().message.find("gateway.port"), std::string::npos);
  EXPECT_EQ(read_file(file_).value_or(""), "// keep\n{gateway: {port: 1}}\n");
}

// --dry-run validates without writing.
TEST_F(ConfigEditorTest, DryRunWritesNothing) {
  std::ofstream(file_) << "{}";
  auto outcome = set_config_value(file_, "gateway.port", json::value(2000), fake_env({}), true);
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->changed);
  EXPECT_FALSE(outcome->written);
  EXPECT_EQ(read_file(file_).value_or(""), "{}");
}

// PINCER_CONFIG_READONLY=1 refuses every edit.
TEST_F(ConfigEditorTest, ReadonlyRefuses) {
  auto outcome = set_config_value(file_, "gateway.port", json::value(2000),
                                  fake_env({{"PINCER_CONFIG_READONLY", "1"}}));
  ASSERT_FALSE(outcome);
  EXPECT_FALSE(std::filesystem::exists(file_));
}

// Unsetting a key that is not there is a not_found error.
TEST_F(ConfigEditorTest, UnsetMissingKeyIsNotFound) {
  std::ofstream(file_) << "{gateway: {}}";
  auto outcome = unset_config_value(file_, "gateway.port", fake_env({}));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().code, Errc::not_found);
}

// Command-line values: JSON5 when they parse, strings otherwise; --strict-json is strict.
TEST(ParseCliValue, Json5OrString) {
  EXPECT_EQ(*parse_cli_value("19001", false), json::value(19001));
  EXPECT_EQ(*parse_cli_value("true", false), json::value(true));
  EXPECT_EQ(*parse_cli_value("{a: 1}", false), json::parse(R"({"a":1})"));
  EXPECT_EQ(*parse_cli_value("2h", false), json::value("2h"));
  EXPECT_EQ(*parse_cli_value("hello world", false), json::value("hello world"));
  EXPECT_FALSE(parse_cli_value("{a: 1}", true));
  EXPECT_EQ(*parse_cli_value(R"({"a": 1})", true), json::parse(R"({"a":1})"));
}

}  // namespace
}  // namespace pincer::core
