#pragma once
// Files on outbound messages. A file is copied into the outbox spool (<state>/media/outbound)
// when the message is queued, so the queued row owns everything it needs: the sender may delete
// or change its file, or the daemon may crash, and the file still goes out exactly as queued.
// The spool copy is removed once the row leaves the queue (sent or dropped).
//
// Blocking file work; run these on the blocking pool, never on the I/O thread.

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace pincer::channels {

struct SpooledFile {
  std::string path;  // the spool copy
  std::string file_name;
  std::string content_type;
  bool as_document = false;
};

// The row's media column: a JSON array of {path, fileName, contentType, asDocument}. Entries
// that are not such objects are skipped (a hand-edited row never stops the queue).
std::string media_to_json(const std::vector<SpooledFile>& files);
std::vector<SpooledFile> media_from_json(std::string_view text);

// "image/png" for "x.png" ...; application/octet-stream when the extension is unknown.
std::string content_type_for(std::string_view file_name);

// Writes `bytes` into `spool_dir` under a new unique name. `file_name` is what the recipient
// sees (its directory part is dropped); an empty content type is guessed from it.
Result<SpooledFile> spool_bytes(const std::filesystem::path& spool_dir, std::string_view bytes,
                                std::string file_name, std::string content_type);
// Copies a local file (a regular file, at most `max_bytes`) into the spool.
Result<SpooledFile> spool_copy(const std::filesystem::path& spool_dir,
                               const std::filesystem::path& source, std::size_t max_bytes,
                               std::string content_type);

// Removes the spool copies (missing files are fine).
void remove_spooled(const std::vector<SpooledFile>& files);

}  // namespace pincer::channels
