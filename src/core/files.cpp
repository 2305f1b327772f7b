#include "core/files.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

namespace pincer::core {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
  return std::generic_category().message(err);
}  // NOLINT(concurrency-mt-unsafe)

Status io_failure(const std::string& what, const fs::path& path, int err) {
  return fail(Errc::io, what + " " + path.string() + ": " + errno_text(err),
              "check that the directory exists, is writable and the disk is not full");
}

// Closes the descriptor on every path out of write_file_atomically.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A writer killed between creating its temporary file and renaming it leaves the file behind.
// Remove such leftovers of `path` whose writer process no longer exists, so crashes do not
// pile up half-written copies of a config (which may hold secrets) in the state directory.
void remove_stale_temporaries(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) {
      continue;
    }
    std::string rest = name.substr(prefix.size());  // "<pid>-<random>"
    pid_t pid = 0;
    try {
      pid = static_cast<pid_t>(std::stol(rest.substr(0, rest.find('-'))));
    } catch (const std::exception&) {
      continue;
    }
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      fs::remove(entry.path(), ec);
    }
  }
}

}  // namespace

Status write_file_atomically(const fs::path& path, std::string_view content, fs::perms mode) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const std::string prefix = "." + path.filename().string() + ".tmp-";
  remove_stale_temporaries(dir, prefix);
  std::random_device rd;
  fs::path tmp = dir / (prefix + std::to_string(::getpid()) + "-" + std::to_string(rd()));

  FdGuard fd(
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode)));
  if (fd.get() < 0) {
    return io_failure("cannot create", tmp, errno);
  }
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), data, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::unlink(tmp.c_str());
      return io_failure("cannot write", tmp, err);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  // The umask may have narrowed the mode further; make it exact.
  if (::fchmod(fd.get(), static_cast<mode_t>(mode)) != 0 || ::fsync(fd.get()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_failure("cannot sync", tmp, err);
  }
  if (::close(fd.release()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_failure("cannot close", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_failure("cannot replace", path, err);
  }
  // The rename is durable only once the directory entry is on disk.
  FdGuard dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() >= 0) {
    ::fsync(dir_fd.get());
  }
  return {};
}

Status ensure_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return fail(Errc::io, "cannot create directory " + dir.string() + ": " + ec.message(),
                "check the permissions of its parent directory");
  }
  if (::chmod(dir.c_str(), S_IRWXU) != 0) {
    return io_failure("cannot set permissions 0700 on", dir, errno);
  }
  return {};
}

Result<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    return fail(Errc::io, path.string() + " is not a regular file",
                "move it aside; Pincer expects a file there");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!fs::exists(path, ec)) {
      return fail(Errc::not_found, path.string() + " does not exist");
    }
    return fail(Errc::io, "cannot read " + path.string(), "check its permissions");
  }
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

}  // namespace pincer::core
