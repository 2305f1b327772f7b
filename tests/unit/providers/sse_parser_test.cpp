#include "providers/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pincer::providers {
namespace {

struct Seen {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Seen&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Seen& seen) {
  return out << "{" << seen.type << "|" << seen.data << "|" << seen.id << "}";
}

// Feeds `pieces` one by one, then finishes; returns the events seen.
std::vector<Seen> parse(const std::vector<std::string>& pieces, SseParser& parser) {
  std::vector<Seen> seen;
  auto collect = [&](const SseEvent& event) {
    seen.push_back(
        {std::string(event.type), std::string(event.data), std::string(event.last_event_id)});
  };
  for (const auto& piece : pieces) {
    auto status = parser.feed(piece, collect);
    EXPECT_TRUE(status) << status.error().message;
  }
  EXPECT_TRUE(parser.finish(collect));
  return seen;
}

std::vector<Seen> parse(const std::vector<std::string>& pieces) {
  SseParser parser;
  return parse(pieces, parser);
}

// A stream using every line ending, a BOM, comments, multi-line data, ids and an event split
// by a CR at the end of one piece and its LF at the start of the next.
const std::string kSample =
    "\xEF\xBB\xBF: keep-alive\r\n"
    "event: message_start\r\n"
    "data: {\"type\":\"message_start\"}\r\n"
    "\r\n"
    "event:content_block_delta\n"
    "id: 7\n"
    "data: line one\n"
    "data:  line two\n"
    "\n"
    "data: bare cr\r\r"
    "retry: 1500\n"
    "data\n"
    "\n"
    "event: ignored without data\n"
    "\n"
    "data: [DONE]\n\n";

const std::vector<Seen> kSampleEvents = {
    {"message_start", "{\"type\":\"message_start\"}", ""},
    {"content_block_delta", "line one\n line two", "7"},
    {"", "bare cr", "7"},
    {"", "", "7"},
    {"", "[DONE]", "7"},
};

// The whole stream in one piece reads as the spec says.
TEST(SseParser, ReadsEveryFieldAndLineEnding) {
  SseParser parser;
  EXPECT_EQ(parse({kSample}, parser), kSampleEvents);
  ASSERT_TRUE(parser.retry().has_value());
  EXPECT_EQ(parser.retry()->count(), 1500);
  EXPECT_EQ(parser.last_event_id(), "7");
}

// However the network splits the bytes, the events are the same.
TEST(SseParser, EverySplitPositionGivesTheSameEvents) {
  for (std::size_t cut = 0; cut <= kSample.size(); ++cut) {
    EXPECT_EQ(parse({kSample.substr(0, cut), kSample.substr(cut)}), kSampleEvents)
        << "split at " << cut;
  }
  for (std::size_t a = 0; a <= kSample.size(); a += 3) {
    for (std::size_t b = a; b <= kSample.size(); b += 5) {
      EXPECT_EQ(parse({kSample.substr(0, a), kSample.substr(a, b - a), kSample.substr(b)}),
                kSampleEvents)
          << "split at " << a << " and " << b;
    }
  }
}

// One byte at a time is the worst case for the line buffer.
TEST(SseParser, ByteByByte) {
  std::vector<std::string> bytes;
  for (char c : kSample) {
    bytes.emplace_back(1, c);
  }
  EXPECT_EQ(parse(bytes), kSampleEvents);
}

// A CR ending one piece and an LF starting the next are one line ending, not two.
TEST(SseParser, CrLfSplitAcrossPiecesIsOneLineEnding) {
  EXPECT_EQ(parse({"data: a\r", "\ndata: b\r", "\n\r", "\n"}),
            (std::vector<Seen>{{"", "a\nb", ""}}));
}

// A stream that stops without its final blank line still delivers its last event.
TEST(SseParser, FinishFlushesAnUnterminatedEvent) {
  EXPECT_EQ(parse({"event: done\ndata: {\"x\":1}"}),
            (std::vector<Seen>{{"done", "{\"x\":1}", ""}}));
  EXPECT_EQ(parse({"data: a\n"}), (std::vector<Seen>{{"", "a", ""}}));
  EXPECT_TRUE(parse({"event: only\n"}).empty());
}

// Malformed lines are ignored rather than failing the stream.
TEST(SseParser, IgnoresUnknownFieldsAndBadRetry) {
  SseParser parser;
  const char raw[] = "bogus line\nretry: 12x\nfoo: bar\nid: a\0b\ndata: ok\n\n";
  std::string stream(raw, sizeof raw - 1);
  auto seen = parse({stream}, parser);
  EXPECT_EQ(seen, (std::vector<Seen>{{"", "ok", ""}}));
  EXPECT_FALSE(parser.retry().has_value());
}

// A line beyond the limit fails with a message naming the limit, in one piece or many.
TEST(SseParser, RejectsOverlongLines) {
  auto ignore = [](const SseEvent&) {};
  {
    SseParser parser(1024 * 1024);
    std::string line = "data: " + std::string(1024 * 1024, 'x') + "\n\n";
    auto status = parser.feed(line, ignore);
    ASSERT_FALSE(status);
    EXPECT_NE(status.error().message.find("1 MiB"), std::string::npos) << status.error().message;
  }
  {
    SseParser parser(64);
    std::string piece(40, 'x');
    EXPECT_TRUE(parser.feed(piece, ignore));
    EXPECT_FALSE(parser.feed(piece, ignore));
  }
  {
    // Many short data lines add up to one oversized event.
    SseParser parser(64);
    std::string lines;
    for (int i = 0; i < 10; ++i) {
      lines += "data: 0123456789\n";
    }
    EXPECT_FALSE(parser.feed(lines, ignore));
  }
}

// Returning false from the callback stops parsing at that event.
TEST(SseParser, CallbackCanStop) {
  SseParser parser;
  int calls = 0;
  auto stop_after_first = [&](const SseEvent&) {
    ++calls;
    return false;
  };
  EXPECT_TRUE(parser.feed("data: 1\n\ndata: 2\n\n", stop_after_first));
  EXPECT_EQ(calls, 1);
}

// Bytes that start like a BOM but are not one are kept as text.
TEST(SseParser, PartialBomIsText) {
  EXPECT_EQ(parse({"\xEF", "data: x\n\n"}).size(), 0U);  // "\xEFdata" is an unknown field
  EXPECT_EQ(parse({"\xEF\xBB", "\xBF", "data: x\n\n"}), (std::vector<Seen>{{"", "x", ""}}));
}

}  // namespace
}  // namespace pincer::providers
