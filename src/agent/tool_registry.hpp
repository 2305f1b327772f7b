#pragma once
// The tools the model may call: name, JSON schema and a one-line hint for the system prompt,
// and the coroutine that runs a call. The Tools issue fills the registry (exec, files, web,
// memory ...) and adds policy; the runner only looks tools up and runs them.

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "providers/model_types.hpp"

namespace pincer::sessions {
class RunControl;
}

namespace pincer::agent {

// What a running tool call knows about its turn.
struct ToolContext {
  std::string agent_id;
  std::string session_key;
  std::string run_id;
  std::string call_id;
  std::filesystem::path workspace;
  sessions::RunControl* control = nullptr;  // aborted() / cancellation of the turn
};

struct ToolOutput {
  std::string text;
  bool is_error = false;
  // Images the tool returns (read on an image file, a screenshot): they go to the model as
  // images next to `text`.
  std::vector<providers::ImagePart> images{};

  // An error the model reads and can act on (bad arguments, a refused path ...).
  static ToolOutput failure(std::string message) { return {std::move(message), true, {}}; }
};

using ToolHandler = std::function<boost::asio::awaitable<ToolOutput>(
    const boost::json::object& arguments, ToolContext& context)>;

struct ToolSpec {
  providers::ToolSchema schema;
  std::string guidance;  // one line for the system prompt; empty: the name alone
  // Whether calls may run alongside other calls of the same step (reads yes, shell no).
  bool parallel_safe = true;
  ToolHandler handler;
};

// Who is asking, for the tool policy: which tools this run may see and call.
struct ToolFilterInput {
  std::string agent_id;
  std::string session_key;
  std::string model_ref;  // "provider/model"
  std::string channel;    // webchat, telegram, cli ...
  std::string sender_id;  // the channel's id of the person, when a channel message started it
};

// True when the tool may be offered to (and called by) the model in this run. The model never
// sees a tool the filter refuses, and a call to one is answered as an unknown tool.
using ToolFilter = std::function<bool(std::string_view tool_name, const ToolFilterInput& input)>;

class ToolRegistry {
 public:
  // A second tool with the same name replaces the first.
  void add(ToolSpec spec);
  bool remove(std::string_view name);
  const ToolSpec* find(std::string_view name) const;
  // Sorted by name, so the schemas the model sees (and the prompt cache key) are stable.
  std::vector<const ToolSpec*> list() const;
  std::size_t size() const { return tools_.size(); }

 private:
  std::map<std::string, ToolSpec, std::less<>> tools_;
};

}  // namespace pincer::agent
