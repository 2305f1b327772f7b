#include "tools/fs/fs_tools.hpp"

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <boost/json.hpp>

#include "core/executor.hpp"
#include "tools/fs/file_operations.hpp"
#include "tools/tool_arguments.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;
using file_tools::FsScope;

namespace {

using Work = std::function<agent::ToolOutput()>;

// Coroutines take everything by value: a handler's lambda may be gone before the call ends.
asio::awaitable<agent::ToolOutput> run_on_pool(asio::thread_pool& pool, Work work) {
  agent::ToolOutput out = co_await core::run_blocking(pool, work);
  co_return out;
}

asio::awaitable<agent::ToolOutput> immediate(agent::ToolOutput out) {
  co_return out;
}

asio::awaitable<agent::ToolOutput> argument_error(const ToolArguments& args) {
  return immediate({.text = *args.error(), .is_error = true});
}

const json::value* lookup(const json::value& root, std::initializer_list<std::string_view> keys) {
  const json::value* at = &root;
  for (std::string_view key : keys) {
    if (!at->is_object()) {
      return nullptr;
    }
    at = at->get_object().if_contains(key);
    if (at == nullptr) {
      return nullptr;
    }
  }
  return at;
}

std::optional<bool> bool_at(const json::value& root, std::initializer_list<std::string_view> keys) {
  const json::value* value = lookup(root, keys);
  if (value != nullptr && value->is_bool()) {
    return value->get_bool();
  }
  return std::nullopt;
}

// tools.fs.workspaceOnly, overridden by the agent's own tools.fs.workspaceOnly; on by default.
// apply_patch is also confined by tools.exec.applyPatch.workspaceOnly (on by default): either
// setting keeps it in the workspace.
FsScope scope_for(const core::Config& config, const agent::ToolContext& context, bool patch) {
  std::optional<bool> fs_only = bool_at(config.raw, {"tools", "fs", "workspaceOnly"});
  std::optional<bool> patch_only =
      bool_at(config.raw, {"tools", "exec", "applyPatch", "workspaceOnly"});
  for (const core::AgentEntry& agent : config.agents.list) {
    if (agent.id == context.agent_id) {
      if (auto own = bool_at(agent.raw, {"tools", "fs", "workspaceOnly"})) {
        fs_only = own;
      }
      if (auto own = bool_at(agent.raw, {"tools", "exec", "applyPatch", "workspaceOnly"})) {
        patch_only = own;
      }
    }
  }
  bool confined = fs_only.value_or(true) || (patch && patch_only.value_or(true));
  return FsScope{.workspace = context.workspace, .workspace_only = confined};
}

// The path argument; "file_path" is accepted too (other harnesses' name for it).
std::string path_argument(ToolArguments& args) {
  if (!args.has("path") && args.has("file_path")) {
    return args.required_string("file_path");
  }
  return args.required_string("path");
}

json::object schema(json::object properties, std::initializer_list<std::string_view> required) {
  json::array names;
  for (std::string_view name : required) {
    names.emplace_back(name);
  }
  json::object out;
  out["type"] = "object";
  out["properties"] = std::move(properties);
  out["required"] = std::move(names);
  out["additionalProperties"] = false;
  return out;
}

json::object property(std::string_view type, std::string_view description) {
  json::object out;
  out["type"] = type;
  out["description"] = description;
  return out;
}

agent::ToolSpec read_tool(const ToolDeps& deps) {
  json::object properties;
  properties["path"] = property("string",
                                "Path of the file to read (relative to the workspace, "
                                "or absolute)");
  properties["offset"] = property("number", "Line number to start reading from (1-based)");
  properties["limit"] = property("number", "Maximum number of lines to read");
  agent::ToolSpec spec;
  spec.schema = {
      .name = "read",
      .description =
          "Read the contents of a file. Text files come back as text, images (png, jpeg, gif, "
          "webp) as images. Output is limited to " +
          std::to_string(file_tools::kReadMaxLines) + " lines or " +
          std::to_string(file_tools::kReadMaxBytes / 1024) +
          "KB per call; use offset and limit to read large files in parts.",
      .parameters = schema(std::move(properties), {"path"})};
  spec.guidance = "Read file contents";
  spec.parallel_safe = true;
  spec.handler = [&pool = deps.pool, config = deps.config](const json::object& arguments,
                                                           agent::ToolContext& context) {
    ToolArguments args(arguments);
    file_tools::ReadRequest request;
    request.path = path_argument(args);
    request.offset = args.integer("offset", 1, std::numeric_limits<int32_t>::max());
    request.limit = args.integer("limit", 1, std::numeric_limits<int32_t>::max());
    if (args.error()) {
      return argument_error(args);
    }
    FsScope scope = scope_for(config(), context, false);
    return run_on_pool(pool, [request = std::move(request), scope = std::move(scope)] {
      return file_tools::read_file(request, scope);
    });
  };
  return spec;
}

agent::ToolSpec write_tool(const ToolDeps& deps) {
  json::object properties;
  properties["path"] = property("string",
                                "Path of the file to write (relative to the "
                                "workspace, or absolute)");
  properties["content"] = property("string", "The complete new content of the file");
  agent::ToolSpec spec;
  spec.schema = {.name = "write",
                 .description =
                     "Write content to a file. Creates the file if it does not exist "
                     "and replaces it if it does; creates parent directories.",
                 .parameters = schema(std::move(properties), {"path", "content"})};
  spec.guidance = "Create or overwrite files";
  spec.parallel_safe = false;
  spec.handler = [&pool = deps.pool, config = deps.config](const json::object& arguments,
                                                           agent::ToolContext& context) {
    ToolArguments args(arguments);
    file_tools::WriteRequest request;
    request.path = path_argument(args);
    request.content = args.required_string("content", /*allow_empty=*/true);
    if (args.error()) {
      return argument_error(args);
    }
    FsScope scope = scope_for(config(), context, false);
    return run_on_pool(pool, [request = std::move(request), scope = std::move(scope)] {
      return file_tools::write_file(request, scope);
    });
  };
  return spec;
}

// One {oldText, newText} pair; "old_string"/"new_string" are accepted too.
std::optional<file_tools::TextReplacement> replacement(ToolArguments& args) {
  const bool snake = !args.has("oldText") && args.has("old_string");
  file_tools::TextReplacement out;
  out.old_text = args.required_string(snake ? "old_string" : "oldText");
  out.new_text = args.required_string(snake ? "new_string" : "newText", /*allow_empty=*/true);
  if (args.error()) {
    return std::nullopt;
  }
  return out;
}

agent::ToolSpec edit_tool(const ToolDeps& deps) {
  json::object properties;
  properties["path"] = property("string",
                                "Path of the file to edit (relative to the workspace, "
                                "or absolute)");
  properties["oldText"] = property("string",
                                   "Exact text to find and replace (must match "
                                   "exactly, including whitespace)");
  properties["newText"] = property("string", "New text to replace the old text with");
  properties["replaceAll"] =
      property("boolean", "Replace every occurrence of oldText instead of requiring exactly one");
  json::object edit_item;
  edit_item["type"] = "object";
  json::object item_properties;
  item_properties["oldText"] = property("string", "Exact text to replace");
  item_properties["newText"] = property("string", "Replacement text");
  edit_item["properties"] = std::move(item_properties);
  edit_item["required"] = json::array{"oldText", "newText"};
  json::object edits = property("array",
                                "Several replacements in one call, applied in order "
                                "(instead of oldText/newText)");
  edits["items"] = std::move(edit_item);
  properties["edits"] = std::move(edits);
  agent::ToolSpec spec;
  spec.schema = {.name = "edit",
                 .description =
                     "Edit a file by replacing exact text. oldText must match exactly one place "
                     "in the file (including whitespace); add surrounding lines to make it unique "
                     "or set replaceAll. Use write for new files or complete rewrites.",
                 .parameters = schema(std::move(properties), {"path"})};
  spec.guidance = "Make precise edits to files";
  spec.parallel_safe = false;
  spec.handler = [&pool = deps.pool, config = deps.config](const json::object& arguments,
                                                           agent::ToolContext& context) {
    ToolArguments args(arguments);
    file_tools::EditRequest request;
    request.path = path_argument(args);
    request.replace_all =
        args.boolean(args.has("replaceAll") ? "replaceAll" : "replace_all").value_or(false);
    if (const json::value* list = args.raw("edits")) {
      if (!list->is_array() || list->get_array().empty()) {
        args.fail("edits: expected a non-empty array of {oldText, newText}");
      } else {
        for (std::size_t i = 0; i < list->get_array().size() && !args.error(); ++i) {
          const json::value& item = list->get_array()[i];
          if (!item.is_object()) {
            args.fail("edits[" + std::to_string(i) + "]: expected an object {oldText, newText}");
            break;
          }
          ToolArguments item_args(item.get_object());
          auto one = replacement(item_args);
          if (!one) {
            args.fail("edits[" + std::to_string(i) + "]." + *item_args.error());
            break;
          }
          request.edits.push_back(std::move(*one));
        }
      }
    } else if (auto one = replacement(args)) {
      request.edits.push_back(std::move(*one));
    }
    if (args.error()) {
      return argument_error(args);
    }
    FsScope scope = scope_for(config(), context, false);
    return run_on_pool(pool, [request = std::move(request), scope = std::move(scope)] {
      return file_tools::edit_file(request, scope);
    });
  };
  return spec;
}

agent::ToolSpec apply_patch_tool(const ToolDeps& deps) {
  json::object properties;
  properties["input"] =
      property("string", "The whole patch, from \"*** Begin Patch\" to \"*** End Patch\"");
  agent::ToolSpec spec;
  spec.schema = {
      .name = "apply_patch",
      .description =
          "Apply a patch that adds, deletes, updates or renames files, all or nothing. Format:\n"
          "*** Begin Patch\n"
          "*** Add File: path/new.txt\n"
          "+line 1\n"
          "*** Update File: src/app.ts\n"
          "*** Move to: src/renamed.ts   (optional)\n"
          "@@ optional context line\n"
          " unchanged line\n"
          "-removed line\n"
          "+added line\n"
          "*** End of File   (optional: the hunk ends at the end of the file)\n"
          "*** Delete File: obsolete.txt\n"
          "*** End Patch",
      .parameters = schema(std::move(properties), {"input"})};
  spec.guidance = "Apply multi-file patches";
  spec.parallel_safe = false;
  spec.handler = [&pool = deps.pool, config = deps.config](const json::object& arguments,
                                                           agent::ToolContext& context) {
    ToolArguments args(arguments);
    std::string input = args.required_string("input");
    if (args.error()) {
      return argument_error(args);
    }
    FsScope scope = scope_for(config(), context, true);
    return run_on_pool(pool, [input = std::move(input), scope = std::move(scope)] {
      return file_tools::apply_patch(input, scope);
    });
  };
  return spec;
}

}  // namespace

void register_fs_tools(agent::ToolRegistry& registry, const ToolDeps& deps) {
  registry.add(read_tool(deps));
  registry.add(write_tool(deps));
  registry.add(edit_tool(deps));
  registry.add(apply_patch_tool(deps));
}

}  // namespace pincer::tools
