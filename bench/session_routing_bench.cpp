// Routing one inbound message: pick the agent by bindings and build its session key, as every
// inbound message does before it reaches a lane; and the per-message reset freshness check.

#include <benchmark/benchmark.h>
#include <date/tz.h>

#include "core/config_loader.hpp"
#include "sessions/agent_routing.hpp"
#include "sessions/reset_policy.hpp"
#include "sessions/session_key.hpp"

namespace {

namespace sessions = pincer::sessions;

pincer::core::Config fleet() {
  auto load = pincer::core::load_config_text(
      R"({
    agents: {entries: {home: {default: true}, work: {}, support: {}, mods: {}}},
    session: {dmScope: "per-channel-peer", reset: {mode: "daily", atHour: 4, idleMinutes: 120}},
    bindings: [
      {agentId: "support", match: {channel: "discord", accountId: "*", guildId: "G1"}},
      {agentId: "mods", match: {channel: "discord", accountId: "*", guildId: "G1",
                                roles: ["ModRole"]}},
      {agentId: "work", match: {channel: "slack", accountId: "*", teamId: "T1"}},
      {agentId: "work", match: {channel: "whatsapp", accountId: "biz"}},
      {agentId: "support", match: {channel: "telegram", peer: {kind: "group", id: "-100"}}},
      {agentId: "home", match: {channel: "telegram"}},
    ],
  })",
      "pincer.json", [](const std::string&) { return std::optional<std::string>(); });
  if (!load.config) {
    return {};
  }
  return std::move(*load.config);
}

void BM_BuildSessionKey(benchmark::State& state) {
  pincer::core::SessionConfig config;
  config.dm_scope = pincer::core::DmScope::per_channel_peer;
  sessions::SessionKeyInputs in{
      .agent_id = "main", .channel = "telegram", .account_id = "default", .peer_id = "123456789"};
  for (auto _ : state) {
    benchmark::DoNotOptimize(sessions::build_session_key(in, config));
  }
}
BENCHMARK(BM_BuildSessionKey);

void BM_ResolveRoute(benchmark::State& state) {
  const auto config = fleet();
  sessions::InboundRoute in{.channel = "discord",
                            .peer_kind = sessions::ChatType::channel,
                            .peer_id = "222222222222222222",
                            .guild_id = "G1",
                            .member_roles = {"everyone", "modrole"},
                            .thread_id = "333333333333333333"};
  for (auto _ : state) {
    benchmark::DoNotOptimize(sessions::resolve_route(config, in));
  }
}
BENCHMARK(BM_ResolveRoute);

void BM_EvaluateFreshness(benchmark::State& state) {
  const auto* zone = date::locate_zone("America/New_York");
  pincer::core::ResetPolicy policy{.mode = pincer::core::ResetMode::daily, .idle_minutes = 120};
  const int64_t started = 1'780'000'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        sessions::evaluate_freshness(policy, started, started + 60'000, started + 3'600'000, zone));
  }
}
BENCHMARK(BM_EvaluateFreshness);

}  // namespace
