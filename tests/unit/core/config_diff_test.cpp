#include "core/config_diff.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pincer::core {
namespace {

namespace json = boost::json;

// Changed leaves, added and removed keys are reported by dotted path, sorted.
TEST(ConfigDiff, ReportsChangedAddedAndRemovedPaths) {
  auto before =
      json::parse(R"({"gateway":{"port":1,"bind":"loopback"},"logging":{"level":"info"}})");
  auto after = json::parse(R"({"gateway":{"port":2,"bind":"loopback"},"agents":{"x":1}})");
  auto changed = changed_config_paths(before, after);
  EXPECT_EQ(changed, (std::vector<std::string>{"agents.x", "gateway.port", "logging.level"}));
}

// Equal documents have no changes; arrays compare as a whole.
TEST(ConfigDiff, ArraysCompareWhole) {
  auto a = json::parse(R"({"l":{"p":["a","b"]}})");
  EXPECT_TRUE(changed_config_paths(a, a).empty());
  auto b = json::parse(R"({"l":{"p":["a","c"]}})");
  EXPECT_EQ(changed_config_paths(a, b), std::vector<std::string>{"l.p"});
}

}  // namespace
}  // namespace pincer::core
