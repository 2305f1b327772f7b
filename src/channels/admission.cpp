#include "channels/admission.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/regex.hpp>

namespace pincer::channels {

namespace {

using core::ChannelGroupConfig;
using core::DmPolicy;
using core::GroupPolicy;

// Patterns see at most this much of a message: bounds the cost of a pattern that is slow on
// long text. Chat messages are shorter than this (Telegram: 4096 characters).
constexpr std::size_t kMaxMatchedBytes = 16 * 1024;
// Length of the texts a new pattern is tried on before it is accepted.
constexpr std::size_t kProbeBytes = 4096;
// Compiled patterns kept before the cache starts over; configs hold a handful.
constexpr std::size_t kMaxCachedPatterns = 256;

bool list_admits(const std::vector<std::string>& list, std::string_view sender_id) {
  return std::ranges::any_of(list, [&](const std::string& entry) {
    return entry == "*" || (!sender_id.empty() && entry == sender_id);
  });
}

// ---- mention patterns ------------------------------------------------------------------------

// Whether pattern[i] starts a quantifier that repeats (so not "?", "{0,1}" or "{1}").
// `length` receives the quantifier's length when it is one.
bool repeat_at(std::string_view pattern, std::size_t i, std::size_t& length) {
  if (i >= pattern.size()) {
    return false;
  }
  if (pattern[i] == '*' || pattern[i] == '+') {
    length = 1;
    return true;
  }
  if (pattern[i] != '{') {
    return false;
  }
  // {n}, {n,} or {n,m}; anything else is a literal brace.
  std::size_t close = pattern.find('}', i);
  if (close == std::string_view::npos) {
    return false;
  }
  std::string_view body = pattern.substr(i + 1, close - i - 1);
  std::size_t comma = body.find(',');
  std::string_view low = body.substr(0, comma);
  std::string_view high = comma == std::string_view::npos ? low : body.substr(comma + 1);
  auto digits = [](std::string_view s) {
    return std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
  };
  if (low.empty() || !digits(low) || !digits(high)) {
    return false;
  }
  length = close - i + 1;
  if (high.empty()) {
    return true;  // {n,}: unbounded
  }
  // {n} / {n,m}: repeats when it can match more than once. Long digit runs are "many".
  return high.size() > 1 || high[0] > '1';
}

// Nested repetition — a repeated group that itself contains a repeat, as in (a+)+ or (x|y*){2,}
// — backtracks exponentially on a near-miss. Escapes and character classes are skipped.
bool has_nested_repetition(std::string_view pattern) {
  std::vector<bool> group_repeats{false};  // per open group: something inside repeats
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    std::size_t length = 0;
    if (c == '\\') {
      i += 2;
    } else if (c == '[') {
      // A class ends at the first "]" that is not its first member.
      std::size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') {
        ++j;
      }
      if (j < pattern.size() && pattern[j] == ']') {
        ++j;
      }
      while (j < pattern.size() && pattern[j] != ']') {
        j += pattern[j] == '\\' ? 2 : 1;
      }
      i = j + 1;
    } else if (c == '(') {
      group_repeats.push_back(false);
      ++i;
    } else if (c == ')') {
      bool inner = group_repeats.back();
      if (group_repeats.size() > 1) {
        group_repeats.pop_back();
      }
      ++i;
      bool repeated = repeat_at(pattern, i, length);
      if (repeated && inner) {
        return true;
      }
      if (repeated || inner) {
        group_repeats.back() = true;
      }
      i += length;
    } else if (repeat_at(pattern, i, length)) {
      group_repeats.back() = true;
      i += length;
    } else {
      ++i;
    }
  }
  return false;
}

bool blank(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c == ' ' || c == '\t' || c == '\n'; });
}

// Tries a new pattern on long adversarial texts: one that backtracks catastrophically without
// nesting quantifiers, like (a|aa)*c, makes Boost give up here (an exception) and is rejected once
// instead of costing up to a second on every message.
bool survives_probes(const boost::regex& regex) {
  static const std::array<std::string, 4> kProbes = {
      std::string(kProbeBytes, 'a'),
      std::string(kProbeBytes, '0'),
      std::string(kProbeBytes, ' '),
      [] {
        std::string s;
        while (s.size() < kProbeBytes) {
          s += "hey everyone, @someone said: what's up? ok ok... ";
        }
        return s;
      }(),
  };
  try {
    for (const auto& probe : kProbes) {
      (void)boost::regex_search(probe, regex);
    }
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// Null when the pattern is unusable.
std::shared_ptr<const boost::regex> compile(const std::string& pattern) {
  if (blank(pattern) || has_nested_repetition(pattern)) {
    return nullptr;
  }
  try {
    auto regex =
        std::make_shared<const boost::regex>(pattern, boost::regex::perl | boost::regex::icase);
    return survives_probes(*regex) ? regex : nullptr;
  } catch (const std::exception&) {
    return nullptr;
  }
}

// Compiled patterns by their text, shared by every channel thread.
class PatternCache {
 public:
  std::vector<std::shared_ptr<const boost::regex>> get(const std::vector<std::string>& patterns) {
    std::vector<std::shared_ptr<const boost::regex>> out;
    out.reserve(patterns.size());
    std::lock_guard lock(mutex_);
    for (const auto& pattern : patterns) {
      auto found = entries_.find(pattern);
      if (found == entries_.end()) {
        if (entries_.size() >= kMaxCachedPatterns) {
          entries_.clear();  // patterns from an old config; the live ones come back at once
        }
        found = entries_.emplace(pattern, compile(pattern)).first;
      }
      if (found->second) {
        out.push_back(found->second);
      }
    }
    return out;
  }

 private:
  std::mutex mutex_;  // guards entries_
  std::unordered_map<std::string, std::shared_ptr<const boost::regex>> entries_;
};

PatternCache& pattern_cache() {
  static PatternCache cache;
  return cache;
}

bool matches_pattern(const std::vector<std::string>& patterns, std::string_view text) {
  if (patterns.empty() || text.empty()) {
    return false;
  }
  text = text.substr(0, std::min(text.size(), kMaxMatchedBytes));
  for (const auto& regex : pattern_cache().get(patterns)) {
    try {
      if (boost::regex_search(text.begin(), text.end(), *regex)) {
        return true;
      }
    } catch (const std::exception&) {
      // Boost gave up on a pattern too expensive for this text: not a mention.
    }
  }
  return false;
}

// ---- per-chat settings -----------------------------------------------------------------------

// The group and topic entries that apply to a chat, most specific first; null where none.
struct ChatSettings {
  std::array<const ChannelGroupConfig*, 4> levels{};  // topic exact, topic "*", group, group "*"

  // The most specific value set for `field`; null when no level sets it.
  template <class T>
  const T* resolve(std::optional<T> ChannelGroupConfig::*field) const {
    for (const auto* level : levels) {
      if (level && level->*field) {
        return &*(level->*field);
      }
    }
    return nullptr;
  }

  std::string system_prompt() const {
    for (const auto* level : levels) {
      if (level && !level->system_prompt.empty()) {
        return level->system_prompt;
      }
    }
    return {};
  }
};

const ChannelGroupConfig* find_entry(const std::map<std::string, ChannelGroupConfig>& map,
                                     std::string_view key) {
  auto found = map.find(std::string(key));
  return found == map.end() ? nullptr : &found->second;
}

const ChannelGroupConfig* find_topic(const ChannelGroupConfig* group,
                                     const ChannelGroupConfig* any_group, std::string_view key) {
  const ChannelGroupConfig* topic = group ? find_entry(group->topics, key) : nullptr;
  if (!topic && any_group) {
    topic = find_entry(any_group->topics, key);
  }
  return topic;
}

Admission drop(std::string reason) {
  return Admission{Verdict::drop, std::move(reason), false, {}};
}

Admission admit_direct(const AccessPolicy& policy, const InboundMessage& message,
                       bool sender_paired) {
  bool listed = list_admits(policy.allow_from, message.sender_id);
  switch (policy.dm_policy) {
    case DmPolicy::disabled:
      return drop("dm disabled");
    case DmPolicy::open:
      // Public only with an explicit "*"; pairing approvals do not widen "open".
      return listed ? Admission{Verdict::admit, "open dm", false, {}}
                    : drop("sender not in allowFrom");
    case DmPolicy::allowlist:
      if (listed) {
        return {Verdict::admit, "sender in allowFrom", false, {}};
      }
      return sender_paired ? Admission{Verdict::admit, "paired sender", false, {}}
                           : drop("sender not in allowFrom");
    case DmPolicy::pairing:
      if (listed) {
        return {Verdict::admit, "sender in allowFrom", false, {}};
      }
      if (sender_paired) {
        return {Verdict::admit, "paired sender", false, {}};
      }
      return {Verdict::pair, "pairing required", false, {}};
  }
  return drop("unknown dm policy");
}

Admission admit_group(const AccessPolicy& policy, const InboundMessage& message) {
  if (policy.group_policy == GroupPolicy::disabled) {
    return drop("groups disabled");
  }

  ChatSettings settings;
  if (policy.groups) {
    const ChannelGroupConfig* group = find_entry(*policy.groups, message.chat_id);
    const ChannelGroupConfig* any_group = find_entry(*policy.groups, "*");
    if (!group && !any_group) {
      return drop("group not allowed");
    }
    if (message.thread_is_topic && !message.thread_id.empty()) {
      settings.levels[0] = find_topic(group, any_group, message.thread_id);
      settings.levels[1] = find_topic(group, any_group, "*");
    }
    settings.levels[2] = group;
    settings.levels[3] = any_group;
  } else if (policy.group_policy != GroupPolicy::open) {
    return drop("group not allowed");
  }

  if (const bool* enabled = settings.resolve(&ChannelGroupConfig::enabled); enabled && !*enabled) {
    return drop("group disabled");
  }
  const GroupPolicy* override_policy = settings.resolve(&ChannelGroupConfig::group_policy);
  GroupPolicy effective = override_policy ? *override_policy : policy.group_policy;
  if (effective == GroupPolicy::disabled) {
    return drop("group disabled");
  }
  if (effective == GroupPolicy::allowlist) {
    // DM pairing approvals never count here: group senders must be listed in config.
    const std::vector<std::string>* senders = settings.resolve(&ChannelGroupConfig::allow_from);
    const auto& list = senders                   ? *senders
                       : policy.group_allow_from ? *policy.group_allow_from
                                                 : policy.allow_from;
    if (!list_admits(list, message.sender_id)) {
      return drop("sender not in groupAllowFrom");
    }
  }

  Admission admission{Verdict::admit, "group", false, settings.system_prompt()};
  admission.mentioned = message.mentions_bot || message.reply_to_bot || message.is_command ||
                        matches_pattern(policy.mention_patterns, message.text);
  const bool* require = settings.resolve(&ChannelGroupConfig::require_mention);
  bool require_mention = require ? *require : true;
  if (require_mention && !admission.mentioned) {
    admission.verdict = Verdict::drop;
    admission.reason = "not mentioned";
    return admission;
  }
  admission.reason = admission.mentioned ? "mentioned in group" : "group, mention not required";
  return admission;
}

}  // namespace

AccessPolicy access_policy_for(const core::TelegramAccountConfig& account,
                               const core::Config& config, std::string_view agent_id) {
  AccessPolicy policy;
  policy.dm_policy = account.dm_policy;
  policy.allow_from = account.allow_from;
  policy.group_policy = account.group_policy;
  policy.group_allow_from = account.group_allow_from;
  policy.groups = account.groups;
  policy.mention_patterns = config.messages.group_chat.mention_patterns;
  std::string id = core::normalize_agent_id(agent_id);
  for (const auto& agent : config.agents.list) {
    if (agent.id == id && agent.mention_patterns) {
      policy.mention_patterns = *agent.mention_patterns;
      break;
    }
  }
  return policy;
}

Admission admit(const AccessPolicy& policy, const InboundMessage& message, bool sender_paired) {
  if (message.chat_type == sessions::ChatType::direct) {
    return admit_direct(policy, message, sender_paired);
  }
  return admit_group(policy, message);
}

bool mention_pattern_usable(std::string_view pattern) {
  return compile(std::string(pattern)) != nullptr;
}

}  // namespace pincer::channels
