#pragma once
// The content pincer_transcript_writer stores for entry `seq`, shared with the crash test that
// checks it: a JSON array with a text long enough that a few entries fill a page.

#include <cstdint>
#include <string>

namespace pincer::sessions::testing {

inline std::string content_for(int64_t seq) {
  std::string text = "entry " + std::to_string(seq) + " ";
  while (text.size() < 400) {
    text += static_cast<char>('a' + (seq + static_cast<int64_t>(text.size())) % 26);
  }
  return "[{\"type\":\"text\",\"text\":\"" + text + "\"}]";
}

}  // namespace pincer::sessions::testing
