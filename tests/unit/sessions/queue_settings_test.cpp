#include "sessions/queue_settings.hpp"

#include <gtest/gtest.h>

#include "core/config.hpp"

namespace pincer::sessions {
namespace {

TEST(QueueSettingsFor, AppliesChannelOverridesOverTheGlobalQueueConfig) {
  core::QueueConfig config;
  config.mode = core::QueueMode::collect;
  config.drop = core::QueueDrop::new_;
  config.cap = 0;
  config.debounce_ms = 800;
  config.by_channel["discord"] = core::QueueMode::interrupt;
  config.debounce_ms_by_channel["discord"] = 50;

  QueueSettings telegram = queue_settings_for(config, "telegram");
  EXPECT_EQ(telegram.mode, QueueMode::collect);
  EXPECT_EQ(telegram.drop, QueueDrop::new_);
  EXPECT_EQ(telegram.cap, 1U) << "a cap below 1 reads as 1";
  EXPECT_EQ(telegram.debounce, std::chrono::milliseconds(800));

  QueueSettings discord = queue_settings_for(config, "discord");
  EXPECT_EQ(discord.mode, QueueMode::interrupt);
  EXPECT_EQ(discord.debounce, std::chrono::milliseconds(50));
}

TEST(QueueSettingsFor, DefaultsMatchTheReference) {
  QueueSettings settings = queue_settings_for(core::QueueConfig{}, "slack");
  EXPECT_EQ(settings.mode, QueueMode::steer);
  EXPECT_EQ(settings.drop, QueueDrop::summarize);
  EXPECT_EQ(settings.cap, 20U);
  EXPECT_EQ(settings.debounce, std::chrono::milliseconds(500));
}

}  // namespace
}  // namespace pincer::sessions
