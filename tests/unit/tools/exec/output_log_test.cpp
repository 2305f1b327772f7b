#include "tools/exec/output_log.hpp"

#include <gtest/gtest.h>

namespace pincer::tools {
namespace {

// Below both caps the log is the stream itself.
TEST(ExecOutputLog, KeepsSmallOutput) {
  OutputLog log(10, 10);
  log.append("hello ");
  log.append("world");
  EXPECT_EQ(log.text(), "hello world");
  EXPECT_EQ(log.dropped(), 0U);
  EXPECT_EQ(log.read_from(6), "world");
}

// Past the caps the head and the newest tail stay, and the middle is counted as dropped.
TEST(ExecOutputLog, KeepsHeadAndTail) {
  OutputLog log(4, 4);
  for (char c = 'a'; c <= 'z'; ++c) {
    log.append(std::string(1, c));
  }
  EXPECT_EQ(log.total(), 26U);
  EXPECT_EQ(log.dropped(), 18U);
  EXPECT_EQ(log.text(), "abcd" + OutputLog::drop_marker(18) + "wxyz");
  uint64_t skipped = 0;
  EXPECT_EQ(log.read_from(20, &skipped), OutputLog::drop_marker(2) + "wxyz");
  EXPECT_EQ(skipped, 2U);
  EXPECT_EQ(log.read_from(24), "yz");
  EXPECT_EQ(log.read_from(26), "");
  log.append(std::string(100, '!'));
  EXPECT_EQ(log.read_from(122), "!!!!");
}

}  // namespace
}  // namespace pincer::tools
