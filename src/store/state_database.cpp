#include "store/state_database.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/files.hpp"
#include "store/migrations.hpp"
#include "store/schema_migrations.hpp"

namespace pincer::store {

namespace fs = std::filesystem;

namespace {

constexpr mode_t kPrivateFile = S_IRUSR | S_IWUSR;  // 0600

Status io_failure(const std::string& what, const fs::path& path, int err) {
  return fail(Errc::io, what + " " + path.string() + ": " + std::strerror(err),  // NOLINT
              "check that you own the state directory and its files");
}

// Creates `file` empty if missing and makes it 0600 before SQLite opens it. SQLite gives the
// -wal and -shm files it creates later the database file's mode, so they are 0600 too.
Status make_private_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kPrivateFile);
  if (fd < 0) {
    return io_failure("cannot create", file, errno);
  }
  const int rc = ::fchmod(fd, kPrivateFile);  // an existing file keeps its mode otherwise
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return io_failure("cannot set permissions 0600 on", file, err);
  }
  return {};
}

// The -wal and -shm files may predate this build or have been made by a looser process.
Status tighten_side_files(const fs::path& file) {
  for (const char* suffix : {"-wal", "-shm"}) {
    fs::path side = file;
    side += suffix;
    if (::chmod(side.c_str(), kPrivateFile) != 0 && errno != ENOENT) {
      return io_failure("cannot set permissions 0600 on", side, errno);
    }
  }
  return {};
}

// Records when the file was made, once. Not part of migration 1 because SQL has no portable
// "now in milliseconds"; a crash before this runs is repaired at the next open.
Status record_created_at(Database& db, std::chrono::system_clock::time_point now) {
  auto existing = db.prepare("SELECT 1 FROM meta WHERE key = 'created_at_ms'");
  if (!existing) {
    return std::unexpected(existing.error());
  }
  auto row = existing->step();
  if (!row) {
    return std::unexpected(row.error());
  }
  if (*row) {
    return {};
  }
  // ON CONFLICT: another process may record it between the check and here.
  auto insert = db.prepare(
      "INSERT INTO meta (key, value) VALUES ('created_at_ms', :value) ON CONFLICT (key) DO "
      "NOTHING");
  if (!insert) {
    return std::unexpected(insert.error());
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (auto status = insert->bind(":value", std::to_string(ms)); !status) {
    return status;
  }
  return insert->run();
}

}  // namespace

Result<Database> open_state_database(const fs::path& file, const DatabaseOptions& options,
                                     std::chrono::system_clock::time_point now) {
  if (file.has_parent_path()) {
    if (auto status = core::ensure_private_dir(file.parent_path()); !status) {
      return std::unexpected(status.error());
    }
  }
  if (auto status = make_private_file(file); !status) {
    return std::unexpected(status.error());
  }
  auto db = Database::open(file, options);
  if (!db) {
    return db;
  }
  if (auto status = migrate(*db, state_schema_migrations()); !status) {
    return std::unexpected(status.error());
  }
  if (auto status = record_created_at(*db, now); !status) {
    return std::unexpected(status.error());
  }
  if (auto status = tighten_side_files(file); !status) {
    return std::unexpected(status.error());
  }
  return db;
}

}  // namespace pincer::store
