#include "sessions/session_intake.hpp"

#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "core/config.hpp"
#include "core/text.hpp"
#include "store/transaction.hpp"

namespace pincer::sessions {

namespace json = boost::json;

namespace {

struct Trigger {
  ArchiveReason reason;
  std::string rest;
};

// "/new ..." or "/reset ..." (any configured trigger, case-insensitive, as the first word).
std::optional<Trigger> reset_trigger(const core::SessionConfig& config, std::string_view text) {
  std::string_view body = core::trim(text);
  const auto* end = std::find_if(body.begin(), body.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) != 0;
  });
  std::string word =
      core::to_lower_ascii(body.substr(0, static_cast<std::size_t>(end - body.begin())));
  for (const auto& trigger : config.reset_triggers) {
    if (!trigger.empty() && word == core::to_lower_ascii(trigger)) {
      return Trigger{word == "/new" ? ArchiveReason::new_session : ArchiveReason::reset,
                     std::string(core::trim(body.substr(word.size())))};
    }
  }
  return std::nullopt;
}

}  // namespace

namespace {

// The steps of take_in_message, inside its transaction (the stores join it).
Result<IntakeResult> take_in_message_steps(store::Database& db, const core::SessionConfig& config,
                                           const IntakeMessage& message,
                                           const date::time_zone* zone) {
  SessionStore sessions(db);
  TranscriptStore transcripts(db);
  int64_t now = message.received_at_ms;

  SessionInit init;
  init.key = message.session_key;
  init.agent_id = message.agent_id;
  init.chat_type = message.chat_type;
  init.channel = message.channel;
  init.account_id = message.account_id;
  init.last_to = message.to;
  init.last_thread_id = message.thread_id;
  init.display_name = message.display_name;
  init.origin = json::object{{"channel", message.channel},
                             {"accountId", message.account_id},
                             {"chatType", to_string(message.chat_type)},
                             {"createdVia", "channel"}};
  auto ensured = sessions.ensure(init, now);
  if (!ensured) {
    return std::unexpected(ensured.error());
  }

  IntakeResult result;
  result.text = message.text;
  std::optional<ArchiveReason> roll;
  if (auto trigger = message.interaction ? reset_trigger(config, message.text) : std::nullopt) {
    roll = trigger->reason;
    result.text = trigger->rest;
    result.command_only = trigger->rest.empty();
  } else if (!ensured->created && message.interaction) {
    const auto& policy = resolve_reset_policy_for_key(config, message.session_key, message.channel);
    auto freshness = evaluate_freshness(policy, ensured->session.started_at_ms,
                                        ensured->session.last_interaction_at_ms, now, zone);
    if (freshness.stale) {
      roll = ArchiveReason::reset;
      result.stale = freshness.reason;
    }
  }
  // A trigger in a brand-new session has nothing to archive: the new session is the reset.
  if (roll && !ensured->created) {
    auto reset = sessions.reset(message.session_key, *roll, now);
    if (!reset) {
      return std::unexpected(reset.error());
    }
    result.reset = roll;
  }

  InboundContext context;
  context.channel = message.channel;
  context.account_id = message.account_id;
  context.to = message.to;
  context.thread_id = message.thread_id;
  if (!message.display_name.empty()) {
    context.display_name = message.display_name;
  }
  context.interaction = message.interaction;
  auto recorded = sessions.record_inbound(message.session_key, context, now);
  if (!recorded) {
    return std::unexpected(recorded.error());
  }
  result.session = std::move(*recorded);
  if (result.command_only) {
    return result;
  }

  NewTranscriptEntry entry;
  entry.kind = message.interaction ? EntryKind::user : EntryKind::event;
  entry.role = message.interaction ? "user" : "system";
  entry.content =
      json::serialize(json::array{json::object{{"type", "text"}, {"text", result.text}}});
  entry.created_at_ms = now;
  entry.run_id = message.run_id;
  auto appended = transcripts.append(result.session.session_id, std::span(&entry, 1), now);
  if (!appended) {
    return std::unexpected(appended.error());
  }
  result.entry = appended->front();
  result.session.entry_count += 1;
  return result;
}

}  // namespace

Result<IntakeResult> take_in_message(store::Database& db, const core::SessionConfig& config,
                                     const IntakeMessage& message, const date::time_zone* zone) {
  auto tx = store::Transaction::begin(db);
  if (!tx) {
    return std::unexpected(tx.error());
  }
  auto result = take_in_message_steps(db, config, message, zone);
  if (!result) {
    return result;  // the transaction rolls back
  }
  if (auto committed = tx->commit(); !committed) {
    return std::unexpected(committed.error());
  }
  return result;
}

}  // namespace pincer::sessions
