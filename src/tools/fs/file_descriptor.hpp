#pragma once
// POSIX file access for the file tools: open without following a final symlink, read at
// offsets, and close on every path out.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.hpp"

namespace pincer::tools::file_tools {

class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

struct OpenedFile {
  FileDescriptor fd;
  uint64_t size = 0;
  mode_t mode = 0;
};

// Opens a regular file for reading. Errors name `shown` (the path as the model knows it) and
// say what to do: not found, a directory, a device or pipe, permission denied.
Result<OpenedFile> open_regular_file(const std::filesystem::path& path, const std::string& shown);

// Up to `size` bytes at `offset`; fewer only at the end of the file.
Result<std::size_t> read_at(int fd, char* buffer, std::size_t size, uint64_t offset);

// The first `size` bytes of the file (all of it when it did not grow).
Result<std::string> read_all(int fd, uint64_t size);

}  // namespace pincer::tools::file_tools

namespace pincer::tools::file_tools {

// Writes `content` to `path` atomically (core::write_file_atomically), creating missing parent
// directories. An existing file keeps its permission bits; a new one gets 0644.
Status save_file(const std::filesystem::path& path, std::string_view content);

}  // namespace pincer::tools::file_tools
