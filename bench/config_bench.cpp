// Loading pincer.json: JSON5 parse + ${VAR} substitution + validation, as at start-up and on
// every hot reload; and a comment-preserving `config set` edit.

#include <benchmark/benchmark.h>

#include <string>

#include "core/config_loader.hpp"
#include "core/json5_edit.hpp"
#include "core/json_path.hpp"

namespace {

// A config of the size people keep: comments, a few sections, some the reference knows.
const std::string kConfig = R"(// Pincer config
{
  gateway: {
    port: 18789,
    bind: 'loopback',
    auth: { mode: 'token', token: '${GATEWAY_TOKEN}' },  // from the environment
  },
  logging: { level: 'info', redactPatterns: ['acct-[0-9]{6}'] },
  agents: {
    defaults: {
      workspace: '~/.pincer/workspace',
      model: { primary: 'anthropic/claude-sonnet-4-5', fallbacks: ['openai/gpt-5.1'] },
      maxConcurrent: 4,
      heartbeat: { every: '30m' },
    },
  },
  channels: {
    telegram: { botToken: '${TELEGRAM_BOT_TOKEN}', dmPolicy: 'pairing', allowFrom: ['12345'] },
  },
  env: { vars: { GATEWAY_TOKEN: 'abcdef0123456789', TELEGRAM_BOT_TOKEN: '1:abc' } },
}
)";

pincer::core::EnvLookup no_env() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

void BM_LoadConfig(benchmark::State& state) {
  auto env = no_env();
  for (auto _ : state) {
    auto load = pincer::core::load_config_text(kConfig, "pincer.json", env);
    benchmark::DoNotOptimize(load);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kConfig.size()));
}
BENCHMARK(BM_LoadConfig);

void BM_Json5SetKeepsComments(benchmark::State& state) {
  auto path = pincer::core::parse_json_path("gateway.port");
  for (auto _ : state) {
    auto edited = pincer::core::json5_set(kConfig, *path, boost::json::value(19001));
    benchmark::DoNotOptimize(edited);
  }
}
BENCHMARK(BM_Json5SetKeepsComments);

}  // namespace
