#include "tools/exec/command_parser.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace pincer::tools::exec {
namespace {

using Argvs = std::vector<std::vector<std::string>>;

Argvs argvs(const ParseResult& result) {
  Argvs out;
  for (const auto& cmd : result.commands) {
    out.push_back(cmd.argv());
  }
  return out;
}

// Parses text that must be followed, and returns every command's argv.
Argvs parsed(std::string_view text) {
  ParseResult result = parse_command(text);
  EXPECT_TRUE(result.ok()) << text << ": " << result.unparseable.value_or("");
  return argvs(result);
}

std::string unparseable(std::string_view text) {
  ParseResult result = parse_command(text);
  EXPECT_FALSE(result.ok()) << text << " should be unparseable";
  return result.unparseable.value_or("");
}

// Words are split on blanks and quotes are removed.
TEST(CommandParser, SplitsWordsAndRemovesQuotes) {
  EXPECT_EQ(parsed("ls -la /tmp"), (Argvs{{"ls", "-la", "/tmp"}}));
  EXPECT_EQ(parsed("echo 'a b' \"c d\" e\\ f"), (Argvs{{"echo", "a b", "c d", "e f"}}));
  EXPECT_EQ(parsed("  ls\t-l  "), (Argvs{{"ls", "-l"}}));
  EXPECT_EQ(parsed(""), Argvs{});
  EXPECT_EQ(parsed("# only a comment"), Argvs{});
  EXPECT_EQ(parsed("ls # rm -rf /"), (Argvs{{"ls"}}));
  EXPECT_EQ(parsed("echo a#b"), (Argvs{{"echo", "a#b"}}));
}

// Quote tricks resolve to the word the shell would run, so 'l''s' is ls.
TEST(CommandParser, QuoteTricksResolveToTheRealWord) {
  EXPECT_EQ(parsed("'l''s'"), (Argvs{{"ls"}}));
  EXPECT_EQ(parsed("l\\s"), (Argvs{{"ls"}}));
  EXPECT_EQ(parsed("\"r\"m -rf x"), (Argvs{{"rm", "-rf", "x"}}));
  EXPECT_EQ(parsed("$'\\x72m' x"), (Argvs{{"rm", "x"}}));
  EXPECT_EQ(parsed("$'\\162m' x"), (Argvs{{"rm", "x"}}));
  EXPECT_EQ(parsed("r\\\nm x"), (Argvs{{"rm", "x"}}));  // line continuation inside a word
  EXPECT_TRUE(parse_command("'l''s'").commands[0].words[0].quoted);
}

// Every command of a chain is listed: ; && || | & and newlines.
TEST(CommandParser, ListsEveryCommandOfAChain) {
  EXPECT_EQ(parsed("ls; rm -rf /"), (Argvs{{"ls"}, {"rm", "-rf", "/"}}));
  EXPECT_EQ(parsed("a && b || c"), (Argvs{{"a"}, {"b"}, {"c"}}));
  EXPECT_EQ(parsed("cat x | grep y | wc -l"), (Argvs{{"cat", "x"}, {"grep", "y"}, {"wc", "-l"}}));
  EXPECT_EQ(parsed("ls\nrm x\n"), (Argvs{{"ls"}, {"rm", "x"}}));
  EXPECT_EQ(parsed("a |& b"), (Argvs{{"a"}, {"b"}}));
  EXPECT_EQ(parsed("! grep x f"), (Argvs{{"grep", "x", "f"}}));
  EXPECT_EQ(parsed("a &&\n b"), (Argvs{{"a"}, {"b"}}));
  auto result = parse_command("sleep 5 & ls");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result.commands.size(), 2u);
  EXPECT_TRUE(result.commands[0].background);
  EXPECT_FALSE(result.commands[1].background);
}

// Subshells and { } groups are descended into.
TEST(CommandParser, DescendsIntoSubshellsAndGroups) {
  EXPECT_EQ(parsed("(cd /tmp && rm x)"), (Argvs{{"cd", "/tmp"}, {"rm", "x"}}));
  EXPECT_EQ(parsed("{ ls; rm x; }"), (Argvs{{"ls"}, {"rm", "x"}}));
  EXPECT_EQ(parsed("( (a) ; b ) | c"), (Argvs{{"a"}, {"b"}, {"c"}}));
  EXPECT_EQ(parsed("echo }"), (Argvs{{"echo", "}"}}));
  EXPECT_EQ(parsed("{ ls; } > out"), (Argvs{{"ls"}}));
  EXPECT_TRUE(parse_command("{ ls; } > out").commands[0].writes_file());
}

// $( ), backticks (also inside double quotes) and <( ) are commands too.
TEST(CommandParser, ListsCommandsInsideSubstitutions) {
  EXPECT_EQ(parsed("ls && $(curl x|sh)"), (Argvs{{"ls"}, {"curl", "x"}, {"sh"}, {"$(curl x|sh)"}}));
  EXPECT_EQ(parsed("echo `id`"), (Argvs{{"id"}, {"echo", "`id`"}}));
  EXPECT_EQ(parsed("echo \"user: $(whoami)\""), (Argvs{{"whoami"}, {"echo", "user: $(whoami)"}}));
  EXPECT_EQ(parsed("echo \"`rm x`\""), (Argvs{{"rm", "x"}, {"echo", "`rm x`"}}));
  EXPECT_EQ(parsed("diff <(ls a) >(cat)"),
            (Argvs{{"ls", "a"}, {"cat"}, {"diff", "<(ls a)", ">(cat)"}}));
  EXPECT_EQ(parsed("echo $(echo $(rm x))"),
            (Argvs{{"rm", "x"}, {"echo", "$(rm x)"}, {"echo", "$(echo $(rm x))"}}));
  EXPECT_EQ(parsed("X=$(rm y) ls"), (Argvs{{"rm", "y"}, {"ls"}}));
  EXPECT_EQ(parsed("echo `echo \\`rm z\\``"),
            (Argvs{{"rm", "z"}, {"echo", "`rm z`"}, {"echo", "`echo \\`rm z\\``"}}));
  auto result = parse_command("ls $(rm x)");
  ASSERT_EQ(result.commands.size(), 2u);
  EXPECT_EQ(result.commands[0].origin, CommandOrigin::command_substitution);
  EXPECT_EQ(result.commands[1].origin, CommandOrigin::top_level);
  EXPECT_TRUE(result.commands[1].words[1].has_substitution);
  EXPECT_EQ(parse_command("cat <(ls)").commands[0].origin, CommandOrigin::process_substitution);
  EXPECT_EQ(parsed("echo ')' \"$(printf ')')\""),
            (Argvs{{"printf", ")"}, {"echo", ")", "$(printf ')')"}}));
}

// Variables, globs, tildes and brace expansion are flagged, not expanded.
TEST(CommandParser, FlagsRuntimeExpansions) {
  auto r = parse_command("$CMD -x ${HOME}/a *.txt ~/bin {a,b} {} [ab] \"$1\" '$NOT'");
  ASSERT_TRUE(r.ok()) << *r.unparseable;
  const auto& w = r.commands[0].words;
  ASSERT_EQ(w.size(), 10u);
  EXPECT_TRUE(w[0].has_variable);
  EXPECT_TRUE(w[0].is_dynamic());
  EXPECT_FALSE(w[1].is_dynamic());
  EXPECT_TRUE(w[2].has_variable);
  EXPECT_EQ(w[2].text, "${HOME}/a");
  EXPECT_TRUE(w[3].has_glob);
  EXPECT_TRUE(w[4].has_tilde);
  EXPECT_TRUE(w[5].has_glob);   // brace expansion
  EXPECT_FALSE(w[6].has_glob);  // {} is literal
  EXPECT_TRUE(w[7].has_glob);
  EXPECT_TRUE(w[8].has_variable);
  EXPECT_FALSE(w[9].is_dynamic());
  EXPECT_EQ(w[9].text, "$NOT");
  EXPECT_FALSE(parse_command("[ -f x ]").commands[0].words[0].has_glob);
}

// $IFS tricks hide word boundaries: the command word becomes dynamic.
TEST(CommandParser, IfsTricksMakeTheCommandDynamic) {
  auto r = parse_command("rm${IFS}-rf${IFS}/");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_TRUE(r.commands[0].words[0].is_dynamic());
  r = parse_command("{rm,-rf,/}");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.commands[0].words[0].is_dynamic());
  r = parse_command("c$@at /etc/passwd");
  EXPECT_TRUE(r.commands[0].words[0].is_dynamic());
}

// Leading NAME=value words are assignments, not the command.
TEST(CommandParser, SeparatesLeadingAssignments) {
  auto r = parse_command("A=1 B=\"x y\" make -j4 C=3");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.commands[0].assignments, (std::vector<std::string>{"A=1", "B=x y"}));
  EXPECT_EQ(r.commands[0].argv(), (std::vector<std::string>{"make", "-j4", "C=3"}));
  r = parse_command("A=1");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.commands[0].words.empty());
  EXPECT_EQ(parsed("'A=1' ls"), (Argvs{{"A=1", "ls"}}));  // quoted: a command word
}

// Redirections are recorded, and those that open files for writing are flagged.
TEST(CommandParser, RecordsRedirections) {
  auto r = parse_command("sort < in > out 2>&1 2>>err &>all 3<>rw cat<<<'here'");
  ASSERT_TRUE(r.ok()) << *r.unparseable;
  const auto& cmd = r.commands[0];
  EXPECT_EQ(cmd.argv(), (std::vector<std::string>{"sort", "cat"}));
  ASSERT_EQ(cmd.redirections.size(), 7u);
  EXPECT_EQ(cmd.redirections[0].op, "<");
  EXPECT_FALSE(cmd.redirections[0].writes);
  EXPECT_EQ(cmd.redirections[1].op, ">");
  EXPECT_EQ(cmd.redirections[1].target.text, "out");
  EXPECT_TRUE(cmd.redirections[1].writes);
  EXPECT_EQ(cmd.redirections[2].fd, 2);
  EXPECT_FALSE(cmd.redirections[2].writes);  // descriptor duplication
  EXPECT_TRUE(cmd.redirections[3].writes);
  EXPECT_EQ(cmd.redirections[4].op, "&>");
  EXPECT_TRUE(cmd.redirections[5].writes);
  EXPECT_EQ(cmd.redirections[6].op, "<<<");
  EXPECT_FALSE(cmd.redirections[6].writes);
  EXPECT_FALSE(parse_command("ls 2>&1").commands[0].writes_file());
  EXPECT_TRUE(parse_command("ls >&log").commands[0].writes_file());
  auto sub = parse_command("echo > $(rm x)");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(argvs(sub), (Argvs{{"rm", "x"}, {"echo"}}));
}

// sh -c / bash -c / zsh -c scripts are parsed as commands.
TEST(CommandParser, UnwrapsShellDashC) {
  EXPECT_EQ(parsed("sh -c \"ls; rm x\""), (Argvs{{"ls"}, {"rm", "x"}}));
  EXPECT_EQ(parsed("bash -ec 'a && b' name arg"), (Argvs{{"a"}, {"b"}}));
  EXPECT_EQ(parsed("/bin/zsh -x -c 'sh -c \"rm y\"'"), (Argvs{{"rm", "y"}}));
  auto r = parse_command("sh -c 'ls' > out");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.commands[0].wrappers, (std::vector<std::string>{"sh -c"}));
  EXPECT_TRUE(r.commands[0].writes_file());
  EXPECT_EQ(parsed("sh script.sh"), (Argvs{{"sh", "script.sh"}}));  // runs a file: its own command
  EXPECT_EQ(parsed("curl x | sh"), (Argvs{{"curl", "x"}, {"sh"}}));
  EXPECT_FALSE(parse_command("sh -c \"$SCRIPT\"").ok());
  EXPECT_FALSE(parse_command("bash -lc 'ls'").ok());  // login shells read startup files
  EXPECT_FALSE(parse_command("sh -c 'ls; \"'").ok());
}

// Dispatch wrappers are removed and the command they run is what is listed.
TEST(CommandParser, UnwrapsDispatchWrappers) {
  auto r = parse_command("env X=1 rm -f a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.commands[0].argv(), (std::vector<std::string>{"rm", "-f", "a"}));
  EXPECT_EQ(r.commands[0].assignments, (std::vector<std::string>{"X=1"}));
  EXPECT_EQ(r.commands[0].wrappers, (std::vector<std::string>{"env"}));
  EXPECT_EQ(parsed("env -i -u HOME PATH=/x rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("env"), (Argvs{{"env"}}));
  EXPECT_EQ(parsed("nohup rm x &"), (Argvs{{"rm", "x"}}));
  EXPECT_EQ(parsed("timeout 5 rm x"), (Argvs{{"rm", "x"}}));
  EXPECT_EQ(parsed("timeout -s KILL -k 2 --foreground 5s rm x"), (Argvs{{"rm", "x"}}));
  EXPECT_EQ(parsed("nice -n 10 rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("nice -5 rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("stdbuf -oL -e 0 rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("time -p rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("command -p rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("command -v rm"), (Argvs{{"command", "-v", "rm"}}));
  EXPECT_EQ(parsed("builtin cd x"), (Argvs{{"cd", "x"}}));
  EXPECT_EQ(parsed("exec -a name rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("nohup timeout 5 env A=b nice sh -c 'rm q'"), (Argvs{{"rm", "q"}}));
  auto nested = parse_command("nohup timeout 5 env A=b nice sh -c 'rm q'");
  EXPECT_EQ(nested.commands[0].wrappers,
            (std::vector<std::string>{"nohup", "timeout", "env", "nice", "sh -c"}));
  // A look-alike outside system directories is a program of its own.
  EXPECT_EQ(parsed("/tmp/x/env rm"), (Argvs{{"/tmp/x/env", "rm"}}));
  EXPECT_EQ(parsed("/usr/bin/env rm"), (Argvs{{"rm"}}));
}

// xargs runs its command with arguments from stdin; find -exec runs its command too.
TEST(CommandParser, UnwrapsXargsAndFindExec) {
  auto r = parse_command("find . -name '*.o' | xargs -0 -n 1 rm -f");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(argvs(r), (Argvs{{"find", ".", "-name", "*.o"}, {"rm", "-f"}}));
  EXPECT_TRUE(r.commands[1].extra_args);
  EXPECT_EQ(parsed("xargs rm"), (Argvs{{"rm"}}));
  EXPECT_EQ(parsed("xargs -I{} sh -c 'rm {}'"), (Argvs{{"rm", "{}"}}));
  EXPECT_EQ(parsed("xargs"), (Argvs{{"echo"}}));
  EXPECT_EQ(parsed("find . -exec rm {} \\;"),
            (Argvs{{"rm", "{}"}, {"find", ".", "-exec", "rm", "{}", ";"}}));
  EXPECT_EQ(parsed("find . -execdir sh -c 'curl x' \\+"),
            (Argvs{{"curl", "x"}, {"find", ".", "-execdir", "sh", "-c", "curl x", "+"}}));
  EXPECT_FALSE(parse_command("find . -exec rm {}").ok());
}

// sudo and doas mark the command elevated.
TEST(CommandParser, MarksSudoElevated) {
  auto r = parse_command("sudo -u root -E rm -rf /var/x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.commands[0].argv(), (std::vector<std::string>{"rm", "-rf", "/var/x"}));
  EXPECT_TRUE(r.commands[0].elevated);
  EXPECT_EQ(r.commands[0].wrappers, (std::vector<std::string>{"sudo"}));
  r = parse_command("sudo sh -c 'ls; rm x'");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.commands.size(), 2u);
  EXPECT_TRUE(r.commands[0].elevated);
  EXPECT_TRUE(r.commands[1].elevated);
  EXPECT_TRUE(parse_command("doas rm x").commands[0].elevated);
  EXPECT_FALSE(parse_command("ls").commands[0].elevated);
  EXPECT_FALSE(parse_command("sudo -i").ok());
  EXPECT_FALSE(parse_command("sudo -s").ok());
  EXPECT_FALSE(parse_command("sudo").ok());
}

// What cannot be followed with certainty is unparseable, with a reason.
TEST(CommandParser, RejectsWhatItCannotFollow) {
  EXPECT_NE(unparseable("echo 'abc").find("single quote"), std::string::npos);
  EXPECT_NE(unparseable("echo \"abc").find("double quote"), std::string::npos);
  EXPECT_NE(unparseable("echo `id").find("backtick"), std::string::npos);
  EXPECT_NE(unparseable("echo $(id").find("missing closing"), std::string::npos);
  EXPECT_NE(unparseable("cat <<EOF\nrm x\nEOF").find("here-document"), std::string::npos);
  EXPECT_NE(unparseable("eval \"rm x\"").find("eval"), std::string::npos);
  EXPECT_NE(unparseable("source ./env.sh").find("source"), std::string::npos);
  EXPECT_NE(unparseable(". ./env.sh").find("'.'"), std::string::npos);
  EXPECT_NE(unparseable("alias ls=rm").find("alias"), std::string::npos);
  EXPECT_NE(unparseable("f() { rm x; }; f").find("function"), std::string::npos);
  EXPECT_NE(unparseable("function f { rm x; }").find("function"), std::string::npos);
  EXPECT_NE(unparseable("echo $((1+2))").find("arithmetic"), std::string::npos);
  EXPECT_NE(unparseable("((x++))").find("arithmetic"), std::string::npos);
  EXPECT_NE(unparseable("for f in *; do rm $f; done").find("for"), std::string::npos);
  EXPECT_NE(unparseable("if true; then rm x; fi").find("if"), std::string::npos);
  EXPECT_NE(unparseable("case x in a) rm;; esac").find("case"), std::string::npos);
  EXPECT_NE(unparseable("[[ -f x ]]").find("[["), std::string::npos);
  EXPECT_NE(unparseable("echo ${x:-$(rm y)}").find("${"), std::string::npos);
  EXPECT_NE(unparseable("env -S 'rm x'").find("env"), std::string::npos);
  EXPECT_NE(unparseable("timeout --bogus 5 rm").find("--bogus"), std::string::npos);
  EXPECT_FALSE(parse_command("ls &&").ok());
  EXPECT_FALSE(parse_command("&& ls").ok());
  EXPECT_FALSE(parse_command("ls ;; rm").ok());
  EXPECT_FALSE(parse_command("ls )").ok());
  EXPECT_FALSE(parse_command("(ls").ok());
  EXPECT_FALSE(parse_command("ls |").ok());
  EXPECT_FALSE(parse_command("ls >").ok());
  EXPECT_FALSE(parse_command("{ ls }").ok());
  EXPECT_FALSE(parse_command(std::string("ls\0rm", 5)).ok());
}

// Deep nesting is refused instead of recursing without bound.
TEST(CommandParser, RefusesDeepNesting) {
  std::string deep;
  for (int i = 0; i < 200; ++i) {
    deep += "$(";
  }
  deep += "ls";
  for (int i = 0; i < 200; ++i) {
    deep += ")";
  }
  EXPECT_NE(unparseable(deep).find("nested"), std::string::npos);
  std::string subshells(100, '(');
  subshells += "ls" + std::string(100, ')');
  EXPECT_FALSE(parse_command(subshells).ok());
  EXPECT_FALSE(parse_command(std::string(kMaxCommandTextBytes + 1, 'a')).ok());
}

// Random input never throws or crashes; a result is either ok or carries a reason.
TEST(CommandParser, SurvivesRandomInput) {
  std::mt19937 rng(1234);
  const std::string alphabet = "ab $`'\"\\(){};&|<>\n#*?[]~=!-c0123456789xsh";
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    std::size_t length = rng() % 40;
    for (std::size_t i = 0; i < length; ++i) {
      text += alphabet[rng() % alphabet.size()];
    }
    ParseResult result;
    ASSERT_NO_THROW(result = parse_command(text)) << text;
    if (!result.ok()) {
      EXPECT_FALSE(result.unparseable->empty()) << text;
    }
  }
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    std::size_t length = rng() % 64;
    for (std::size_t i = 0; i < length; ++i) {
      text += static_cast<char>(rng() % 256);
    }
    ASSERT_NO_THROW(parse_command(text));
  }
}

}  // namespace
}  // namespace pincer::tools::exec
