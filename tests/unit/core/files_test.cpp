#include "core/files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

#include "support/temp_dir.hpp"

namespace pincer::core {
namespace {

namespace fs = std::filesystem;

// A new file gets exactly the requested mode, whatever the umask.
TEST(WriteFileAtomically, CreatesWithRequestedMode) {
  testing::TempDir dir;
  mode_t old = ::umask(0);
  auto ok = write_file_atomically(dir / "a.json", "{}");
  ::umask(old);
  ASSERT_TRUE(ok);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*read_file(dir / "a.json"), "{}");
}

// A missing directory is an io error that names the path.
TEST(WriteFileAtomically, MissingDirectoryIsReported) {
  testing::TempDir dir;
  auto ok = write_file_atomically(dir / "no" / "such" / "file", "x");
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, Errc::io);
  EXPECT_NE(ok.error().message.find("no/such"), std::string::npos);
}

// SIGKILL at any moment of a rewrite leaves the old or the new content, never a mix, and the
// next write clears the dead writer's temporary file.
TEST(WriteFileAtomically, SurvivesKillAtRandomMoments) {
  testing::TempDir dir;
  fs::path file = dir / "pincer.json";
  const std::string a(64 * 1024, 'a');
  const std::string b(64 * 1024, 'b');
  ASSERT_TRUE(write_file_atomically(file, a));
  unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  for (int round = 0; round < 30; ++round) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int i = 0;; ++i) {
        (void)write_file_atomically(file, (i % 2) != 0 ? a : b);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    auto content = read_file(file);
    ASSERT_TRUE(content);
    ASSERT_TRUE(*content == a || *content == b) << "torn file in round " << round;
  }
  ASSERT_TRUE(write_file_atomically(file, a));
  size_t leftovers = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) {
    leftovers += entry.path().filename() != "pincer.json" ? 1 : 0;
  }
  EXPECT_EQ(leftovers, 0u);
}

// A directory where a file is expected is an error, not an empty file.
TEST(ReadFile, DirectoryIsNotAFile) {
  testing::TempDir dir;
  auto text = read_file(dir.path());
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, Errc::io);
  EXPECT_EQ(read_file(dir / "missing").error().code, Errc::not_found);
}

// ensure_private_dir tightens an existing directory to 0700.
TEST(EnsurePrivateDir, TightensExistingDirectory) {
  testing::TempDir dir;
  fs::path state = dir / "state";
  fs::create_directory(state);
  ::chmod(state.c_str(), 0755);
  ASSERT_TRUE(ensure_private_dir(state));
  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace pincer::core
