// `pincer logs`: prints the gateway's file log, <state>/logs/pincer.log (JSON lines, see
// core/log.hpp), reading the rotated pincer.1.log, pincer.2.log, ... when --limit reaches past
// the active file.
//
// Output: for people, "time level [subsystem] message", the time in local time (--utc for
// UTC), coloured by level when stdout is a terminal (not with --no-color, --plain or NO_COLOR);
// --plain also drops the column padding. --json prints the file's lines unchanged. A line that
// is not a JSON object is printed as it is; control characters are escaped in human output so
// a logged message cannot drive the terminal.
//
// --follow keeps printing lines as they are appended, waking on inotify or every --interval
// ms, and survives rotation (pincer.log renamed away: the rest of the old file is printed,
// then the new one from its start) and truncation (read again from the start). SIGINT and
// SIGTERM end it with exit code 0.
//
// Exit codes: 0 when the lines were printed, also when there is no log yet (a note on stderr
// says where it will be: the gateway writes it); 1 when a log file cannot be read; 2 when the
// state directory cannot be resolved. Unlike the reference system this reads the file
// directly, not over the gateway's RPC, so it works with the gateway stopped.

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "core/config_loader.hpp"
#include "core/log.hpp"
#include "core/result.hpp"

namespace pincer::app {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr size_t kReadChunk = 64 * 1024;
constexpr int kMaxRotatedFiles = 1000;

struct LogsOptions {
  bool follow = false;
  size_t limit = 200;
  bool json = false;
  bool plain = false;
  bool no_color = false;
  bool utc = false;
  bool local_time = false;  // the default; accepted for compatibility with the reference
  int interval_ms = 1000;
};

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

Error io_error(std::string what, const fs::path& path, int err) {
  return Error{
      Errc::io,
      what + " " + path.string() + ": " + std::strerror(err),  // NOLINT(concurrency-mt-unsafe)
      "check the permissions of the logs directory"};
}

// pincer.log -> pincer.<index>.log, the names spdlog's rotating sink gives old files.
fs::path rotated_path(const fs::path& active, int index) {
  return active.parent_path() /
         (active.stem().string() + "." + std::to_string(index) + active.extension().string());
}

Result<Fd> open_log(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) {
      return fail(Errc::not_found, path.string() + " does not exist");
    }
    return std::unexpected(io_error("cannot open", path, err));
  }
  return fd;
}

bool read_fully_at(int fd, char* data, size_t size, std::uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pread(fd, data, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return true;
}

struct Tail {
  std::vector<std::string> lines;  // oldest first
  std::uint64_t complete_end = 0;  // offset just past the last complete line
};

// The last `limit` lines of a file, read backwards in chunks so a large file costs only
// what is printed. A final line without its newline (the writer is mid-line) is included only
// when `include_partial`.
Result<Tail> read_tail(int fd, const fs::path& path, size_t limit, bool include_partial) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return std::unexpected(io_error("cannot stat", path, errno));
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  std::string buffer;
  std::uint64_t pos = size;
  size_t newlines = 0;
  while (pos > 0 && newlines <= limit) {
    size_t len = static_cast<size_t>(std::min<std::uint64_t>(kReadChunk, pos));
    pos -= len;
    std::string chunk(len, '\0');
    if (!read_fully_at(fd, chunk.data(), len, pos)) {
      return std::unexpected(io_error("cannot read", path, errno != 0 ? errno : EIO));
    }
    newlines += static_cast<size_t>(std::ranges::count(chunk, '\n'));
    buffer.insert(0, chunk);
  }
  std::string_view text = buffer;
  if (pos > 0) {
    text.remove_prefix(std::min(text.size(), text.find('\n') + 1));  // a cut-off first line
  }
  Tail tail;
  size_t last_newline = text.rfind('\n');
  std::string_view partial =
      last_newline == std::string_view::npos ? text : text.substr(last_newline + 1);
  tail.complete_end = size - partial.size();
  text.remove_suffix(partial.size());
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  if (include_partial && !partial.empty()) {
    lines.push_back(partial);
  }
  size_t skip = lines.size() > limit ? lines.size() - limit : 0;
  for (size_t k = skip; k < lines.size(); ++k) {
    tail.lines.emplace_back(lines[k]);
  }
  return tail;
}

// --- rendering -----------------------------------------------------------------------------

struct Style {
  bool json = false;
  bool color = false;
  bool pad = true;
  bool utc = false;
};

std::string_view level_color(std::string_view level) {
  if (level == "trace")
    return "\x1b[90m";
  if (level == "debug")
    return "\x1b[36m";
  if (level == "info")
    return "\x1b[32m";
  if (level == "warn")
    return "\x1b[33m";
  if (level == "error")
    return "\x1b[31m";
  if (level == "fatal")
    return "\x1b[1;31m";
  return "";
}

// Stable per subsystem, so one subsystem's lines are easy to pick out.
std::string_view subsystem_color(std::string_view subsystem) {
  static constexpr std::array<std::string_view, 6> kColors = {"\x1b[34m", "\x1b[35m", "\x1b[36m",
                                                              "\x1b[94m", "\x1b[95m", "\x1b[96m"};
  std::uint32_t hash = 2166136261u;
  for (char c : subsystem) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  return kColors[hash % kColors.size()];
}

// Text from the log may hold escape sequences; only newline and tab go to the terminal as is.
void append_safe(std::string& out, std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
}

// "2025-01-02T03:04:05.678Z" in local time ("2025-01-02 04:04:05.678") or UTC
// ("2025-01-02 03:04:05.678Z"); anything else is returned unchanged.
std::string render_time(std::string_view iso, bool utc) {
  std::tm tm{};
  int millis = 0;
  std::string text(iso);
  int consumed = 0;
  // NOLINTNEXTLINE(cert-err34-c): the count and %n are checked
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return text;
  }
  std::string_view rest = iso.substr(static_cast<size_t>(consumed));
  if (rest.size() >= 4 && rest[0] == '.' && std::isdigit(static_cast<unsigned char>(rest[1])) &&
      std::isdigit(static_cast<unsigned char>(rest[2])) &&
      std::isdigit(static_cast<unsigned char>(rest[3]))) {
    millis = (rest[1] - '0') * 100 + (rest[2] - '0') * 10 + (rest[3] - '0');
    rest.remove_prefix(4);
  }
  if (rest != "Z") {
    return text;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = ::timegm(&tm);
  std::tm shown{};
  if (utc) {
    ::gmtime_r(&t, &shown);
  } else {
    ::localtime_r(&t, &shown);
  }
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}{}", shown.tm_year + 1900,
                     shown.tm_mon + 1, shown.tm_mday, shown.tm_hour, shown.tm_min, shown.tm_sec,
                     millis, utc ? "Z" : "");
}

std::string_view string_field(const json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) {
    return {};
  }
  const json::string& s = it->value().get_string();
  return std::string_view(s.data(), s.size());
}

std::string render_line(std::string_view line, const Style& style) {
  if (style.json) {
    return std::string(line) + "\n";
  }
  std::string out;
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(line.data(), line.size()), ec);
  if (ec || !parsed.is_object()) {
    append_safe(out, line);  // not ours, or cut off: shown raw
    out += '\n';
    return out;
  }
  const json::object& obj = parsed.get_object();
  std::string_view level = string_field(obj, "level");
  std::string_view subsystem = string_field(obj, "subsystem");
  std::string_view message = string_field(obj, "message");
  std::string_view time = string_field(obj, "time");
  if (!time.empty()) {
    std::string shown = render_time(time, style.utc);
    if (style.color) {
      out += "\x1b[2m";
    }
    append_safe(out, shown);
    out += style.color ? "\x1b[0m " : " ";
  }
  std::string level_text(level.empty() ? "?" : level);
  if (style.pad && level_text.size() < 5) {
    level_text.resize(5, ' ');
  }
  if (style.color && !level_color(level).empty()) {
    out += level_color(level);
    append_safe(out, level_text);
    out += "\x1b[0m";
  } else {
    append_safe(out, level_text);
  }
  out += ' ';
  if (!subsystem.empty()) {
    if (style.color) {
      out += subsystem_color(subsystem);
    }
    out += '[';
    append_safe(out, subsystem);
    out += ']';
    out += style.color ? "\x1b[0m " : " ";
  }
  append_safe(out, message);
  out += '\n';
  return out;
}

void print_lines(const std::vector<std::string>& lines, const Style& style) {
  for (const auto& line : lines) {
    std::string text = render_line(line, style);
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  std::fflush(stdout);
}

// --- follow --------------------------------------------------------------------------------

// Reads what was appended to one file since the last call, and prints complete lines.
class Follower {
 public:
  Follower(fs::path path, const Style& style) : path_(std::move(path)), style_(style) {}

  void attach(Fd fd, std::uint64_t offset) {
    fd_ = std::move(fd);
    offset_ = offset;
    pending_.clear();
    struct stat st {};
    inode_ = ::fstat(fd_.get(), &st) == 0 ? st.st_ino : 0;
  }

  // Prints what is new; then checks whether the file was replaced or truncated and, if so,
  // switches to the new file. Returns true when it switched (the caller reads again at once).
  Status poll_once(bool& switched) {
    switched = false;
    if (fd_) {
      if (auto read = drain(); !read) {
        return read;
      }
    }
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      return {};  // rotated away and not yet recreated: keep waiting
    }
    if (!fd_ || st.st_ino != inode_) {
      // The writer closes the old file before renaming it, so what it wrote after the drain
      // above is there now; after this read the old file is finished.
      if (fd_) {
        if (auto read = drain(); !read) {
          return read;
        }
      }
      flush_partial();
      auto fd = open_log(path_);
      if (!fd) {
        return fd.error().code == Errc::not_found ? Status{} : Status{std::unexpected(fd.error())};
      }
      attach(std::move(*fd), 0);
      switched = true;
    } else if (static_cast<std::uint64_t>(st.st_size) < offset_) {
      pending_.clear();
      offset_ = 0;  // truncated in place
      switched = true;
    }
    return {};
  }

 private:
  Status drain() {
    std::vector<std::string> lines;
    std::string chunk(kReadChunk, '\0');
    for (;;) {
      ssize_t n = ::pread(fd_.get(), chunk.data(), chunk.size(), static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return std::unexpected(io_error("cannot read", path_, errno));
      }
      if (n == 0) {
        break;
      }
      offset_ += static_cast<std::uint64_t>(n);
      pending_.append(chunk.data(), static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
        lines.emplace_back(pending_, start, nl - start);
      }
      pending_.erase(0, start);
    }
    print_lines(lines, style_);
    return {};
  }

  void flush_partial() {
    if (!pending_.empty()) {
      print_lines({pending_}, style_);
      pending_.clear();
    }
  }

  fs::path path_;
  Style style_;
  Fd fd_;
  ino_t inode_ = 0;
  std::uint64_t offset_ = 0;
  std::string pending_;  // bytes after the last newline read
};

// Blocks SIGINT and SIGTERM and receives them on a descriptor, so the wait below can end on
// either a signal or a file change without a handler.
Fd signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Fd();
  }
  return Fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

Fd watch_dir(const fs::path& dir) {
  Fd fd(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!fd) {
    return fd;
  }
  if (::inotify_add_watch(
          fd.get(), dir.c_str(),
          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE) < 0) {
    return Fd();  // no directory yet: fall back to the interval alone
  }
  return fd;
}

// Returns the exit code.
int follow(Follower& follower, const fs::path& dir, int interval_ms) {
  Fd signals = signal_fd();
  Fd watch = watch_dir(dir);
  for (;;) {
    bool switched = false;
    if (auto status = follower.poll_once(switched); !status) {
      fmt::print(stderr, "error: {}\n", status.error().describe());
      return 1;
    }
    if (switched) {
      continue;  // read the new file at once
    }
    if (!watch) {
      watch = watch_dir(dir);  // the directory may have appeared
    }
    std::array<pollfd, 2> fds = {pollfd{signals.get(), POLLIN, 0}, pollfd{watch.get(), POLLIN, 0}};
    int ready = ::poll(fds.data(), fds.size(), interval_ms);
    if (ready < 0 && errno != EINTR) {
      fmt::print(stderr, "error: waiting for log changes: {}\n",
                 std::strerror(errno));  // NOLINT(concurrency-mt-unsafe)
      return 1;
    }
    if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
      return 0;  // SIGINT or SIGTERM: a normal way to stop following
    }
    if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
      std::array<char, 4096> events{};
      while (::read(watch.get(), events.data(), events.size()) > 0) {
      }
    }
  }
}

// --- the command ---------------------------------------------------------------------------

int run_logs(const LogsOptions& opts, const fs::path& active) {
  const char* no_color = std::getenv("NO_COLOR");  // NOLINT(concurrency-mt-unsafe)
  Style style;
  style.json = opts.json;
  style.color = !opts.json && !opts.plain && !opts.no_color &&
                (no_color == nullptr || *no_color == '\0') && ::isatty(STDOUT_FILENO) == 1;
  style.pad = !opts.plain;
  style.utc = opts.utc;

  // Newest first while collecting: the active file, then pincer.1.log, pincer.2.log, ...
  std::vector<std::vector<std::string>> chunks;
  size_t wanted = opts.limit;
  std::optional<Fd> active_fd;
  std::uint64_t follow_offset = 0;
  for (int index = 0; index <= kMaxRotatedFiles; ++index) {
    if (index > 0 && wanted == 0) {
      break;
    }
    fs::path path = index == 0 ? active : rotated_path(active, index);
    auto fd = open_log(path);
    if (!fd) {
      if (fd.error().code == Errc::not_found) {
        if (index == 0) {
          continue;  // rotated away this instant, or no log yet: older files may still exist
        }
        break;
      }
      fmt::print(stderr, "error: {}\n", fd.error().describe());
      return 1;
    }
    auto tail = read_tail(fd->get(), path, wanted, /*include_partial=*/index > 0 || !opts.follow);
    if (!tail) {
      fmt::print(stderr, "error: {}\n", tail.error().describe());
      return 1;
    }
    wanted -= std::min(wanted, tail->lines.size());
    chunks.push_back(std::move(tail->lines));
    if (index == 0) {
      follow_offset = tail->complete_end;
      active_fd = std::move(*fd);
    }
  }
  if (chunks.empty()) {
    fmt::print(stderr,
               "No logs yet: {} does not exist. The gateway writes it once it runs "
               "(start the gateway: pincer gateway).\n",
               active.string());
    if (!opts.follow) {
      return 0;
    }
  }
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) {
    print_lines(*it, style);
  }
  if (!opts.follow) {
    return 0;
  }
  Follower follower(active, style);
  if (active_fd) {
    follower.attach(std::move(*active_fd), follow_offset);
  }
  return follow(follower, active.parent_path(), opts.interval_ms);
}

}  // namespace

void register_logs_command(CLI::App& root, CliContext& ctx) {
  auto opts = std::make_shared<LogsOptions>();
  CLI::App* cmd = root.add_subcommand("logs", "Print the gateway's log (<state>/logs/pincer.log)");
  cmd->add_flag("-f,--follow", opts->follow, "Keep printing new lines until interrupted");
  cmd->add_option("-n,--limit", opts->limit, "How many of the last lines to print")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, std::size_t{10000000}));
  cmd->add_flag("--json", opts->json, "Print the raw JSON lines");
  cmd->add_flag("--plain", opts->plain, "Plain text: no colours, no column padding");
  cmd->add_flag("--no-color", opts->no_color, "Do not colour the output");
  auto* utc = cmd->add_flag("--utc", opts->utc, "Show times in UTC");
  auto* local =
      cmd->add_flag("--local-time", opts->local_time, "Show times in local time (default)");
  utc->excludes(local);
  cmd->add_option("--interval", opts->interval_ms,
                  "With --follow: check for new lines at least every MS milliseconds")
      ->type_name("MS")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600 * 1000));
  cmd->callback([&ctx, opts] {
    const core::StatePaths* paths = ctx.paths();
    if (paths == nullptr) {
      return;
    }
    // Follow logging.file when the config moves the log; an unreadable config falls back to the
    // default place rather than hiding the logs that would explain it.
    auto env = core::process_env();
    core::ConfigLoad load = core::load_config(paths->config_file, env);
    core::LoggingConfig logging = load.config ? load.config->logging : core::LoggingConfig{};
    ctx.exit_code = run_logs(*opts, core::log_file_path(logging, *paths, env));
  });
}

}  // namespace pincer::app
