#pragma once
// Pincer's schema for state.db as a list of migrations, oldest first. Append only: a released
// migration is never edited, since files in the field already carry its version.

#include <span>

#include "store/migrations.hpp"

namespace pincer::store {

std::span<const Migration> state_schema_migrations();

}  // namespace pincer::store
