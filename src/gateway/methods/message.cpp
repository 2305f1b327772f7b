// message.action: one channel action (send, react, edit, delete) as the reference's message tool
// and `openclaw message <action>` run them (MessageActionParams). The action's own arguments are
// in `params` with the tool's names (to, message, messageId, emoji, remove, threadId, media ...);
// the channel's actions.* switches gate each one. The tool-context fields of the schema are
// accepted and not needed here: an operator names the chat explicitly.

#include <fmt/core.h>

#include <boost/json.hpp>

#include "channels/channel_manager.hpp"
#include "gateway/gateway.hpp"
#include "gateway/methods/methods.hpp"
#include "gateway/param_reader.hpp"
#include "gateway/rpc_context.hpp"
#include "gateway/rpc_error.hpp"
#include "gateway/scopes.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

asio::awaitable<RpcResult> message_action(RpcContext& context) {
  ParamReader params(
      context, {"channel", "action", "params", "reply", "accountId", "requesterAccountId",
                "requesterSenderId", "senderIsOwner", "sessionKey", "sessionId", "inboundTurnKind",
                "agentId", "toolContext", "conversationReadOrigin", "idempotencyKey"});
  std::string channel = params.required_string("channel");
  std::string action = params.required_string("action");
  params.required_string("idempotencyKey");
  const json::value* arguments = params.raw("params");
  if (arguments == nullptr || !arguments->is_object()) {
    params.fail("params: expected an object with the action's arguments");
  }
  auto account = params.string("accountId");
  if (auto error = params.error()) {
    co_return std::unexpected(*error);
  }
  Gateway& gateway = context.gateway();
  if (!gateway.channels().is_known_channel(channel)) {
    co_return std::unexpected(unavailable(fmt::format(
        "channel \"{}\" has no message actions on this gateway (telegram has): check the name",
        channel)));
  }
  channels::ActionRequest request;
  request.channel = channel;
  request.account_id = account.value_or("");
  request.action = action;
  request.params = arguments->get_object();
  // An explicit reply target (the schema's `reply`) becomes the action's replyTo.
  if (const json::value* reply = params.raw("reply"); reply != nullptr && reply->is_object()) {
    if (const json::value* id = reply->get_object().if_contains("replyToId");
        id != nullptr && id->is_string() && !request.params.contains("replyTo")) {
      request.params["replyTo"] = *id;
    }
  }
  auto answer = co_await gateway.channels().action(std::move(request));
  if (!answer) {
    co_return std::unexpected(from_error(answer.error()));
  }
  co_return std::move(*answer);
}

}  // namespace

void register_message_methods(Gateway& gateway) {
  gateway.methods().add(
      {"message.action", Access::operator_scope, std::string(scope::kWrite), true, message_action});
}

}  // namespace pincer::gateway
