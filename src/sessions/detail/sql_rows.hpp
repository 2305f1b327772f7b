#pragma once
// Small helpers shared by the session stores: run a bound statement, collect rows, make ids.
// Private to src/sessions.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/database.hpp"
#include "store/rows.hpp"
#include "store/statement.hpp"

namespace pincer::sessions::detail {

using core::random_uuid;

using store::bind_all;
using store::first_row;
using store::query_int;
using store::query_rows;
using store::run_sql;

}  // namespace pincer::sessions::detail
