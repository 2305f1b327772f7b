#include "gateway/daemon.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/config_loader.hpp"
#include "core/config_watcher.hpp"
#include "core/files.hpp"
#include "core/json_path.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_server.hpp"
#include "gateway/methods/methods.hpp"
#include "sessions/maintenance_loop.hpp"
#include "store/state_database.hpp"

namespace pincer::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

sessions::MaintenanceOptions maintenance_options(const core::SessionMaintenanceConfig& config) {
  sessions::MaintenanceOptions options;
  options.enforce = config.mode == core::MaintenanceMode::enforce;
  options.prune_after_ms = config.prune_after_ms;
  options.max_entries = config.max_entries;
  return options;
}

// One gateway per state directory: two daemons would both answer the same chats.
// The lock lives as long as the process (the kernel drops it on exit, even on kill -9).
Result<int> lock_state_dir(const std::filesystem::path& state_dir) {
  std::filesystem::path lock = state_dir / "gateway.lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::io, "cannot open " + lock.string(),
                "check the state directory's permissions");
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return fail(Errc::unavailable,
                "another pincer gateway is already running on " + state_dir.string(),
                "stop it first, or use --profile NAME for a second, separate assistant");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    // Only informational (who holds the lock); the lock itself is what matters.
    [[maybe_unused]] auto written = ::write(fd, pid.data(), pid.size());
  }
  return fd;
}

// Each WebSocket is a descriptor; the soft default (1024) would cap the gateway far below what
// it can serve. Raise the soft limit to the hard one.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

constexpr auto kDrainBound = std::chrono::seconds(10);
// How long closing connections get to flush the shutdown event and finish the close handshake
// before their sockets are cut (a connection cuts its own socket after 2 s anyway).
constexpr auto kCloseFlushBound = std::chrono::milliseconds(2500);

void print_error(const Error& error) {
  fmt::print(stderr, "error: {}\n", error.describe());
}

// Applies the command-line overrides, which outrank the file (as in the reference). They go
// through the same validation as the file, so `--bind everywhere` fails like a bad config would.
Status apply_overrides(const DaemonOptions& options, core::Config& config) {
  json::value document = config.raw;
  auto set = [&document](std::string_view path, json::value value) {
    auto parsed = core::parse_json_path(path);
    return core::set_at(document, *parsed, std::move(value));
  };
  const std::array<std::pair<std::string_view, const std::optional<std::string>*>, 4> overrides{{
      {"gateway.bind", &options.bind},
      {"gateway.auth.mode", &options.auth},
      {"gateway.auth.token", &options.token},
      {"gateway.auth.password", &options.password},
  }};
  bool any = false;
  for (const auto& [path, value] : overrides) {
    if (*value) {
      if (auto ok = set(path, json::string(**value)); !ok) {
        return ok;
      }
      any = true;
    }
  }
  if (any) {
    core::Config next;
    auto issues = core::read_config(document, next);
    for (const auto& issue : issues) {
      if (issue.severity == core::ConfigIssue::Severity::error) {
        return fail(Errc::invalid_argument, "command-line option: " + issue.to_string());
      }
    }
    if (next.gateway.auth.token.empty()) {
      next.gateway.auth.token = config.gateway.auth.token;  // e.g. from PINCER_GATEWAY_TOKEN
    }
    config = std::move(next);
  }
  // Port 0 (any free port) is allowed here though not in the file: tests and scripts use it.
  if (options.port) {
    config.gateway.port = *options.port;
  }
  return {};
}

core::LogOptions log_options_for(const core::Config& config, const core::StatePaths& paths,
                                 bool verbose) {
  core::LogOptions options;
  options.level = verbose ? core::LogLevel::debug : config.logging.level;
  options.console_level =
      verbose ? core::LogLevel::debug : config.logging.console_level.value_or(config.logging.level);
  std::filesystem::path file = core::log_file_path(config.logging, paths, core::process_env());
  options.dir = file.parent_path();
  options.file_name = file.filename().string();
  options.max_file_bytes = static_cast<uint64_t>(config.logging.max_file_bytes);
  options.redact = {config.logging.redact_sensitive, config.logging.redact_patterns};
  return options;
}

void register_secrets(const core::Config& config) {
  auto& redactor = core::log_redactor();
  redactor.add_secret(config.gateway.auth.token);
  redactor.add_secret(config.gateway.auth.password);
  for (const auto& [name, value] : config.env.vars) {
    redactor.add_secret(value);
  }
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const core::StatePaths& paths = options.paths;
  if (auto ok = core::ensure_private_dir(paths.state_dir); !ok) {
    print_error(ok.error());
    return 1;
  }
  auto lock = lock_state_dir(paths.state_dir);
  if (!lock) {
    print_error(lock.error());
    return 1;
  }

  auto env = core::process_env();
  auto loaded = core::load_valid_config(paths.config_file, env);
  if (!loaded) {
    print_error(loaded.error());
    return 1;
  }
  core::Config config = std::move(*loaded);
  if (auto ok = apply_overrides(options, config); !ok) {
    print_error(ok.error());
    return 2;
  }
  core::apply_env_vars(config);

  if (auto ok = core::init_logging(log_options_for(config, paths, options.verbose)); !ok) {
    print_error(ok.error());
    return 1;
  }
  register_secrets(config);

  auto db = store::open_state_database(paths.database_file);
  if (!db) {
    log::fatal("gateway", "cannot open the state database: {}", db.error().describe());
    return 1;
  }

  auto address = bind_address_for(config.gateway);
  if (!address) {
    log::fatal("gateway", "{}", address.error().describe());
    return 1;
  }
  if (config.gateway.auth.mode == core::AuthMode::token && config.gateway.auth.token.empty()) {
    log::warn("gateway",
              "gateway.auth.token is not set: clients will not be able to authenticate "
              "(run pincer onboard, or set PINCER_GATEWAY_TOKEN)");
  }

  raise_descriptor_limit();
  asio::io_context io(1);
  asio::thread_pool pool(2);

  Gateway gateway(io, pool, *db, paths, config);
  register_all_methods(gateway);
  GatewayServer server(gateway);
  auto port = server.listen(*address, static_cast<uint16_t>(config.gateway.port));
  if (!port) {
    log::fatal("gateway", "{}", port.error().describe());
    return 1;
  }

  // Session maintenance in the background, with the maintenance settings current at each run.
  sessions::MaintenanceLoop maintenance(io, pool, paths.database_file, [&gateway] {
    return maintenance_options(gateway.config().session.maintenance);
  });
  maintenance.start();

  core::ConfigWatcher watcher(io, pool, paths.config_file, env, config);
  if (config.gateway.reload == core::ReloadMode::hybrid) {
    watcher.subscribe(
        [&gateway](const core::Config& next, const std::vector<std::string>& changed) {
          gateway.update_config(next);
          core::set_log_level(next.logging.level,
                              next.logging.console_level.value_or(next.logging.level));
          if (auto ok = core::log_redactor().configure(
                  {next.logging.redact_sensitive, next.logging.redact_patterns});
              !ok) {
            log::warn("config", "keeping the previous redaction rules: {}", ok.error().describe());
          }
          register_secrets(next);
          for (const auto& path : changed) {
            // The listener (port, bind, TLS) is fixed at start; auth, origins and proxies are
            // read per connection and apply live.
            bool live = path.starts_with("gateway.auth.") ||
                        path.starts_with("gateway.controlUi.allowedOrigins") ||
                        path.starts_with("gateway.trustedProxies") ||
                        path.starts_with("gateway.allowRealIpFallback") ||
                        path.starts_with("gateway.http.endpoints.") ||
                        path.starts_with("gateway.reload");
            bool needs_restart = path.starts_with("gateway.") && !live;
            log::info("config", "{} changed{}", path,
                      needs_restart ? " (takes effect after a gateway restart)" : "");
          }
        });
    if (auto ok = watcher.start(); !ok) {
      log::warn("config", "hot reload is off: {}", ok.error().describe());
    }
  }

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) {
      return;
    }
    log::info("gateway", "received {}, shutting down", signal == SIGINT ? "SIGINT" : "SIGTERM");
    watcher.stop();
    maintenance.stop();
    server.stop_accepting();
    // Finish what is in flight (bounded), tell clients, then close everything.
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          co_await gateway.drain(kDrainBound, "gateway stopping");
          // drain() only queued the shutdown event and the close frames: cutting the sockets
          // now would drop both, so wait until the connections have closed (bounded).
          asio::steady_timer poll(io);
          auto deadline = std::chrono::steady_clock::now() + kCloseFlushBound;
          while (gateway.connection_count() > 0 && std::chrono::steady_clock::now() < deadline) {
            poll.expires_after(std::chrono::milliseconds(20));
            co_await poll.async_wait(asio::as_tuple(asio::use_awaitable));
          }
          server.stop();
        },
        asio::detached);
  });
  gateway.start();

  auto ready_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  log::info("gateway", "pincer {} gateway listening on {}:{} (state {}, ready in {} ms)",
            core::version(), *address, *port, paths.state_dir.string(), ready_ms);

  io.run();
  pool.stop();
  pool.join();
  log::info("gateway", "gateway stopped");
  core::shutdown_logging();
  return 0;
}

}  // namespace pincer::gateway
