// `write`: create or replace a whole file.
#include <string>
#include <system_error>

#include "tools/fs/file_descriptor.hpp"
#include "tools/fs/file_operations.hpp"

namespace pincer::tools::file_tools {

agent::ToolOutput write_file(const WriteRequest& request, const FsScope& scope) {
  auto resolved = resolve_tool_path(request.path, scope);
  if (!resolved) {
    return {.text = resolved.error().describe(), .is_error = true};
  }
  const std::string shown = display_path(*resolved, scope);
  std::error_code ec;
  if (std::filesystem::is_directory(*resolved, ec)) {
    return {.text = shown + " is a directory; write needs a file path", .is_error = true};
  }
  bool existed = std::filesystem::exists(*resolved, ec);
  auto saved = save_file(*resolved, request.content);
  if (!saved) {
    return {.text = "cannot write " + shown + ": " + saved.error().describe(), .is_error = true};
  }
  return {.text = "Successfully wrote " + std::to_string(request.content.size()) + " bytes to " +
                  shown + (existed ? " (replaced the previous content)" : " (new file)")};
}

}  // namespace pincer::tools::file_tools
