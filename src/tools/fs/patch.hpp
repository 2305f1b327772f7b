#pragma once
// The apply_patch format (docs: tools/apply-patch.md):
//
//   *** Begin Patch
//   *** Add File: <path>            then lines "+<text>"
//   *** Delete File: <path>
//   *** Update File: <path>         optionally followed by "*** Move to: <path>", then hunks:
//   @@ [context line]               lines " <same>", "-<removed>", "+<added>";
//   *** End of File                 after a hunk: it runs to the end of the file
//   *** End Patch
//
// Parsing is strict: anything else is an error naming the patch line. Hunks are located in the
// file in order, each after the previous one, comparing lines exactly, then ignoring trailing
// whitespace, then ignoring surrounding whitespace.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::tools::file_tools {

struct PatchHunk {
  std::string context;                 // the text after "@@ ", empty for a bare "@@"
  std::vector<std::string> old_lines;  // context and removed lines, in order
  std::vector<std::string> new_lines;  // context and added lines, in order
  bool end_of_file = false;
  std::size_t patch_line = 0;  // 1-based line of the patch where the hunk starts
};

enum class PatchAction { add, remove, update };

struct FilePatch {
  PatchAction action = PatchAction::update;
  std::string path;
  std::string move_to;           // update only; empty: no rename
  std::string content;           // add only: the new file
  std::vector<PatchHunk> hunks;  // update only
  std::size_t patch_line = 0;    // line of the "*** ... File:" header
};

Result<std::vector<FilePatch>> parse_patch(std::string_view input);

// `content` with `hunks` applied. Errors name `shown` and the hunk (1-based) that did not fit.
Result<std::string> apply_hunks(std::string_view content, const std::vector<PatchHunk>& hunks,
                                const std::string& shown);

}  // namespace pincer::tools::file_tools
