#include "tools/exec/command_parser.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <utility>

// Design: a recursive-descent parser over the raw text, one Parser per buffer. `$( )`, `<( )`,
// subshells and groups are parsed in place (the closing `)` is found by parsing, so quotes and
// nesting inside are handled by the same code); backtick bodies and `sh -c` scripts are first
// unescaped into a new string and parsed by a nested Parser. All of them append to one output list
// and share one error slot: the first failure wins and every caller unwinds by returning false.

namespace pincer::tools::exec {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// Characters that end an unquoted word.
bool is_meta(char c) {
  switch (c) {
    case ' ':
    case '\t':
    case '\n':
    case ';':
    case '&':
    case '|':
    case '(':
    case ')':
    case '<':
    case '>':
      return true;
    default:
      return false;
  }
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_digit);
}

bool contains(std::string_view set, char c) {
  return set.find(c) != std::string_view::npos;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& list) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string_view basename(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Words that start compound commands or definitions; the parser does not follow them.
constexpr std::array<std::string_view, 20> kReservedWords = {
    "if",    "then", "else",   "elif",     "fi",     "do", "done", "case", "esac", "while",
    "until", "for",  "select", "function", "coproc", "[[", "]]",   "{",    "}",    "!"};

// Builtins that run text or change what later words mean.
constexpr std::array<std::string_view, 8> kOpaqueBuiltins = {"eval", "source", ".",  "alias",
                                                             "trap", "let",    "fc", "enable"};

constexpr std::array<std::string_view, 8> kShells = {"sh",  "bash", "zsh",  "dash",
                                                     "ksh", "ash",  "mksh", "busybox"};

// A wrapper is only unwrapped when invoked by bare name or from a system directory: a binary
// called /tmp/x/env is just an unknown program and must match the allowlist itself.
bool trusted_wrapper_location(std::string_view word) {
  auto slash = word.rfind('/');
  if (slash == std::string_view::npos) {
    return true;
  }
  std::string_view dir = word.substr(0, slash);
  constexpr std::array<std::string_view, 7> kSystemDirs = {"/bin",
                                                           "/usr/bin",
                                                           "/usr/local/bin",
                                                           "/sbin",
                                                           "/usr/sbin",
                                                           "/opt/homebrew/bin",
                                                           "/run/current-system/sw/bin"};
  return one_of(dir, kSystemDirs);
}

// How a wrapper takes its options. Short options may be clustered (-nE); an option in
// `with_arg` takes the rest of its cluster or the next word.
struct OptionSpec {
  std::string_view flags;
  std::string_view with_arg;
  std::string_view optional_arg;  // takes only the rest of its cluster (xargs -i[R], -e[EOF])
  std::vector<std::string_view> long_flags;     // may carry "=value"
  std::vector<std::string_view> long_with_arg;  // "=value" or the next word
  bool numeric_flags = false;                   // -10 (nice)
};

struct OptionScan {
  std::size_t operand = 0;  // index of the first operand (== size when none)
  std::optional<std::string> error;
  std::vector<char> seen;  // short options seen
};

OptionScan skip_options(const std::vector<ShellWord>& words, std::size_t i, const OptionSpec& spec,
                        std::string_view wrapper) {
  OptionScan scan;
  auto fail = [&](std::string why) {
    scan.error = std::string(wrapper) + ": " + std::move(why);
    return scan;
  };
  while (i < words.size()) {
    const ShellWord& word = words[i];
    std::string_view text = word.text;
    if (text.size() < 2 || text[0] != '-') {
      break;
    }
    if (word.is_dynamic()) {
      return fail("option '" + word.text + "' is only known at run time");
    }
    if (text == "--") {
      ++i;
      break;
    }
    if (text.starts_with("--")) {
      auto eq = text.find('=');
      std::string_view name = text.substr(0, eq);
      bool has_value = eq != std::string_view::npos;
      if (std::find(spec.long_flags.begin(), spec.long_flags.end(), name) !=
          spec.long_flags.end()) {
        ++i;
        continue;
      }
      if (std::find(spec.long_with_arg.begin(), spec.long_with_arg.end(), name) !=
          spec.long_with_arg.end()) {
        i += has_value ? 1 : 2;
        if (i > words.size()) {
          return fail("option '" + std::string(name) + "' needs a value");
        }
        continue;
      }
      return fail("option '" + std::string(name) + "' is not understood");
    }
    if (spec.numeric_flags && all_digits(text.substr(1))) {
      ++i;
      continue;
    }
    std::size_t consumed = 1;
    for (std::size_t j = 1; j < text.size(); ++j) {
      char c = text[j];
      scan.seen.push_back(c);
      if (contains(spec.flags, c)) {
        continue;
      }
      if (contains(spec.optional_arg, c)) {
        break;
      }
      if (contains(spec.with_arg, c)) {
        if (j + 1 == text.size()) {
          consumed = 2;
          if (i + 1 >= words.size()) {
            return fail(std::string("option '-") + c + "' needs a value");
          }
        }
        break;
      }
      return fail(std::string("option '-") + c + "' is not understood");
    }
    i += consumed;
  }
  scan.operand = i;
  return scan;
}

struct Inherited {
  CommandOrigin origin = CommandOrigin::top_level;
  std::vector<std::string> wrappers;
  bool elevated = false;
  bool extra_args = false;
};

struct Shared {
  std::vector<SimpleCommand> commands;
  std::optional<std::string> error;
};

class Parser {
 public:
  Parser(std::string_view src, Shared& shared, int depth, Inherited inherited)
      : src_(src),
        shared_(shared),
        depth_(depth),
        inherited_(std::move(inherited)),
        origin_(inherited_.origin) {}

  bool run() {
    if (depth_ > kMaxNestingDepth) {
      return fail("commands nested too deeply");
    }
    if (!parse_list('\0')) {
      return false;
    }
    if (!eof()) {
      return fail(std::string("unexpected '") + peek() + "'");
    }
    return true;
  }

 private:
  bool fail(std::string why) {
    if (!shared_.error) {
      shared_.error = std::move(why);
    }
    return false;
  }

  bool eof() const { return pos_ >= src_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool at(std::string_view s) const { return src_.substr(pos_).starts_with(s); }

  void skip_blanks() {
    while (!eof()) {
      if (is_blank(peek())) {
        ++pos_;
      } else if (peek() == '\\' && peek(1) == '\n') {
        pos_ += 2;
      } else {
        break;
      }
    }
  }

  // Blanks, newlines and comments: what may sit between commands.
  void skip_gaps() {
    while (true) {
      skip_blanks();
      if (peek() == '\n') {
        ++pos_;
      } else if (peek() == '#') {
        while (!eof() && peek() != '\n') {
          ++pos_;
        }
      } else {
        return;
      }
    }
  }

  bool at_closing_brace() const {
    return peek() == '}' && (pos_ + 1 >= src_.size() || is_meta(src_[pos_ + 1]));
  }

  // list := and_or ((';' | '&' | newline) and_or)* ; stops before `closer` (or at the end).
  bool parse_list(char closer) {
    while (true) {
      skip_gaps();
      if (eof()) {
        if (closer != '\0') {
          return fail(std::string("missing closing '") + closer + "'");
        }
        return true;
      }
      if (closer == ')' && peek() == ')') {
        return true;
      }
      if (closer == '}' && at_closing_brace()) {
        return true;
      }
      char c = peek();
      if (c == ')' || c == ';' || c == '&' || c == '|') {
        return fail(std::string("unexpected '") + c + "'");
      }
      std::size_t first = shared_.commands.size();
      if (!parse_and_or()) {
        return false;
      }
      skip_blanks();
      if (eof()) {
        continue;
      }
      c = peek();
      if (c == ';') {
        if (peek(1) == ';') {
          return fail("';;' outside a case statement");
        }
        ++pos_;
      } else if (c == '&') {
        for (std::size_t i = first; i < shared_.commands.size(); ++i) {
          shared_.commands[i].background = true;
        }
        ++pos_;
      } else if (c == '\n' || c == '#' || c == ')') {
        // newline and comments are gaps; ')' is judged at the top of the loop
      } else {
        return fail(std::string("unexpected '") + c + "'");
      }
    }
  }

  bool parse_and_or() {
    if (!parse_pipeline()) {
      return false;
    }
    while (true) {
      skip_blanks();
      if (!at("&&") && !at("||")) {
        return true;
      }
      std::string op(src_.substr(pos_, 2));
      pos_ += 2;
      skip_gaps();
      if (eof() || peek() == ')' || at_closing_brace()) {
        return fail("command missing after '" + op + "'");
      }
      if (!parse_pipeline()) {
        return false;
      }
    }
  }

  bool parse_pipeline() {
    skip_blanks();
    if (peek() == '!' && (is_blank(peek(1)) || peek(1) == '\n' || pos_ + 1 >= src_.size())) {
      ++pos_;
      skip_blanks();
    }
    if (!parse_command()) {
      return false;
    }
    while (true) {
      skip_blanks();
      if (peek() != '|' || peek(1) == '|') {
        return true;
      }
      ++pos_;
      if (peek() == '&') {
        ++pos_;
      }
      skip_gaps();
      if (!parse_command()) {
        return false;
      }
    }
  }

  bool nested_list(char closer, CommandOrigin origin) {
    if (depth_ + 1 > kMaxNestingDepth) {
      return fail("commands nested too deeply");
    }
    ++depth_;
    CommandOrigin saved = origin_;
    if (origin != CommandOrigin::top_level) {
      origin_ = origin;
    }
    bool ok = parse_list(closer);
    origin_ = saved;
    --depth_;
    return ok;
  }

  bool parse_command() {
    skip_blanks();
    if (eof()) {
      return fail("missing command");
    }
    if (peek() == '(') {
      if (peek(1) == '(') {
        return fail("arithmetic command '((...))' is not supported");
      }
      ++pos_;
      std::size_t first = shared_.commands.size();
      if (!nested_list(')', CommandOrigin::top_level)) {
        return false;
      }
      ++pos_;  // ')'
      return parse_trailing_redirections(first);
    }
    if (peek() == '{' && (is_blank(peek(1)) || peek(1) == '\n')) {
      ++pos_;
      std::size_t first = shared_.commands.size();
      if (!nested_list('}', CommandOrigin::top_level)) {
        return false;
      }
      ++pos_;  // '}'
      return parse_trailing_redirections(first);
    }
    return parse_simple_command();
  }

  bool at_redirection() const {
    std::size_t p = pos_;
    while (p < src_.size() && is_digit(src_[p]) && p - pos_ < 4) {
      ++p;
    }
    if (p >= src_.size()) {
      return false;
    }
    char c = src_[p];
    if (p == pos_ && c == '&' && p + 1 < src_.size() && src_[p + 1] == '>') {
      return true;
    }
    if (c != '<' && c != '>') {
      return false;
    }
    // <( and >( are process substitutions, not redirections.
    return !(p == pos_ && p + 1 < src_.size() && src_[p + 1] == '(');
  }

  bool parse_redirection(Redirection& r) {
    std::size_t digits = 0;
    while (is_digit(peek(digits))) {
      ++digits;
    }
    if (digits > 0) {
      r.fd = std::stoi(std::string(src_.substr(pos_, digits)));
      pos_ += digits;
    }
    constexpr std::array<std::string_view, 11> kOps = {"&>>", "&>", "<<<", "<<", "<>", "<&",
                                                       "<",   ">>", ">&",  ">|", ">"};
    for (std::string_view op : kOps) {
      if (at(op)) {
        r.op = std::string(op);
        break;
      }
    }
    if (r.op == "<<") {
      return fail("here-documents are not supported");
    }
    pos_ += r.op.size();
    skip_blanks();
    if (eof() || is_meta(peek())) {
      return fail("redirection '" + r.op + "' has no target");
    }
    if (!read_word(r.target)) {
      return false;
    }
    if (r.op == ">&" || r.op == "<&") {
      bool duplicate = all_digits(r.target.text) || r.target.text == "-";
      r.writes = r.op == ">&" && !duplicate;
    } else {
      r.writes = r.op != "<" && r.op != "<<<";
    }
    return true;
  }

  bool parse_trailing_redirections(std::size_t first) {
    while (true) {
      skip_blanks();
      if (!at_redirection()) {
        break;
      }
      Redirection r;
      if (!parse_redirection(r)) {
        return false;
      }
      for (std::size_t i = first; i < shared_.commands.size(); ++i) {
        shared_.commands[i].redirections.push_back(r);
      }
    }
    if (!eof() && !is_meta(peek()) && peek() != '#' && !at_closing_brace()) {
      return fail(std::string("unexpected '") + peek() + "' after a subshell or group");
    }
    return true;
  }

  bool is_assignment_at(std::size_t start) const {
    if (start >= src_.size() || !is_name_start(src_[start])) {
      return false;
    }
    std::size_t p = start;
    while (p < src_.size() && is_name_char(src_[p])) {
      ++p;
    }
    if (p < src_.size() && src_[p] == '+') {
      ++p;
    }
    return p < src_.size() && src_[p] == '=';
  }

  bool parse_simple_command() {
    SimpleCommand cmd;
    bool any = false;
    while (true) {
      skip_blanks();
      if (eof()) {
        break;
      }
      char c = peek();
      if (c == '\n' || c == ';' || c == '|' || c == ')') {
        break;
      }
      if (c == '&' && peek(1) != '>') {
        break;
      }
      if (at_redirection()) {
        Redirection r;
        if (!parse_redirection(r)) {
          return false;
        }
        cmd.redirections.push_back(std::move(r));
        any = true;
        continue;
      }
      if (c == '(') {
        if (cmd.words.size() == 1) {
          return fail("function definitions are not supported");
        }
        return fail("unexpected '('");
      }
      if (c == '#') {
        break;  // a comment starts at a word boundary
      }
      std::size_t start = pos_;
      ShellWord word;
      if (!read_word(word)) {
        return false;
      }
      any = true;
      if (cmd.words.empty()) {
        if (is_assignment_at(start)) {
          cmd.assignments.push_back(std::move(word.text));
          continue;
        }
        if (!word.quoted && one_of(word.text, kReservedWords)) {
          return fail("shell keyword '" + word.text + "' is not supported");
        }
      }
      cmd.words.push_back(std::move(word));
    }
    if (!any) {
      return fail("missing command");
    }
    return finish(std::move(cmd));
  }

  // Reads one word at pos_ (which is not blank), removing quotes and recording expansions.
  bool read_word(ShellWord& w) {
    std::size_t start = pos_;
    while (!eof()) {
      char c = peek();
      if (is_meta(c)) {
        if ((c == '<' || c == '>') && peek(1) == '(' && pos_ == start) {
          pos_ += 2;
          if (!nested_list(')', CommandOrigin::process_substitution)) {
            return false;
          }
          ++pos_;
          w.has_substitution = true;
          w.text.append(src_.substr(start, pos_ - start));
          continue;
        }
        break;
      }
      switch (c) {
        case '\\':
          w.quoted = true;
          if (pos_ + 1 >= src_.size()) {
            w.text += '\\';
            ++pos_;
          } else if (peek(1) == '\n') {
            pos_ += 2;
          } else {
            w.text += peek(1);
            pos_ += 2;
          }
          break;
        case '\'': {
          auto end = src_.find('\'', pos_ + 1);
          if (end == std::string_view::npos) {
            return fail("unterminated single quote");
          }
          w.quoted = true;
          w.text.append(src_.substr(pos_ + 1, end - pos_ - 1));
          pos_ = end + 1;
          break;
        }
        case '"':
          w.quoted = true;
          ++pos_;
          if (!read_double_quoted(w)) {
            return false;
          }
          break;
        case '$':
          if (!read_dollar(w, false)) {
            return false;
          }
          break;
        case '`':
          if (!read_backtick(w, false)) {
            return false;
          }
          break;
        case '*':
        case '?':
          w.has_glob = true;
          w.text += c;
          ++pos_;
          break;
        case '[':
          if (closes_later(']')) {
            w.has_glob = true;
          }
          w.text += c;
          ++pos_;
          break;
        case '{':
          if (brace_expansion_ahead()) {
            w.has_glob = true;
          }
          w.text += c;
          ++pos_;
          break;
        case '~':
          if (pos_ == start) {
            w.has_tilde = true;
          }
          w.text += c;
          ++pos_;
          break;
        default:
          w.text += c;
          ++pos_;
          break;
      }
    }
    if (pos_ == start) {
      return fail("expected a word");
    }
    return true;
  }

  // Whether `close` appears later in the same unquoted word.
  bool closes_later(char close) const {
    for (std::size_t p = pos_ + 1; p < src_.size() && !is_meta(src_[p]); ++p) {
      if (src_[p] == close) {
        return true;
      }
    }
    return false;
  }

  // {a,b} and {1..3} expand into several words; {} (find -exec) does not.
  bool brace_expansion_ahead() const {
    bool comma_or_range = false;
    for (std::size_t p = pos_ + 1; p < src_.size() && !is_meta(src_[p]); ++p) {
      char c = src_[p];
      if (c == '}') {
        return comma_or_range;
      }
      if (c == ',' || (c == '.' && p + 1 < src_.size() && src_[p + 1] == '.')) {
        comma_or_range = true;
      }
      if (c == '\'' || c == '"' || c == '\\' || c == '$' || c == '`') {
        return true;  // quoted parts inside braces: assume expansion, the safe side
      }
    }
    return false;
  }

  bool read_double_quoted(ShellWord& w) {
    while (!eof()) {
      char c = peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        char next = peek(1);
        if (next == '$' || next == '`' || next == '"' || next == '\\') {
          w.text += next;
          pos_ += 2;
        } else if (next == '\n') {
          pos_ += 2;
        } else {
          w.text += '\\';
          ++pos_;
        }
        continue;
      }
      if (c == '$') {
        if (!read_dollar(w, true)) {
          return false;
        }
        continue;
      }
      if (c == '`') {
        if (!read_backtick(w, true)) {
          return false;
        }
        continue;
      }
      w.text += c;
      ++pos_;
    }
    return fail("unterminated double quote");
  }

  bool read_dollar(ShellWord& w, bool in_double_quotes) {
    std::size_t start = pos_;
    char next = peek(1);
    if (next == '(') {
      if (peek(2) == '(') {
        return fail("arithmetic expansion '$((...))' is not supported");
      }
      pos_ += 2;
      if (!nested_list(')', CommandOrigin::command_substitution)) {
        return false;
      }
      ++pos_;
      w.has_substitution = true;
      w.text.append(src_.substr(start, pos_ - start));
      return true;
    }
    if (next == '{') {
      int depth = 1;
      std::size_t p = pos_ + 2;
      for (; p < src_.size(); ++p) {
        char c = src_[p];
        if (c == '{') {
          ++depth;
        } else if (c == '}') {
          if (--depth == 0) {
            break;
          }
        } else if (c == '\'' || c == '"' || c == '`' || c == '\\' || c == '$') {
          return fail("'${...}' holding quotes, escapes or expansions is not supported");
        }
      }
      if (p >= src_.size()) {
        return fail("unterminated '${'");
      }
      pos_ = p + 1;
      w.has_variable = true;
      w.text.append(src_.substr(start, pos_ - start));
      return true;
    }
    if (!in_double_quotes && next == '\'') {
      return read_ansi_c(w);
    }
    if (!in_double_quotes && next == '"') {
      pos_ += 2;  // $"..." is a translatable string: read as "..."
      w.quoted = true;
      return read_double_quoted(w);
    }
    if (is_name_start(next)) {
      pos_ += 1;
      while (is_name_char(peek())) {
        ++pos_;
      }
      w.has_variable = true;
      w.text.append(src_.substr(start, pos_ - start));
      return true;
    }
    if (next != '\0' && contains("0123456789@*#?$!-", next)) {
      pos_ += 2;
      w.has_variable = true;
      w.text.append(src_.substr(start, pos_ - start));
      return true;
    }
    w.text += '$';
    ++pos_;
    return true;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  }

  // $'...' with C escapes decoded, so $'\x72m' is seen as "rm".
  bool read_ansi_c(ShellWord& w) {
    w.quoted = true;
    pos_ += 2;
    while (!eof()) {
      char c = peek();
      if (c == '\'') {
        ++pos_;
        return true;
      }
      if (c != '\\') {
        w.text += c;
        ++pos_;
        continue;
      }
      char e = peek(1);
      pos_ += 2;
      switch (e) {
        case 'n':
          w.text += '\n';
          break;
        case 't':
          w.text += '\t';
          break;
        case 'r':
          w.text += '\r';
          break;
        case 'a':
          w.text += '\a';
          break;
        case 'b':
          w.text += '\b';
          break;
        case 'f':
          w.text += '\f';
          break;
        case 'v':
          w.text += '\v';
          break;
        case 'e':
        case 'E':
          w.text += '\x1b';
          break;
        case '\\':
        case '\'':
        case '"':
        case '?':
          w.text += e;
          break;
        case 'x': {
          int value = 0;
          int n = 0;
          while (n < 2 && hex_value(peek()) >= 0) {
            value = value * 16 + hex_value(peek());
            ++pos_;
            ++n;
          }
          if (n == 0) {
            return fail("bad '\\x' escape in $'...'");
          }
          w.text += static_cast<char>(value);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int value = e - '0';
            for (int n = 0; n < 2 && peek() >= '0' && peek() <= '7'; ++n) {
              value = value * 8 + (peek() - '0');
              ++pos_;
            }
            w.text += static_cast<char>(value & 0xff);
            break;
          }
          return fail(std::string("escape '\\") + e + "' in $'...' is not supported");
      }
    }
    return fail("unterminated $'...'");
  }

  bool read_backtick(ShellWord& w, bool in_double_quotes) {
    std::size_t start = pos_;
    std::string body;
    std::size_t p = pos_ + 1;
    for (; p < src_.size(); ++p) {
      char c = src_[p];
      if (c == '`') {
        break;
      }
      if (c == '\\' && p + 1 < src_.size()) {
        char d = src_[p + 1];
        if (d == '`' || d == '\\' || d == '$' || (in_double_quotes && d == '"')) {
          body += d;
          ++p;
          continue;
        }
      }
      body += c;
    }
    if (p >= src_.size()) {
      return fail("unterminated backtick");
    }
    pos_ = p + 1;
    Inherited inner = inherited_;
    inner.origin = CommandOrigin::command_substitution;
    Parser nested(body, shared_, depth_ + 1, std::move(inner));
    if (!nested.run()) {
      return false;
    }
    w.has_substitution = true;
    w.text.append(src_.substr(start, pos_ - start));
    return true;
  }

  // ---- wrappers ---------------------------------------------------------------------------

  enum class Unwrap { none, stripped, replaced, failed };

  static ShellWord literal(std::string text) {
    ShellWord w;
    w.text = std::move(text);
    return w;
  }

  Unwrap strip(SimpleCommand& cmd, std::size_t operand, std::string wrapper) {
    cmd.words.erase(cmd.words.begin(), cmd.words.begin() + static_cast<std::ptrdiff_t>(operand));
    cmd.wrappers.push_back(std::move(wrapper));
    return Unwrap::stripped;
  }

  Unwrap fail_unwrap(std::string why) {
    fail(std::move(why));
    return Unwrap::failed;
  }

  Unwrap unwrap_one(SimpleCommand& cmd) {
    const ShellWord& w0 = cmd.words.front();
    if (w0.is_dynamic() || w0.has_tilde || !trusted_wrapper_location(w0.text)) {
      return Unwrap::none;
    }
    std::string name(basename(w0.text));
    if (one_of(std::string_view(name), kOpaqueBuiltins)) {
      return fail_unwrap("'" + name + "' runs commands the parser cannot see");
    }
    const auto& words = cmd.words;
    auto scan_or_fail = [&](const OptionSpec& spec) {
      OptionScan scan = skip_options(words, 1, spec, name);
      if (scan.error) {
        fail(*scan.error);
      }
      return scan;
    };

    if (name == "nohup" || name == "builtin") {
      if (words.size() < 2) {
        return Unwrap::none;
      }
      if (words[1].text.starts_with("-") && words[1].text != "--") {
        return fail_unwrap(name + ": options are not supported");
      }
      return strip(cmd, words[1].text == "--" ? 2 : 1, name);
    }
    if (name == "command") {
      if (words.size() >= 2 &&
          (words[1].text.starts_with("-v") || words[1].text.starts_with("-V"))) {
        return Unwrap::none;  // a lookup, runs nothing
      }
      OptionScan scan = scan_or_fail({.flags = "p"});
      if (scan.error)
        return Unwrap::failed;
      if (scan.operand >= words.size())
        return Unwrap::none;
      return strip(cmd, scan.operand, name);
    }
    if (name == "exec") {
      OptionScan scan = scan_or_fail({.flags = "cl", .with_arg = "a"});
      if (scan.error)
        return Unwrap::failed;
      return strip(cmd, scan.operand, name);  // `exec >log` leaves no words: only redirections
    }
    if (name == "sudo" || name == "doas") {
      OptionSpec spec =
          name == "sudo"
              ? OptionSpec{.flags = "EHnkSbAPBN",
                           .with_arg = "ugCDprtUT",
                           .long_flags = {"--preserve-env", "--non-interactive", "--set-home",
                                          "--stdin", "--background", "--askpass",
                                          "--reset-timestamp"},
                           .long_with_arg = {"--user", "--group", "--chdir", "--close-from",
                                             "--prompt", "--role", "--type", "--other-user",
                                             "--command-timeout"}}
              : OptionSpec{.flags = "n", .with_arg = "uC"};
      OptionScan scan = scan_or_fail(spec);
      if (scan.error)
        return Unwrap::failed;
      if (scan.operand >= words.size()) {
        return fail_unwrap(name + " without a command");
      }
      cmd.elevated = true;
      return strip(cmd, scan.operand, name);
    }
    if (name == "env") {
      for (std::size_t i = 1; i < words.size(); ++i) {
        std::string_view t = words[i].text;
        if (t == "-S" || t.starts_with("--split-string") || t == "-P" ||
            (t.starts_with("-") && !t.starts_with("--") &&
             (t.find('S') != std::string_view::npos || t.find('P') != std::string_view::npos))) {
          return fail_unwrap("env: -S/-P change how the command is found");
        }
        if (!t.starts_with("-"))
          break;
      }
      // `env -` is `env -i`.
      std::vector<ShellWord> rest(words.begin(), words.end());
      for (auto& w : rest) {
        if (w.text == "-")
          w.text = "-i";
      }
      OptionScan scan = skip_options(rest, 1,
                                     {.flags = "i0v",
                                      .with_arg = "uC",
                                      .long_flags = {"--ignore-environment", "--null", "--debug"},
                                      .long_with_arg = {"--unset", "--chdir"}},
                                     name);
      if (scan.error) {
        return fail_unwrap(*scan.error);
      }
      std::size_t i = scan.operand;
      std::vector<std::string> assigned;
      while (i < words.size()) {
        std::string_view t = words[i].text;
        auto eq = t.find('=');
        if (eq == std::string_view::npos || eq == 0 ||
            !std::all_of(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(eq), is_name_char) ||
            !is_name_start(t[0])) {
          break;
        }
        assigned.emplace_back(t);
        ++i;
      }
      if (i >= words.size()) {
        return Unwrap::none;  // `env` alone prints the environment
      }
      cmd.assignments.insert(cmd.assignments.end(), assigned.begin(), assigned.end());
      return strip(cmd, i, name);
    }
    if (name == "nice") {
      OptionScan scan =
          scan_or_fail({.with_arg = "n", .long_with_arg = {"--adjustment"}, .numeric_flags = true});
      if (scan.error)
        return Unwrap::failed;
      if (scan.operand >= words.size())
        return Unwrap::none;
      return strip(cmd, scan.operand, name);
    }
    if (name == "timeout") {
      OptionScan scan =
          scan_or_fail({.flags = "v",
                        .with_arg = "sk",
                        .long_flags = {"--foreground", "--preserve-status", "--verbose"},
                        .long_with_arg = {"--signal", "--kill-after"}});
      if (scan.error)
        return Unwrap::failed;
      if (scan.operand + 1 >= words.size()) {
        return fail_unwrap("timeout: missing duration or command");
      }
      return strip(cmd, scan.operand + 1, name);
    }
    if (name == "stdbuf") {
      OptionScan scan =
          scan_or_fail({.with_arg = "ioe", .long_with_arg = {"--input", "--output", "--error"}});
      if (scan.error)
        return Unwrap::failed;
      if (scan.operand >= words.size())
        return fail_unwrap("stdbuf: missing command");
      return strip(cmd, scan.operand, name);
    }
    if (name == "time") {
      OptionScan scan =
          scan_or_fail({.flags = "pqav",
                        .with_arg = "fo",
                        .long_flags = {"--portability", "--append", "--verbose", "--quiet"},
                        .long_with_arg = {"--format", "--output"}});
      if (scan.error)
        return Unwrap::failed;
      if (scan.operand >= words.size())
        return Unwrap::none;
      return strip(cmd, scan.operand, name);
    }
    if (name == "xargs") {
      OptionScan scan =
          scan_or_fail({.flags = "0rtpxo",
                        .with_arg = "IdEaLnPs",
                        .optional_arg = "iel",
                        .long_flags = {"--null", "--no-run-if-empty", "--verbose", "--interactive",
                                       "--exit", "--open-tty", "--replace", "--eof", "--max-lines"},
                        .long_with_arg = {"--delimiter", "--arg-file", "--max-args", "--max-procs",
                                          "--max-chars", "--process-slot-var"}});
      if (scan.error)
        return Unwrap::failed;
      cmd.extra_args = true;
      if (scan.operand >= words.size()) {
        cmd.words = {literal("echo")};  // xargs with no command runs echo
        cmd.wrappers.push_back(name);
        return Unwrap::stripped;
      }
      return strip(cmd, scan.operand, name);
    }
    if (one_of(std::string_view(name), kShells)) {
      return unwrap_shell(cmd, name);
    }
    return Unwrap::none;
  }

  // sh -c 'script' [name [args...]]: the script is parsed as commands; other shell forms run a
  // file or stdin and stay a command of their own.
  Unwrap unwrap_shell(SimpleCommand& cmd, const std::string& name) {
    const auto& words = cmd.words;
    std::size_t i = 1;
    if (name == "busybox") {
      return Unwrap::none;  // an applet multiplexer: matched as itself
    }
    bool has_c = false;
    bool login = false;
    for (; i < words.size(); ++i) {
      const ShellWord& w = words[i];
      std::string_view t = w.text;
      if (t.size() < 2 || (t[0] != '-' && t[0] != '+')) {
        break;
      }
      if (w.is_dynamic()) {
        return fail_unwrap(name + ": option '" + w.text + "' is only known at run time");
      }
      if (t == "--" || t == "-") {
        ++i;
        break;
      }
      if (t.starts_with("--")) {
        if (t == "--login" || t == "--rcfile" || t == "--init-file" || t == "--interactive") {
          login = true;
        }
        if (t == "--rcfile" || t == "--init-file") {
          ++i;
        }
        continue;
      }
      for (std::size_t j = 1; j < t.size(); ++j) {
        char c = t[j];
        if (c == 'c')
          has_c = true;
        if (c == 'l' || c == 'i')
          login = true;
        if (c == 'o' || c == 'O')
          ++i;  // -o option-name
      }
    }
    if (!has_c) {
      return Unwrap::none;
    }
    if (login) {
      return fail_unwrap(name + ": login or interactive shells load startup files");
    }
    if (i >= words.size()) {
      return fail_unwrap(name + " -c without a script");
    }
    if (words[i].is_dynamic()) {
      return fail_unwrap(name + " -c script is only known at run time");
    }
    if (depth_ + 1 > kMaxNestingDepth) {
      return fail_unwrap("commands nested too deeply");
    }
    Inherited inner;
    inner.origin = origin_;
    inner.wrappers = cmd.wrappers;
    inner.wrappers.push_back(name + " -c");
    inner.elevated = cmd.elevated;
    inner.extra_args = cmd.extra_args;
    std::string script = words[i].text;
    std::size_t first = shared_.commands.size();
    Parser nested(script, shared_, depth_ + 1, std::move(inner));
    if (!nested.run()) {
      return Unwrap::failed;
    }
    // Redirections on the shell itself apply to everything its script runs.
    for (std::size_t k = first; k < shared_.commands.size(); ++k) {
      auto& inner_redirections = shared_.commands[k].redirections;
      inner_redirections.insert(inner_redirections.end(), cmd.redirections.begin(),
                                cmd.redirections.end());
    }
    return Unwrap::replaced;
  }

  // find ... -exec cmd {} ; runs cmd: list it as a command of its own.
  bool extract_find_exec(const SimpleCommand& cmd) {
    const auto& words = cmd.words;
    for (std::size_t i = 1; i < words.size(); ++i) {
      std::string_view t = words[i].text;
      if (t != "-exec" && t != "-execdir" && t != "-ok" && t != "-okdir") {
        continue;
      }
      std::size_t end = i + 1;
      while (end < words.size() && words[end].text != ";" && words[end].text != "+") {
        ++end;
      }
      if (end >= words.size()) {
        return fail("find " + std::string(t) + " without ';' or '+'");
      }
      if (end == i + 1) {
        return fail("find " + std::string(t) + " without a command");
      }
      SimpleCommand inner;
      inner.words.assign(words.begin() + static_cast<std::ptrdiff_t>(i + 1),
                         words.begin() + static_cast<std::ptrdiff_t>(end));
      inner.wrappers = cmd.wrappers;
      inner.wrappers.push_back("find " + std::string(t));
      inner.elevated = cmd.elevated;
      inner.extra_args = true;
      if (!finish_one(std::move(inner), /*inherit=*/false)) {
        return false;
      }
      i = end;
    }
    return true;
  }

  bool finish(SimpleCommand cmd) { return finish_one(std::move(cmd), true); }

  bool finish_one(SimpleCommand cmd, bool inherit) {
    if (inherit) {
      cmd.origin = origin_;
      cmd.wrappers.insert(cmd.wrappers.begin(), inherited_.wrappers.begin(),
                          inherited_.wrappers.end());
      cmd.elevated = cmd.elevated || inherited_.elevated;
      cmd.extra_args = cmd.extra_args || inherited_.extra_args;
    } else {
      cmd.origin = origin_;
    }
    for (int round = 0; round < 16 && !cmd.words.empty(); ++round) {
      Unwrap result = unwrap_one(cmd);
      if (result == Unwrap::failed) {
        return false;
      }
      if (result == Unwrap::replaced) {
        return true;
      }
      if (result == Unwrap::none) {
        break;
      }
    }
    if (!cmd.words.empty() && basename(cmd.words.front().text) == "find" &&
        !cmd.words.front().is_dynamic()) {
      if (!extract_find_exec(cmd)) {
        return false;
      }
    }
    shared_.commands.push_back(std::move(cmd));
    return true;
  }

  std::string_view src_;
  std::size_t pos_ = 0;
  Shared& shared_;
  int depth_;
  Inherited inherited_;
  CommandOrigin origin_;
};

}  // namespace

std::vector<std::string> SimpleCommand::argv() const {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words) {
    out.push_back(w.text);
  }
  return out;
}

bool SimpleCommand::writes_file() const {
  return std::any_of(redirections.begin(), redirections.end(),
                     [](const Redirection& r) { return r.writes; });
}

std::string SimpleCommand::display() const {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) {
      out += ' ';
    }
    out += w.text;
  }
  return out;
}

ParseResult parse_command(std::string_view text) {
  ParseResult result;
  if (text.size() > kMaxCommandTextBytes) {
    result.unparseable =
        "command text is longer than " + std::to_string(kMaxCommandTextBytes) + " bytes";
    return result;
  }
  if (text.find('\0') != std::string_view::npos) {
    result.unparseable = "command text contains a NUL byte";
    return result;
  }
  Shared shared;
  Parser parser(text, shared, 0, Inherited{});
  try {
    parser.run();
  } catch (const std::exception& e) {
    // Only allocation failure can get here; report it as input we could not follow.
    shared.error = std::string("parser failed: ") + e.what();
  }
  result.commands = std::move(shared.commands);
  result.unparseable = std::move(shared.error);
  return result;
}

}  // namespace pincer::tools::exec
