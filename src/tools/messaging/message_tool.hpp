#pragma once
// The `message` tool (docs: channels/telegram/rich-messages.md "message actions", and the shared
// message tool of the reference):
//
//   message {action: send|react|edit|delete, channel?, accountId?, to?|target?, message?,
//            messageId?, emoji?, remove?, threadId?, replyTo?, media?, filename?,
//            forceDocument?, silent?}
//
// The tool checks the arguments (so the model gets "messageId: required for react" instead of a
// channel error), fills in the current session's delivery context when `channel` or `to` is
// left out (the chat the conversation is happening in), and hands the action to the channel
// layer through MessageBackend. It never formats or sends anything itself.
//
// pincer_tools cannot depend on channels, so the gateway supplies the backend: `action` over
// ChannelManager::action, `delivery_context` over the session store
// (session_delivery_lookup() below).

#include <functional>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "agent/tool_registry.hpp"
#include "core/result.hpp"
#include "store/database_access.hpp"

namespace pincer::tools {

// One channel action, with the message tool's parameter names in `params` ("to", "threadId",
// "message", "messageId", "emoji", "remove", "media" ...).
struct MessageActionRequest {
  std::string channel;
  std::string account_id;  // empty: the channel's default account
  std::string action;      // send | react | edit | delete
  boost::json::object params;
};

// Where a session's replies go: its last channel, account, chat and thread.
struct DeliveryContext {
  std::string channel;
  std::string account_id;
  std::string to;
  std::string thread_id;
};

struct MessageBackend {
  // Runs the action; the answer object ({ok, channel, to, messageId ...}) or why it failed.
  std::function<boost::asio::awaitable<Result<boost::json::object>>(MessageActionRequest)> action;
  // The delivery context of a session key; nullopt when the session has none (webchat, cron).
  std::function<boost::asio::awaitable<Result<std::optional<DeliveryContext>>>(std::string)>
      delivery_context;
};

void register_message_tool(agent::ToolRegistry& registry, MessageBackend backend);

// MessageBackend::delivery_context over the session store: the active generation's channel,
// account, last_to and thread (nullopt when the key has no session or no channel).
std::function<boost::asio::awaitable<Result<std::optional<DeliveryContext>>>(std::string)>
session_delivery_lookup(store::DatabaseAccess& database);

}  // namespace pincer::tools
