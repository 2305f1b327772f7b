#include "agent/model_catalog.hpp"

#include <gtest/gtest.h>

#include "core/config.hpp"
#include "core/json5.hpp"

namespace pincer::agent {
namespace {

core::Config config_from(std::string_view text) {
  core::Config config;
  auto document = core::json5::parse(text);
  EXPECT_TRUE(document) << text;
  auto issues = core::read_config(*document, config);
  for (const auto& issue : issues) {
    EXPECT_NE(issue.severity, core::ConfigIssue::Severity::error)
        << issue.path << ": " << issue.message;
  }
  return config;
}

TEST(ModelCatalog, BuiltInModelsResolveWithTheirLimitsAndApi) {
  const core::Config defaults;
  ModelCatalog catalog(defaults);
  auto model = catalog.resolve("anthropic/claude-sonnet-4-5");
  ASSERT_TRUE(model) << model.error().describe();
  EXPECT_EQ(model->api, providers::ApiKind::anthropic_messages);
  EXPECT_EQ(model->context_window, 200'000);
  EXPECT_TRUE(model->known);
  EXPECT_GT(model->cost.output, 0);
  auto routed = catalog.resolve("openrouter/anthropic/claude-sonnet-4.5");
  ASSERT_TRUE(routed);
  EXPECT_EQ(routed->id, "anthropic/claude-sonnet-4.5");
  EXPECT_EQ(catalog.provider("gemini")->id, "google");
}

TEST(ModelCatalog, UnknownModelsOfKnownProvidersStillResolve) {
  const core::Config defaults;
  ModelCatalog catalog(defaults);
  auto model = catalog.resolve("openai/gpt-9-preview");
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->known);
  EXPECT_EQ(model->api, providers::ApiKind::openai_responses);
  auto bad = catalog.resolve("nosuch/model");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().hint.find("models.providers"), std::string::npos);
}

TEST(ModelCatalog, ConfiguredProvidersAndModelsWin) {
  auto config = config_from(R"({
    models: { providers: {
      lmstudio: { baseUrl: "http://127.0.0.1:1234/v1", apiKey: "lm", api: "openai-responses",
        models: [{ id: "my-model", name: "Mine", contextWindow: 196608, contextTokens: 100000,
                   maxTokens: 4096, input: ["text", "image"],
                   cost: { input: 1, output: 2, cacheRead: 0.5, cacheWrite: 0 } }] },
      ollama: { baseUrl: "http://127.0.0.1:11434", api: "ollama" },
      custom: { baseUrl: "https://llm.example.com/v1", api: "anthropic-messages",
        headers: { "x-team": "a" }, models: [{ id: "m1" }] },
    } },
  })");
  ModelCatalog catalog(config);
  auto mine = catalog.resolve("lmstudio/my-model");
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->api, providers::ApiKind::openai_responses);
  EXPECT_EQ(mine->context_window, 100'000);
  EXPECT_EQ(mine->max_tokens, 4096);
  EXPECT_TRUE(mine->images);
  EXPECT_DOUBLE_EQ(mine->cost.cache_read, 0.5);
  EXPECT_EQ(catalog.models().at(0).ref, "custom/m1");  // configured first, by provider id
  EXPECT_EQ(catalog.models().at(1).ref, "lmstudio/my-model");
  EXPECT_EQ(catalog.provider("lmstudio")->api_key, "lm");
  EXPECT_EQ(catalog.provider("ollama")->base_url, "http://127.0.0.1:11434/v1");
  const ProviderInfo* custom = catalog.provider("custom");
  ASSERT_NE(custom, nullptr);
  EXPECT_FALSE(custom->needs_key);
  ASSERT_EQ(custom->headers.size(), 1U);
  auto bare = catalog.resolve("m1");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->ref, "custom/m1");
}

TEST(ModelCatalog, ReplaceModeDropsBuiltIns) {
  auto config = config_from(
      R"({ models: { mode: "replace", providers: { local: { baseUrl: "http://127.0.0.1:9/v1",
          models: [{ id: "x" }] } } } })");
  ModelCatalog catalog(config);
  EXPECT_EQ(catalog.provider("anthropic"), nullptr);
  EXPECT_EQ(catalog.models().size(), 1U);
}

TEST(ModelConfig, BadValuesReportTheirKeyPath) {
  core::Config config;
  auto document = core::json5::parse(
      R"({ models: { providers: { x: { baseUrl: "ftp://a", api: "soap",
          models: [{ cost: { input: -1 } }] } } },
         agents: { defaults: { thinkingDefault: "extreme" } } })");
  ASSERT_TRUE(document);
  auto issues = core::read_config(*document, config);
  std::string all;
  for (const auto& issue : issues) {
    all += issue.path + ": " + issue.message + "\n";
  }
  EXPECT_NE(all.find("models.providers.x.baseUrl"), std::string::npos) << all;
  EXPECT_NE(all.find("models.providers.x.api: unknown api \"soap\""), std::string::npos) << all;
  EXPECT_NE(all.find("models.providers.x.models[0].id"), std::string::npos) << all;
  EXPECT_NE(all.find("models.providers.x.models[0].cost.input"), std::string::npos) << all;
  EXPECT_NE(all.find("agents.defaults.thinkingDefault"), std::string::npos) << all;
}

}  // namespace
}  // namespace pincer::agent
