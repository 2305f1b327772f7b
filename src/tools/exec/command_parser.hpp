#pragma once
// A POSIX shell command-line parser good enough for approval policy (docs:
// tools/exec-approvals.md).
//
// It does not run or expand anything. It answers one question: which simple commands would this
// text run? Every command of a chain (`;`, `&&`, `||`, `|`, `&`, newlines), of a subshell
// `( ... )` or group `{ ...; }`, of a command substitution (`$( ... )`, backticks, also inside
// double quotes), of a process substitution (`<( ... )`, `>( ... )`) and of a dispatch wrapper
// (`sh -c '...'`, `env`, `nohup`, `timeout`, `xargs`, `nice`, `stdbuf`, `time`, `command`,
// `builtin`, `exec`, `sudo`, `doas`, `find -exec`) comes out as its own SimpleCommand, with
// argv after quote removal and the wrappers it ran under.
//
// What it cannot follow with certainty - unbalanced quotes, here-documents, `eval`, `source`,
// function definitions, aliases, compound commands (`if`, `for`, `case` ...), arithmetic
// expansion, `${...}` holding quotes or substitutions, unknown wrapper options - makes the whole
// result unparseable, with the reason; policy then asks or denies. It never throws.
//
// Expansions that happen at run time (`$VAR`, `${VAR}`, globs, `~`, brace expansion) are kept as
// written and flagged on the word: a command word with such a flag cannot be resolved before it
// runs, so policy must treat it as a miss.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pincer::tools::exec {

// One shell word after quote removal. Runtime expansions are kept in their written form
// ("$HOME/bin") and flagged.
struct ShellWord {
  std::string text;
  bool quoted = false;            // some part was quoted or escaped ('l''s', l\s)
  bool has_variable = false;      // $NAME, ${...}, $1, $@ ... (unquoted or inside "...")
  bool has_glob = false;          // unquoted * ? [ or a brace expansion {a,b} / {1..3}
  bool has_tilde = false;         // unquoted leading ~
  bool has_substitution = false;  // $( ), backticks or <( ) contributed text known only at run time

  // True when the word's final text is only known at run time.
  bool is_dynamic() const { return has_variable || has_glob || has_substitution; }
};

struct Redirection {
  int fd = -1;          // explicit descriptor ("2>"), -1 when omitted
  std::string op;       // "<", ">", ">>", ">|", "<>", "<&", ">&", "&>", "&>>", "<<<"
  ShellWord target;     // file, descriptor number or here-string
  bool writes = false;  // opens a file for writing (not a descriptor duplication)
};

// Where a simple command sits in the text.
enum class CommandOrigin {
  top_level,             // part of the main list, a pipeline, subshell or { } group
  command_substitution,  // inside $( ) or backticks
  process_substitution,  // inside <( ) or >( )
};

struct SimpleCommand {
  std::vector<ShellWord> words;          // argv with wrappers removed; may be empty (`> f`)
  std::vector<std::string> assignments;  // leading NAME=value, also those given to `env`
  std::vector<std::string> wrappers;     // outermost first: "sudo", "env", "sh -c", "xargs" ...
  std::vector<Redirection> redirections;
  CommandOrigin origin = CommandOrigin::top_level;
  bool elevated = false;    // runs under sudo/doas
  bool extra_args = false;  // xargs/find -exec append arguments known only at run time
  bool background = false;  // ended by `&`

  std::vector<std::string> argv() const;
  // The executable word as written; nullptr when the command has no words.
  const ShellWord* executable() const { return words.empty() ? nullptr : &words.front(); }
  bool writes_file() const;
  // argv joined by single spaces, for messages and allowlist metadata.
  std::string display() const;
};

struct ParseResult {
  std::vector<SimpleCommand> commands;
  std::optional<std::string> unparseable;  // why the text could not be followed; commands partial

  bool ok() const { return !unparseable.has_value(); }
};

// Limits that keep hostile input cheap.
inline constexpr std::size_t kMaxCommandTextBytes = 64 * 1024;
inline constexpr int kMaxNestingDepth = 24;

// Splits `text` into the simple commands it would run. Never throws; on anything it cannot follow
// the result says unparseable (the commands found so far are kept for display only).
ParseResult parse_command(std::string_view text);

}  // namespace pincer::tools::exec
