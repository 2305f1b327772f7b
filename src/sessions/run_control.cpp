#include "sessions/run_control.hpp"

#include <iterator>

namespace pincer::sessions {

namespace {
constexpr std::size_t kSummaryChars = 100;
}

std::string summarize_dropped(const InboundMessage& message) {
  std::string_view text = message.text;
  text = text.substr(0, text.find('\n'));
  if (text.size() <= kSummaryChars) {
    return std::string(text);
  }
  std::size_t cut = kSummaryChars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
    --cut;  // do not split a UTF-8 sequence
  }
  return std::string(text.substr(0, cut)) + "…";
}

std::vector<InboundMessage> RunControl::take_steering() {
  std::vector<InboundMessage> out(std::make_move_iterator(mailbox_.begin()),
                                  std::make_move_iterator(mailbox_.end()));
  mailbox_.clear();
  return out;
}

void RunControl::abort() {
  if (aborted_) {
    return;
  }
  aborted_ = true;
  accepts_steering_ = false;
  abort_signal_.emit(boost::asio::cancellation_type::terminal);
}

}  // namespace pincer::sessions
