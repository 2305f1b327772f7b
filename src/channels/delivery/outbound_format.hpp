#pragma once
// The reply the agent wrote (markdown) as the messages a channel sends: rendered into the
// channel's markup and cut at its limit, each part with a plain-text twin for apps that refuse
// the markup. The agent never formats for a channel; this is the one place that does.

#include <string_view>
#include <vector>

#include "channels/channel.hpp"

namespace pincer::channels {

std::vector<OutboundPart> render_parts(const ChannelCapabilities& capabilities,
                                       std::string_view markdown);

}  // namespace pincer::channels
