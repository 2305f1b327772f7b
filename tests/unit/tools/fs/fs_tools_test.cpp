// read, write and edit through their registered handlers, against a temporary workspace.
#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "core/base64.hpp"
#include "fs_tool_harness.hpp"
#include "tools/fs/file_operations.hpp"

namespace pincer::tools {
namespace {

namespace json = boost::json;
using testing::FsToolHarness;

json::object path_args(const std::string& path) {
  json::object out;
  out["path"] = path;
  return out;
}

std::string numbered_lines(int count) {
  std::string out;
  for (int i = 1; i <= count; ++i) {
    out += "line" + std::to_string(i) + "\n";
  }
  return out;
}

TEST(FsTools, RegistersTheReferenceNames) {
  FsToolHarness h;
  for (std::string_view name : {"read", "write", "edit", "apply_patch"}) {
    const agent::ToolSpec* spec = h.registry().find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_EQ(spec->schema.parameters.at("type"), "object");
  }
  EXPECT_TRUE(h.registry().find("read")->parallel_safe);
  EXPECT_FALSE(h.registry().find("write")->parallel_safe);
}

// ---- read --------------------------------------------------------------------------------------

TEST(FsRead, ReturnsTextWithoutLineNumbers) {
  FsToolHarness h;
  h.put("notes/a.txt", "alpha\nbeta\ngamma\n");
  auto out = h.call("read", R"({"path":"notes/a.txt"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(out.text, "alpha\nbeta\ngamma");
}

// offset is a 1-based line; the note says where to continue.
TEST(FsRead, OffsetAndLimitSelectLines) {
  FsToolHarness h;
  h.put("a.txt", numbered_lines(10));
  auto out = h.call("read", R"({"path":"a.txt","offset":3,"limit":2})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_TRUE(out.text.starts_with("line3\nline4\n\n[")) << out.text;
  EXPECT_NE(out.text.find("6 more lines"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("offset=5"), std::string::npos) << out.text;

  auto last = h.call("read", R"({"path":"a.txt","offset":"9"})");
  EXPECT_EQ(last.text, "line9\nline10");
}

TEST(FsRead, OffsetPastTheEndIsAnError) {
  FsToolHarness h;
  h.put("a.txt", numbered_lines(3));
  auto out = h.call("read", R"({"path":"a.txt","offset":10})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("beyond the end"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("3 lines"), std::string::npos) << out.text;
}

TEST(FsRead, LastLineWithoutNewlineCounts) {
  FsToolHarness h;
  h.put("a.txt", "one\ntwo");
  EXPECT_EQ(h.call("read", R"({"path":"a.txt"})").text, "one\ntwo");
  EXPECT_EQ(h.call("read", R"({"path":"a.txt","offset":2})").text, "two");
}

// A large file comes back capped at 2000 lines with a note how to read on.
TEST(FsRead, HugeFileIsCappedWithContinuation) {
  FsToolHarness h;
  h.put("big.txt", numbered_lines(5000));
  auto out = h.call("read", R"({"path":"big.txt"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_TRUE(out.text.starts_with("line1\n"));
  EXPECT_NE(out.text.find("line2000\n"), std::string::npos);
  EXPECT_EQ(out.text.find("line2001"), std::string::npos);
  EXPECT_NE(out.text.find("of 5000"), std::string::npos) << out.text.substr(out.text.size() - 200);
  EXPECT_NE(out.text.find("offset=2001"), std::string::npos);
}

TEST(FsRead, ByteCapStopsAtWholeLines) {
  FsToolHarness h;
  std::string content;
  for (int i = 0; i < 200; ++i) {
    content += std::string(999, 'a' + (i % 26)) + "\n";  // 1000 bytes a line
  }
  h.put("wide.txt", content);
  auto out = h.call("read", R"({"path":"wide.txt"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_LE(out.text.size(), file_tools::kReadMaxBytes + 300);
  EXPECT_NE(out.text.find("Showing lines 1-51 of 200"), std::string::npos)
      << out.text.substr(out.text.size() - 200);
  EXPECT_NE(out.text.find("offset=52"), std::string::npos);
}

TEST(FsRead, OneGiantLineShowsItsStart) {
  FsToolHarness h;
  h.put("line.txt", std::string(300 * 1024, 'x') + "\nsecond\n");
  auto out = h.call("read", R"({"path":"line.txt"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_LE(out.text.size(), file_tools::kReadMaxBytes + 300);
  EXPECT_NE(out.text.find("Line 1 is longer than"), std::string::npos);
  EXPECT_NE(out.text.find("offset=2"), std::string::npos);
}

TEST(FsRead, BinaryFileIsRefused) {
  FsToolHarness h;
  h.put("blob.bin", std::string("\x7f"
                                "ELF\x02\x01\x01\x00\x00\x00\x00",
                                11) +
                        "rest");
  auto out = h.call("read", R"({"path":"blob.bin"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("binary"), std::string::npos) << out.text;
}

TEST(FsRead, InvalidUtf8IsReplaced) {
  FsToolHarness h;
  h.put("latin1.txt", "caf\xE9\n");
  auto out = h.call("read", R"({"path":"latin1.txt"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_EQ(out.text, "caf\xEF\xBF\xBD");
}

TEST(FsRead, ImageComesBackAsImage) {
  FsToolHarness h;
  std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string("\0\0\0\rIHDR", 8) + "data";
  h.put("pic.png", png);
  auto out = h.call("read", R"({"path":"pic.png"})");
  EXPECT_FALSE(out.is_error) << out.text;
  ASSERT_EQ(out.images.size(), 1U);
  EXPECT_EQ(out.images[0].media_type, "image/png");
  EXPECT_EQ(core::base64_decode(out.images[0].data), png);
  EXPECT_NE(out.text.find("image/png"), std::string::npos);

  h.put("photo.dat", "\xFF\xD8\xFF\xE0rest-of-jpeg");
  EXPECT_EQ(h.call("read", R"({"path":"photo.dat"})").images.at(0).media_type, "image/jpeg");
}

TEST(FsRead, MissingFileAndDirectoryAreClearErrors) {
  FsToolHarness h;
  h.put("dir/a.txt", "x");
  auto missing = h.call("read", R"({"path":"nope.txt"})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("file not found: nope.txt"), std::string::npos) << missing.text;
  auto dir = h.call("read", R"({"path":"dir"})");
  EXPECT_TRUE(dir.is_error);
  EXPECT_NE(dir.text.find("is a directory"), std::string::npos) << dir.text;
}

TEST(FsRead, EmptyFileSaysSo) {
  FsToolHarness h;
  h.put("empty.txt", "");
  auto out = h.call("read", R"({"path":"empty.txt"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_NE(out.text.find("empty"), std::string::npos);
}

TEST(FsRead, BadArgumentsComeBackAsErrors) {
  FsToolHarness h;
  EXPECT_EQ(h.call("read", R"({})").text, "path: required");
  EXPECT_NE(h.call("read", R"({"path":5})").text.find("expected a string"), std::string::npos);
  auto zero = h.call("read", R"({"path":"a.txt","offset":0})");
  EXPECT_TRUE(zero.is_error);
  EXPECT_NE(zero.text.find("offset"), std::string::npos);
  EXPECT_TRUE(h.call("read", R"({"path":"a.txt","limit":"ten"})").is_error);
  EXPECT_TRUE(h.call("read", R"({"path":""})").is_error);
}

TEST(FsRead, FilePathAliasIsAccepted) {
  FsToolHarness h;
  h.put("a.txt", "hi\n");
  EXPECT_EQ(h.call("read", R"({"file_path":"a.txt"})").text, "hi");
}

// ---- path confinement ------------------------------------------------------------------------

TEST(FsPaths, DotDotEscapeIsRefused) {
  FsToolHarness h;
  std::ofstream(h.outside() / "secret.txt") << "secret";
  auto out = h.call("read", R"({"path":"../secret.txt"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("outside the workspace"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("workspaceOnly"), std::string::npos) << out.text;

  auto write = h.call("write", R"({"path":"sub/../../escape.txt","content":"x"})");
  EXPECT_TRUE(write.is_error);
  EXPECT_FALSE(std::filesystem::exists(h.outside() / "escape.txt"));
}

TEST(FsPaths, AbsolutePathOutsideIsRefusedInsideIsFine) {
  FsToolHarness h;
  h.put("in.txt", "inside\n");
  auto outside = h.call("read", path_args("/etc/hostname"));
  EXPECT_TRUE(outside.is_error);
  EXPECT_NE(outside.text.find("outside the workspace"), std::string::npos) << outside.text;
  auto inside = h.call("read", path_args((h.workspace() / "in.txt").string()));
  EXPECT_FALSE(inside.is_error) << inside.text;
  EXPECT_EQ(inside.text, "inside");
}

TEST(FsPaths, SymlinkToEtcIsRefused) {
  FsToolHarness h;
  std::filesystem::create_directory_symlink("/etc", h.workspace() / "etc");
  std::filesystem::create_symlink("/etc/passwd", h.workspace() / "passwd");
  auto through_dir = h.call("read", R"({"path":"etc/passwd"})");
  EXPECT_TRUE(through_dir.is_error);
  EXPECT_NE(through_dir.text.find("symlink"), std::string::npos) << through_dir.text;
  auto final_link = h.call("read", R"({"path":"passwd"})");
  EXPECT_TRUE(final_link.is_error);
  EXPECT_NE(final_link.text.find("symlink"), std::string::npos) << final_link.text;
  auto write = h.call("write", R"({"path":"etc/pincer-test.txt","content":"x"})");
  EXPECT_TRUE(write.is_error);
}

TEST(FsPaths, SymlinkedDirectoryInTheMiddleIsRefused) {
  FsToolHarness h;
  std::filesystem::create_directories(h.outside() / "elsewhere");
  std::ofstream(h.outside() / "elsewhere" / "x.txt") << "outside";
  h.put("a/keep.txt", "");
  std::filesystem::create_directory_symlink(h.outside() / "elsewhere", h.workspace() / "a" / "b");
  auto read = h.call("read", R"({"path":"a/b/x.txt"})");
  EXPECT_TRUE(read.is_error);
  auto edit = h.call("edit", R"({"path":"a/b/x.txt","oldText":"outside","newText":"pwned"})");
  EXPECT_TRUE(edit.is_error);
  auto write = h.call("write", R"({"path":"a/b/new/deep.txt","content":"x"})");
  EXPECT_TRUE(write.is_error);
  EXPECT_FALSE(std::filesystem::exists(h.outside() / "elsewhere" / "new"));
}

TEST(FsPaths, SymlinkInsideTheWorkspaceIsFollowed) {
  FsToolHarness h;
  h.put("real/file.txt", "real\n");
  std::filesystem::create_directory_symlink(h.workspace() / "real", h.workspace() / "alias");
  auto out = h.call("read", R"({"path":"alias/file.txt"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(out.text, "real");
}

TEST(FsPaths, BrokenSymlinkIsRefused) {
  FsToolHarness h;
  std::filesystem::create_symlink(h.outside() / "does-not-exist", h.workspace() / "dangling");
  auto out = h.call("write", R"({"path":"dangling/x.txt","content":"x"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("symlink"), std::string::npos) << out.text;
}

// tools.fs.workspaceOnly: false lifts the confinement for read/write/edit.
TEST(FsPaths, WorkspaceOnlyFalseAllowsOutside) {
  FsToolHarness h;
  h.set_config(R"({"tools":{"fs":{"workspaceOnly":false}}})");
  std::ofstream(h.outside() / "shared.txt") << "shared\n";
  auto out = h.call("read", R"({"path":"../shared.txt"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(out.text, "shared");
}

// ---- write -----------------------------------------------------------------------------------

TEST(FsWrite, CreatesParentsAndReportsBytes) {
  FsToolHarness h;
  auto out = h.call("write", R"({"path":"deep/er/new.txt","content":"hello\n"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_NE(out.text.find("6 bytes"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("deep/er/new.txt"), "hello\n");
}

TEST(FsWrite, ReplacesAndKeepsMode) {
  FsToolHarness h;
  h.put("run.sh", "old");
  std::filesystem::permissions(h.workspace() / "run.sh", std::filesystem::perms(0755));
  auto out = h.call("write", R"({"path":"run.sh","content":"#!/bin/sh\n"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("run.sh"), "#!/bin/sh\n");
  EXPECT_EQ(std::filesystem::status(h.workspace() / "run.sh").permissions() &
                std::filesystem::perms::mask,
            std::filesystem::perms(0755));
}

TEST(FsWrite, EmptyContentIsAllowedMissingIsNot) {
  FsToolHarness h;
  EXPECT_FALSE(h.call("write", R"({"path":"e.txt","content":""})").is_error);
  EXPECT_EQ(h.call("write", R"({"path":"e.txt"})").text, "content: required");
  EXPECT_TRUE(h.call("write", R"({"path":"e.txt","content":7})").is_error);
}

TEST(FsWrite, DirectoryIsRefused) {
  FsToolHarness h;
  h.put("dir/a.txt", "");
  auto out = h.call("write", R"({"path":"dir","content":"x"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("directory"), std::string::npos);
}

// ---- edit ------------------------------------------------------------------------------------

TEST(FsEdit, ReplacesUniqueText) {
  FsToolHarness h;
  h.put("a.txt", "one\ntwo\nthree\n");
  auto out = h.call("edit", R"({"path":"a.txt","oldText":"two","newText":"2"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_NE(out.text.find("line 2"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("a.txt"), "one\n2\nthree\n");
}

TEST(FsEdit, NoMatchSaysSoAndPointsAtTheClosestLine) {
  FsToolHarness h;
  h.put("a.py", "def main():\n    print('hello world')\n");
  auto out =
      h.call("edit", R"json({"path":"a.py","oldText":"print('hello wrld')","newText":"x"})json");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("could not find"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("line 2"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("a.py"), "def main():\n    print('hello world')\n");
}

TEST(FsEdit, SeveralMatchesNeedMoreContextOrReplaceAll) {
  FsToolHarness h;
  h.put("a.txt", "x = 1\ny = 1\nz = 1\n");
  auto out = h.call("edit", R"({"path":"a.txt","oldText":"= 1","newText":"= 2"})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("3 times"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("replaceAll"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("a.txt"), "x = 1\ny = 1\nz = 1\n");

  auto all =
      h.call("edit", R"({"path":"a.txt","oldText":"= 1","newText":"= 2","replaceAll":true})");
  EXPECT_FALSE(all.is_error) << all.text;
  EXPECT_NE(all.text.find("3 occurrences"), std::string::npos);
  EXPECT_EQ(h.get("a.txt"), "x = 2\ny = 2\nz = 2\n");
}

TEST(FsEdit, IdenticalTextReportsNoChange) {
  FsToolHarness h;
  h.put("a.txt", "same\n");
  auto out = h.call("edit", R"({"path":"a.txt","oldText":"same","newText":"same"})");
  EXPECT_FALSE(out.is_error);
  EXPECT_NE(out.text.find("No changes"), std::string::npos) << out.text;
}

// Typographic quotes and trailing spaces in the file still match the model's ASCII text.
TEST(FsEdit, FuzzyMatchForQuotesAndTrailingSpaces) {
  FsToolHarness h;
  h.put("a.md", "He said \xE2\x80\x9Chi\xE2\x80\x9D   \nend\n");
  auto out = h.call("edit", R"({"path":"a.md","oldText":"He said \"hi\"\nend","newText":"bye"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("a.md"), "bye\n");
}

TEST(FsEdit, CrlfFileMatchesLfText) {
  FsToolHarness h;
  h.put("win.txt", "a\r\nb\r\nc\r\n");
  auto out = h.call("edit", R"({"path":"win.txt","oldText":"a\nb","newText":"A\nB"})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("win.txt"), "A\r\nB\r\nc\r\n");
}

TEST(FsEdit, EditsArrayAndSnakeCaseNames) {
  FsToolHarness h;
  h.put("a.txt", "alpha beta gamma\n");
  auto out = h.call("edit", R"({"path":"a.txt","edits":[{"oldText":"alpha","newText":"A"},
                                 {"oldText":"gamma","newText":"G"}]})");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("a.txt"), "A beta G\n");

  auto snake = h.call("edit", R"({"file_path":"a.txt","old_string":"beta","new_string":"B"})");
  EXPECT_FALSE(snake.is_error) << snake.text;
  EXPECT_EQ(h.get("a.txt"), "A B G\n");
}

// One failing edit of several leaves the file untouched.
TEST(FsEdit, EditsApplyAllOrNothing) {
  FsToolHarness h;
  h.put("a.txt", "alpha beta\n");
  auto out = h.call("edit", R"({"path":"a.txt","edits":[{"oldText":"alpha","newText":"A"},
                                 {"oldText":"missing","newText":"M"}]})");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("edits[1]"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("a.txt"), "alpha beta\n");
}

TEST(FsEdit, BadArgumentsAndMissingFile) {
  FsToolHarness h;
  EXPECT_EQ(h.call("edit", R"({"path":"a.txt","newText":"x"})").text, "oldText: required");
  EXPECT_TRUE(h.call("edit", R"({"path":"a.txt","edits":[]})").is_error);
  EXPECT_TRUE(h.call("edit", R"({"path":"a.txt","edits":[{"oldText":1}]})").is_error);
  auto missing = h.call("edit", R"({"path":"nope.txt","oldText":"a","newText":"b"})");
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("use write"), std::string::npos) << missing.text;
}

TEST(FsEdit, BinaryFileIsRefused) {
  FsToolHarness h;
  h.put("b.bin", std::string("ab\0cd", 5));
  EXPECT_TRUE(h.call("edit", R"({"path":"b.bin","oldText":"ab","newText":"x"})").is_error);
}

}  // namespace
}  // namespace pincer::tools
