// `edit`: replace exact text in a file. The text must match once (or replaceAll); every edit of
// the call must apply, else nothing is written.
#include <string>

#include "tools/fs/file_content.hpp"
#include "tools/fs/file_descriptor.hpp"
#include "tools/fs/file_operations.hpp"
#include "tools/fs/text_match.hpp"

namespace pincer::tools::file_tools {

namespace {

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t at = text.find(from); at != std::string_view::npos;
       at = text.find(from, start)) {
    out.append(text.substr(start, at - start));
    out.append(to);
    start = at + from.size();
  }
  out.append(text.substr(start));
  return out;
}

std::string lf(std::string_view text) {
  return replace_all(text, "\r\n", "\n");
}

std::string line_list(std::string_view content, const std::vector<TextMatch>& matches) {
  std::string out;
  std::size_t shown = 0;
  for (const TextMatch& match : matches) {
    if (shown == 5) {
      out += ", ...";
      break;
    }
    out += (shown == 0 ? "" : ", ") + std::to_string(line_number_at(content, match.begin));
    ++shown;
  }
  return out;
}

}  // namespace

agent::ToolOutput edit_file(const EditRequest& request, const FsScope& scope) {
  auto resolved = resolve_tool_path(request.path, scope);
  if (!resolved) {
    return agent::ToolOutput::failure(resolved.error().describe());
  }
  const std::string shown = display_path(*resolved, scope);
  auto opened = open_regular_file(*resolved, shown);
  if (!opened) {
    std::string text = opened.error().describe();
    if (opened.error().code == Errc::not_found) {
      text += "; to create a new file use write";
    }
    return agent::ToolOutput::failure(std::move(text));
  }
  if (opened->size > kEditMaxFileBytes) {
    return agent::ToolOutput::failure(shown + " is too large for edit (" +
                                      std::to_string(opened->size) + " bytes, limit " +
                                      std::to_string(kEditMaxFileBytes) + ")");
  }
  auto original = read_all(opened->fd.get(), opened->size);
  if (!original) {
    return agent::ToolOutput::failure("cannot read " + shown + ": " + original.error().message);
  }
  if (looks_binary(std::string_view(*original).substr(0, 8192))) {
    return agent::ToolOutput::failure(shown +
                                      " looks like a binary file; edit changes text files only");
  }

  // Work with LF line ends and put CRLF back at the end, so a model's "\n" matches a CRLF file.
  const bool crlf = original->find("\r\n") != std::string::npos;
  std::string content = crlf ? lf(*original) : *original;
  std::size_t replaced = 0;
  std::size_t first_line = 0;
  bool any_fuzzy = false;
  for (std::size_t index = 0; index < request.edits.size(); ++index) {
    const std::string which =
        request.edits.size() > 1 ? "edits[" + std::to_string(index) + "]: " : "";
    std::string old_text = crlf ? lf(request.edits[index].old_text) : request.edits[index].old_text;
    std::string new_text = crlf ? lf(request.edits[index].new_text) : request.edits[index].new_text;
    if (old_text.empty()) {
      return agent::ToolOutput::failure(
          which +
          "oldText must not be empty (to create or overwrite a whole file, use "
          "write)");
    }
    if (old_text == new_text) {
      continue;  // nothing to do; reported as "no changes" below if nothing else changes
    }
    TextMatches found = find_text(content, old_text);
    if (found.matches.empty()) {
      std::string text = which + "could not find oldText in " + shown +
                         ". It must match the file exactly, including whitespace and line "
                         "breaks; nothing was changed.";
      std::string hint = closest_line_hint(content, old_text);
      if (!hint.empty()) {
        text += " " + hint;
      }
      return agent::ToolOutput::failure(std::move(text));
    }
    if (found.matches.size() > 1 && !request.replace_all) {
      return agent::ToolOutput::failure(
          which + "oldText occurs " + std::to_string(found.matches.size()) + " times in " + shown +
          " (lines " + line_list(content, found.matches) +
          "); nothing was changed. Include more surrounding lines to make it unique, or "
          "set replaceAll: true to replace every occurrence.");
    }
    if (first_line == 0) {
      first_line = line_number_at(content, found.matches.front().begin);
    }
    std::string next;
    next.reserve(content.size() + new_text.size());
    std::size_t start = 0;
    for (const TextMatch& match : found.matches) {
      next.append(content, start, match.begin - start);
      next.append(new_text);
      start = match.end;
    }
    next.append(content, start);
    content = std::move(next);
    replaced += found.matches.size();
    any_fuzzy = any_fuzzy || found.fuzzy;
  }

  std::string updated = crlf ? replace_all(content, "\n", "\r\n") : std::move(content);
  if (updated == *original) {
    return {.text = "No changes made to " + shown + ": the replacement gives the same content."};
  }
  auto saved = save_file(*resolved, updated);
  if (!saved) {
    return agent::ToolOutput::failure("cannot write " + shown + ": " + saved.error().describe());
  }
  std::string text = "Successfully replaced " + std::to_string(replaced) +
                     (replaced == 1 ? " occurrence" : " occurrences") + " in " + shown +
                     " (first change at line " + std::to_string(first_line) + ").";
  if (any_fuzzy) {
    text += " oldText matched after normalizing whitespace, quotes or dashes.";
  }
  return {.text = std::move(text)};
}

}  // namespace pincer::tools::file_tools
