#include "tools/exec/output_log.hpp"

#include <algorithm>

namespace pincer::tools {

void OutputLog::append(std::string_view bytes) {
  total_ += bytes.size();
  if (head_.size() < head_cap_ && tail_.empty()) {
    std::size_t take = std::min(bytes.size(), head_cap_ - head_.size());
    head_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
  if (bytes.empty()) {
    return;
  }
  if (bytes.size() >= tail_cap_) {
    tail_.assign(bytes.substr(bytes.size() - tail_cap_));
    tail_skip_ = 0;
    return;
  }
  tail_.append(bytes);
  std::size_t live = tail_.size() - tail_skip_;
  if (live > tail_cap_) {
    tail_skip_ += live - tail_cap_;
  }
  if (tail_skip_ > tail_cap_) {
    tail_.erase(0, tail_skip_);
    tail_skip_ = 0;
  }
}

std::string OutputLog::drop_marker(uint64_t bytes) {
  return "\n[... " + std::to_string(bytes) + " bytes of output dropped ...]\n";
}

std::string OutputLog::read_from(uint64_t from, uint64_t* skipped) const {
  std::string out;
  uint64_t lost = 0;
  const uint64_t tail_live = tail_.size() - tail_skip_;
  const uint64_t tail_start = total_ - tail_live;  // offset of the first tail byte
  if (from < head_.size()) {
    out.append(head_, static_cast<std::size_t>(from));
    from = head_.size();
  }
  if (from < tail_start) {
    lost = tail_start - from;
    out += drop_marker(lost);
    from = tail_start;
  }
  if (from < total_) {
    out.append(tail_, tail_skip_ + static_cast<std::size_t>(from - tail_start));
  }
  if (skipped != nullptr) {
    *skipped = lost;
  }
  return out;
}

}  // namespace pincer::tools
