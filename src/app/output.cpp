#include "app/output.hpp"

#include <fmt/core.h>

#include <cstdio>

#include "app/cli_context.hpp"
#include "core/json_format.hpp"

namespace pincer::app {

namespace json = boost::json;

void print_json(const json::value& value) {
  fmt::print("{}\n", core::to_pretty_json(value));
}

void report_failure(CliContext& ctx, const Error& error, bool as_json) {
  if (as_json) {
    json::object err{{"type", "cli_error"}, {"message", error.message}};
    if (!error.hint.empty()) {
      err["hint"] = error.hint;
    }
    print_json(json::object{{"ok", false}, {"error", std::move(err)}});
    ctx.exit_code = 1;
    return;
  }
  ctx.report(error, 1);
}

}  // namespace pincer::app
