#pragma once
// A command's output as a byte stream with bounded memory. The first `head_cap` bytes are kept
// (they say what the command is doing), then a rolling window of the last `tail_cap` bytes (they
// say how it ended); whatever falls between is counted but dropped. Offsets are absolute
// positions in the stream, so a reader (a `process poll`) can ask for "everything since offset
// N" and learn how much of it was dropped.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pincer::tools {

class OutputLog {
 public:
  OutputLog(std::size_t head_cap, std::size_t tail_cap)
      : head_cap_(head_cap), tail_cap_(tail_cap) {}

  void append(std::string_view bytes);

  uint64_t total() const { return total_; }                 // bytes ever appended
  uint64_t dropped() const { return total_ - retained(); }  // bytes lost between head and tail
  uint64_t retained() const { return head_.size() + (tail_.size() - tail_skip_); }

  // The retained bytes at offsets >= `from`, with `*skipped` (when given) set to the number of
  // bytes at those offsets that were dropped; a marker line stands where they were.
  std::string read_from(uint64_t from, uint64_t* skipped = nullptr) const;

  // Everything retained, with a marker line where bytes were dropped.
  std::string text() const { return read_from(0); }

  static std::string drop_marker(uint64_t bytes);

 private:
  std::size_t head_cap_;
  std::size_t tail_cap_;
  uint64_t total_ = 0;
  std::string head_;
  // The tail window is tail_[tail_skip_ ...]; the skipped prefix is erased in batches so each
  // append is amortised O(bytes).
  std::string tail_;
  std::size_t tail_skip_ = 0;
};

}  // namespace pincer::tools
