#include "tools/messaging/message_tool.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json.hpp>

#include "core/text.hpp"
#include "sessions/session_store.hpp"
#include "store/database.hpp"
#include "tools/tool_arguments.hpp"

namespace pincer::tools {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object message_schema() {
  return json::parse(R"json({
    "type": "object",
    "properties": {
      "action": {"type": "string", "enum": ["send", "react", "edit", "delete"],
                 "description": "What to do"},
      "channel": {"type": "string",
                  "description": "Channel (telegram ...); default: the current conversation's"},
      "accountId": {"type": "string", "description": "Channel account; default: the default one"},
      "to": {"type": "string",
             "description": "Chat id (\"<chat>:topic:<id>\" for a forum topic); default: the current chat"},
      "target": {"type": "string", "description": "Same as `to`"},
      "message": {"type": "string", "description": "Text (markdown) for send and edit"},
      "messageId": {"type": "string", "description": "The message to react to, edit or delete"},
      "emoji": {"type": "string", "description": "Reaction emoji for react"},
      "remove": {"type": "boolean", "description": "react: remove the reaction instead"},
      "threadId": {"type": "string", "description": "Thread or forum topic id"},
      "replyTo": {"type": "string", "description": "send: the message id to reply to"},
      "media": {"type": "string", "description": "send: a file path or http(s) URL to attach"},
      "filename": {"type": "string", "description": "send: the attachment's name"},
      "forceDocument": {"type": "boolean", "description": "send: attach images as files"},
      "silent": {"type": "boolean", "description": "send: without a notification"}
    },
    "required": ["action"]
  })json")
      .as_object();
}

// The reference's action names and their aliases; "" for anything else.
std::string canonical_action(std::string_view action) {
  std::string name = core::lowercase_trimmed(action);
  if (name == "send" || name == "sendmessage") {
    return "send";
  }
  if (name == "react" || name == "reaction") {
    return "react";
  }
  if (name == "edit" || name == "editmessage") {
    return "edit";
  }
  if (name == "delete" || name == "deletemessage" || name == "unsend") {
    return "delete";
  }
  return {};
}

// A string or an integer id (models write message ids either way); "" when absent.
std::string id_argument(ToolArguments& args, std::string_view key) {
  const json::value* value = args.raw(key);
  if (value == nullptr || value->is_null()) {
    return {};
  }
  if (value->is_int64()) {
    return std::to_string(value->get_int64());
  }
  if (value->is_uint64()) {
    return std::to_string(value->get_uint64());
  }
  if (value->is_string()) {
    return std::string(core::trim(value->get_string()));
  }
  args.fail(std::string(key) + ": expected a string or a number");
  return {};
}

// The checked request, before the delivery context fills the gaps.
struct Parsed {
  std::string action;
  std::string channel;
  std::string account_id;
  std::string to;
  std::string thread_id;
  std::string message_id;
  json::object params;
};

std::optional<std::string> parse(const json::object& arguments, Parsed& out) {
  ToolArguments args(arguments);
  std::string action = args.required_string("action");
  auto channel = args.string("channel");
  auto account = args.string("accountId");
  std::string to = id_argument(args, "to");
  if (to.empty()) {
    to = id_argument(args, "target");
  }
  if (to.empty()) {
    to = id_argument(args, "chatId");
  }
  std::string thread_id = id_argument(args, "threadId");
  std::string message_id = id_argument(args, "messageId");
  auto text = args.string("message");
  if (!text && !args.error()) {
    text = args.string("content");  // the reference's sendMessage spelling
  }
  auto media = args.string("media");
  if (!media && !args.error()) {
    media = args.string("mediaUrl");
  }
  auto emoji = args.string("emoji");
  auto remove = args.boolean("remove");
  args.string("replyTo");
  args.string("filename");
  args.boolean("forceDocument");
  args.boolean("silent");
  if (args.error()) {
    return args.error();
  }
  out.action = canonical_action(action);
  if (out.action.empty()) {
    return "action: expected send, react, edit or delete, got \"" + action + "\"";
  }
  const bool has_text = text && !core::trim(*text).empty();
  const bool has_media = media && !core::trim(*media).empty();
  if (out.action == "send" && !has_text && !has_media) {
    return "send needs `message` (the text) or `media` (a file to attach)";
  }
  if (out.action != "send" && message_id.empty()) {
    return "messageId: required for " + out.action + " (the id of the message to " + out.action +
           ")";
  }
  if (out.action == "react" && (!emoji || emoji->empty()) && !remove.value_or(false)) {
    return "react needs `emoji` (or `remove: true` to take the reaction back)";
  }
  if (out.action == "edit" && !has_text) {
    return "edit needs `message` (the new text)";
  }
  out.channel = channel ? core::lowercase_trimmed(*channel) : std::string();
  out.account_id = account ? std::string(core::trim(*account)) : std::string();
  out.to = std::move(to);
  out.thread_id = std::move(thread_id);
  out.message_id = std::move(message_id);
  out.params = arguments;
  for (std::string_view key : {"action", "channel", "accountId", "target", "chatId"}) {
    out.params.erase(key);
  }
  if (text) {
    out.params["message"] = *text;
  }
  if (!out.message_id.empty()) {
    out.params["messageId"] = out.message_id;
  }
  return std::nullopt;
}

asio::awaitable<agent::ToolOutput> run_message(std::shared_ptr<const MessageBackend> backend,
                                               const json::object& arguments,
                                               agent::ToolContext& context) {
  Parsed request;
  if (auto problem = parse(arguments, request)) {
    co_return agent::ToolOutput::failure(*problem);
  }

  // Without a channel or a chat, the message goes to the conversation this turn belongs to.
  if (request.channel.empty() || request.to.empty()) {
    std::optional<DeliveryContext> current;
    if (backend->delivery_context && !context.session_key.empty()) {
      std::string key = context.session_key;
      auto found = co_await backend->delivery_context(std::move(key));
      if (!found) {
        co_return agent::ToolOutput::failure("could not read the current session's chat: " +
                                             found.error().describe());
      }
      current = std::move(*found);
    }
    const bool usable =
        current && !current->channel.empty() && (!request.to.empty() || !current->to.empty());
    if (!usable) {
      co_return agent::ToolOutput::failure(
          request.channel.empty()
              ? "channel: required (this session has no chat to default to); pass `channel` and "
                "`to`"
              : "to: required (this session has no chat to default to); pass the chat id");
    }
    if (!request.channel.empty() && request.channel != current->channel) {
      co_return agent::ToolOutput::failure("to: required when sending on " + request.channel +
                                           " from a " + current->channel + " conversation");
    }
    if (request.channel.empty()) {
      request.channel = current->channel;
      if (request.account_id.empty()) {
        request.account_id = current->account_id;
      }
    }
    if (request.to.empty()) {
      request.to = current->to;
      if (request.thread_id.empty()) {
        request.thread_id = current->thread_id;
      }
      if (request.account_id.empty()) {
        request.account_id = current->account_id;
      }
    }
  }
  request.params["to"] = request.to;
  if (!request.thread_id.empty()) {
    request.params["threadId"] = request.thread_id;
  }

  if (!backend->action) {
    co_return agent::ToolOutput::failure("no chat channels are available in this process");
  }
  const std::string action = request.action;
  MessageActionRequest forwarded{std::move(request.channel), std::move(request.account_id),
                                 request.action, std::move(request.params)};
  auto answer = co_await backend->action(std::move(forwarded));
  if (!answer) {
    co_return agent::ToolOutput::failure("message " + action +
                                         " failed: " + answer.error().describe());
  }
  co_return agent::ToolOutput{json::serialize(*answer)};
}

}  // namespace

void register_message_tool(agent::ToolRegistry& registry, MessageBackend backend) {
  auto shared = std::make_shared<const MessageBackend>(std::move(backend));
  agent::ToolSpec spec;
  spec.schema.name = "message";
  spec.schema.description =
      "Send a message to a chat, or react to, edit or delete a message, on a chat channel "
      "(Telegram ...). Without channel/to it acts in the current conversation's chat.";
  spec.schema.parameters = message_schema();
  spec.guidance = "send, react to, edit or delete chat messages on a channel";
  spec.parallel_safe = false;  // sends keep their order
  spec.handler = [shared](const json::object& arguments,
                          agent::ToolContext& context) -> asio::awaitable<agent::ToolOutput> {
    return run_message(shared, arguments, context);
  };
  registry.add(std::move(spec));
}

std::function<asio::awaitable<Result<std::optional<DeliveryContext>>>(std::string)>
session_delivery_lookup(store::DatabaseAccess& database) {
  return [&database](std::string key) -> asio::awaitable<Result<std::optional<DeliveryContext>>> {
    auto read = [key](store::Database& db) -> Result<std::optional<DeliveryContext>> {
      sessions::SessionStore sessions(db);
      auto found = sessions.find_active(key);
      if (!found) {
        return std::unexpected(found.error());
      }
      if (!*found || (*found)->channel.empty()) {
        return std::optional<DeliveryContext>();
      }
      const sessions::SessionRecord& record = **found;
      return std::optional<DeliveryContext>(DeliveryContext{record.channel, record.account_id,
                                                            record.last_to, record.last_thread_id});
    };
    co_return co_await database.with(read);
  };
}

}  // namespace pincer::tools
