#include "agent/context_guard.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "agent/token_estimate.hpp"

namespace pincer::agent {
namespace {

using providers::ImagePart;
using providers::Message;
using providers::ModelRequest;
using providers::Role;
using providers::TextPart;
using providers::ThinkingPart;
using providers::ToolCallPart;
using providers::ToolResultPart;

std::string lines(std::size_t count, const std::string& tag) {
  std::string text = "BEGIN " + tag + "\n";
  for (std::size_t i = 0; i < count; ++i) {
    text += tag + " line " + std::to_string(i) + "\n";
  }
  return text + "END " + tag + "\n";
}

Message user(std::string text) {
  return Message{Role::user, {TextPart{std::move(text)}}};
}
Message assistant(std::string text) {
  return Message{Role::assistant, {TextPart{std::move(text)}}};
}
Message call(const std::string& id, const std::string& name) {
  boost::json::object args;
  args["path"] = "/tmp/" + id;
  return Message{Role::assistant, {ToolCallPart{id, name, args}}};
}
Message result(const std::string& id, const std::string& name, std::string text) {
  return Message{Role::user, {ToolResultPart{id, name, std::move(text), false}}};
}

// A conversation of `turns` turns, each: question, a tool call, its (sizeable) result, answer.
std::vector<Message> history(int turns, std::size_t result_lines) {
  std::vector<Message> out;
  for (int t = 0; t < turns; ++t) {
    std::string id = "call" + std::to_string(t);
    out.push_back(user("question " + std::to_string(t)));
    out.push_back(call(id, "read"));
    out.push_back(result(id, "read", lines(result_lines, id)));
    out.push_back(assistant("answer " + std::to_string(t)));
  }
  return out;
}

// For every tool result, the index of its call must be on the same side of the cut.
void expect_no_split(const std::vector<Message>& messages, std::size_t cut) {
  std::map<std::string, std::size_t> call_at;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    for (const auto& part : messages[i].parts) {
      if (const auto* c = std::get_if<ToolCallPart>(&part)) {
        call_at[c->id] = i;
      }
      if (const auto* r = std::get_if<ToolResultPart>(&part)) {
        ASSERT_TRUE(call_at.contains(r->call_id));
        EXPECT_EQ(call_at[r->call_id] < cut, i < cut) << "split " << r->call_id << " at " << cut;
      }
    }
  }
}

// bytes/4 for ASCII; a CJK character counts one token.
TEST(TokenEstimate, AsciiQuarterCjkWhole) {
  EXPECT_EQ(estimate_tokens(std::string(400, 'a')), 100);
  EXPECT_EQ(estimate_tokens("\xE4\xBD\xA0\xE5\xA5\xBD"), 2);  // two CJK characters
  Message image{Role::user, {ImagePart{"image/png", std::string(100000, 'A')}}};
  EXPECT_EQ(estimate_tokens(image), kImageTokens + kMessageOverheadTokens);
}

// A tool result's images count like any image, not by their base64 size.
TEST(TokenEstimate, ToolResultImagesCountAsImages) {
  ToolResultPart plain{"call-1", "read", "seen", false};
  ToolResultPart with_images = plain;
  with_images.images = {ImagePart{"image/png", std::string(100000, 'A')},
                        ImagePart{"image/jpeg", std::string(50000, 'B')}};
  EXPECT_EQ(estimate_tokens(providers::Part{with_images}) - estimate_tokens(providers::Part{plain}),
            2 * kImageTokens);
}

// A tool result over 30 % of the window keeps head and tail and reports the cut in the middle.
TEST(ContextGuard, CapToolResultKeepsHeadAndTail) {
  std::string text = lines(2000, "out");
  auto capped = cap_tool_result(text, 10000);  // 3000 tokens allowed, text is ~9000
  EXPECT_LE(estimate_tokens(capped), 3000);
  EXPECT_GT(estimate_tokens(capped), 2500);
  EXPECT_EQ(capped.rfind("BEGIN out\n", 0), 0u);
  EXPECT_TRUE(capped.ends_with("END out\n"));
  auto at = capped.find("\n[... ");
  ASSERT_NE(at, std::string::npos);
  auto cut = std::stoul(capped.substr(at + 6));
  auto marker_end = capped.find("...]\n", at) + 5;
  EXPECT_EQ(cut + (capped.size() - (marker_end - at)), text.size());
  EXPECT_EQ(cap_tool_result("small", 10000), "small");
}

// Dense text (CJK) is capped by its own bytes-per-token ratio, and never mid-character.
TEST(ContextGuard, CapToolResultHandlesMultibyteText) {
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "\xE4\xBD\xA0";
  }
  auto capped = cap_tool_result(text, 1000);
  EXPECT_LE(estimate_tokens(capped), 300);
  auto at = capped.find("\n[... ");
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(at % 3, 0u);  // the head is whole characters
}

// A history that fits is not flagged; the plan still finds a cut for a manual /compact.
TEST(ContextGuard, PlanWithoutOverflow) {
  ModelRequest request;
  request.system = "system";
  request.messages = history(4, 10);
  auto plan = plan_compaction(request, 200000);
  EXPECT_FALSE(plan.overflow);
  EXPECT_EQ(plan.estimated_tokens, estimate_tokens(request));
  EXPECT_EQ(plan.budget_tokens, 200000 - 20000);
}

// Overflow summarises an older prefix, cut at a turn start, keeping the recent share.
TEST(ContextGuard, PlanOverflowCutsAtTurnStart) {
  ModelRequest request;
  request.system = std::string(4000, 's');
  request.messages = history(30, 200);  // ~30 x 1.7k tokens
  CompactionSettings settings;
  auto plan = plan_compaction(request, 32000, settings);
  EXPECT_TRUE(plan.overflow);
  EXPECT_EQ(plan.budget_tokens, 32000 - 8000);  // reserve capped at a quarter of the window
  ASSERT_GT(plan.summarize_count, 0u);
  ASSERT_LT(plan.summarize_count, request.messages.size());
  EXPECT_EQ(request.messages[plan.summarize_count].role, Role::user);
  EXPECT_TRUE(std::holds_alternative<TextPart>(request.messages[plan.summarize_count].parts[0]));
  EXPECT_LE(plan.kept_tokens, static_cast<int64_t>(32000 * 0.35));
  EXPECT_GT(plan.kept_tokens, static_cast<int64_t>(32000 * 0.35) - 2000);  // about one turn less
  expect_no_split(request.messages, plan.summarize_count);

  settings.keep_recent_tokens = 4000;
  auto smaller = plan_compaction(request, 32000, settings);
  EXPECT_GT(smaller.summarize_count, plan.summarize_count);
  EXPECT_LE(smaller.kept_tokens, 4000);
}

// Whatever the sizes, the cut never lands between a tool call and its result, even when one
// turn is a long tool loop with no turn start to cut at.
TEST(ContextGuard, PlanNeverSplitsToolCallFromResult) {
  for (std::size_t result_lines : {5u, 50u, 300u, 1500u}) {
    for (int64_t keep : {500, 2000, 5000, 12000}) {
      ModelRequest request;
      request.messages.push_back(user("do the long task"));
      for (int i = 0; i < 20; ++i) {
        std::string id = "loop" + std::to_string(i);
        request.messages.push_back(call(id, "exec"));
        request.messages.push_back(result(id, "exec", lines(result_lines, id)));
      }
      request.messages.push_back(assistant("done"));
      CompactionSettings settings;
      settings.keep_recent_tokens = keep;
      auto plan = plan_compaction(request, 64000, settings);
      ASSERT_LT(plan.summarize_count, request.messages.size());
      expect_no_split(request.messages, plan.summarize_count);
      if (plan.summarize_count > 0) {
        EXPECT_EQ(request.messages[plan.summarize_count].role, Role::assistant);
      }
    }
  }
}

// The summary request carries the older turns as text and fits the window; applying the
// summary puts it first, followed by the kept messages unchanged.
TEST(ContextGuard, CompactionRequestAndApply) {
  auto messages = history(10, 3000);
  messages[0].parts.push_back(ImagePart{"image/png", std::string(50000, 'A')});
  ModelRequest request;
  request.messages = messages;
  auto plan = plan_compaction(request, 32000);
  ASSERT_GT(plan.summarize_count, 0u);
  std::span<const Message> older(messages.data(), plan.summarize_count);
  auto summarize = compaction_request("claude-haiku", older, 32000, "the API design");
  EXPECT_EQ(summarize.model, "claude-haiku");
  EXPECT_TRUE(summarize.tools.empty());
  EXPECT_NE(summarize.system.find("the API design"), std::string::npos);
  ASSERT_EQ(summarize.messages.size(), 1u);
  const auto& transcript = std::get<TextPart>(summarize.messages[0].parts[0]).text;
  EXPECT_NE(transcript.find("question 0"), std::string::npos);
  EXPECT_NE(transcript.find("[tool call read"), std::string::npos);
  EXPECT_NE(transcript.find("[image omitted]"), std::string::npos);
  EXPECT_EQ(transcript.find(std::string(100, 'A')), std::string::npos);
  EXPECT_LE(estimate_tokens(summarize) + summarize.max_tokens, 32000);

  auto compacted = apply_compaction(messages, plan, "- decided X");
  ASSERT_EQ(compacted.size(), messages.size() - plan.summarize_count + 1);
  EXPECT_EQ(std::get<TextPart>(compacted[0].parts[0]).text, compaction_summary_text("- decided X"));
  EXPECT_EQ(std::get<TextPart>(compacted[1].parts[0]).text,
            std::get<TextPart>(messages[plan.summarize_count].parts[0]).text);
  EXPECT_EQ(std::get<TextPart>(compacted.back().parts[0]).text, "answer 9");
}

// Repeated truncate_harder shrinks strictly at every step, then says nothing is left; images go
// first, pairs stay whole, the newest message survives.
TEST(ContextGuard, TruncateHarderConverges) {
  auto messages = history(6, 2000);
  messages[1].parts.insert(messages[1].parts.begin(),
                           ThinkingPart{std::string(3000, 't'), "sig", false});
  messages[4].parts.push_back(ImagePart{"image/jpeg", "AAAA"});
  messages.push_back(user("latest question " + std::string(10000, 'q')));

  auto first = truncate_harder(messages);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.step, "images");
  int steps = 1;
  int64_t tokens = first.tokens_after;
  std::vector<std::string> seen;
  while (true) {
    auto outcome = truncate_harder(messages);
    if (!outcome.changed) {
      EXPECT_EQ(outcome.tokens_after, tokens);
      break;
    }
    EXPECT_LT(outcome.tokens_after, outcome.tokens_before) << outcome.step;
    EXPECT_EQ(outcome.tokens_before, tokens);
    tokens = outcome.tokens_after;
    seen.push_back(outcome.step);
    expect_no_split(messages, 0);
    ASSERT_LT(++steps, 100);
  }
  EXPECT_EQ(seen.front(), "thinking");
  EXPECT_NE(std::find(seen.begin(), seen.end(), "shrink"), seen.end());
  EXPECT_NE(std::find(seen.begin(), seen.end(), "drop_turn"), seen.end());
  EXPECT_EQ(seen.back(), "shrink_last");
  // Only the newest turn is left: the latest question, shortened with a marker.
  ASSERT_EQ(messages.size(), 1u);
  const auto& last = std::get<TextPart>(messages[0].parts[0]).text;
  EXPECT_EQ(last.rfind("latest question", 0), 0u);
  EXPECT_NE(last.find("cut to fit the context window"), std::string::npos);
  EXPECT_LE(last.size(), 2048u);
  EXPECT_FALSE(truncate_harder(messages).changed);
}

}  // namespace
}  // namespace pincer::agent
