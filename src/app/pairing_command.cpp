// pincer pairing list|approve|reject: DM pairing requests of chat channels (not devices: those
// are `pincer devices`). Thin clients of the running gateway (channels.pairing.*), which owns
// the requests and the allow list.
//
// A request's id is the code the sender was shown, so `approve telegram <CODE>` sends the code
// (uppercased) as requestId. Without --account, approve and reject look the code up in
// channels.pairing.list to find its account, and fall back to "default".
//
// approve always asks for the first-owner bootstrap (as the reference's CLI does): when no
// command owner is configured yet, the gateway records the approved sender in
// commands.ownerAllowFrom; later approvals only grant DM access.

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/gateway_target.hpp"
#include "app/output.hpp"
#include "core/text.hpp"

namespace pincer::app {

namespace json = boost::json;

namespace {

constexpr std::string_view kDefaultAccount = "default";
// The only channel with DM pairing today; `approve <CODE>` alone means it.
constexpr std::string_view kOnlyPairingChannel = "telegram";

struct PairingFlags {
  GatewayTargetFlags target;
  std::vector<std::string> args;  // [channel] code, or [channel] for list
  std::string channel;            // --channel
  std::string account;
  bool account_given = false;
  bool notify = false;
  bool json = false;
};

std::string text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) {
    return "-";
  }
  if (value->is_string()) {
    return value->get_string().empty() ? "-" : std::string(value->get_string());
  }
  return json::serialize(*value);
}

std::string uppercase(std::string_view code) {
  std::string out(core::trim(code));
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

// "in 58m", "in 12s", "expired" for an ISO-8601 UTC time ("2025-01-02T03:04:05Z"); the text
// itself when it does not parse.
std::string expires_in(const std::string& iso) {
  std::tm tm{};
  if (std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6) {
    return iso;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  int64_t at = static_cast<int64_t>(timegm(&tm));
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  int64_t s = at - now;
  if (s <= 0) {
    return "expired";
  }
  if (s < 60) {
    return fmt::format("in {}s", s);
  }
  if (s < 3600) {
    return fmt::format("in {}m", s / 60);
  }
  return fmt::format("in {}h {}m", s / 3600, (s % 3600) / 60);
}

const json::array& array_at(const json::value& payload, std::string_view key) {
  static const json::array kEmpty;
  const auto* object = payload.if_object();
  const auto* value = object != nullptr ? object->if_contains(key) : nullptr;
  return value != nullptr && value->is_array() ? value->get_array() : kEmpty;
}

// The account named with --account (lowercased), "" when none was; blank is refused.
Result<std::string> account_arg(const PairingFlags& flags) {
  if (!flags.account_given) {
    return std::string();
  }
  std::string account = core::lowercase_trimmed(flags.account);
  if (account.empty()) {
    return fail(Errc::invalid_argument, "--account must not be blank",
                "omit it to use the request's own account");
  }
  return account;
}

// The channel from the positional argument or --channel; they must agree when both are given.
Result<std::string> channel_arg(const PairingFlags& flags, const std::string& positional) {
  std::string channel = core::lowercase_trimmed(positional);
  std::string option = core::lowercase_trimmed(flags.channel);
  if (!channel.empty() && !option.empty() && channel != option) {
    return fail(Errc::invalid_argument,
                "two channels given: \"" + channel + "\" and --channel \"" + option + "\"",
                "name the channel once");
  }
  return channel.empty() ? option : channel;
}

void print_requests(const json::value& payload) {
  const auto& requests = array_at(payload, "requests");
  fmt::print("Pending pairing requests ({})\n", requests.size());
  if (!requests.empty()) {
    fmt::print("  {:<10} {:<10} {:<12} {:<14} {:<24} {}\n", "CODE", "CHANNEL", "ACCOUNT", "SENDER",
               "LABEL", "EXPIRES");
  }
  for (const auto& item : requests) {
    if (!item.is_object()) {
      continue;
    }
    const auto& request = item.get_object();
    fmt::print("  {:<10} {:<10} {:<12} {:<14} {:<24} {}\n", text(request, "requestId"),
               text(request, "channel"), text(request, "accountId"), text(request, "senderId"),
               text(request, "senderLabel"), expires_in(text(request, "expiresAt")));
  }
  if (!requests.empty()) {
    fmt::print("\nApprove one with: pincer pairing approve <channel> <CODE>\n");
  } else if (array_at(payload, "accounts").empty()) {
    fmt::print("No channel account uses dmPolicy \"pairing\", so none will ask.\n");
  }
}

void run_list(CliContext& ctx, const PairingFlags& flags) {
  if (flags.args.size() > 1) {
    report_failure(ctx,
                   Error{Errc::invalid_argument, "pairing list takes at most one channel",
                         "e.g. pincer pairing list telegram"},
                   flags.json);
    return;
  }
  auto channel = channel_arg(flags, flags.args.empty() ? std::string() : flags.args[0]);
  auto account =
      channel ? account_arg(flags) : Result<std::string>(std::unexpected(channel.error()));
  if (!account) {
    report_failure(ctx, account.error(), flags.json);
    return;
  }
  json::object params;
  if (!channel->empty()) {
    params["channel"] = *channel;
  }
  if (!account->empty()) {
    params["accountId"] = *account;
  }
  auto result =
      call_gateway_or_report(ctx, flags.target, "channels.pairing.list", params, flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
  } else {
    print_requests(*result);
  }
}

struct Target {
  std::string channel;
  std::string code;
  std::string account;
};

// Resolves `[channel] <code>` and the account. Without --account the pending request with this
// code names it; an unknown code keeps "default" and the gateway explains what is wrong.
std::optional<Target> resolve_target(CliContext& ctx, const PairingFlags& flags) {
  Result<std::string> channel = std::string();
  std::string code;
  if (flags.args.size() == 2) {
    channel = channel_arg(flags, flags.args[0]);
    code = flags.args[1];
  } else if (flags.args.size() == 1) {
    channel = channel_arg(flags, std::string());
    code = flags.args[0];
  } else {
    channel = fail(Errc::invalid_argument, "expected <channel> <code>",
                   "e.g. pincer pairing approve telegram ABCD2345");
  }
  if (channel && channel->empty()) {
    channel = std::string(kOnlyPairingChannel);
  }
  auto account =
      channel ? account_arg(flags) : Result<std::string>(std::unexpected(channel.error()));
  if (account && uppercase(code).empty()) {
    account = fail(Errc::invalid_argument, "the pairing code is empty",
                   "pass the code the sender was shown (pincer pairing list)");
  }
  if (!account) {
    report_failure(ctx, account.error(), flags.json);
    return std::nullopt;
  }
  Target target{*channel, uppercase(code), *account};
  if (!target.account.empty()) {
    return target;
  }
  auto pending = call_gateway_or_report(ctx, flags.target, "channels.pairing.list",
                                        json::object{{"channel", target.channel}}, flags.json);
  if (!pending) {
    return std::nullopt;
  }
  target.account = kDefaultAccount;
  for (const auto& item : array_at(*pending, "requests")) {
    const auto* request = item.if_object();
    if (request != nullptr && text(*request, "requestId") == target.code) {
      target.account = text(*request, "accountId");
    }
  }
  return target;
}

void run_approve(CliContext& ctx, const PairingFlags& flags) {
  auto target = resolve_target(ctx, flags);
  if (!target) {
    return;
  }
  auto result = call_gateway_or_report(ctx, flags.target, "channels.pairing.approve",
                                       json::object{{"channel", target->channel},
                                                    {"accountId", target->account},
                                                    {"requestId", target->code},
                                                    {"notify", flags.notify},
                                                    {"bootstrapCommandOwner", true}},
                                       flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
    return;
  }
  const auto* answer = result->if_object();
  std::string sender = answer != nullptr ? text(*answer, "senderId") : "-";
  fmt::print("approved {} sender {} (code {}, account {}): they can now message the bot\n",
             target->channel, sender, target->code, target->account);
  std::string owner = target->channel + ":" + sender;
  std::string bootstrap = answer != nullptr ? text(*answer, "commandOwnerBootstrap") : "-";
  if (bootstrap == "configured") {
    fmt::print(
        "{} is now the owner (commands.ownerAllowFrom): no command owner was configured, so the "
        "first approved sender becomes it; later approvals only grant DM access\n",
        owner);
  } else if (bootstrap == "unavailable") {
    fmt::print(
        "{} could not be recorded as the command owner; to make them the owner run: pincer config "
        "set commands.ownerAllowFrom '[\"{}\"]'\n",
        owner, owner);
  }
  if (flags.notify && answer != nullptr) {
    std::string notification = text(*answer, "notification");
    fmt::print("{}\n", notification == "sent" ? "the sender was told they are approved"
                                              : "telling the sender failed (" + notification +
                                                    "); they can simply write again");
  }
}

void run_reject(CliContext& ctx, const PairingFlags& flags) {
  auto target = resolve_target(ctx, flags);
  if (!target) {
    return;
  }
  auto result = call_gateway_or_report(ctx, flags.target, "channels.pairing.dismiss",
                                       json::object{{"channel", target->channel},
                                                    {"accountId", target->account},
                                                    {"requestId", target->code}},
                                       flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
    return;
  }
  const auto* answer = result->if_object();
  fmt::print("rejected pairing request {} from {} sender {} (not a block: they may ask again)\n",
             target->code, target->channel, answer != nullptr ? text(*answer, "senderId") : "-");
}

void add(CLI::App& parent, CliContext& ctx, const std::string& name, const std::string& description,
         const std::string& args_help, bool notify,
         void (*action)(CliContext&, const PairingFlags&)) {
  auto flags = std::make_shared<PairingFlags>();
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->add_option("args", flags->args, args_help);
  cmd->add_option("--channel", flags->channel, "Channel, e.g. telegram");
  cmd->add_option("--account", flags->account, "Channel account id")->type_name("ID");
  add_gateway_target_options(*cmd, flags->target);
  if (notify) {
    cmd->add_flag("--notify", flags->notify, "Tell the sender on the same channel");
  }
  cmd->add_flag("--json", flags->json, "Print the gateway's answer as JSON");
  cmd->callback([&ctx, cmd, flags, action] {
    flags->account_given = cmd->count("--account") > 0;
    action(ctx, *flags);
  });
}

}  // namespace

void register_pairing_command(CLI::App& root, CliContext& ctx) {
  CLI::App* pairing = root.add_subcommand(
      "pairing", "Approve people who DM a chat channel bot (devices: see pincer devices)");
  pairing->require_subcommand(1);
  add(*pairing, ctx, "list", "Pending DM pairing requests", "[channel], e.g. telegram", false,
      run_list);
  add(*pairing, ctx, "approve", "Allow a sender, by the code they were shown",
      "<channel> <code> (the channel may be left out: telegram)", true, run_approve);
  add(*pairing, ctx, "reject", "Drop a pending request (the sender may ask again)",
      "<channel> <code>", false, run_reject);
}

}  // namespace pincer::app
