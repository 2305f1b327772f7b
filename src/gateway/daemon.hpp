#pragma once
// `pincer gateway`: the always-on daemon. Wires the subsystems together in start-up order —
// state dir, config, logging, state database, I/O thread and pool, config hot reload, the
// gateway listener — runs until SIGINT/SIGTERM, then stops them in reverse order.
// Later issues add sessions, the agent, channels, cron and the heartbeat here.

#include <cstdint>
#include <optional>
#include <string>

#include "core/paths.hpp"

namespace pincer::gateway {

// Command-line overrides; unset fields come from the config.
struct DaemonOptions {
  core::StatePaths paths;
  std::optional<int> port;           // --port (0 picks a free port)
  std::optional<std::string> bind;   // --bind loopback|lan|auto|custom|tailnet
  std::optional<std::string> auth;   // --auth token|password|none|trusted-proxy
  std::optional<std::string> token;  // --token
  std::optional<std::string> password;
  bool verbose = false;
  bool allow_unconfigured = false;  // accepted for the reference's CLI; Pincer never needs a file
};

// Runs the daemon in the foreground; returns the process exit code (0 after a clean stop).
int run_daemon(const DaemonOptions& options);

}  // namespace pincer::gateway
