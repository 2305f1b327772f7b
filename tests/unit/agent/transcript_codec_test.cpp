#include "agent/transcript_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace pincer::agent {
namespace {

namespace json = boost::json;
using providers::ImagePart;
using providers::Message;
using providers::Role;
using providers::TextPart;
using providers::ToolCallPart;
using providers::ToolResultPart;

sessions::TranscriptEntry entry(int64_t seq, sessions::EntryKind kind, std::string content) {
  sessions::TranscriptEntry out;
  out.seq = seq;
  out.kind = kind;
  out.content = std::move(content);
  return out;
}

// A tool call, then its result stored the way the runner stores it.
std::vector<sessions::TranscriptEntry> call_and_result(const ToolResultPart& result) {
  Message call{Role::assistant, {ToolCallPart{result.call_id, result.name, json::object{}}}};
  return {
      entry(1, sessions::EntryKind::user, R"([{"type":"text","text":"show me"}])"),
      entry(2, sessions::EntryKind::assistant,
            json::serialize(assistant_entry_json(call, "tool_use", "p", "m", {}))),
      entry(3, sessions::EntryKind::tool_result, json::serialize(tool_result_entry_json(result)))};
}

// Images a tool returned are stored next to its text, in the reference's image part shape.
TEST(TranscriptCodec, ToolResultImagesAreStoredAsImageParts) {
  ToolResultPart result{"toolu_1", "read", "Read image file [image/png]", false};
  result.images.push_back(ImagePart{"image/png", "iVBORw0KGgo="});
  json::value expected = json::parse(R"({"role":"toolResult","toolCallId":"toolu_1",
    "toolName":"read","content":[{"type":"text","text":"Read image file [image/png]"},
    {"type":"image","data":"iVBORw0KGgo=","mimeType":"image/png"}],"isError":false})");
  EXPECT_EQ(json::value(tool_result_entry_json(result)), expected);
}

// What is stored comes back as the same tool result, images included, for later turns' history.
TEST(TranscriptCodec, ToolResultImagesRoundTrip) {
  ToolResultPart result{"toolu_1", "read", "two images", true};
  result.images.push_back(ImagePart{"image/png", "iVBORw0KGgo="});
  result.images.push_back(ImagePart{"image/jpeg", "/9j/4AA="});
  std::vector<Message> history = history_from_entries(call_and_result(result));
  ASSERT_EQ(history.size(), 3U);
  ASSERT_EQ(history[2].parts.size(), 1U);
  const auto* back = std::get_if<ToolResultPart>(&history[2].parts[0]);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->call_id, "toolu_1");
  EXPECT_EQ(back->name, "read");
  EXPECT_EQ(back->text, "two images");
  EXPECT_TRUE(back->is_error);
  ASSERT_EQ(back->images.size(), 2U);
  EXPECT_EQ(back->images[0].media_type, "image/png");
  EXPECT_EQ(back->images[0].data, "iVBORw0KGgo=");
  EXPECT_EQ(back->images[1].media_type, "image/jpeg");
  EXPECT_EQ(back->images[1].data, "/9j/4AA=");
}

// Entries written before tool results carried images load as text-only results, and a text-only
// result is stored exactly as before.
TEST(TranscriptCodec, TextOnlyToolResultsReadAndWriteAsBefore) {
  EXPECT_EQ(json::serialize(tool_result_entry_json(ToolResultPart{"t1", "exec", "ok", false})),
            R"({"role":"toolResult","toolCallId":"t1","toolName":"exec",)"
            R"("content":[{"type":"text","text":"ok"}],"isError":false})");
  std::vector<sessions::TranscriptEntry> entries =
      call_and_result(ToolResultPart{"t1", "exec", "", false});
  entries.back().content = R"({"role":"toolResult","toolCallId":"t1","toolName":"exec",)"
                           R"("content":[{"type":"text","text":"old output"}],"isError":false})";
  std::vector<Message> history = history_from_entries(entries);
  ASSERT_EQ(history.size(), 3U);
  const auto* back = std::get_if<ToolResultPart>(&history[2].parts[0]);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->text, "old output");
  EXPECT_TRUE(back->images.empty());
}

}  // namespace
}  // namespace pincer::agent
