#pragma once
// Logging: one spdlog logger per subsystem ("gateway", "telegram", "cron"), all writing into one
// process-wide sink that redacts each message once (log_redactor(), see redact.hpp) and then
// fans it out to
//   console  stderr, for people: "2025-01-02 03:04:05.678 info  [gateway] listening on ...",
//            local time, the level coloured when stderr is a terminal and NO_COLOR is unset;
//   file     <logs>/pincer.log, JSON lines, one object per line with the fields
//            time (ISO 8601 UTC with ms), level, subsystem, message, pid, hostname
//            ("message" and "hostname" are the reference system's names), rotated by size:
//            pincer.log -> pincer.1.log -> ... -> pincer.<max_files>.log. The directory is made
//            0700, the files 0600 and close-on-exec (tool processes must not inherit them).
//
// Writing is synchronous: the caller formats, redacts and writes the line (one write(2) to the
// page cache, no fsync) under the sink mutex. That costs a few microseconds per line (see
// bench/log_bench.cpp) and the daemon logs a few lines per second, so a background thread
// would buy nothing and would lose the last lines on a crash. A stalled disk does block the
// caller; log at debug level sparingly on the I/O thread.
//
// Before init_logging() (and after shutdown_logging()) messages go to stderr at level info,
// still redacted. Levels can change at any time (config hot reload).
//
// Call sites:   log::info("gateway", "listening on {}", endpoint);

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/redact.hpp"
#include "core/result.hpp"

namespace spdlog {
class logger;
}

namespace pincer::core {

// The reference system's levels; `silent` turns a destination off.
enum class LogLevel { trace, debug, info, warn, error, fatal, silent };

// "trace" | "debug" | "info" | "warn" (or "warning") | "error" | "fatal" | "silent" (or "off"),
// case-insensitive. Anything else is Errc::config listing the accepted names.
Result<LogLevel> parse_log_level(std::string_view text);
std::string_view to_string(LogLevel level);

struct LogOptions {
  LogLevel level = LogLevel::info;          // the file (logging.level)
  LogLevel console_level = LogLevel::info;  // stderr (logging.consoleLevel)
  bool console = true;                      // write to stderr at all
  std::filesystem::path dir;                // the logs directory; empty: no file
  std::string file_name = "pincer.log";     // rotated files: pincer.1.log, pincer.2.log, ...
  std::uint64_t max_file_bytes =
      std::uint64_t{10} * 1024 * 1024;  // rotate before a write would pass this
  std::size_t max_files = 5;            // rotated files kept beside the active one
  RedactOptions redact;                 // logging.redactSensitive / redactPatterns
};

// (Re)configures the destinations, levels and redaction. Creates `dir` (0700) and opens the
// file (0600). On failure (invalid option, bad redact pattern, unwritable directory) returns
// the error and leaves the previous configuration in place. Registered redaction secrets and
// loggers already handed out stay valid.
Status init_logging(const LogOptions& options);

// Changes the levels without touching the destinations (config hot reload).
void set_log_level(LogLevel file_level, LogLevel console_level);

// Whether a message at `level` would reach any destination: one atomic load.
bool log_enabled(LogLevel level);

// Flushes the file. Lines are flushed as they are written, so this is for shutdown paths.
void flush_logs();

// Closes the log file; later messages go to stderr at level info, as before init_logging().
void shutdown_logging();

// The process-wide redactor every message passes through. Register secrets here
// (log_redactor().add_secret(token)) as soon as they are read.
Redactor& log_redactor();

// The logger for a subsystem, created on first use and kept for the life of the process.
// Messages logged through it directly are redacted too.
spdlog::logger& logger(std::string_view subsystem);

// Writes one already formatted message. The log:: functions below are the usual way in.
void write_log(LogLevel level, std::string_view subsystem, std::string_view message);

}  // namespace pincer::core

namespace pincer::log {

template <class... Args>
void write(core::LogLevel level, std::string_view subsystem, fmt::format_string<Args...> format,
           Args&&... args) {
  if (!core::log_enabled(level)) {
    return;
  }
  fmt::basic_memory_buffer<char, 256> buffer;
  fmt::format_to(std::back_inserter(buffer), format, std::forward<Args>(args)...);
  core::write_log(level, subsystem, std::string_view(buffer.data(), buffer.size()));
}

template <class... Args>
void trace(std::string_view subsystem, fmt::format_string<Args...> format, Args&&... args) {
  write(core::LogLevel::trace, subsystem, format, std::forward<Args>(args)...);
}

template <class... Args>
void debug(std::string_view subsystem, fmt::format_string<Args...> format, Args&&... args) {
  write(core::LogLevel::debug, subsystem, format, std::forward<Args>(args)...);
}

template <class... Args>
void info(std::string_view subsystem, fmt::format_string<Args...> format, Args&&... args) {
  write(core::LogLevel::info, subsystem, format, std::forward<Args>(args)...);
}

template <class... Args>
void warn(std::string_view subsystem, fmt::format_string<Args...> format, Args&&... args) {
  write(core::LogLevel::warn, subsystem, format, std::forward<Args>(args)...);
}

template <class... Args>
void error(std::string_view subsystem, fmt::format_string<Args...> format, Args&&... args) {
  write(core::LogLevel::error, subsystem, format, std::forward<Args>(args)...);
}

template <class... Args>
void fatal(std::string_view subsystem, fmt::format_string<Args...> format, Args&&... args) {
  write(core::LogLevel::fatal, subsystem, format, std::forward<Args>(args)...);
}

}  // namespace pincer::log
