#pragma once
// One register function per RPC family (methods/<family>.cpp). register_all_methods() is what
// the daemon calls; tests may register single families.

namespace pincer::gateway {

class Gateway;

void register_system_methods(Gateway& gateway);  // health, status, system-presence
void register_device_methods(Gateway& gateway);  // device.pair.*, device.token.*, node.pair.*
void register_config_methods(Gateway& gateway);  // config.get/set/patch/apply/schema(.lookup)
void register_logs_methods(Gateway& gateway);    // logs.tail

void register_node_methods(Gateway& gateway);     // node.list/describe/rename/invoke/event ...
void register_session_methods(Gateway& gateway);  // sessions.list/preview/describe/patch/reset ...
void register_chat_methods(Gateway& gateway);     // chat.history, chat.inject
void register_diagnostics_methods(Gateway& gateway);  // diagnostics.lanes
// chat.send/abort, agent, agent.wait, send, models.list, usage.status/cost; agent/chat events
void register_agent_methods(Gateway& gateway);

// channels.status/start/stop/logout, channels.pairing.list/approve/dismiss
void register_channel_methods(Gateway& gateway);
void register_message_methods(Gateway& gateway);  // message.action
void register_all_methods(Gateway& gateway);

}  // namespace pincer::gateway
