#include "gateway/node_registry.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

namespace pincer::gateway {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// A connection that records the events sent to it.
class FakeConnection final : public Connection {
 public:
  FakeConnection(std::string id, std::optional<Principal> principal)
      : id_(std::move(id)), principal_(std::move(principal)) {}

  const std::string& id() const override { return id_; }
  const PeerInfo& peer() const override { return peer_; }
  const Principal* principal() const override { return principal_ ? &*principal_ : nullptr; }
  void send_event(std::string_view event, const json::value& payload,
                  std::optional<StateVersion>) override {
    events.emplace_back(std::string(event), payload);
  }
  void send_event_text(std::string_view event, std::string_view payload_json,
                       std::optional<StateVersion>) override {
    events.emplace_back(std::string(event), json::parse(payload_json));
  }
  void close(uint16_t, std::string) override { closed_ = true; }
  bool closed() const override { return closed_; }
  std::size_t buffered_bytes() const override { return 0; }

  std::vector<std::pair<std::string, json::value>> events;

 private:
  std::string id_;
  PeerInfo peer_;
  std::optional<Principal> principal_;
  bool closed_ = false;
};

Principal node_principal(std::string device_id, std::string instance_id = {}) {
  Principal principal;
  principal.role = "node";
  principal.device_id = std::move(device_id);
  principal.client.instance_id = std::move(instance_id);
  principal.client.platform = "linux";
  principal.commands = {"test.echo"};
  return principal;
}

asio::awaitable<void> run_invoke(NodeRegistry& registry, NodeInvokeRequest request,
                                 std::optional<RpcResult>& result) {
  result = co_await registry.invoke(std::move(request));
}

struct Harness {
  asio::io_context io;
  NodeRegistry registry{io};
  std::optional<RpcResult> result;

  void start_invoke(NodeInvokeRequest request) {
    asio::co_spawn(io, run_invoke(registry, std::move(request), result), asio::detached);
  }
};

NodeInvokeRequest echo_request(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  NodeInvokeRequest request;
  request.node_id = "dev-1";
  request.command = "test.echo";
  request.params = json::object{{"x", 1}};
  request.timeout = timeout;
  request.caller_connection_id = "caller";
  return request;
}

std::string node_error_code(const RpcResult& result) {
  return std::string(
      result.error().details.as_object().at("nodeError").as_object().at("code").as_string());
}

// Only role "node" registers; the id prefers the device id, then the instance id.
TEST(NodeRegistry, RegistersNodesByDeviceThenInstanceId) {
  Harness h;
  auto with_device = std::make_shared<FakeConnection>("c1", node_principal("dev-1", "inst-1"));
  auto without_device = std::make_shared<FakeConnection>("c2", node_principal("", "inst-2"));
  Principal op;
  op.role = "operator";
  auto operator_connection = std::make_shared<FakeConnection>("c3", op);
  h.registry.on_attach(with_device);
  h.registry.on_attach(without_device);
  h.registry.on_attach(operator_connection);
  ASSERT_EQ(h.registry.list().size(), 2U);
  EXPECT_NE(h.registry.find("dev-1"), nullptr);
  EXPECT_NE(h.registry.find("inst-2"), nullptr);
  h.registry.on_detach(*with_device);
  EXPECT_EQ(h.registry.find("dev-1"), nullptr);
}

// A node's answer completes the waiting invoke with its payload.
TEST(NodeRegistry, ResultCompletesInvoke) {
  Harness h;
  auto node = std::make_shared<FakeConnection>("c1", node_principal("dev-1"));
  h.registry.on_attach(node);
  h.start_invoke(echo_request());
  h.io.poll();
  ASSERT_EQ(node->events.size(), 1U);
  EXPECT_EQ(node->events[0].first, "node.invoke.request");
  const auto& event = node->events[0].second.as_object();
  EXPECT_EQ(event.at("paramsJSON").as_string(), R"({"x":1})");
  std::string id(event.at("id").as_string());

  NodeInvokeOutcome outcome;
  outcome.ok = true;
  outcome.payload_json = R"({"y":2})";
  EXPECT_FALSE(h.registry.complete("other-connection", id, outcome));  // not that node's invoke
  EXPECT_TRUE(h.registry.complete("c1", id, outcome));
  EXPECT_FALSE(h.registry.complete("c1", id, outcome));  // late duplicate
  h.io.poll();
  ASSERT_TRUE(h.result.has_value());
  ASSERT_TRUE(h.result->has_value());
  EXPECT_EQ((*h.result)->as_object().at("payload"), (json::value(json::object{{"y", 2}})));
  EXPECT_EQ(h.registry.pending_count(), 0U);
}

// No answer by the deadline: TIMEOUT, and the node is told to cancel.
TEST(NodeRegistry, TimesOutAndCancelsOnNode) {
  Harness h;
  auto node = std::make_shared<FakeConnection>("c1", node_principal("dev-1"));
  h.registry.on_attach(node);
  h.start_invoke(echo_request(std::chrono::milliseconds(20)));
  h.io.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(h.result.has_value());
  ASSERT_FALSE(h.result->has_value());
  EXPECT_EQ(h.result->error().code, "UNAVAILABLE");
  EXPECT_EQ(node_error_code(*h.result), "TIMEOUT");
  ASSERT_EQ(node->events.size(), 2U);
  EXPECT_EQ(node->events[1].first, "node.invoke.cancel");
}

// The node leaving fails its invokes at once; the caller leaving cancels them on the node.
TEST(NodeRegistry, DisconnectsEndInvokes) {
  {
    Harness h;
    auto node = std::make_shared<FakeConnection>("c1", node_principal("dev-1"));
    h.registry.on_attach(node);
    h.start_invoke(echo_request());
    h.io.poll();
    h.registry.on_detach(*node);
    h.io.poll();
    ASSERT_TRUE(h.result.has_value());
    EXPECT_EQ(node_error_code(*h.result), "DISCONNECTED");
  }
  {
    Harness h;
    auto node = std::make_shared<FakeConnection>("c1", node_principal("dev-1"));
    auto caller = std::make_shared<FakeConnection>("caller", std::nullopt);
    h.registry.on_attach(node);
    h.start_invoke(echo_request());
    h.io.poll();
    h.registry.on_detach(*caller);
    h.io.poll();
    ASSERT_TRUE(h.result.has_value());
    EXPECT_EQ(node_error_code(*h.result), "CANCELLED");
    ASSERT_EQ(node->events.size(), 2U);
    EXPECT_EQ(node->events[1].first, "node.invoke.cancel");
  }
}

// A node that is not connected is never sent anything.
TEST(NodeRegistry, UnknownNodeIsNotConnected) {
  Harness h;
  h.start_invoke(echo_request());
  h.io.poll();
  ASSERT_TRUE(h.result.has_value());
  EXPECT_EQ(node_error_code(*h.result), "NOT_CONNECTED");
  EXPECT_EQ(h.result->error().details.as_object().at("nodeCommandDispatched"), json::value(false));
}

// A reconnect replaces the route; the old connection closing later does not remove the node.
TEST(NodeRegistry, ReconnectKeepsNewRoute) {
  Harness h;
  auto first = std::make_shared<FakeConnection>("c1", node_principal("dev-1"));
  auto second = std::make_shared<FakeConnection>("c2", node_principal("dev-1"));
  h.registry.on_attach(first);
  h.registry.on_attach(second);
  h.registry.on_detach(*first);
  ASSERT_NE(h.registry.find("dev-1"), nullptr);
  EXPECT_EQ(h.registry.find("dev-1")->connection_id, "c2");
}

}  // namespace
}  // namespace pincer::gateway
