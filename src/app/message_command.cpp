// pincer message send: one outbound message through a chat channel of the running gateway (RPC
// `send`). The gateway queues it durably and waits a little for the app to accept it; the CLI
// prints the app's message id, or "queued" when the message is stored but not delivered yet
// (delivery continues in the gateway, with retries).

#include <fmt/core.h>

#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/gateway_target.hpp"
#include "app/output.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"

namespace pincer::app {

namespace json = boost::json;

namespace {

// The gateway waits up to 15 s for delivery before answering "queued"; give it room.
constexpr int64_t kSendTimeoutMs = 30'000;

struct MessageFlags {
  GatewayTargetFlags target;
  std::string channel;
  std::string to;
  std::string text;
  std::string account;
  bool account_given = false;
  std::string thread;
  std::string reply_to;
  bool json = false;
};

std::string text_at(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return {};
  }
  return value->is_string() ? std::string(value->get_string()) : json::serialize(*value);
}

Result<json::object> send_params(const MessageFlags& flags) {
  std::string channel = core::lowercase_trimmed(flags.channel);
  std::string to(core::trim(flags.to));
  if (channel.empty()) {
    return fail(Errc::invalid_argument, "--channel must not be blank", "e.g. --channel telegram");
  }
  if (to.empty()) {
    return fail(Errc::invalid_argument, "--to must not be blank",
                "pass the chat id (Telegram: the user's numeric id for a DM)");
  }
  if (core::trim(flags.text).empty()) {
    return fail(Errc::invalid_argument, "the message is empty", "pass it with --text \"...\"");
  }
  json::object params{{"to", to},
                      {"message", flags.text},
                      {"channel", channel},
                      {"idempotencyKey", core::random_uuid()}};
  if (flags.account_given) {
    std::string account = core::lowercase_trimmed(flags.account);
    if (account.empty()) {
      return fail(Errc::invalid_argument, "--account must not be blank",
                  "omit it for the channel's default account");
    }
    params["accountId"] = account;
  }
  if (!core::trim(flags.thread).empty()) {
    params["threadId"] = std::string(core::trim(flags.thread));
  }
  if (!core::trim(flags.reply_to).empty()) {
    params["replyToId"] = std::string(core::trim(flags.reply_to));
  }
  return params;
}

void run_send(CliContext& ctx, const MessageFlags& flags) {
  auto params = send_params(flags);
  if (!params) {
    report_failure(ctx, params.error(), flags.json);
    return;
  }
  auto result = call_gateway_or_report(ctx, flags.target, "send", *params, flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
    return;
  }
  const auto* answer = result->if_object();
  if (answer == nullptr) {
    fmt::print("sent\n");
    return;
  }
  std::string where = fmt::format("{} {}", text_at(*answer, "channel"), text_at(*answer, "to"));
  const auto* queued = answer->if_contains("queued");
  if (queued != nullptr && queued->is_bool() && queued->get_bool()) {
    fmt::print(
        "queued for {}: the gateway keeps trying to deliver it (pincer channels status shows "
        "the channel's state)\n",
        where);
    return;
  }
  fmt::print("sent to {} (message id {})\n", where, text_at(*answer, "messageId"));
}

}  // namespace

void register_message_command(CLI::App& root, CliContext& ctx) {
  CLI::App* message =
      root.add_subcommand("message", "Send messages through the gateway's chat channels");
  message->require_subcommand(1);

  auto flags = std::make_shared<MessageFlags>();
  flags->target.timeout_ms = kSendTimeoutMs;
  CLI::App* send = message->add_subcommand("send", "Send a text message to a chat");
  send->add_option("--channel", flags->channel, "Channel, e.g. telegram")->required();
  send->add_option("-t,--to,--target", flags->to, "Chat id (Telegram: a user or group id)")
      ->required();
  send->add_option("-m,--text,--message", flags->text, "The message text")->required();
  send->add_option("--account", flags->account, "Channel account id (default: its default)")
      ->type_name("ID");
  send->add_option("--thread", flags->thread, "Thread or forum topic id")->type_name("ID");
  send->add_option("--reply-to", flags->reply_to, "Message id to reply to")->type_name("ID");
  add_gateway_target_options(*send, flags->target);
  send->add_flag("--json", flags->json, "Print the gateway's answer as JSON");
  send->callback([&ctx, send, flags] {
    flags->account_given = send->count("--account") > 0;
    run_send(ctx, *flags);
  });
}

}  // namespace pincer::app
