// `read`: a window of a text file's lines, or an image file as an image.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/base64.hpp"
#include "tools/fs/file_content.hpp"
#include "tools/fs/file_descriptor.hpp"
#include "tools/fs/file_operations.hpp"

namespace pincer::tools::file_tools {

namespace {

// Lines are counted to the end of the file for the "of N" note, but no further than this.
constexpr std::size_t kMaxCountBytes = std::size_t{64} * 1024 * 1024;
constexpr std::size_t kChunkBytes = 64 * 1024;

std::string human_size(uint64_t bytes) {
  if (bytes < 1024) {
    return std::to_string(bytes) + " bytes";
  }
  if (bytes < uint64_t{1024} * 1024) {
    return std::to_string(bytes / 1024) + " KB";
  }
  return std::to_string(bytes / (uint64_t{1024} * 1024)) + " MB";
}

agent::ToolOutput read_image(int fd, uint64_t size, const std::string& media_type,
                             const std::string& shown) {
  if (size > kReadMaxImageBytes) {
    return agent::ToolOutput::failure(shown + " is a " + media_type + " image of " +
                                      human_size(size) + "; read returns images up to " +
                                      human_size(kReadMaxImageBytes) +
                                      ". Scale it down first (e.g. with exec).");
  }
  auto bytes = read_all(fd, size);
  if (!bytes) {
    return agent::ToolOutput::failure("cannot read " + shown + ": " + bytes.error().message);
  }
  agent::ToolOutput out;
  out.text = "Read image file " + shown + " [" + media_type + ", " + human_size(size) + "]";
  out.images.push_back({.media_type = media_type, .data = core::base64_encode(*bytes)});
  return out;
}

}  // namespace

agent::ToolOutput read_file(const ReadRequest& request, const FsScope& scope) {
  auto resolved = resolve_tool_path(request.path, scope);
  if (!resolved) {
    return agent::ToolOutput::failure(resolved.error().describe());
  }
  const std::string shown = display_path(*resolved, scope);
  auto opened = open_regular_file(*resolved, shown);
  if (!opened) {
    return agent::ToolOutput::failure(opened.error().describe());
  }
  const int fd = opened->fd.get();
  const uint64_t size = opened->size;

  std::string head(std::min<uint64_t>(size, 8192), '\0');
  auto head_read = read_at(fd, head.data(), head.size(), 0);
  if (!head_read) {
    return agent::ToolOutput::failure("cannot read " + shown + ": " + head_read.error().message);
  }
  head.resize(*head_read);
  if (auto media_type = image_media_type(head)) {
    return read_image(fd, size, *media_type, shown);
  }
  if (looks_binary(head)) {
    return agent::ToolOutput::failure(
        shown + " looks like a binary file (" + human_size(size) +
        "); read returns text and images (png, jpeg, gif, webp) only. Inspect it "
        "with exec instead (e.g. file, xxd | head, unzip -l).");
  }

  const int64_t first = request.offset.value_or(1);
  const int64_t max_lines = std::min(request.limit.value_or(kReadMaxLines), kReadMaxLines);
  const bool user_limited = request.limit && *request.limit <= kReadMaxLines;

  std::string out;
  int64_t line = 1;           // the line `pending` belongs to
  int64_t last_shown = 0;     // last line put in `out`
  bool capped = false;        // stopped by the line or byte cap, not the file's end
  bool line_cut = false;      // one line alone was over the byte cap
  bool counting_cut = false;  // stopped counting lines before the end
  std::string pending;        // the current line so far
  uint64_t position = 0;
  std::string chunk(kChunkBytes, '\0');

  auto take_line = [&](std::string_view text) {
    if (line < first || capped) {
      return;
    }
    if (line - first >= max_lines) {
      capped = true;
      return;
    }
    std::size_t needed = text.size() + (out.empty() ? 0 : 1);
    if (out.size() + needed > kReadMaxBytes) {
      if (last_shown == 0) {  // a single line bigger than the cap: show its start
        out.append(text.substr(0, utf8_prefix_length(text, kReadMaxBytes)));
        last_shown = line;
        line_cut = true;
      }
      capped = true;
      return;
    }
    if (!out.empty()) {
      out += '\n';
    }
    out.append(text);
    last_shown = line;
  };

  bool at_end = false;
  bool ends_with_newline = false;
  while (!at_end) {
    auto got = read_at(fd, chunk.data(), chunk.size(), position);
    if (!got) {
      return agent::ToolOutput::failure("cannot read " + shown + ": " + got.error().message);
    }
    if (*got == 0) {
      at_end = true;
      break;
    }
    position += *got;
    std::string_view data(chunk.data(), *got);
    ends_with_newline = data.back() == '\n';
    std::size_t start = 0;
    while (true) {
      std::size_t newline = data.find('\n', start);
      if (newline == std::string_view::npos) {
        // Only keep what a shown line could need; a gigantic line must not fill memory.
        if (line >= first && !capped && pending.size() < kReadMaxBytes + 4) {
          pending.append(data.substr(start));
        }
        break;
      }
      if (pending.empty()) {
        take_line(data.substr(start, newline - start));
      } else {
        if (line >= first && !capped) {
          pending.append(data.substr(start, newline - start));
        }
        take_line(pending);
        pending.clear();
      }
      ++line;
      start = newline + 1;
    }
    if (capped && position > kMaxCountBytes) {
      counting_cut = true;
      break;
    }
  }
  // A last line without a newline still counts.
  int64_t total_lines = line - 1;
  if (at_end && !ends_with_newline && position > 0) {
    take_line(pending);
    total_lines = line;
  }

  if (size == 0 || total_lines == 0) {
    return {.text = shown + " is empty."};
  }
  if (last_shown == 0) {
    if (first > total_lines && !counting_cut) {
      return agent::ToolOutput::failure("offset " + std::to_string(first) +
                                        " is beyond the end of " + shown + " (" +
                                        std::to_string(total_lines) + " lines).");
    }
  }
  std::string text = valid_utf8(out);
  const int64_t next = last_shown + 1;
  const bool more = counting_cut || last_shown < total_lines;
  if (line_cut) {
    text += "\n\n[Line " + std::to_string(last_shown) + " is longer than " +
            human_size(kReadMaxBytes) +
            "; only its start is shown. Use exec (e.g. cut -c) to "
            "see the rest.";
    text += more ? " Use offset=" + std::to_string(next) + " to continue.]" : "]";
  } else if (more && capped && !(user_limited && last_shown - first + 1 >= max_lines)) {
    std::string of =
        counting_cut ? "more than " + std::to_string(last_shown) : std::to_string(total_lines);
    text += "\n\n[Showing lines " + std::to_string(first) + "-" + std::to_string(last_shown) +
            " of " + of + " (" + human_size(kReadMaxBytes) + " or " +
            std::to_string(kReadMaxLines) + " lines per read). Use offset=" + std::to_string(next) +
            " to continue.]";
  } else if (more) {
    std::string count = counting_cut ? "More" : std::to_string(total_lines - last_shown) + " more";
    text +=
        "\n\n[" + count + " lines in file. Use offset=" + std::to_string(next) + " to continue.]";
  }
  return {.text = std::move(text)};
}

}  // namespace pincer::tools::file_tools
