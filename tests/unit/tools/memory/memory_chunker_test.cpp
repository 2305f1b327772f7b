#include "tools/memory/memory_chunker.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pincer::tools::memory {
namespace {

std::string numbered_lines(int count, std::size_t width) {
  std::string text;
  for (int i = 1; i <= count; ++i) {
    std::string line = "line " + std::to_string(i) + " ";
    line.resize(width, 'x');
    text += line + "\n";
  }
  return text;
}

// A heading starts a new passage; line numbers are 1-based and skip the blank edges.
TEST(MemoryChunker, HeadingsStartPassages) {
  auto chunks = chunk_markdown("# Title\nintro\n\n## Deploy\nuse blue-green\n\n## Cats\nmilo\n");
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].start_line, 1);
  EXPECT_EQ(chunks[0].end_line, 2);
  EXPECT_EQ(chunks[0].text, "# Title\nintro");
  EXPECT_EQ(chunks[1].start_line, 4);
  EXPECT_EQ(chunks[1].end_line, 5);
  EXPECT_EQ(chunks[2].start_line, 7);
  EXPECT_EQ(chunks[2].end_line, 8);
  EXPECT_EQ(chunks[2].text, "## Cats\nmilo");
}

// A '#' line inside a code fence is code, not a heading.
TEST(MemoryChunker, FencedHashIsNotAHeading) {
  auto chunks = chunk_markdown("notes\n```sh\n# a comment\nls\n```\nafter\n");
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].start_line, 1);
  EXPECT_EQ(chunks[0].end_line, 6);
}

// Long text is cut at max_chars with overlapping lines, and every line is in some passage.
TEST(MemoryChunker, SizeCutsOverlap) {
  ChunkingOptions options{200, 60};
  auto chunks = chunk_markdown(numbered_lines(40, 39), options);  // 40 chars per line with \n
  ASSERT_GT(chunks.size(), 5u);
  int64_t covered = 0;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].text.size(), options.max_chars);
    EXPECT_LE(chunks[i].start_line, covered + 1) << "gap before passage " << i;
    if (i > 0) {
      EXPECT_LT(chunks[i].start_line, chunks[i - 1].end_line + 1) << "no overlap at " << i;
    }
    covered = chunks[i].end_line;
  }
  EXPECT_EQ(covered, 40);
  // The text of a passage is exactly its lines.
  EXPECT_EQ(chunks[1].text.substr(0, 5 + std::to_string(chunks[1].start_line).size()),
            "line " + std::to_string(chunks[1].start_line));
}

// One huge line is cut into pieces that all cite that line, without splitting UTF-8.
TEST(MemoryChunker, HugeLineCutOnUtf8Boundaries) {
  std::string line;
  for (int i = 0; i < 300; ++i) {
    line += "é";  // 2 bytes
  }
  auto chunks = chunk_markdown("first\n" + line + "\nlast", ChunkingOptions{101, 0});
  ASSERT_GE(chunks.size(), 5u);
  std::string joined;
  for (const auto& chunk : chunks) {
    if (chunk.start_line == 2) {
      EXPECT_EQ(chunk.end_line, 2);
      EXPECT_EQ(chunk.text.size() % 2, 0u);
      joined += chunk.text;
    }
  }
  EXPECT_EQ(joined, line);
  EXPECT_EQ(chunks.back().text, "last");
  EXPECT_EQ(chunks.back().start_line, 3);
}

TEST(MemoryChunker, EmptyAndBlankTextHaveNoPassages) {
  EXPECT_TRUE(chunk_markdown("").empty());
  EXPECT_TRUE(chunk_markdown("\n\n   \n").empty());
  auto crlf = chunk_markdown("a\r\nb\r\n");
  ASSERT_EQ(crlf.size(), 1u);
  EXPECT_EQ(crlf[0].text, "a\nb");
}

}  // namespace
}  // namespace pincer::tools::memory
