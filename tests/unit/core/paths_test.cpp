#include "core/paths.hpp"

#include <gtest/gtest.h>

#include <map>

#include "support/fake_env.hpp"

namespace pincer::core {
namespace {

using testing::fake_env;

// Without overrides everything lives under ~/.pincer.
TEST(StatePaths, DefaultsUnderHome) {
  auto paths = resolve_state_paths(fake_env({{"HOME", "/home/u"}}));
  ASSERT_TRUE(paths);
  EXPECT_EQ(paths->state_dir, "/home/u/.pincer");
  EXPECT_EQ(paths->config_file, "/home/u/.pincer/pincer.json");
  EXPECT_EQ(paths->workspace_dir, "/home/u/.pincer/workspace");
  EXPECT_EQ(paths->logs_dir, "/home/u/.pincer/logs");
  EXPECT_EQ(paths->database_file, "/home/u/.pincer/state.db");
}

// --profile NAME moves state to ~/.pincer-NAME.
TEST(StatePaths, ProfileGetsItsOwnStateDir) {
  auto paths = resolve_state_paths(fake_env({{"HOME", "/home/u"}}), "work");
  ASSERT_TRUE(paths);
  EXPECT_EQ(paths->state_dir, "/home/u/.pincer-work");
  EXPECT_EQ(paths->config_file, "/home/u/.pincer-work/pincer.json");
}

// The environment overrides win over HOME and the profile.
TEST(StatePaths, EnvironmentOverrides) {
  auto paths = resolve_state_paths(fake_env({{"HOME", "/home/u"},
                                             {"PINCER_STATE_DIR", "~/state"},
                                             {"PINCER_CONFIG_PATH", "/etc/pincer.json"}}),
                                   "work");
  ASSERT_TRUE(paths);
  EXPECT_EQ(paths->state_dir, "/home/u/state");
  EXPECT_EQ(paths->config_file, "/etc/pincer.json");
  EXPECT_EQ(paths->database_file, "/home/u/state/state.db");
}

// A profile name could otherwise escape the home directory.
TEST(StatePaths, RejectsProfileWithSlash) {
  auto paths = resolve_state_paths(fake_env({{"HOME", "/home/u"}}), "../x");
  ASSERT_FALSE(paths);
  EXPECT_NE(paths.error().message.find("profile"), std::string::npos);
}

TEST(StatePaths, FailsWithoutHomeOrStateDir) {
  auto paths = resolve_state_paths(fake_env({}));
  ASSERT_FALSE(paths);
  EXPECT_NE(paths.error().hint.find("PINCER_STATE_DIR"), std::string::npos);
}

}  // namespace
}  // namespace pincer::core
