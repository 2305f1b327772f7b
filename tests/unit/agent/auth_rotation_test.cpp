#include "agent/auth_rotation.hpp"

#include <gtest/gtest.h>

#include "agent/auth_profile_store.hpp"
#include "agent/usage_ledger.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::agent {
namespace {

using providers::FailoverReason;
using providers::ProviderError;

AuthProfile profile(std::string id, std::string type = "api_key") {
  AuthProfile p;
  p.provider = "anthropic";
  p.id = std::move(id);
  p.type = std::move(type);
  p.secret = "sk-ant-" + p.id;
  return p;
}

ProviderError error(FailoverReason reason, std::string message = {}) {
  ProviderError e;
  e.reason = reason;
  e.message = std::move(message);
  return e;
}

TEST(AuthRotation, LeastRecentlyUsedFirstTokensBeforeKeys) {
  StateMap states;
  states["anthropic:a"].last_used_ms = 500;
  states["anthropic:b"].last_used_ms = 100;
  auto order = rotation_order(
      "anthropic",
      {profile("anthropic:a"), profile("anthropic:b"), profile("anthropic:t", "token")}, states, {},
      "m", 1000);
  ASSERT_EQ(order.profiles.size(), 3U);
  EXPECT_EQ(order.eligible, 3U);
  EXPECT_EQ(order.profiles[0].id, "anthropic:t");
  EXPECT_EQ(order.profiles[1].id, "anthropic:b");
  EXPECT_EQ(order.profiles[2].id, "anthropic:a");
}

TEST(AuthRotation, ConfiguredOrderIsFollowedAndLimits) {
  core::AuthConfig auth;
  auth.order["anthropic"] = {"anthropic:b", "anthropic:a"};
  auto order = rotation_order(
      "anthropic", {profile("anthropic:a"), profile("anthropic:b"), profile("anthropic:c")}, {},
      auth, "m", 0);
  ASSERT_EQ(order.profiles.size(), 2U);
  EXPECT_EQ(order.profiles[0].id, "anthropic:b");
  EXPECT_EQ(order.profiles[1].id, "anthropic:a");
}

TEST(AuthRotation, CooldownsEscalateAndHonourRetryAfter) {
  AuthProfileState state;
  int64_t now = 1'000'000;
  ASSERT_TRUE(mark_failure(state, error(FailoverReason::rate_limit), "m", now));
  EXPECT_EQ(state.cooldown_until_ms, now + 30'000);
  EXPECT_EQ(state.cooldown_model, "m");
  EXPECT_FALSE(profile_available(state, "m", now + 29'000));
  EXPECT_TRUE(profile_available(state, "other-model", now + 1));  // scoped to the model
  mark_failure(state, error(FailoverReason::timeout), "m", now);
  EXPECT_EQ(state.cooldown_until_ms, now + 60'000);
  EXPECT_FALSE(profile_available(state, "other-model", now + 1));  // not model-scoped
  auto slow = error(FailoverReason::rate_limit);
  slow.retry_after = std::chrono::milliseconds(900'000);
  mark_failure(state, slow, "m", now);
  EXPECT_EQ(state.cooldown_until_ms, now + 900'000);
  mark_success(state, now);
  EXPECT_TRUE(profile_available(state, "m", now));
  EXPECT_EQ(state.error_count, 0);
  EXPECT_FALSE(mark_failure(state, error(FailoverReason::context_overflow), "m", now));
  EXPECT_FALSE(mark_failure(state, error(FailoverReason::aborted), "m", now));
}

TEST(AuthRotation, BillingDisablesForTenMinutesThenLonger) {
  AuthProfileState state;
  int64_t now = 5'000'000;
  mark_failure(state, error(FailoverReason::billing, "credit balance too low"), "m", now);
  EXPECT_EQ(state.disabled_reason, "billing");
  EXPECT_EQ(state.disabled_until_ms, now + 600'000);
  EXPECT_FALSE(profile_available(state, "any", now + 599'000));
  mark_failure(state, error(FailoverReason::billing), "m", now + 600'000);
  EXPECT_EQ(state.disabled_until_ms, now + 600'000 + 1'200'000);
  AuthProfileState revoked;
  mark_failure(revoked, error(FailoverReason::auth, "API key has been revoked"), "m", now);
  EXPECT_EQ(revoked.disabled_reason, "auth_permanent");
}

TEST(AuthRotation, CoolingProfilesGoLastSoonestFirst) {
  StateMap states;
  states["anthropic:a"].cooldown_until_ms = 9'000;
  states["anthropic:b"].disabled_until_ms = 5'000;
  auto order = rotation_order(
      "anthropic", {profile("anthropic:a"), profile("anthropic:b"), profile("anthropic:c")}, states,
      {}, "m", 1'000);
  EXPECT_EQ(order.eligible, 1U);
  EXPECT_EQ(order.profiles[0].id, "anthropic:c");
  EXPECT_EQ(order.profiles[1].id, "anthropic:b");
  EXPECT_EQ(order.soonest_recovery_ms, 5'000);
}

TEST(AuthRotation, EnvAndConfigKeysAreImplicitProfiles) {
  ProviderInfo provider;
  provider.id = "google";
  provider.key_env = "GEMINI_API_KEY";
  provider.key_env_alt = "GOOGLE_API_KEY";
  provider.api_key = "from-config";
  EnvReader env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "GOOGLE_API_KEY") {
      return "from-env";
    }
    return std::nullopt;
  };
  AuthProfile stored = profile("google:work");
  stored.provider = "google";
  auto all = provider_credentials(provider, {stored, profile("anthropic:x")}, env);
  ASSERT_EQ(all.size(), 3U);
  EXPECT_EQ(all[0].id, "google:work");
  EXPECT_EQ(all[1].id, "google:env");
  EXPECT_EQ(all[1].secret, "from-env");
  EXPECT_EQ(all[1].source, "env:GOOGLE_API_KEY");
  EXPECT_EQ(all[2].id, "google:config");
}

TEST(AuthProfileStore, ProfilesAndStateSurviveReopen) {
  testing::TempDir dir;
  {
    auto db = store::open_state_database(dir / "state.db");
    ASSERT_TRUE(db) << db.error().describe();
    AuthProfileStore profiles(*db);
    ASSERT_TRUE(profiles.upsert(profile("anthropic:a")));
    ASSERT_TRUE(profiles.upsert(profile("anthropic:b")));
    AuthProfileState state;
    state.profile_id = "anthropic:a";
    mark_failure(state, error(FailoverReason::rate_limit), "m", 1000);
    ASSERT_TRUE(profiles.save_state(state));
    UsageLedger ledger(*db);
    UsageRecord r{.at_ms = 86'400'000,
                  .session_key = "agent:main:main",
                  .agent_id = "main",
                  .provider = "anthropic",
                  .model = "m",
                  .input_tokens = 100,
                  .output_tokens = 20,
                  .cost_usd = 0.25};
    ASSERT_TRUE(ledger.record(r));
    r.at_ms += 1000;
    r.model = "n";
    ASSERT_TRUE(ledger.record(r));
  }
  auto db = store::open_state_database(dir / "state.db");
  ASSERT_TRUE(db);
  AuthProfileStore profiles(*db);
  auto listed = profiles.list("anthropic");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2U);
  auto state = profiles.state("anthropic:a");
  ASSERT_TRUE(state);
  EXPECT_EQ(state->cooldown_until_ms, 31'000);
  auto removed = profiles.remove("anthropic:a");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(*removed);
  EXPECT_EQ(profiles.states()->size(), 0U);
  UsageLedger ledger(*db);
  auto totals = ledger.totals(0, 1LL << 50);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->calls, 2);
  EXPECT_EQ(totals->total_tokens(), 240);
  EXPECT_DOUBLE_EQ(totals->cost_usd, 0.5);
  auto days = ledger.by_day(0, 1LL << 50);
  ASSERT_TRUE(days);
  ASSERT_EQ(days->size(), 1U);
  EXPECT_EQ(days->front().key, "1970-01-02");
  auto models = ledger.by_model(0, 1LL << 50);
  ASSERT_EQ(models->size(), 2U);
  EXPECT_EQ(models->at(1).key, "anthropic/n");
  EXPECT_EQ(mask_secret("sk-ant-api03-abcdefghijkl"), "sk-ant-…ijkl");
}

}  // namespace
}  // namespace pincer::agent
