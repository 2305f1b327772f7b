#include "providers/sse_parser.hpp"

#include <cstring>

namespace pincer::providers {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

const char* find_byte(const char* begin, const char* end, char byte) {
  return static_cast<const char*>(std::memchr(begin, byte, static_cast<std::size_t>(end - begin)));
}

}  // namespace

Status SseParser::line_too_long() const {
  std::string limit = max_line_bytes_ % (1024 * 1024) == 0
                          ? std::to_string(max_line_bytes_ / (1024 * 1024)) + " MiB"
                          : std::to_string(max_line_bytes_) + " bytes";
  return fail(Errc::parse, "the model stream sent a server-sent-event line longer than " + limit,
              "the server is not speaking text/event-stream; check the provider's base URL");
}

Status SseParser::feed_impl(std::string_view bytes, Callback on_event) {
  if (!bom_done_) {
    while (!bytes.empty() && bom_matched_ < kBom.size()) {
      if (bytes.front() != kBom[bom_matched_]) {
        line_.append(kBom.substr(0, bom_matched_));  // not a BOM after all: those bytes are text
        bom_done_ = true;
        break;
      }
      ++bom_matched_;
      bytes.remove_prefix(1);
    }
    if (bom_matched_ == kBom.size()) {
      bom_done_ = true;
    }
    if (!bom_done_) {
      return {};
    }
  }
  if (skip_lf_ && !bytes.empty()) {
    if (bytes.front() == '\n') {
      bytes.remove_prefix(1);
    }
    skip_lf_ = false;
  }

  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while (p < end && !stopped_) {
    // Lines end mostly in \n; a \r before it is either its CRLF partner or a line of its own.
    const char* lf = find_byte(p, end, '\n');
    if (lf == nullptr) {
      lf = end;
    }
    const char* cr = find_byte(p, lf, '\r');
    const char* eol = nullptr;
    const char* next = nullptr;
    if (cr != nullptr) {
      eol = cr;
      if (cr + 1 == lf && lf != end) {
        next = lf + 1;
      } else if (cr + 1 == end) {
        next = end;
        skip_lf_ = true;
      } else {
        next = cr + 1;
      }
    } else if (lf != end) {
      eol = lf;
      next = lf + 1;
    } else {
      if (line_.size() + static_cast<std::size_t>(end - p) > max_line_bytes_) {
        return line_too_long();
      }
      line_.append(p, end);
      break;
    }

    std::string_view piece(p, static_cast<std::size_t>(eol - p));
    if (line_.empty()) {
      if (piece.size() > max_line_bytes_) {
        return line_too_long();
      }
      if (auto status = process_line(piece, on_event); !status) {
        return status;
      }
    } else {
      if (line_.size() + piece.size() > max_line_bytes_) {
        return line_too_long();
      }
      line_.append(piece);
      if (auto status = process_line(line_, on_event); !status) {
        return status;
      }
      own_pending_data();  // it may view line_, which is about to be reused
      line_.clear();
    }
    p = next;
  }
  if (!stopped_) {
    own_pending_data();  // the caller's bytes go away when we return
  }
  return {};
}

Status SseParser::finish_impl(Callback on_event) {
  skip_lf_ = false;
  if (stopped_) {
    return {};
  }
  if (!line_.empty()) {
    if (auto status = process_line(line_, on_event); !status) {
      return status;
    }
    own_pending_data();
    line_.clear();
  }
  if (!stopped_ && has_data_) {
    return process_line({}, on_event);
  }
  return {};
}

Status SseParser::process_line(std::string_view line, Callback& on_event) {
  if (line.empty()) {
    if (!has_data_) {
      event_.clear();
      return {};
    }
    SseEvent event{event_, data_owned_ ? std::string_view(data_) : data_view_, last_event_id_};
    bool keep_going = on_event(event);
    has_data_ = false;
    data_owned_ = false;
    data_view_ = {};
    data_.clear();
    event_.clear();
    stopped_ = !keep_going;
    return {};
  }
  if (line.front() == ':') {
    return {};  // a comment (servers send these as keep-alives)
  }
  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
  }
  if (field == "data") {
    return append_data(value);
  }
  if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      last_event_id_.assign(value);
    }
  } else if (field == "retry") {
    bool digits = !value.empty() && value.size() <= 12;
    std::int64_t ms = 0;
    for (char c : value) {
      digits = digits && c >= '0' && c <= '9';
      ms = ms * 10 + (c - '0');
    }
    if (digits) {
      retry_ = std::chrono::milliseconds(ms);
    }
  }
  return {};  // other fields are ignored, as the spec says
}

Status SseParser::append_data(std::string_view value) {
  if (!has_data_) {
    has_data_ = true;
    data_owned_ = false;
    data_view_ = value;
    return {};
  }
  own_pending_data();
  if (data_.size() + 1 + value.size() > max_line_bytes_) {
    return line_too_long();
  }
  data_.push_back('\n');
  data_.append(value);
  return {};
}

void SseParser::own_pending_data() {
  if (has_data_ && !data_owned_) {
    data_.assign(data_view_);
    data_owned_ = true;
    data_view_ = {};
  }
}

}  // namespace pincer::providers
