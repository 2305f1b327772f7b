// pincer message send: one outbound message (text, files or both) through a chat channel of the
// running gateway (RPC `send`). The gateway queues it durably and waits a little for the app to
// accept it; the CLI prints the app's message id, or "queued" when the message is stored but not
// delivered yet (delivery continues in the gateway, with retries). Local --media paths are made
// absolute and read by the gateway.
//
// pincer message react | edit | delete: one action on a message the bot can see (RPC
// `message.action`), answered as soon as the app did it.

#include <fmt/core.h>

#include <filesystem>
#include <memory>
#include <vector>

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
  std::vector<std::string> media;
  bool force_document = false;
  bool silent = false;
  // react / edit / delete
  std::string message_id;
  std::string emoji;
  bool remove = false;
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
  if (core::trim(flags.text).empty() && flags.media.empty()) {
    return fail(Errc::invalid_argument, "the message is empty",
                "pass it with --text \"...\", or a file with --media");
  }
  json::object params{{"to", to},
                      {"message", flags.text},
                      {"channel", channel},
                      {"idempotencyKey", core::random_uuid()}};
  json::array media;
  for (const auto& item : flags.media) {
    std::string source(core::trim(item));
    bool url = source.starts_with("http://") || source.starts_with("https://");
    if (!url) {
      std::error_code ec;
      std::filesystem::path absolute = std::filesystem::absolute(source, ec);
      if (ec || !std::filesystem::is_regular_file(absolute, ec)) {
        return fail(Errc::not_found, "--media " + source + ": no such file",
                    "pass a file path or an http(s) URL");
      }
      source = absolute.string();
    }
    media.push_back(json::string(source));
  }
  if (media.size() == 1) {
    params["mediaUrl"] = media.front();
  } else if (!media.empty()) {
    params["mediaUrls"] = std::move(media);
  }
  if (flags.force_document) {
    params["forceDocument"] = true;
  }
  if (flags.silent) {
    params["silent"] = true;
  }
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

// message.action for react / edit / delete.
void run_action(CliContext& ctx, const MessageFlags& flags, std::string_view action) {
  std::string channel = core::lowercase_trimmed(flags.channel);
  std::string to(core::trim(flags.to));
  std::string id(core::trim(flags.message_id));
  Result<void> problem;
  if (channel.empty()) {
    problem =
        fail(Errc::invalid_argument, "--channel must not be blank", "e.g. --channel telegram");
  } else if (to.empty() || id.empty()) {
    problem = fail(Errc::invalid_argument, "--to and --message-id are required",
                   "pass the chat id and the id of the message");
  } else if (action == "edit" && core::trim(flags.text).empty()) {
    problem = fail(Errc::invalid_argument, "the new text is empty", "pass it with --text");
  } else if (action == "react" && flags.remove && flags.emoji.empty()) {
    problem = fail(Errc::invalid_argument, "--remove needs --emoji",
                   "or pass --emoji \"\" to clear the bot's reaction");
  }
  if (!problem) {
    report_failure(ctx, problem.error(), flags.json);
    return;
  }
  json::object arguments{{"to", to}, {"messageId", id}};
  if (!core::trim(flags.thread).empty()) {
    arguments["threadId"] = std::string(core::trim(flags.thread));
  }
  if (action == "edit") {
    arguments["message"] = flags.text;
  }
  if (action == "react") {
    arguments["emoji"] = flags.emoji;
    if (flags.remove) {
      arguments["remove"] = true;
    }
  }
  json::object params{{"channel", channel},
                      {"action", action},
                      {"params", std::move(arguments)},
                      {"idempotencyKey", core::random_uuid()}};
  if (flags.account_given) {
    params["accountId"] = core::lowercase_trimmed(flags.account);
  }
  auto result = call_gateway_or_report(ctx, flags.target, "message.action", params, flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
    return;
  }
  std::string_view done =
      action == "react"
          ? (flags.remove || flags.emoji.empty() ? "reaction removed from" : "reacted to")
      : action == "edit" ? "edited"
                         : "deleted";
  fmt::print("{} message {} in {} {}\n", done, id, channel, to);
}

// The flags every message.action subcommand shares.
CLI::App* add_action_command(CLI::App& parent, CliContext& ctx, std::string_view name,
                             std::string_view help) {
  auto flags = std::make_shared<MessageFlags>();
  CLI::App* command = parent.add_subcommand(std::string(name), std::string(help));
  command->add_option("--channel", flags->channel, "Channel, e.g. telegram")->required();
  command->add_option("-t,--to,--target", flags->to, "Chat id")->required();
  command->add_option("--message-id", flags->message_id, "The message's id")->required();
  command->add_option("--account", flags->account, "Channel account id (default: its default)")
      ->type_name("ID");
  command->add_option("--thread,--thread-id", flags->thread, "Forum topic id")->type_name("ID");
  if (name == "react") {
    command->add_option("--emoji", flags->emoji, "The reaction; empty removes the bot's");
    command->add_flag("--remove", flags->remove, "Remove the reaction instead");
  }
  if (name == "edit") {
    command->add_option("-m,--text,--message", flags->text, "The new text")->required();
  }
  add_gateway_target_options(*command, flags->target);
  command->add_flag("--json", flags->json, "Print the gateway's answer as JSON");
  command->callback([&ctx, command, flags, action = std::string(name)] {
    flags->account_given = command->count("--account") > 0;
    run_action(ctx, *flags, action);
  });
  return command;
}

}  // namespace

void register_message_command(CLI::App& root, CliContext& ctx) {
  CLI::App* message =
      root.add_subcommand("message", "Send messages through the gateway's chat channels");
  message->require_subcommand(1);

  auto flags = std::make_shared<MessageFlags>();
  flags->target.timeout_ms = kSendTimeoutMs;
  CLI::App* send = message->add_subcommand("send", "Send a message (text and/or files) to a chat");
  send->add_option("--channel", flags->channel, "Channel, e.g. telegram")->required();
  send->add_option("-t,--to,--target", flags->to, "Chat id (Telegram: a user or group id)")
      ->required();
  send->add_option("-m,--text,--message", flags->text, "The message text (markdown)");
  send->add_option("--media", flags->media, "A file path or URL to attach (repeatable)")
      ->type_name("PATH|URL");
  send->add_flag("--force-document", flags->force_document, "Send images as files, uncompressed");
  send->add_flag("--silent", flags->silent, "Deliver without a notification sound");
  send->add_option("--account", flags->account, "Channel account id (default: its default)")
      ->type_name("ID");
  send->add_option("--thread,--thread-id", flags->thread, "Thread or forum topic id")
      ->type_name("ID");
  send->add_option("--reply-to", flags->reply_to, "Message id to reply to")->type_name("ID");
  add_gateway_target_options(*send, flags->target);
  send->add_flag("--json", flags->json, "Print the gateway's answer as JSON");
  send->callback([&ctx, send, flags] {
    flags->account_given = send->count("--account") > 0;
    run_send(ctx, *flags);
  });
  add_action_command(*message, ctx, "react", "React to a message with an emoji");
  add_action_command(*message, ctx, "edit", "Replace the text of a message the bot sent");
  add_action_command(*message, ctx, "delete", "Delete a message");
}

}  // namespace pincer::app
