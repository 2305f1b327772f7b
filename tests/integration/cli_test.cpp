// The `pincer` CLI as a user runs it: version, config get/set/unset/validate, onboard, doctor.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include <boost/json/parse.hpp>

#include "core/files.hpp"
#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;

// A file's whole text, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path) {
  return core::read_file(path).value_or(std::string());
}

class Cli : public ::testing::Test {
 protected:
  RunResult run(const std::vector<std::string>& args, const std::string& input = {}) {
    return run_pincer(args, isolated_env(state_.path()), input);
  }
  std::filesystem::path config_file() const { return state_ / "pincer.json"; }
  TempDir state_;
};

// --version prints the version and the git commit.
TEST_F(Cli, VersionPrintsVersionAndCommit) {
  auto r = run({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.out.starts_with("pincer 0.")) << r.out;
  EXPECT_NE(r.out.find('('), std::string::npos);
}

// help lists the commands.
TEST_F(Cli, HelpListsCommands) {
  auto r = run({"help"});
  for (const char* command : {"onboard", "gateway", "config", "doctor", "logs"}) {
    EXPECT_NE(r.out.find(command), std::string::npos) << command << "\n" << r.out;
  }
}

// An unknown command fails with a usage error.
TEST_F(Cli, UnknownCommandFails) {
  auto r = run({"frobnicate"});
  EXPECT_NE(r.exit_code, 0);
}

// set keeps comments and formatting elsewhere, get reads the value back.
TEST_F(Cli, ConfigSetKeepsCommentsAndGetReadsBack) {
  std::ofstream(config_file())
      << "// my settings\n{\n  // the port\n  gateway: { port: 18789 },\n}\n";
  auto set = run({"config", "set", "gateway.port", "19001"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  std::string text = read_file(config_file());
  EXPECT_NE(text.find("// my settings"), std::string::npos) << text;
  EXPECT_NE(text.find("// the port"), std::string::npos) << text;
  EXPECT_NE(text.find("19001"), std::string::npos) << text;
  auto get = run({"config", "get", "gateway.port"});
  EXPECT_EQ(get.exit_code, 0);
  EXPECT_EQ(get.out, "19001\n");
  auto get_json = run({"config", "get", "gateway", "--json"});
  EXPECT_EQ(json::parse(get_json.out).at("port").as_int64(), 19001);
  struct stat st {};
  ASSERT_EQ(::stat(config_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// Values that are not JSON5 become strings; new nested keys are created.
TEST_F(Cli, ConfigSetCreatesFileAndNestedKeys) {
  auto set = run({"config", "set", "agents.defaults.heartbeat.every", "2h"});
  ASSERT_EQ(set.exit_code, 0) << set.err;
  auto get = run({"config", "get", "agents.defaults.heartbeat.every"});
  EXPECT_EQ(get.out, "2h\n");
}

// A set that would make the config invalid is refused and the file is untouched.
TEST_F(Cli, ConfigSetRefusesInvalidValue) {
  std::ofstream(config_file()) << "{gateway: {port: 18789}}";
  auto set = run({"config", "set", "gateway.port", "\"abc\""});
  EXPECT_EQ(set.exit_code, 1);
  EXPECT_NE(set.err.find("gateway.port: expected an integer 1-65535"), std::string::npos)
      << set.err;
  EXPECT_EQ(read_file(config_file()), "{gateway: {port: 18789}}");
}

// --json failures use the {ok:false,error:{type,message}} envelope on stdout.
TEST_F(Cli, ConfigJsonFailureEnvelope) {
  auto r = run({"config", "get", "gateway.port", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  auto doc = json::parse(r.out);
  EXPECT_EQ(doc.at("ok").as_bool(), false);
  EXPECT_EQ(doc.at("error").at("type").as_string(), "cli_error");
  EXPECT_NE(std::string(doc.at("error").at("message").as_string())
                .find("not set; the default applies: 18789"),
            std::string::npos)
      << r.out;
}

// unset removes the key; unsetting a missing key says so.
TEST_F(Cli, ConfigUnset) {
  std::ofstream(config_file()) << "{gateway: {port: 19000, bind: 'loopback'}}";
  ASSERT_EQ(run({"config", "unset", "gateway.port"}).exit_code, 0);
  EXPECT_EQ(read_file(config_file()).find("19000"), std::string::npos);
  auto again = run({"config", "unset", "gateway.port"});
  EXPECT_EQ(again.exit_code, 1);
}

// Secrets are redacted by get unless asked for.
TEST_F(Cli, ConfigGetRedactsSecrets) {
  std::ofstream(config_file()) << "{gateway: {auth: {token: 'abcdef0123456789abcdef'}}}";
  auto get = run({"config", "get", "gateway.auth"});
  EXPECT_EQ(get.out.find("abcdef0123456789abcdef"), std::string::npos) << get.out;
  auto shown = run({"config", "get", "gateway.auth.token", "--show-secrets"});
  EXPECT_EQ(shown.out, "abcdef0123456789abcdef\n");
}

// validate lists every problem and exits 1; --json has stable fields.
TEST_F(Cli, ConfigValidateReportsEveryProblem) {
  std::ofstream(config_file()) << "{gateway: {port: 'x', bind: 'y'}, typo: 1}";
  auto r = run({"config", "validate"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("gateway.port"), std::string::npos);
  EXPECT_NE(r.out.find("gateway.bind"), std::string::npos);
  EXPECT_NE(r.out.find("warning: typo: unknown key"), std::string::npos) << r.out;
  auto j = json::parse(run({"config", "validate", "--json"}).out);
  EXPECT_FALSE(j.at("valid").as_bool());
  EXPECT_EQ(j.at("issues").as_array().size(), 3u);
}

// config file and config path print where things live.
TEST_F(Cli, ConfigFileAndPath) {
  auto file = run({"config", "file"});
  EXPECT_EQ(file.out, config_file().string() + "\n");
  auto paths = json::parse(run({"config", "path", "--json"}).out);
  EXPECT_EQ(paths.at("stateDir").as_string(), state_.path().string());
  EXPECT_EQ(paths.at("databaseFile").as_string(), (state_ / "state.db").string());
}

// --profile NAME moves the state to ~/.pincer-NAME.
TEST_F(Cli, ProfileMovesState) {
  auto env = isolated_env(state_.path());
  env.erase("PINCER_STATE_DIR");
  auto r = run_pincer({"--profile", "work", "config", "file"}, env);
  EXPECT_EQ(r.out, (state_ / ".pincer-work" / "pincer.json").string() + "\n");
}

// Non-interactive onboarding writes a valid config with a token and seeds the workspace.
TEST_F(Cli, OnboardNonInteractive) {
  auto r = run({"onboard", "--non-interactive", "--accept-risk", "--json", "--model",
                "anthropic/claude-sonnet-4-5", "--anthropic-api-key", "sk-ant-test-key-123456"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto out = json::parse(r.out);
  EXPECT_TRUE(out.at("tokenGenerated").as_bool());
  for (const char* file : {"AGENTS.md", "SOUL.md", "USER.md", "IDENTITY.md", "TOOLS.md",
                           "HEARTBEAT.md", "BOOTSTRAP.md"}) {
    EXPECT_TRUE(std::filesystem::exists(state_ / "workspace" / file)) << file;
  }
  auto token = run({"config", "get", "gateway.auth.token", "--show-secrets"});
  EXPECT_EQ(token.out.size(), 65u) << token.out;  // 64 hex digits and a newline
  EXPECT_EQ(run({"config", "validate"}).exit_code, 0);
  // Running it again keeps the token and the user's edits to workspace files.
  std::ofstream(state_ / "workspace" / "SOUL.md") << "mine";
  auto again = run({"onboard", "--non-interactive", "--accept-risk", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(json::parse(again.out).at("tokenGenerated").as_bool());
  EXPECT_EQ(run({"config", "get", "gateway.auth.token", "--show-secrets"}).out, token.out);
  EXPECT_EQ(read_file(state_ / "workspace" / "SOUL.md"), "mine");
}

// On a terminal, onboard asks its questions and writes the answers (run under script(1) for a pty).
TEST_F(Cli, OnboardInteractiveOnTerminal) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "script(1) from bsdutils is needed to give onboard a terminal";
  }
  std::string command = "script -qec '" + pincer_binary().string() + " onboard' /dev/null";
  auto result = run_pincer_shell(command, isolated_env(state_.path()),
                                 "openai\nsk-test-interactive-1234\n\n19555\n");
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("Provider [anthropic]"), std::string::npos) << result.out;
  EXPECT_EQ(run({"config", "get", "gateway.port"}).out, "19555\n");
  EXPECT_EQ(run({"config", "get", "agents.defaults.model.primary"}).out, "openai/gpt-5.1\n");
  EXPECT_EQ(run({"config", "get", "env.vars.OPENAI_API_KEY", "--show-secrets"}).out,
            "sk-test-interactive-1234\n");
}

// Without a terminal and without --non-interactive, onboard explains what to do.
TEST_F(Cli, OnboardWithoutTerminalExplains) {
  auto r = run({"onboard"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--non-interactive"), std::string::npos) << r.err;
  auto risk = run({"onboard", "--non-interactive"});
  EXPECT_NE(risk.err.find("--accept-risk"), std::string::npos) << risk.err;
}

// doctor reports each check with a fix, and fails when the model key is missing.
TEST_F(Cli, DoctorReportsChecks) {
  ASSERT_EQ(
      run({"onboard", "--non-interactive", "--accept-risk", "--model", "openai/gpt-5"}).exit_code,
      0);
  auto r = run({"doctor", "--json"});
  auto doc = json::parse(r.out);
  EXPECT_FALSE(doc.at("ok").as_bool());
  EXPECT_EQ(r.exit_code, 1);
  bool saw_model_fail = false;
  for (const auto& check : doc.at("checks").as_array()) {
    if (check.at("id").as_string() == "model") {
      saw_model_fail =
          check.at("status").as_string() == "fail" &&
          std::string(check.at("fix").as_string()).find("OPENAI_API_KEY") != std::string::npos;
    }
  }
  EXPECT_TRUE(saw_model_fail) << r.out;
  auto env = isolated_env(state_.path());
  env["OPENAI_API_KEY"] = "sk-test-abcdef";
  auto ok = run_pincer({"doctor"}, env);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("ok    model"), std::string::npos) << ok.out;
}

// doctor flags a world-readable state directory with the chmod that fixes it.
TEST_F(Cli, DoctorFlagsLoosePermissions) {
  ASSERT_EQ(run({"onboard", "--non-interactive", "--accept-risk"}).exit_code, 0);
  ::chmod(state_.path().c_str(), 0755);
  auto r = run({"doctor"});
  EXPECT_NE(r.out.find("fail  state_dir"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chmod 700"), std::string::npos);
}

// models list shows the catalog; auth add stores a key (masked in every view), list shows where
// each credential comes from, remove forgets it and a second remove says nothing is there.
TEST_F(Cli, ModelsCatalogAndCredentials) {
  auto list = run({"models", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto catalog = json::parse(list.out).as_object();
  bool sonnet = false;
  for (const auto& model : catalog.at("models").as_array()) {
    sonnet = sonnet || model.at("ref").as_string() == "anthropic/claude-sonnet-4-5";
  }
  EXPECT_TRUE(sonnet) << list.out;

  auto add = run({"models", "auth", "add", "--provider", "anthropic", "--key-stdin"},
                 "sk-ant-secret-value-1234\n");
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_EQ(add.out.find("secret-value"), std::string::npos) << add.out;

  auto env = isolated_env(state_.path());
  env["OPENAI_API_KEY"] = "sk-openai-from-env-9876";
  auto shown = run_pincer({"models", "auth", "list", "--json"}, env);
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.out.find("secret-value"), std::string::npos);
  EXPECT_EQ(shown.out.find("from-env"), std::string::npos);
  auto profiles = json::parse(shown.out).at("profiles").as_array();
  ASSERT_EQ(profiles.size(), 2u) << shown.out;
  EXPECT_EQ(profiles[0].at("profileId").as_string(), "anthropic:default");
  EXPECT_EQ(profiles[0].at("source").as_string(), "store");
  EXPECT_EQ(profiles[1].at("provider").as_string(), "openai");
  EXPECT_EQ(profiles[1].at("status").as_string(), "ok");

  EXPECT_EQ(run({"models", "auth", "remove", "anthropic:default"}).exit_code, 0);
  auto again = run({"models", "auth", "remove", "anthropic:default"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no stored credential"), std::string::npos) << again.err;
  auto unknown = run({"models", "auth", "add", "--provider", "nope", "--key", "x"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("unknown provider"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace pincer::testing
