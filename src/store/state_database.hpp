#pragma once
// open_state_database: Pincer's state.db, opened the one way every process opens it.
//
// The parent directory is made 0700 and state.db with its -wal and -shm files 0600 (the file
// holds transcripts and tokens); then the schema is brought up to date (schema_migrations.hpp)
// and a new file records `created_at_ms` in the meta table. A file written by a newer Pincer is
// refused untouched.
//
// Not here: where the file lives (core/paths.hpp) or what the tables mean (each store).

#include <chrono>
#include <filesystem>

#include "core/result.hpp"
#include "store/database.hpp"

namespace pincer::store {

// `now` is what a new file records as its creation time; callers with a Clock pass its time.
Result<Database> open_state_database(
    const std::filesystem::path& file, const DatabaseOptions& options = {},
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace pincer::store
