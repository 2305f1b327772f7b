// apply_patch: the patch format, its errors, and applying all of a patch or none of it.
#include <gtest/gtest.h>

#include <boost/json/object.hpp>

#include "fs_tool_harness.hpp"
#include "tools/fs/patch.hpp"

namespace pincer::tools {
namespace {

using testing::FsToolHarness;

agent::ToolOutput patch(FsToolHarness& h, const std::string& input) {
  boost::json::object arguments;
  arguments["input"] = input;
  return h.call("apply_patch", arguments);
}

TEST(FsApplyPatch, AddsUpdatesMovesAndDeletes) {
  FsToolHarness h;
  h.put("src/app.ts", "const a = 1;\nconst foo = 1;\nexport {};\n");
  h.put("src/old-name.ts", "x\nold line\ny\n");
  h.put("obsolete.txt", "bye\n");
  auto out = patch(h,
                   "*** Begin Patch\n"
                   "*** Add File: path/to/file.txt\n"
                   "+line 1\n"
                   "+line 2\n"
                   "*** Update File: src/app.ts\n"
                   "@@ const a = 1;\n"
                   "-const foo = 1;\n"
                   "+const foo = 2;\n"
                   "*** Update File: src/old-name.ts\n"
                   "*** Move to: src/new-name.ts\n"
                   "@@\n"
                   " x\n"
                   "-old line\n"
                   "+new line\n"
                   "*** Delete File: obsolete.txt\n"
                   "*** End Patch");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_NE(out.text.find("A path/to/file.txt"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("path/to/file.txt"), "line 1\nline 2\n");
  EXPECT_EQ(h.get("src/app.ts"), "const a = 1;\nconst foo = 2;\nexport {};\n");
  EXPECT_FALSE(h.exists("src/old-name.ts"));
  EXPECT_EQ(h.get("src/new-name.ts"), "x\nnew line\ny\n");
  EXPECT_FALSE(h.exists("obsolete.txt"));
}

TEST(FsApplyPatch, EndOfFileHunkAppends) {
  FsToolHarness h;
  h.put("tail.ts", "a\nb\n");
  auto out = patch(h,
                   "*** Begin Patch\n*** Update File: tail.ts\n@@\n+appended last line\n"
                   "*** End of File\n*** End Patch\n");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("tail.ts"), "a\nb\nappended last line\n");
}

TEST(FsApplyPatch, SeveralHunksInOrderAndTrailingWhitespaceTolerated) {
  FsToolHarness h;
  h.put("a.txt", "one\ntwo  \nthree\nfour\nfive\n");
  auto out = patch(h,
                   "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+TWO\n@@\n four\n"
                   "-five\n+FIVE\n*** End Patch");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("a.txt"), "one\nTWO\nthree\nfour\nFIVE\n");
}

// A hunk that does not fit names the file and the hunk, and nothing is written, not even the
// files of earlier operations.
TEST(FsApplyPatch, MissingContextChangesNothing) {
  FsToolHarness h;
  h.put("a.txt", "alpha\nbeta\n");
  h.put("b.txt", "keep\n");
  auto out = patch(h,
                   "*** Begin Patch\n*** Add File: new.txt\n+new\n*** Update File: b.txt\n"
                   "-keep\n+changed\n*** Update File: a.txt\n@@\n alpha\n-gamma\n+delta\n"
                   "*** End Patch");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("a.txt, hunk 1"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("gamma"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("No file was changed"), std::string::npos) << out.text;
  EXPECT_FALSE(h.exists("new.txt"));
  EXPECT_EQ(h.get("b.txt"), "keep\n");
  EXPECT_EQ(h.get("a.txt"), "alpha\nbeta\n");
}

TEST(FsApplyPatch, MissingAtContextLineIsNamed) {
  FsToolHarness h;
  h.put("a.py", "def f():\n    return 1\n");
  auto out = patch(h,
                   "*** Begin Patch\n*** Update File: a.py\n@@ def g():\n-    return 1\n"
                   "+    return 2\n*** End Patch");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("def g():"), std::string::npos) << out.text;
}

TEST(FsApplyPatch, AddOverExistingFileIsRefused) {
  FsToolHarness h;
  h.put("exists.txt", "old\n");
  auto out = patch(h, "*** Begin Patch\n*** Add File: exists.txt\n+new\n*** End Patch");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("already exists"), std::string::npos) << out.text;
  EXPECT_EQ(h.get("exists.txt"), "old\n");

  // Deleting it earlier in the same patch makes the replacement intentional.
  auto replaced = patch(h,
                        "*** Begin Patch\n*** Delete File: exists.txt\n*** Add File: "
                        "exists.txt\n+new\n*** End Patch");
  EXPECT_FALSE(replaced.is_error) << replaced.text;
  EXPECT_EQ(h.get("exists.txt"), "new\n");
}

TEST(FsApplyPatch, MoveOntoExistingFileIsRefused) {
  FsToolHarness h;
  h.put("a.txt", "a\n");
  h.put("b.txt", "b\n");
  auto out = patch(h,
                   "*** Begin Patch\n*** Update File: a.txt\n*** Move to: b.txt\n@@\n-a\n+A\n"
                   "*** End Patch");
  EXPECT_TRUE(out.is_error);
  EXPECT_EQ(h.get("a.txt"), "a\n");
  EXPECT_EQ(h.get("b.txt"), "b\n");
}

TEST(FsApplyPatch, UpdateAndDeleteOfMissingFilesFail) {
  FsToolHarness h;
  auto update = patch(h, "*** Begin Patch\n*** Update File: nope.txt\n@@\n-a\n+b\n*** End Patch");
  EXPECT_TRUE(update.is_error);
  EXPECT_NE(update.text.find("does not exist"), std::string::npos) << update.text;
  auto remove = patch(h, "*** Begin Patch\n*** Delete File: nope.txt\n*** End Patch");
  EXPECT_TRUE(remove.is_error);
}

TEST(FsApplyPatch, MalformedPatchesAreRejected) {
  FsToolHarness h;
  h.put("a.txt", "a\n");
  struct Case {
    std::string input;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"*** Update File: a.txt\n@@\n-a\n+b\n*** End Patch", "Begin Patch"},
           {"*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+b\n", "End Patch"},
           {"*** Begin Patch\n*** End Patch", "no files"},
           {"*** Begin Patch\n*** Add File: x.txt\nno plus\n*** End Patch", "must start with '+'"},
           {"*** Begin Patch\n*** Update File: a.txt\n@@\n*a\n*** End Patch", "patch line 4"},
           {"*** Begin Patch\n*** Update File: a.txt\n*** End Patch", "has no hunks"},
           {"*** Begin Patch\n*** Frobnicate File: a.txt\n*** End Patch", "expected"},
           {"*** Begin Patch\n*** Add File: \n+x\n*** End Patch", "needs a path"},
       }) {
    auto out = patch(h, c.input);
    EXPECT_TRUE(out.is_error) << c.input;
    EXPECT_NE(out.text.find(c.expected), std::string::npos) << c.input << " -> " << out.text;
  }
  EXPECT_EQ(h.get("a.txt"), "a\n");
  EXPECT_EQ(h.call("apply_patch", R"({})").text, "input: required");
}

// tools.exec.applyPatch.workspaceOnly (default on) keeps apply_patch in the workspace even when
// tools.fs.workspaceOnly is off.
TEST(FsApplyPatch, EscapesAreRefusedIndependently) {
  FsToolHarness h;
  h.set_config(R"({"tools":{"fs":{"workspaceOnly":false}}})");
  auto out = patch(h, "*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch");
  EXPECT_TRUE(out.is_error);
  EXPECT_NE(out.text.find("outside the workspace"), std::string::npos) << out.text;
  EXPECT_FALSE(std::filesystem::exists(h.outside() / "escape.txt"));

  std::filesystem::create_directory_symlink("/etc", h.workspace() / "etc");
  auto link = patch(h, "*** Begin Patch\n*** Add File: etc/pincer-test\n+x\n*** End Patch");
  EXPECT_TRUE(link.is_error);

  h.set_config(
      R"({"tools":{"fs":{"workspaceOnly":false},"exec":{"applyPatch":{"workspaceOnly":false}}}})");
  auto allowed = patch(h, "*** Begin Patch\n*** Add File: ../escape.txt\n+x\n*** End Patch");
  EXPECT_FALSE(allowed.is_error) << allowed.text;
  EXPECT_TRUE(std::filesystem::exists(h.outside() / "escape.txt"));
}

// Deleting a symlink removes the link, not what it points to.
TEST(FsApplyPatch, DeleteRemovesTheLinkItself) {
  FsToolHarness h;
  h.put("target.txt", "t\n");
  std::filesystem::create_symlink(h.workspace() / "target.txt", h.workspace() / "link.txt");
  auto out = patch(h, "*** Begin Patch\n*** Delete File: link.txt\n*** End Patch");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_FALSE(std::filesystem::is_symlink(h.workspace() / "link.txt"));
  EXPECT_EQ(h.get("target.txt"), "t\n");
}

TEST(FsApplyPatch, CrlfFilesKeepTheirLineEnds) {
  FsToolHarness h;
  h.put("w.txt", "a\r\nb\r\n");
  auto out = patch(h, "*** Begin Patch\n*** Update File: w.txt\n@@\n a\n-b\n+B\n*** End Patch");
  EXPECT_FALSE(out.is_error) << out.text;
  EXPECT_EQ(h.get("w.txt"), "a\r\nB\r\n");
}

TEST(FsPatchParser, HeredocWrapperAndBareFirstHunk) {
  auto parsed = file_tools::parse_patch(
      "<<'EOF'\n*** Begin Patch\n*** Update File: a.txt\n-a\n+b\n*** End Patch\nEOF\n");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  ASSERT_EQ(parsed->size(), 1U);
  EXPECT_EQ(parsed->at(0).hunks.size(), 1U);
  EXPECT_EQ(parsed->at(0).hunks[0].old_lines, std::vector<std::string>{"a"});
}

TEST(FsPatchParser, ApplyHunksInsertsAfterContext) {
  std::vector<file_tools::PatchHunk> hunks(1);
  hunks[0].context = "b";
  hunks[0].new_lines = {"inserted"};
  auto out = file_tools::apply_hunks("a\nb\nc\n", hunks, "f");
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, "a\nb\ninserted\nc\n");
}

}  // namespace
}  // namespace pincer::tools
