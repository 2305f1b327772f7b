#pragma once
// Readers for the config sections that decide where a message goes and when a session ends
// (agents roster, session.*, bindings[], messages.queue). Private to core: config.cpp calls
// them from read_config; everyone else sees only the typed structs in config.hpp.

#include <vector>

#include "core/config.hpp"
#include "core/config_reader.hpp"

namespace pincer::core::detail {

// agents.entries.<id> and agents.list[]; `agents` is the reader of the "agents" object.
void read_agent_roster(ConfigReader& agents, AgentsConfig& out);
void read_session(ConfigReader& root, SessionConfig& out);
// Needs the roster to check that every binding names a configured agent.
void read_bindings(ConfigReader& root, const AgentsConfig& agents, std::vector<Binding>& out);
void read_messages(ConfigReader& root, MessagesConfig& out);
// models.* (custom providers, model definitions) and auth.* (profile metadata, rotation order).
void read_models(ConfigReader& root, ModelsConfig& out);
void read_auth(ConfigReader& root, AuthConfig& out);
// channels.defaults and channels.<channel> (config_channels.cpp).
void read_channels(ConfigReader& root, ChannelsConfig& out);
// agents.defaults.{thinkingDefault, compaction, bootstrapMaxChars, bootstrapTotalMaxChars}.
void read_agent_runtime_defaults(ConfigReader& defaults, AgentDefaults& out);

}  // namespace pincer::core::detail
