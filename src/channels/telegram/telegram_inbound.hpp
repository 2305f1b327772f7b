#pragma once
// A Telegram update as the channel framework's InboundMessage: who wrote, in which chat and forum
// topic, the text or caption, attachments, and whether it addresses the bot (an @username or
// text_mention entity, a /command@bot, or a reply to one of the bot's messages).
//
// Only new messages become inbound messages (message, channel_post). Edits, callbacks and
// service updates return nullopt: they are acknowledged and skipped, never handed to the agent.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "channels/channel.hpp"
#include "channels/telegram/telegram_types.hpp"

namespace pincer::channels::telegram {

struct BotIdentity {
  int64_t id = 0;
  std::string username;  // without "@"
};

std::optional<InboundMessage> to_inbound(const Update& update, std::string_view account_id,
                                         const BotIdentity& bot);

}  // namespace pincer::channels::telegram
