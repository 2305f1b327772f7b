#include "core/log.hpp"

#include <fcntl.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/files.hpp"

namespace pincer::core {

namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
  switch (level) {
    case LogLevel::trace:
      return spdlog::level::trace;
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warn:
      return spdlog::level::warn;
    case LogLevel::error:
      return spdlog::level::err;
    case LogLevel::fatal:
      return spdlog::level::critical;
    case LogLevel::silent:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

// Our level names (the reference's), not spdlog's "warning"/"critical".
std::string_view level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "fatal";
    default:
      return "silent";
  }
}

using Buffer = spdlog::memory_buf_t;

void append(Buffer& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when it is not valid.
size_t utf8_sequence(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < text.size() && byte(k) >= lo && byte(k) <= hi;
  };
  unsigned char c = byte(i);
  if (c >= 0xC2 && c <= 0xDF) {
    return cont(i + 1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// A JSON string body: quotes, backslashes and control characters escaped; invalid UTF-8
// becomes U+FFFD so every line stays valid JSON.
void append_json_escaped(Buffer& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  auto flush_run = [&](size_t end) { append(out, text.substr(run, end - run)); };
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7f) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      if (size_t len = utf8_sequence(text, i); len > 0) {
        i += len;
        continue;
      }
      flush_run(i);
      append(out, "\\ufffd");
      run = ++i;
      continue;
    }
    flush_run(i);
    switch (c) {
      case '"':
        append(out, "\\\"");
        break;
      case '\\':
        append(out, "\\\\");
        break;
      case '\n':
        append(out, "\\n");
        break;
      case '\r':
        append(out, "\\r");
        break;
      case '\t':
        append(out, "\\t");
        break;
      default: {
        std::array<char, 6> esc = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        append(out, std::string_view(esc.data(), esc.size()));
      }
    }
    run = ++i;
  }
  flush_run(text.size());
}

std::string host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) {
    return {};
  }
  return std::string(name.data());
}

// {"time":"2025-01-02T03:04:05.678Z","level":"info","subsystem":"gateway","message":"...",
//  "pid":123,"hostname":"box"}
class JsonLineFormatter final : public spdlog::formatter {
 public:
  JsonLineFormatter() : pid_(::getpid()), hostname_(host_name()) {}

  void format(const spdlog::details::log_msg& msg, Buffer& dest) override {
    using namespace std::chrono;
    auto since_epoch = msg.time.time_since_epoch();
    auto secs = duration_cast<seconds>(since_epoch);
    auto millis = duration_cast<milliseconds>(since_epoch - secs).count();
    if (secs.count() != cached_second_) {
      std::time_t t = secs.count();
      std::tm tm{};
      ::gmtime_r(&t, &tm);
      cached_prefix_ = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
      cached_second_ = secs.count();
    }
    append(dest, R"({"time":")");
    append(dest, cached_prefix_);
    fmt::format_to(std::back_inserter(dest), ".{:03}Z", millis);
    append(dest, R"(","level":")");
    append(dest, level_name(msg.level));
    append(dest, R"(","subsystem":")");
    append_json_escaped(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    append(dest, R"(","message":")");
    append_json_escaped(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    fmt::format_to(std::back_inserter(dest), R"(","pid":{},"hostname":")", pid_);
    append_json_escaped(dest, hostname_);
    append(dest, "\"}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLineFormatter>();
  }

 private:
  int pid_;
  std::string hostname_;
  std::int64_t cached_second_ = -1;
  std::string cached_prefix_;
};

// %* in the console pattern: our level name, padded to 5.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, Buffer& dest) override {
    std::string_view name = level_name(msg.level);
    append(dest, name);
    for (size_t k = name.size(); k < 5; ++k) {
      dest.push_back(' ');
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::unique_ptr<spdlog::formatter> console_formatter() {
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<LevelFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e %^%*%$ [%n] %v");
  return formatter;
}

std::shared_ptr<spdlog::sinks::sink> make_console_sink(LogLevel level) {
  const char* no_color = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe)
  auto mode = no_color != nullptr && *no_color != '\0' ? spdlog::color_mode::never
                                                       : spdlog::color_mode::automatic;
  auto sink = std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>(mode);
  sink->set_formatter(console_formatter());
  sink->set_level(to_spdlog(level));
  return sink;
}

Result<std::shared_ptr<spdlog::sinks::sink>> make_file_sink(const LogOptions& options) {
  if (auto dir = ensure_private_dir(options.dir); !dir) {
    return std::unexpected(dir.error());
  }
  spdlog::file_event_handlers handlers;
  // Create the file 0600 before stdio opens it with the umask's mode ...
  handlers.before_open = [](const spdlog::filename_t& name) {
    int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
    }
  };
  // ... and tighten a file that existed with other bits; child processes must not inherit it.
  handlers.after_open = [](const spdlog::filename_t&, std::FILE* file) {
    int fd = ::fileno(file);
    ::fchmod(fd, 0600);
    ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
  };
  auto path = options.dir / options.file_name;
  try {
    auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_st>(
        path.string(), static_cast<size_t>(options.max_file_bytes), options.max_files,
        /*rotate_on_open=*/false, handlers);
    sink->set_formatter(std::make_unique<JsonLineFormatter>());
    sink->set_level(to_spdlog(options.level));
    return sink;
  } catch (const spdlog::spdlog_ex& e) {
    return fail(Errc::io, "cannot open the log file " + path.string() + ": " + e.what(),
                "check that the logs directory is writable and the disk is not full");
  }
}

// The one sink every logger writes to: redacts once, then writes to the console and the file.
class FanoutSink final : public spdlog::sinks::sink {
 public:
  void log(const spdlog::details::log_msg& msg) override {
    std::string_view payload(msg.payload.data(), msg.payload.size());
    std::optional<std::string> redacted = log_redactor().redact_if_needed(payload);
    spdlog::details::log_msg out = msg;
    if (redacted) {
      out.payload = spdlog::string_view_t(redacted->data(), redacted->size());
    }
    std::lock_guard lock(mutex_);
    if (console_ && console_->should_log(msg.level)) {
      console_->log(out);
    }
    if (file_ && file_->should_log(msg.level)) {
      file_->log(out);
      file_->flush();  // one write(2) per line, so `pincer logs --follow` sees it at once
    }
  }

  void flush() override {
    std::lock_guard lock(mutex_);
    if (console_) {
      console_->flush();
    }
    if (file_) {
      file_->flush();
    }
  }

  // Each destination keeps its own format.
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  void set_destinations(std::shared_ptr<spdlog::sinks::sink> console,
                        std::shared_ptr<spdlog::sinks::sink> file) {
    std::lock_guard lock(mutex_);
    if (file_) {
      file_->flush();
    }
    console_ = std::move(console);
    file_ = std::move(file);
  }

  // The most verbose level any destination accepts.
  spdlog::level::level_enum set_levels(LogLevel console_level, LogLevel file_level) {
    std::lock_guard lock(mutex_);
    auto min = spdlog::level::off;
    if (console_) {
      console_->set_level(to_spdlog(console_level));
      min = std::min(min, console_->level());
    }
    if (file_) {
      file_->set_level(to_spdlog(file_level));
      min = std::min(min, file_->level());
    }
    return min;
  }

 private:
  std::mutex mutex_;  // guards console_, file_ and writes to them
  std::shared_ptr<spdlog::sinks::sink> console_;
  std::shared_ptr<spdlog::sinks::sink> file_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class LogState {
 public:
  LogState() : fanout_(std::make_shared<FanoutSink>()) { reset(); }

  Status init(const LogOptions& options) {
    if (options.max_file_bytes == 0) {
      return fail(Errc::config, "logging.maxFileBytes must be positive",
                  "use a size in bytes, e.g. 10485760 for 10 MiB");
    }
    if (options.max_files > 200000) {
      return fail(Errc::config, "logging: at most 200000 rotated files can be kept");
    }
    if (options.file_name.empty() || options.file_name.find('/') != std::string::npos) {
      return fail(Errc::config, "log file name \"" + options.file_name + "\" is not a plain name");
    }
    // Check the patterns before opening anything, apply them only once the file is open.
    if (auto patterns = Redactor().configure(options.redact); !patterns) {
      return patterns;
    }
    std::shared_ptr<spdlog::sinks::sink> file;
    if (!options.dir.empty()) {
      auto sink = make_file_sink(options);
      if (!sink) {
        return std::unexpected(sink.error());
      }
      file = std::move(*sink);
    }
    if (auto redact = log_redactor().configure(options.redact); !redact) {
      return redact;
    }
    auto console = options.console ? make_console_sink(options.console_level) : nullptr;
    fanout_->set_destinations(std::move(console), std::move(file));
    set_levels(options.level, options.console_level);
    return {};
  }

  void reset() {
    fanout_->set_destinations(make_console_sink(LogLevel::info), nullptr);
    set_levels(LogLevel::info, LogLevel::info);
  }

  void set_levels(LogLevel file_level, LogLevel console_level) {
    std::unique_lock lock(loggers_mutex_);
    auto min = fanout_->set_levels(console_level, file_level);
    min_level_.store(static_cast<int>(min), std::memory_order_relaxed);
    for (auto& [name, logger] : loggers_) {
      logger->set_level(min);
    }
  }

  bool enabled(LogLevel level) const {
    return static_cast<int>(to_spdlog(level)) >= min_level_.load(std::memory_order_relaxed) &&
           level != LogLevel::silent;
  }

  spdlog::logger& logger(std::string_view subsystem) {
    {
      std::shared_lock lock(loggers_mutex_);
      if (auto it = loggers_.find(subsystem); it != loggers_.end()) {
        return *it->second;
      }
    }
    std::unique_lock lock(loggers_mutex_);
    auto [it, inserted] = loggers_.try_emplace(std::string(subsystem));
    if (inserted) {
      it->second = std::make_shared<spdlog::logger>(std::string(subsystem), fanout_);
      it->second->set_level(
          static_cast<spdlog::level::level_enum>(min_level_.load(std::memory_order_relaxed)));
    }
    return *it->second;
  }

  void flush() { fanout_->flush(); }

  Redactor& redactor() { return redactor_; }

 private:
  Redactor redactor_;
  std::shared_ptr<FanoutSink> fanout_;
  std::atomic<int> min_level_{static_cast<int>(spdlog::level::info)};
  std::shared_mutex loggers_mutex_;  // guards loggers_ (and orders level changes)
  std::unordered_map<std::string, std::shared_ptr<spdlog::logger>, StringHash, std::equal_to<>>
      loggers_;
};

// Built on first use and never destroyed: loggers may be used from static destructors and
// threads still running at exit.
LogState& state() {
  static auto* instance = new LogState();  // NOLINT(cppcoreguidelines-owning-memory)
  return *instance;
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  static constexpr std::array<std::pair<std::string_view, LogLevel>, 9> kNames = {{
      {"trace", LogLevel::trace},
      {"debug", LogLevel::debug},
      {"info", LogLevel::info},
      {"warn", LogLevel::warn},
      {"warning", LogLevel::warn},
      {"error", LogLevel::error},
      {"fatal", LogLevel::fatal},
      {"silent", LogLevel::silent},
      {"off", LogLevel::silent},
  }};
  for (const auto& [name, level] : kNames) {
    if (lower == name) {
      return level;
    }
  }
  return fail(Errc::config, "unknown log level \"" + std::string(text) + "\"",
              "use one of trace, debug, info, warn, error, fatal, silent");
}

std::string_view to_string(LogLevel level) {
  if (level == LogLevel::silent) {
    return "silent";
  }
  return level_name(to_spdlog(level));
}

Status init_logging(const LogOptions& options) {
  return state().init(options);
}

void set_log_level(LogLevel file_level, LogLevel console_level) {
  state().set_levels(file_level, console_level);
}

bool log_enabled(LogLevel level) {
  return state().enabled(level);
}

void flush_logs() {
  state().flush();
}

void shutdown_logging() {
  state().flush();
  state().reset();
}

Redactor& log_redactor() {
  return state().redactor();
}

spdlog::logger& logger(std::string_view subsystem) {
  return state().logger(subsystem);
}

void write_log(LogLevel level, std::string_view subsystem, std::string_view message) {
  logger(subsystem).log(to_spdlog(level), spdlog::string_view_t(message.data(), message.size()));
}

}  // namespace pincer::core
