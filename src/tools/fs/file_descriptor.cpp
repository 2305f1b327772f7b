#include "tools/fs/file_descriptor.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "core/files.hpp"

namespace pincer::tools::file_tools {

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

Result<OpenedFile> open_regular_file(const std::filesystem::path& path, const std::string& shown) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return fail(Errc::not_found, "file not found: " + shown,
                  "check the path; relative paths start at the workspace");
    }
    if (err == ELOOP) {
      return fail(Errc::invalid_argument, shown + " is a symlink; it changed while being read");
    }
    if (err == EACCES || err == EPERM) {
      return fail(Errc::io, "permission denied: " + shown);
    }
    if (err == ENOTDIR) {
      return fail(Errc::not_found, "file not found: " + shown + " (a parent is not a directory)");
    }
    return fail(Errc::io, "cannot open " + shown + ": " + std::generic_category().message(err));
  }
  OpenedFile opened{.fd = FileDescriptor(fd)};
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    return fail(Errc::io, "cannot stat " + shown + ": " + std::generic_category().message(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    return fail(Errc::invalid_argument, shown + " is a directory, not a file",
                "list it with exec (ls), then read a file inside it");
  }
  if (!S_ISREG(info.st_mode)) {
    return fail(Errc::invalid_argument,
                shown +
                    " is not a regular file (a device, pipe or socket); the file tools only "
                    "handle regular files");
  }
  opened.size = static_cast<uint64_t>(info.st_size);
  opened.mode = info.st_mode;
  return opened;
}

Result<std::size_t> read_at(int fd, char* buffer, std::size_t size, uint64_t offset) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buffer + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fail(Errc::io, std::generic_category().message(errno));
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Result<std::string> read_all(int fd, uint64_t size) {
  std::string bytes(size, '\0');
  auto got = read_at(fd, bytes.data(), bytes.size(), 0);
  if (!got) {
    return std::unexpected(got.error());
  }
  bytes.resize(*got);
  return bytes;
}

}  // namespace pincer::tools::file_tools

namespace pincer::tools::file_tools {

Status save_file(const std::filesystem::path& path, std::string_view content) {
  namespace stdfs = std::filesystem;
  using stdfs::perms;
  std::error_code ec;
  stdfs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(Errc::io,
                "cannot create the directory " + path.parent_path().string() + ": " + ec.message());
  }
  perms mode = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
  auto status = stdfs::status(path, ec);
  if (!ec && stdfs::is_regular_file(status)) {
    mode = status.permissions() & perms::mask;
  }
  return core::write_file_atomically(path, content, mode);
}

}  // namespace pincer::tools::file_tools
