// pincer devices list|approve|reject|remove and pincer nodes list: pairing from the terminal.
// Thin clients of the running gateway (device.pair.*, node.list); the gateway owns the records.

#include <fmt/core.h>

#include <memory>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/gateway_target.hpp"
#include "app/output.hpp"

namespace pincer::app {

namespace json = boost::json;

namespace {

struct DevicesFlags {
  GatewayTargetFlags target;
  std::string id;
  bool json = false;
};

std::string text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) {
    return "-";
  }
  if (value->is_string()) {
    return value->get_string().empty() ? "-" : std::string(value->get_string());
  }
  if (value->is_array()) {
    std::string joined;
    for (const auto& item : value->get_array()) {
      if (item.is_string()) {
        joined += (joined.empty() ? "" : ",") + std::string(item.get_string());
      }
    }
    return joined.empty() ? "-" : joined;
  }
  return json::serialize(*value);
}

const json::array& array_at(const json::value& payload, std::string_view key) {
  static const json::array kEmpty;
  const auto* object = payload.if_object();
  const auto* value = object != nullptr ? object->if_contains(key) : nullptr;
  return value != nullptr && value->is_array() ? value->get_array() : kEmpty;
}

void print_devices(const json::value& payload) {
  const auto& pending = array_at(payload, "pending");
  const auto& paired = array_at(payload, "paired");
  fmt::print("Pending requests ({})\n", pending.size());
  if (!pending.empty()) {
    fmt::print("  {:<38} {:<10} {:<20} {}\n", "REQUEST", "ROLE", "NAME", "FROM");
  }
  for (const auto& item : pending) {
    const auto& request = item.as_object();
    fmt::print("  {:<38} {:<10} {:<20} {}\n", text(request, "requestId"), text(request, "role"),
               text(request, "displayName"), text(request, "remoteIp"));
  }
  fmt::print("Paired devices ({})\n", paired.size());
  if (!paired.empty()) {
    fmt::print("  {:<18} {:<16} {:<20} {}\n", "DEVICE", "ROLES", "NAME", "SCOPES");
  }
  for (const auto& item : paired) {
    const auto& device = item.as_object();
    std::string name =
        text(device, "label") != "-" ? text(device, "label") : text(device, "displayName");
    fmt::print("  {:<18} {:<16} {:<20} {}\n", text(device, "deviceId").substr(0, 16),
               text(device, "roles"), name, text(device, "scopes"));
  }
  if (!pending.empty()) {
    fmt::print("\nApprove one with: pincer devices approve <REQUEST>\n");
  }
}

void print_nodes(const json::value& payload) {
  const auto& nodes = array_at(payload, "nodes");
  fmt::print("Nodes ({})\n", nodes.size());
  if (!nodes.empty()) {
    fmt::print("  {:<18} {:<20} {:<10} {}\n", "NODE", "NAME", "PLATFORM", "COMMANDS");
  }
  for (const auto& item : nodes) {
    const auto& node = item.as_object();
    fmt::print("  {:<18} {:<20} {:<10} {}\n", text(node, "nodeId").substr(0, 16),
               text(node, "displayName"), text(node, "platform"), text(node, "commands"));
  }
}

// Calls `method` and prints the result: as JSON with --json, else through `human`.
void run(CliContext& ctx, const DevicesFlags& flags, std::string_view method, json::value params,
         const std::function<void(const json::value&)>& human) {
  auto result = call_gateway_or_report(ctx, flags.target, method, params, flags.json);
  if (!result) {
    return;
  }
  if (flags.json) {
    print_json(*result);
  } else {
    human(*result);
  }
}

CLI::App* add(CLI::App& parent, CliContext& ctx, const std::string& name,
              const std::string& description, const char* id_name,
              std::function<void(CliContext&, const DevicesFlags&)> action) {
  auto flags = std::make_shared<DevicesFlags>();
  CLI::App* cmd = parent.add_subcommand(name, description);
  if (id_name != nullptr) {
    cmd->add_option(id_name, flags->id, "Id, as `pincer devices list` shows it")->required();
  }
  add_gateway_target_options(*cmd, flags->target);
  cmd->add_flag("--json", flags->json, "Print the gateway's answer as JSON");
  cmd->callback([&ctx, flags, action] { action(ctx, *flags); });
  return cmd;
}

}  // namespace

void register_devices_command(CLI::App& root, CliContext& ctx) {
  CLI::App* devices =
      root.add_subcommand("devices", "Pair devices and apps with the running gateway");
  devices->require_subcommand(1);
  add(*devices, ctx, "list", "Pending pairing requests and paired devices", nullptr,
      [](CliContext& c, const DevicesFlags& f) {
        run(c, f, "device.pair.list", json::object{}, print_devices);
      });
  add(*devices, ctx, "approve", "Approve a pending pairing request", "request-id",
      [](CliContext& c, const DevicesFlags& f) {
        run(c, f, "device.pair.approve", json::object{{"requestId", f.id}},
            [&f](const json::value&) { fmt::print("approved {}\n", f.id); });
      });
  add(*devices, ctx, "reject", "Reject a pending pairing request", "request-id",
      [](CliContext& c, const DevicesFlags& f) {
        run(c, f, "device.pair.reject", json::object{{"requestId", f.id}},
            [&f](const json::value&) { fmt::print("rejected {}\n", f.id); });
      });
  add(*devices, ctx, "remove", "Unpair a device (its tokens stop working at once)", "device-id",
      [](CliContext& c, const DevicesFlags& f) {
        run(c, f, "device.pair.remove", json::object{{"deviceId", f.id}},
            [&f](const json::value&) { fmt::print("removed {}\n", f.id); });
      });

  CLI::App* nodes = root.add_subcommand("nodes", "Nodes (companion devices and hosts)");
  nodes->require_subcommand(1);
  add(*nodes, ctx, "list", "Connected nodes and the commands they offer", nullptr,
      [](CliContext& c, const DevicesFlags& f) {
        run(c, f, "node.list", json::object{}, print_nodes);
      });
}

}  // namespace pincer::app
