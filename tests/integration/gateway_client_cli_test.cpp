// The CLI as a gateway client: `pincer gateway call`, `pincer gateway health` and
// `pincer status` against a real `pincer gateway`.

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "support/pincer_process.hpp"

namespace pincer::testing {
namespace {

namespace json = boost::json;

constexpr const char* kToken = "client-test-token";

class GatewayClientCli : public ::testing::Test {
 protected:
  void SetUp() override {
    GatewayProcess::Options options;
    options.config =
        std::string(R"({gateway: {auth: {mode: "token", token: ")") + kToken + R"("}}})";
    gateway_ = GatewayProcess::start(options);
  }
  void TearDown() override { gateway_->stop(); }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(gateway_->port()); }

  RunResult run(std::vector<std::string> args, const EnvVars& extra_env = {}) {
    args.push_back("--url");
    args.push_back(url());
    EnvVars env = gateway_->env();
    for (const auto& [k, v] : extra_env) {
      env[k] = v;
    }
    return run_pincer(args, env);
  }

  std::unique_ptr<GatewayProcess> gateway_;
};

// `gateway call health` prints the health payload as JSON; the token comes from the config.
TEST_F(GatewayClientCli, CallHealthPrintsPayload) {
  auto r = run({"gateway", "call", "health"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value payload = json::parse(r.out);
  EXPECT_EQ(payload.at("ok"), true);
  EXPECT_TRUE(payload.as_object().contains("ts"));
}

// --params is sent as the request's params.
TEST_F(GatewayClientCli, CallPassesParams) {
  auto r = run({"gateway", "call", "system-presence", "--params", "{}"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out).is_array()) << r.out;
}

// Malformed --params never reaches the gateway: the user learns what to pass.
TEST_F(GatewayClientCli, CallRejectsInvalidParams) {
  auto r = run({"gateway", "call", "health", "--params", "{nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--params is not valid JSON"), std::string::npos) << r.err;
}

// An unknown method fails with exit code 1 and the gateway's code and message.
TEST_F(GatewayClientCli, UnknownMethodFails) {
  auto r = run({"gateway", "call", "no.such.method"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("INVALID_REQUEST: unknown method: no.such.method"), std::string::npos)
      << r.err;
}

// With --json the failure is the stable envelope {"ok":false,"error":{"type","message"}}.
TEST_F(GatewayClientCli, UnknownMethodJsonEnvelope) {
  auto r = run({"gateway", "call", "no.such.method", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  json::value envelope = json::parse(r.out);
  EXPECT_EQ(envelope.at("ok"), false);
  EXPECT_EQ(envelope.at("error").at("type"), "cli_error");
  EXPECT_EQ(envelope.at("error").at("message"), "INVALID_REQUEST: unknown method: no.such.method");
}

// A wrong token is refused with the gateway's explanation and a hint how to pass the right one.
TEST_F(GatewayClientCli, WrongTokenIsRefused) {
  auto r = run({"gateway", "call", "health", "--token", "wrong"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unauthorized: gateway token mismatch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--token"), std::string::npos) << r.err;
}

// PINCER_GATEWAY_TOKEN wins over the config's token.
TEST_F(GatewayClientCli, EnvironmentTokenWinsOverConfig) {
  auto r = run({"gateway", "call", "health"}, {{"PINCER_GATEWAY_TOKEN", "wrong"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("token mismatch"), std::string::npos) << r.err;
}

// `gateway health` prints one line for people, the snapshot with --json.
TEST_F(GatewayClientCli, HealthSummary) {
  auto r = run({"gateway", "health"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "gateway " + url() + ": healthy (config hot reload active, 0 channels)\n");
  auto j = run({"gateway", "health", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out).at("ok"), true);
}

// `status` against a running gateway: version, pid, uptime and memory from the gateway itself.
TEST_F(GatewayClientCli, StatusWithRunningGateway) {
  auto r = run({"status", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json::value status = json::parse(r.out);
  EXPECT_EQ(status.at("ok"), true);
  EXPECT_EQ(status.at("running"), true);
  EXPECT_EQ(status.at("url").as_string(), url());
  EXPECT_EQ(status.at("status").at("pid").to_number<int64_t>(), gateway_->pid());
  EXPECT_GT(status.at("status").at("processMemory").at("rssBytes").to_number<int64_t>(), 0);
  EXPECT_EQ(status.at("local").at("configValid"), true);

  auto text = run({"status"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("running at " + url()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("MiB RSS"), std::string::npos) << text.out;
}

// `status` with no gateway: says so, shows the local facts, exits 3 (LSB "not running").
TEST(GatewayClientCliStopped, StatusWithoutGateway) {
  TempDir state;
  std::string url = "ws://127.0.0.1:" + std::to_string(free_loopback_port());
  auto r = run_pincer({"status", "--url", url}, isolated_env(state.path()));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.out.find("not running"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(state.path().string()), std::string::npos) << r.out;

  auto j = run_pincer({"status", "--json", "--url", url}, isolated_env(state.path()));
  EXPECT_EQ(j.exit_code, 3);
  json::value status = json::parse(j.out);
  EXPECT_EQ(status.at("running"), false);
  EXPECT_EQ(status.at("local").at("configExists"), false);
}

// `gateway call` with no gateway fails fast and says how to start one.
TEST(GatewayClientCliStopped, CallWithoutGatewaySaysHowToStartOne) {
  TempDir state;
  std::string url = "ws://127.0.0.1:" + std::to_string(free_loopback_port());
  auto r = run_pincer({"gateway", "call", "health", "--url", url}, isolated_env(state.path()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no gateway answers at " + url), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pincer gateway"), std::string::npos) << r.err;
}

// `devices list` shows pending requests and paired devices; --json has both arrays.
TEST_F(GatewayClientCli, DevicesListShowsPendingAndPaired) {
  auto r = run({"devices", "list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Pending requests (0)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Paired devices (0)"), std::string::npos) << r.out;
  auto j = run({"devices", "list", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json::value payload = json::parse(j.out);
  EXPECT_TRUE(payload.at("pending").is_array());
  EXPECT_TRUE(payload.at("paired").is_array());
}

// Approving a request that does not exist fails with the gateway's reason.
TEST_F(GatewayClientCli, DevicesApproveUnknownRequestFails) {
  auto r = run({"devices", "approve", "no-such-request"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown requestId"), std::string::npos) << r.err;
}

// `nodes list --json` is the node.list payload.
TEST_F(GatewayClientCli, NodesListJson) {
  auto r = run({"nodes", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(json::parse(r.out).at("nodes").is_array()) << r.out;
}

}  // namespace
}  // namespace pincer::testing
