#include "tools/fs/patch.hpp"

#include <optional>

#include "core/text.hpp"

namespace pincer::tools::file_tools {

namespace {

constexpr std::string_view kBegin = "*** Begin Patch";
constexpr std::string_view kEnd = "*** End Patch";
constexpr std::string_view kAdd = "*** Add File:";
constexpr std::string_view kDelete = "*** Delete File:";
constexpr std::string_view kUpdate = "*** Update File:";
constexpr std::string_view kMove = "*** Move to:";
constexpr std::string_view kEndOfFile = "*** End of File";

std::string_view trim_end(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

bool is_file_header(std::string_view line) {
  line = trim_end(line);
  return line.starts_with(kAdd) || line.starts_with(kDelete) || line.starts_with(kUpdate) ||
         line == kEnd;
}

std::unexpected<Error> patch_error(std::size_t line, std::string message) {
  return fail(Errc::invalid_argument, "patch line " + std::to_string(line) + ": " + message);
}

Result<std::string> header_path(std::string_view line, std::string_view marker,
                                std::size_t number) {
  std::string path(core::trim(trim_end(line).substr(marker.size())));
  if (path.empty()) {
    return patch_error(number, "\"" + std::string(core::trim(marker)) + "\" needs a path");
  }
  return path;
}

}  // namespace

Result<std::vector<FilePatch>> parse_patch(std::string_view input) {
  std::vector<std::string_view> lines = split_lines(input);
  // Blank lines around the patch, and a shell heredoc wrapper (<<'EOF' ... EOF), are tolerated.
  std::size_t first = 0;
  std::size_t last = lines.size();
  while (first < last && core::trim(lines[first]).empty()) {
    ++first;
  }
  while (last > first && core::trim(lines[last - 1]).empty()) {
    --last;
  }
  if (last - first >= 2 && core::trim(lines[first]).starts_with("<<") &&
      core::trim(lines[first + 1]) == kBegin) {
    ++first;
    --last;
  }
  if (first == last || trim_end(core::trim(lines[first])) != kBegin) {
    return fail(Errc::invalid_argument, "the patch must start with \"*** Begin Patch\"");
  }
  if (last - first < 2 || core::trim(lines[last - 1]) != kEnd) {
    return fail(Errc::invalid_argument, "the patch must end with \"*** End Patch\"");
  }

  std::vector<FilePatch> patches;
  std::size_t i = first + 1;
  const std::size_t end = last - 1;
  auto number = [&](std::size_t index) { return index - first + 1; };
  while (i < end) {
    std::string_view line = trim_end(lines[i]);
    FilePatch patch;
    patch.patch_line = number(i);
    if (line.starts_with(kAdd)) {
      patch.action = PatchAction::add;
      auto path = header_path(line, kAdd, number(i));
      if (!path) {
        return std::unexpected(path.error());
      }
      patch.path = std::move(*path);
      ++i;
      while (i < end && !is_file_header(lines[i])) {
        if (!lines[i].starts_with('+')) {
          return patch_error(
              number(i), "in \"*** Add File:" + patch.path + "\" every line must start with '+'");
        }
        patch.content.append(lines[i].substr(1));
        patch.content += '\n';
        ++i;
      }
    } else if (line.starts_with(kDelete)) {
      patch.action = PatchAction::remove;
      auto path = header_path(line, kDelete, number(i));
      if (!path) {
        return std::unexpected(path.error());
      }
      patch.path = std::move(*path);
      ++i;
    } else if (line.starts_with(kUpdate)) {
      patch.action = PatchAction::update;
      auto path = header_path(line, kUpdate, number(i));
      if (!path) {
        return std::unexpected(path.error());
      }
      patch.path = std::move(*path);
      ++i;
      if (i < end && trim_end(lines[i]).starts_with(kMove)) {
        auto to = header_path(lines[i], kMove, number(i));
        if (!to) {
          return std::unexpected(to.error());
        }
        patch.move_to = std::move(*to);
        ++i;
      }
      std::optional<PatchHunk> hunk;
      auto finish_hunk = [&]() -> Status {
        if (hunk) {
          if (hunk->old_lines.empty() && hunk->new_lines.empty()) {
            return patch_error(hunk->patch_line, "empty hunk in \"" + patch.path + "\"");
          }
          patch.hunks.push_back(std::move(*hunk));
          hunk.reset();
        }
        return {};
      };
      while (i < end && !is_file_header(lines[i])) {
        std::string_view text = lines[i];
        if (trim_end(text) == "@@" || text.starts_with("@@ ")) {
          if (auto done = finish_hunk(); !done) {
            return std::unexpected(done.error());
          }
          hunk = PatchHunk{.patch_line = number(i)};
          if (text.starts_with("@@ ")) {
            hunk->context = std::string(trim_end(text.substr(3)));
          }
        } else if (trim_end(text) == kEndOfFile) {
          if (!hunk) {
            return patch_error(number(i), "\"*** End of File\" must follow a hunk");
          }
          hunk->end_of_file = true;
          if (auto done = finish_hunk(); !done) {
            return std::unexpected(done.error());
          }
        } else {
          if (!hunk) {
            if (!patch.hunks.empty()) {
              return patch_error(number(i), "expected \"@@\" to start the next hunk of \"" +
                                                patch.path + "\", got \"" + std::string(text) +
                                                "\"");
            }
            hunk = PatchHunk{.patch_line = number(i)};  // the first hunk may omit "@@"
          }
          if (text.empty()) {
            hunk->old_lines.emplace_back();
            hunk->new_lines.emplace_back();
          } else if (text[0] == ' ') {
            hunk->old_lines.emplace_back(text.substr(1));
            hunk->new_lines.emplace_back(text.substr(1));
          } else if (text[0] == '-') {
            hunk->old_lines.emplace_back(text.substr(1));
          } else if (text[0] == '+') {
            hunk->new_lines.emplace_back(text.substr(1));
          } else {
            return patch_error(number(i), "unexpected line in a hunk of \"" + patch.path +
                                              "\": \"" + std::string(text) +
                                              "\"; hunk lines start with ' ', '-' or '+'");
          }
        }
        ++i;
      }
      if (auto done = finish_hunk(); !done) {
        return std::unexpected(done.error());
      }
      if (patch.hunks.empty() && patch.move_to.empty()) {
        return patch_error(patch.patch_line, "\"*** Update File:" + patch.path + "\" has no hunks");
      }
    } else if (core::trim(line).empty()) {
      ++i;
      continue;
    } else {
      return patch_error(number(i),
                         "expected \"*** Add File:\", \"*** Delete File:\", "
                         "\"*** Update File:\" or \"*** End Patch\", got \"" +
                             std::string(line) + "\"");
    }
    patches.push_back(std::move(patch));
  }
  if (patches.empty()) {
    return fail(Errc::invalid_argument, "the patch changes no files");
  }
  return patches;
}

namespace {

enum class Fuzz { exact, trailing, surrounding };

bool same_line(std::string_view a, std::string_view b, Fuzz fuzz) {
  switch (fuzz) {
    case Fuzz::exact:
      return a == b;
    case Fuzz::trailing:
      return trim_end(a) == trim_end(b);
    case Fuzz::surrounding:
      return core::trim(a) == core::trim(b);
  }
  return false;
}

// First index >= start where `pattern` matches `lines`; with end_of_file the match at the very
// end is preferred.
std::optional<std::size_t> seek(const std::vector<std::string>& lines,
                                const std::vector<std::string>& pattern, std::size_t start,
                                bool end_of_file) {
  if (pattern.size() > lines.size()) {
    return std::nullopt;
  }
  const std::size_t last_start = lines.size() - pattern.size();
  for (Fuzz fuzz : {Fuzz::exact, Fuzz::trailing, Fuzz::surrounding}) {
    auto matches_at = [&](std::size_t at) {
      for (std::size_t k = 0; k < pattern.size(); ++k) {
        if (!same_line(lines[at + k], pattern[k], fuzz)) {
          return false;
        }
      }
      return true;
    };
    if (end_of_file && last_start >= start && matches_at(last_start)) {
      return last_start;
    }
    for (std::size_t at = start; at <= last_start; ++at) {
      if (matches_at(at)) {
        return at;
      }
    }
  }
  return std::nullopt;
}

std::string quoted_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t k = 0; k < lines.size() && k < 10; ++k) {
    out += "\n  " + lines[k];
  }
  if (lines.size() > 10) {
    out += "\n  ...";
  }
  return out;
}

}  // namespace

Result<std::string> apply_hunks(std::string_view content, const std::vector<PatchHunk>& hunks,
                                const std::string& shown) {
  std::vector<std::string> lines;
  for (std::string_view line : split_lines(content)) {
    lines.emplace_back(line);
  }
  if (!lines.empty() && lines.back().empty()) {
    lines.pop_back();  // the empty string after the final newline
  }
  const bool crlf = content.find("\r\n") != std::string_view::npos;

  struct Replacement {
    std::size_t at;
    std::size_t remove;
    const std::vector<std::string>* insert;
    std::size_t insert_count;
  };
  std::vector<Replacement> replacements;
  std::size_t cursor = 0;
  for (std::size_t k = 0; k < hunks.size(); ++k) {
    const PatchHunk& hunk = hunks[k];
    const std::string which = shown + ", hunk " + std::to_string(k + 1) + " (patch line " +
                              std::to_string(hunk.patch_line) + ")";
    if (!hunk.context.empty()) {
      auto found = seek(lines, {hunk.context}, cursor, false);
      if (!found) {
        return fail(Errc::invalid_argument,
                    which + ": cannot find the \"@@ " + hunk.context + "\" context line",
                    "read the file and copy the line exactly; no file was changed");
      }
      cursor = *found + 1;
    }
    if (hunk.old_lines.empty()) {
      // Pure insertion: after the @@ context line, or at the end of the file without one.
      std::size_t at = hunk.context.empty() ? lines.size() : cursor;
      replacements.push_back({at, 0, &hunk.new_lines, hunk.new_lines.size()});
      continue;
    }
    std::vector<std::string> pattern = hunk.old_lines;
    std::size_t insert_count = hunk.new_lines.size();
    auto found = seek(lines, pattern, cursor, hunk.end_of_file);
    if (!found && pattern.back().empty()) {
      // A trailing blank context line often stands for the file's final newline.
      pattern.pop_back();
      if (insert_count > 0 && hunk.new_lines.back().empty()) {
        --insert_count;
      }
      found = pattern.empty() ? std::nullopt : seek(lines, pattern, cursor, hunk.end_of_file);
    }
    if (!found) {
      return fail(Errc::invalid_argument,
                  which + ": cannot find these lines" +
                      (cursor > 0 ? " after line " + std::to_string(cursor) : std::string()) + ":" +
                      quoted_lines(hunk.old_lines),
                  "read the file and copy the context and removed lines exactly; no file was "
                  "changed");
    }
    replacements.push_back({*found, pattern.size(), &hunk.new_lines, insert_count});
    cursor = *found + pattern.size();
  }

  for (auto it = replacements.rbegin(); it != replacements.rend(); ++it) {
    auto where = lines.begin() + static_cast<std::ptrdiff_t>(it->at);
    where = lines.erase(where, where + static_cast<std::ptrdiff_t>(it->remove));
    lines.insert(where, it->insert->begin(),
                 it->insert->begin() + static_cast<std::ptrdiff_t>(it->insert_count));
  }
  std::string out;
  const std::string_view newline = crlf ? "\r\n" : "\n";
  for (const std::string& line : lines) {
    out += line;
    out += newline;
  }
  return out;
}

}  // namespace pincer::tools::file_tools
