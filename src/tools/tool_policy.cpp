#include "tools/tool_policy.hpp"

#include <fnmatch.h>

#include <array>
#include <optional>
#include <utility>

#include <boost/json/value.hpp>

#include "core/text.hpp"

namespace pincer::tools {

namespace json = boost::json;

namespace {

using Names = std::vector<std::string_view>;

const std::array<std::pair<std::string_view, Names>, 9>& groups() {
  static const std::array<std::pair<std::string_view, Names>, 9> kGroups = {{
      {"group:runtime", {"exec", "process", "code_execution"}},
      {"group:fs", {"read", "write", "edit", "apply_patch"}},
      {"group:sessions",
       {"sessions", "sessions_list", "sessions_history", "sessions_search", "sessions_send",
        "sessions_spawn", "sessions_yield", "subagents", "session_status"}},
      {"group:memory", {"memory_search", "memory_get"}},
      {"group:web", {"web_search", "x_search", "web_fetch"}},
      {"group:ui", {"browser", "screen", "theme", "canvas"}},
      {"group:automation", {"heartbeat_respond", "automations", "cron", "gateway"}},
      {"group:messaging", {"message"}},
      {"group:media", {"view_image", "image_generate", "tts", "pdf"}},
  }};
  return kGroups;
}

// The profile's tools; nullopt for full or unknown profiles (no filtering).
std::optional<Names> profile_tools(std::string_view profile) {
  if (profile == "minimal") {
    return Names{"session_status", "gateway"};
  }
  if (profile == "coding") {
    return Names{"group:fs",     "group:runtime", "group:web", "group:sessions",
                 "group:memory", "cron",          "gateway",   "view_image"};
  }
  if (profile == "messaging") {
    return Names{"group:messaging", "sessions",       "sessions_list",  "sessions_history",
                 "sessions_send",   "sessions_spawn", "session_status", "gateway"};
  }
  return std::nullopt;
}

bool matches(std::string_view entry, std::string_view tool) {
  std::string pattern = core::lowercase_trimmed(entry);
  if (pattern == "bash") {
    pattern = "exec";
  }
  if (pattern.starts_with("group:")) {
    for (std::string_view member : tool_group(pattern)) {
      if (member == tool) {
        return true;
      }
    }
    return false;
  }
  std::string name(tool);
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool any_match(const std::vector<std::string>& entries, std::string_view tool) {
  for (const auto& entry : entries) {
    if (matches(entry, tool)) {
      return true;
    }
  }
  return false;
}

bool any_match(const Names& entries, std::string_view tool) {
  for (std::string_view entry : entries) {
    if (matches(entry, tool)) {
      return true;
    }
  }
  return false;
}

const json::object* object_at(const json::value* value, std::string_view key) {
  if (value == nullptr || !value->is_object()) {
    return nullptr;
  }
  const json::value* found = value->get_object().if_contains(key);
  return found != nullptr && found->is_object() ? &found->get_object() : nullptr;
}

std::optional<std::vector<std::string>> list_at(const json::object* object, std::string_view key) {
  if (object == nullptr) {
    return std::nullopt;
  }
  const json::value* value = object->if_contains(key);
  if (value == nullptr || !value->is_array()) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : value->get_array()) {
    if (item.is_string()) {
      out.emplace_back(item.get_string());
    }
  }
  return out;
}

std::string string_at(const json::object* object, std::string_view key) {
  if (object == nullptr) {
    return {};
  }
  const json::value* value = object->if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : "";
}

// One {profile, allow, alsoAllow, deny} object. An absent layer allows everything.
bool layer_allows(const json::object* layer, std::string_view tool, bool use_profile) {
  if (layer == nullptr) {
    return true;
  }
  if (auto deny = list_at(layer, "deny"); deny && any_match(*deny, tool)) {
    return false;
  }
  auto also = list_at(layer, "alsoAllow");
  if (also && any_match(*also, tool)) {
    return true;
  }
  if (use_profile) {
    if (auto profile = profile_tools(string_at(layer, "profile"));
        profile && !any_match(*profile, tool)) {
      return false;
    }
  }
  if (auto allow = list_at(layer, "allow"); allow && !allow->empty() && !any_match(*allow, tool)) {
    return false;
  }
  return true;
}

const json::object* agent_tools(const core::Config& config, std::string_view agent_id) {
  for (const auto& agent : config.agents.list) {
    if (agent.id == agent_id) {
      return object_at(&agent.raw, "tools");
    }
  }
  return nullptr;
}

// toolsBySender: the first matching key, most specific first.
const json::object* sender_layer(const json::object* tools, const agent::ToolFilterInput& input) {
  const json::object* by_sender = nullptr;
  if (tools != nullptr) {
    if (const json::value* value = tools->if_contains("toolsBySender");
        value != nullptr && value->is_object()) {
      by_sender = &value->get_object();
    }
  }
  if (by_sender == nullptr) {
    return nullptr;
  }
  std::vector<std::string> keys;
  if (!input.sender_id.empty()) {
    keys.push_back("channel:" + input.channel + ":" + input.sender_id);
    keys.push_back("id:" + input.sender_id);
    keys.push_back(input.sender_id);  // legacy unprefixed keys mean id:
  }
  keys.emplace_back("*");
  for (const auto& key : keys) {
    if (const json::value* value = by_sender->if_contains(key);
        value != nullptr && value->is_object()) {
      return &value->get_object();
    }
  }
  return nullptr;
}

}  // namespace

std::vector<std::string_view> tool_group(std::string_view group) {
  for (const auto& [name, members] : groups()) {
    if (name == group) {
      return members;
    }
  }
  return {};
}

bool tool_allowed(const core::Config& config, std::string_view tool,
                  const agent::ToolFilterInput& input) {
  const json::object* global = object_at(&config.raw, "tools");
  const json::object* agent = agent_tools(config, input.agent_id);

  // 1-2. The profile (the agent's replaces the global one), then both allow/deny lists.
  std::string profile = string_at(agent, "profile");
  if (profile.empty()) {
    profile = string_at(global, "profile");
  }
  if (auto names = profile_tools(profile); names && !any_match(*names, tool)) {
    auto also = list_at(global, "alsoAllow");
    auto agent_also = list_at(agent, "alsoAllow");
    if (!(also && any_match(*also, tool)) && !(agent_also && any_match(*agent_also, tool))) {
      return false;
    }
  }
  if (!layer_allows(global, tool, false) || !layer_allows(agent, tool, false)) {
    return false;
  }

  // 3. Provider / model.
  if (global != nullptr) {
    if (const json::value* value = global->if_contains("byProvider");
        value != nullptr && value->is_object()) {
      const json::object& providers = value->get_object();
      std::string model = input.model_ref;
      std::string provider = model.substr(0, model.find('/'));
      const json::value* layer = providers.if_contains(model);
      if (layer == nullptr) {
        layer = providers.if_contains(provider);
      }
      if (layer != nullptr && layer->is_object() &&
          !layer_allows(&layer->get_object(), tool, true)) {
        return false;
      }
    }
  }

  // 4. The sender: an agent's match replaces the global one.
  const json::object* sender = sender_layer(agent, input);
  if (sender == nullptr) {
    sender = sender_layer(global, input);
  }
  return layer_allows(sender, tool, false);
}

agent::ToolFilter make_tool_filter(std::function<const core::Config&()> config) {
  return [config = std::move(config)](std::string_view tool, const agent::ToolFilterInput& input) {
    return tool_allowed(config(), tool, input);
  };
}

}  // namespace pincer::tools
