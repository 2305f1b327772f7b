#include "tools/tool_arguments.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pincer::tools {
namespace {

boost::json::object parse(std::string_view text) {
  return boost::json::parse(text).as_object();
}

TEST(ToolArguments, ReadsWhatModelsWrite) {
  auto object = parse(R"({"path":"a.txt","limit":"30","offset":2,"all":"true","tags":["x"]})");
  ToolArguments args(object);
  EXPECT_EQ(args.required_string("path"), "a.txt");
  EXPECT_EQ(args.integer("limit", 1, 100), 30);
  EXPECT_EQ(args.integer("offset", 0, 10), 2);
  EXPECT_EQ(args.boolean("all"), true);
  EXPECT_EQ(args.string_list("tags"), std::vector<std::string>{"x"});
  EXPECT_FALSE(args.integer("missing", 0, 1).has_value());
  EXPECT_FALSE(args.error().has_value());
}

TEST(ToolArguments, FirstProblemIsKeptForTheModel) {
  auto object = parse(R"({"path":7,"limit":1.5,"all":"yes"})");
  ToolArguments args(object);
  args.required_string("path");
  args.integer("limit", 0, 10);
  args.boolean("all");
  ASSERT_TRUE(args.error().has_value());
  EXPECT_EQ(*args.error(), "path: expected a string, got a number");
}

TEST(ToolArguments, RangesAndRequiredFields) {
  auto object = parse(R"({"limit":500,"name":""})");
  ToolArguments range(object);
  EXPECT_FALSE(range.integer("limit", 1, 100).has_value());
  EXPECT_NE(range.error()->find("between"), std::string::npos);
  ToolArguments empty(object);
  empty.required_string("name");
  EXPECT_EQ(*empty.error(), "name: must not be empty");
  ToolArguments absent(object);
  absent.required_string("path");
  EXPECT_EQ(*absent.error(), "path: required");
}

}  // namespace
}  // namespace pincer::tools
