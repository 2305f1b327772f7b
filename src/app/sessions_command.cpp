// pincer sessions list|show|reset|delete|export: the session store from the terminal.
//
// Works on state.db directly rather than through the gateway, so it also works when no
// gateway runs; WAL lets it read and write while one does (a write waits for the daemon's
// current transaction, up to the busy timeout). Field names in --json and export match the
// gateway's SessionRow (sessions/session_json.hpp).

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include "app/cli_context.hpp"
#include "app/commands.hpp"
#include "app/output.hpp"
#include "sessions/session_json.hpp"
#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"

namespace pincer::app {

namespace json = boost::json;
namespace fs = std::filesystem;
using sessions::SessionRecord;

namespace {

struct SessionsFlags {
  std::string key;
  std::string agent;
  int64_t active_minutes = 0;
  bool archived = false;
  int64_t limit = 0;  // 0: the command's default
  bool json = false;
  bool purge = false;
  std::string output;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Opens state.db, or nullopt (quietly) when it does not exist yet and `create` is false:
// reading commands then show an empty store rather than creating files.
std::optional<store::Database> open_store(CliContext& ctx, bool json, bool create) {
  const auto* paths = ctx.paths();
  if (paths == nullptr) {
    return std::nullopt;
  }
  if (!create && !fs::exists(paths->database_file)) {
    return std::nullopt;
  }
  auto db = store::open_state_database(paths->database_file);
  if (!db) {
    report_failure(ctx, db.error(), json);
    return std::nullopt;
  }
  return std::move(*db);
}

Error no_session(std::string_view key) {
  return Error{Errc::not_found, "no session with key " + std::string(key),
               "list them with `pincer sessions list`"};
}

// The key's active generation, else its newest archived one.
std::optional<SessionRecord> find_session(CliContext& ctx, store::Database& db,
                                          std::string_view key, bool json) {
  auto generations = sessions::SessionStore(db).generations(key);
  if (!generations) {
    report_failure(ctx, generations.error(), json);
    return std::nullopt;
  }
  if (generations->empty()) {
    report_failure(ctx, no_session(key), json);
    return std::nullopt;
  }
  return std::move(generations->front());
}

std::string format_age(int64_t then_ms, int64_t now) {
  int64_t s = std::max<int64_t>(0, (now - then_ms) / 1000);
  if (s < 60) {
    return fmt::format("{}s ago", s);
  }
  if (s < 3600) {
    return fmt::format("{}m ago", s / 60);
  }
  if (s < 86400) {
    return fmt::format("{}h ago", s / 3600);
  }
  return fmt::format("{}d ago", s / 86400);
}

std::string format_count(int64_t n) {
  if (n < 1000) {
    return std::to_string(n);
  }
  if (n < 1'000'000) {
    return fmt::format("{:.1f}k", static_cast<double>(n) / 1000);
  }
  return fmt::format("{:.1f}m", static_cast<double>(n) / 1'000'000);
}

// Long keys keep their beginning and end, as the reference's table does.
std::string fit(const std::string& text, std::size_t width) {
  if (text.size() <= width) {
    return text;
  }
  std::size_t head = (width - 1) / 2;
  return text.substr(0, head) + "…" + text.substr(text.size() - (width - 1 - head));
}

void run_list(CliContext& ctx, const SessionsFlags& flags) {
  sessions::SessionListFilter filter;
  if (!flags.agent.empty()) {
    filter.agent_id = flags.agent;
  }
  int64_t now = now_ms();
  if (flags.active_minutes > 0) {
    filter.active_since_ms = now - flags.active_minutes * 60'000;
  }
  filter.archived =
      flags.archived ? sessions::ArchivedFilter::archived : sessions::ArchivedFilter::active;
  filter.limit = flags.limit > 0 ? flags.limit : 100;

  std::vector<SessionRecord> rows;
  int64_t total = 0;
  if (auto db = open_store(ctx, flags.json, false)) {
    sessions::SessionStore store(*db);
    auto listed = store.list(filter);
    auto counted = listed ? store.count(filter) : Result<int64_t>(0);
    if (!listed || !counted) {
      report_failure(ctx, listed ? counted.error() : listed.error(), flags.json);
      return;
    }
    rows = std::move(*listed);
    total = *counted;
  } else if (ctx.exit_code != 0) {
    return;
  }

  if (flags.json) {
    json::array items;
    for (const auto& row : rows) {
      items.push_back(sessions::to_session_json(row));
    }
    print_json(json::object{{"count", static_cast<int64_t>(rows.size())},
                            {"totalCount", total},
                            {"limitApplied", filter.limit},
                            {"hasMore", total > static_cast<int64_t>(rows.size())},
                            {"sessions", std::move(items)}});
    return;
  }
  if (rows.empty()) {
    fmt::print("{}\n", flags.archived ? "No archived sessions." : "No sessions yet.");
    return;
  }
  fmt::print("{:<40} {:<10} {:<10} {:>8} {:>8}  {}\n", "KEY", "AGENT", "UPDATED", "ENTRIES",
             "TOKENS", flags.archived ? "ARCHIVED" : "LABEL");
  for (const auto& row : rows) {
    std::string last = flags.archived
                           ? (row.archive_reason ? std::string(to_string(*row.archive_reason)) : "")
                           : row.label;
    fmt::print("{:<40} {:<10} {:<10} {:>8} {:>8}  {}\n", fit(row.session_key, 40),
               fit(row.agent_id, 10), format_age(row.updated_at_ms, now),
               format_count(row.entry_count), format_count(row.total_tokens), last);
  }
  if (total > static_cast<int64_t>(rows.size())) {
    fmt::print("\n{} of {} sessions shown; pass --limit N for more.\n", rows.size(), total);
  }
}

// A short one-line rendering of an entry's content for the terminal.
std::string preview(const sessions::TranscriptEntry& entry) {
  std::string text;
  boost::system::error_code ec;
  auto value = json::parse(entry.content, ec);
  auto add = [&](const json::value& v) {
    if (v.is_string()) {
      text += v.get_string();
    } else if (const auto* part = v.if_object()) {
      if (const auto* t = part->if_contains("text"); t != nullptr && t->is_string()) {
        text += t->get_string();
      }
    }
  };
  if (ec) {
    text = entry.content;
  } else if (value.is_array()) {
    for (const auto& part : value.get_array()) {
      add(part);
    }
  } else {
    add(value);
  }
  if (text.empty()) {
    text = entry.content;
  }
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  return text.size() > 100 ? text.substr(0, 99) + "…" : text;
}

void run_show(CliContext& ctx, const SessionsFlags& flags) {
  auto db = open_store(ctx, flags.json, false);
  if (!db) {
    if (ctx.exit_code == 0) {
      report_failure(ctx, no_session(flags.key), flags.json);
    }
    return;
  }
  auto session = find_session(ctx, *db, flags.key, flags.json);
  if (!session) {
    return;
  }
  auto entries =
      sessions::TranscriptStore(*db).last(session->session_id, flags.limit > 0 ? flags.limit : 20);
  if (!entries) {
    report_failure(ctx, entries.error(), flags.json);
    return;
  }
  if (flags.json) {
    json::array items;
    for (const auto& entry : *entries) {
      items.push_back(sessions::to_entry_json(entry));
    }
    print_json(json::object{{"session", sessions::to_session_json(*session)},
                            {"entries", std::move(items)}});
    return;
  }
  int64_t now = now_ms();
  fmt::print("{:<14}{}\n", "key", session->session_key);
  fmt::print("{:<14}{}{}\n", "session", session->session_id,
             session->archived()
                 ? " (archived: " +
                       std::string(session->archive_reason ? to_string(*session->archive_reason)
                                                           : "unknown") +
                       ")"
                 : "");
  fmt::print("{:<14}{}\n", "agent", session->agent_id);
  if (!session->label.empty()) {
    fmt::print("{:<14}{}\n", "label", session->label);
  }
  if (!session->channel.empty()) {
    fmt::print("{:<14}{} {}\n", "channel", session->channel, session->last_to);
  }
  fmt::print("{:<14}{}\n", "started", format_age(session->started_at_ms, now));
  fmt::print("{:<14}{}\n", "updated", format_age(session->updated_at_ms, now));
  fmt::print("{:<14}{} in, {} out, {} context\n", "tokens", session->input_tokens,
             session->output_tokens, session->context_tokens);
  fmt::print("{:<14}{} entries, {} compactions\n", "transcript", session->entry_count,
             session->compaction_count);
  if (!session->settings.empty()) {
    fmt::print("{:<14}{}\n", "overrides", json::serialize(session->settings));
  }
  if (!entries->empty()) {
    fmt::print("\nLast {} entries:\n", entries->size());
  }
  for (const auto& entry : *entries) {
    fmt::print("  #{:<6} {:<11} {}\n", entry.seq, to_string(entry.kind), preview(entry));
  }
}

void run_reset(CliContext& ctx, const SessionsFlags& flags) {
  auto db = open_store(ctx, flags.json, false);
  if (!db) {
    if (ctx.exit_code == 0) {
      report_failure(ctx, no_session(flags.key), flags.json);
    }
    return;
  }
  auto reset =
      sessions::SessionStore(*db).reset(flags.key, sessions::ArchiveReason::reset, now_ms());
  if (!reset) {
    report_failure(ctx,
                   reset.error().code == Errc::not_found ? no_session(flags.key) : reset.error(),
                   flags.json);
    return;
  }
  if (flags.json) {
    print_json(json::object{{"ok", true},
                            {"key", flags.key},
                            {"archived", sessions::to_session_json(reset->archived)},
                            {"session", sessions::to_session_json(reset->current)}});
    return;
  }
  fmt::print("reset {}: new session {} (previous {} archived with its transcript)\n", flags.key,
             reset->current.session_id, reset->archived.session_id);
}

void run_delete(CliContext& ctx, const SessionsFlags& flags) {
  auto db = open_store(ctx, flags.json, false);
  if (!db) {
    if (ctx.exit_code == 0) {
      report_failure(ctx, no_session(flags.key), flags.json);
    }
    return;
  }
  auto removed = sessions::SessionStore(*db).remove(flags.key, flags.purge, now_ms());
  if (!removed) {
    report_failure(
        ctx, removed.error().code == Errc::not_found ? no_session(flags.key) : removed.error(),
        flags.json);
    return;
  }
  if (flags.json) {
    json::array ids;
    for (const auto& id : removed->session_ids) {
      ids.emplace_back(id);
    }
    print_json(json::object{
        {"ok", true}, {"key", flags.key}, {"deleted", removed->deleted}, {"sessionIds", ids}});
    return;
  }
  if (removed->deleted) {
    fmt::print("deleted {} ({} session{} and their transcripts)\n", flags.key,
               removed->session_ids.size(), removed->session_ids.size() == 1 ? "" : "s");
  } else {
    fmt::print(
        "archived {} as deleted; its transcript is kept (see `pincer sessions list "
        "--archived`)\n",
        flags.key);
  }
}

void run_export(CliContext& ctx, const SessionsFlags& flags) {
  auto db = open_store(ctx, false, false);
  if (!db) {
    if (ctx.exit_code == 0) {
      report_failure(ctx, no_session(flags.key), false);
    }
    return;
  }
  auto session = find_session(ctx, *db, flags.key, false);
  if (!session) {
    return;
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (!flags.output.empty() && flags.output != "-") {
    file.open(flags.output, std::ios::binary | std::ios::trunc);
    if (!file) {
      report_failure(ctx,
                     Error{Errc::io, "cannot write " + flags.output,
                           "check that the directory exists and is writable"},
                     false);
      return;
    }
    out = &file;
  }
  auto write_line = [out](const json::object& line) -> Status {
    *out << json::serialize(line) << '\n';
    if (!*out) {
      return fail(Errc::io, "writing the export failed", "check free disk space");
    }
    return {};
  };
  if (auto header = write_line(
          json::object{{"type", "session"}, {"session", sessions::to_session_json(*session)}});
      !header) {
    report_failure(ctx, header.error(), false);
    return;
  }
  int64_t written = 0;
  auto streamed = sessions::TranscriptStore(*db).for_each(
      session->session_id, [&](const sessions::TranscriptEntry& entry) -> Status {
        json::object line{{"type", "entry"}};  // first, so a reader can dispatch on it
        for (auto& field : sessions::to_entry_json(entry)) {
          line.emplace(field.key(), std::move(field.value()));
        }
        ++written;
        return write_line(line);
      });
  out->flush();
  if (!streamed) {
    report_failure(ctx, streamed.error(), false);
    return;
  }
  if (out == &file) {
    fmt::print(stderr, "exported {} entries of {} to {}\n", written, flags.key, flags.output);
  }
}

CLI::App* add(CLI::App& parent, CliContext& ctx, const std::string& name,
              const std::string& description, bool takes_key,
              const std::shared_ptr<SessionsFlags>& flags,
              void (*action)(CliContext&, const SessionsFlags&)) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  if (takes_key) {
    cmd->add_option("key", flags->key, "Session key, as `pincer sessions list` shows it")
        ->required();
  }
  cmd->callback([&ctx, flags, action] { action(ctx, *flags); });
  return cmd;
}

}  // namespace

void register_sessions_command(CLI::App& root, CliContext& ctx) {
  CLI::App* cmd = root.add_subcommand("sessions", "Stored conversation sessions and transcripts");
  cmd->require_subcommand(1);

  auto list_flags = std::make_shared<SessionsFlags>();
  auto* list =
      add(*cmd, ctx, "list", "Sessions, most recently updated first", false, list_flags, run_list);
  list->add_option("--agent", list_flags->agent, "Only this agent's sessions");
  list->add_option("--active", list_flags->active_minutes,
                   "Only sessions updated within the past MINUTES")
      ->check(CLI::PositiveNumber);
  list->add_flag("--archived", list_flags->archived, "Archived sessions instead of active ones");
  list->add_option("--limit", list_flags->limit, "Rows to show (default 100)")
      ->check(CLI::PositiveNumber);
  list->add_flag("--json", list_flags->json, "Machine-readable output");

  auto show_flags = std::make_shared<SessionsFlags>();
  auto* show = add(*cmd, ctx, "show", "One session's record and its last entries", true, show_flags,
                   run_show);
  show->add_option("--limit", show_flags->limit, "Entries to show (default 20)")
      ->check(CLI::PositiveNumber);
  show->add_flag("--json", show_flags->json, "Machine-readable output");

  auto reset_flags = std::make_shared<SessionsFlags>();
  auto* reset = add(*cmd, ctx, "reset",
                    "Start a new session for the key (the old one is archived, not deleted)", true,
                    reset_flags, run_reset);
  reset->add_flag("--json", reset_flags->json, "Machine-readable output");

  auto delete_flags = std::make_shared<SessionsFlags>();
  // Like sessions.delete over the gateway: deleting archives, so a slip is recoverable;
  // --purge is the explicit, permanent form.
  auto* remove = add(*cmd, ctx, "delete",
                     "Delete a session (archived with its transcript; --purge removes it for good)",
                     true, delete_flags, run_delete);
  remove->add_flag("--purge", delete_flags->purge,
                   "Remove every generation of the key and its transcripts permanently");
  remove->add_flag("--json", delete_flags->json, "Machine-readable output");

  auto export_flags = std::make_shared<SessionsFlags>();
  auto* exporter =
      add(*cmd, ctx, "export", "Write a session as JSONL: a header line, then one line per entry",
          true, export_flags, run_export);
  exporter->add_option("--output,-o", export_flags->output, "File to write (default: stdout)");
}

}  // namespace pincer::app
