#pragma once
// Printing shared by the commands: JSON on stdout for --json, and the reference's JSON failure
// envelope {"ok":false,"error":{"type":"cli_error","message":...}} so scripts can rely on it.

#include <string_view>

#include <boost/json/value.hpp>

#include "core/result.hpp"

namespace pincer::app {

class CliContext;

void print_json(const boost::json::value& value);

// Reports `error` as JSON on stdout (json) or as "error: ..." on stderr, and sets exit code 1.
void report_failure(CliContext& ctx, const Error& error, bool json);

}  // namespace pincer::app
