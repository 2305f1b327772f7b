#include "sessions/session_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pincer::sessions {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

InboundMessage msg(std::string text, std::string route = "telegram:1") {
  return InboundMessage{.id = text, .text = text, .route = std::move(route)};
}

QueueSettings settings(QueueMode mode, std::chrono::milliseconds debounce = 0ms) {
  return QueueSettings{.mode = mode, .debounce = debounce, .cap = 20, .drop = QueueDrop::summarize};
}

std::string joined(const TurnInput& input) {
  std::string out;
  for (const auto& message : input.messages) {
    out += (out.empty() ? "" : "+") + message.text;
  }
  return out;
}

// A fake agent runner: records each turn, then "works" for `turn_time`, reading steering
// every millisecond while `poll_steering` is set.
struct FakeRunner {
  std::chrono::milliseconds turn_time = 10ms;
  bool poll_steering = false;
  bool accept_steering = true;
  std::vector<std::string> turns;
  std::vector<std::string> steered;
  std::vector<Clock::time_point> started;
  std::vector<TurnInput> inputs;
  int aborted = 0;

  RunTurn as_run_turn() {
    return [this](TurnInput& input, RunControl& control) -> asio::awaitable<void> {
      turns.push_back(joined(input));
      inputs.push_back(input);
      started.push_back(Clock::now());
      control.set_accepts_steering(accept_steering);
      try {
        auto deadline = Clock::now() + turn_time;
        while (Clock::now() < deadline) {
          co_await sleep_for(1ms);
          if (poll_steering) {
            for (auto& message : control.take_steering()) {
              steered.push_back(message.text);
            }
          }
        }
      } catch (const boost::system::system_error&) {
        ++aborted;
        EXPECT_TRUE(control.aborted());
        throw;
      }
    };
  }
};

struct QueueFixture : ::testing::Test {
  asio::io_context io;
  LaneRegistry lanes{LaneCaps{.main = 4}};
  FakeRunner runner;
  SessionQueue queue{io.get_executor(), lanes, runner.as_run_turn()};

  // Enqueues the first message and runs the io_context until its turn has started, so what
  // the test enqueues next arrives while a run is active, whatever the machine's load.
  void start_first(std::string text, const QueueSettings& with) {
    queue.enqueue("s", msg(std::move(text)), with);
    while (runner.turns.empty()) {
      io.run_one();
    }
  }

  // Enqueues `text` after `delay` (from the start of io.run()).
  void send_at(std::chrono::milliseconds delay, std::string text, QueueSettings with,
               std::vector<EnqueueOutcome>* outcomes = nullptr, std::string route = "telegram:1") {
    asio::co_spawn(io, send(queue, delay, std::move(text), with, outcomes, std::move(route)),
                   asio::detached);
  }

  // Parameters, not lambda captures: the coroutine outlives any closure made here.
  static asio::awaitable<void> send(SessionQueue& queue, std::chrono::milliseconds delay,
                                    std::string text, QueueSettings with,
                                    std::vector<EnqueueOutcome>* outcomes, std::string route) {
    co_await sleep_for(delay);
    EnqueueResult result = queue.enqueue("s", msg(text, route), with);
    if (outcomes != nullptr) {
      outcomes->push_back(result.outcome);
    }
  }
};

// followup: each message runs as its own turn, in arrival order, one at a time.
TEST_F(QueueFixture, FollowupRunsEachMessageInOrder) {
  for (int i = 0; i < 4; ++i) {
    send_at(std::chrono::milliseconds(i * 2), "m" + std::to_string(i),
            settings(QueueMode::followup));
  }
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"m0", "m1", "m2", "m3"}));
  EXPECT_EQ(queue.session_count(), 0U);
  EXPECT_EQ(lanes.session_lane_count(), 0U);
}

// collect: what arrived during a run becomes one turn, after the quiet window.
TEST_F(QueueFixture, CollectCoalescesAfterTheQuietWindow) {
  auto with = settings(QueueMode::collect, 15ms);
  start_first("a", with);
  for (std::string text : {"b", "c", "d"}) {
    queue.enqueue("s", msg(text), with);
  }
  auto last_arrival = Clock::now();
  io.run();
  ASSERT_EQ(runner.turns, (std::vector<std::string>{"a", "b+c+d"}));
  // The batch waited for 15 ms of quiet after "d", not just for the 10 ms run.
  EXPECT_GE(runner.started[1] - last_arrival, 15ms);
}

// collect keeps routes apart: messages for another thread drain as their own turn.
TEST_F(QueueFixture, CollectDoesNotMergeAcrossRoutes) {
  auto with = settings(QueueMode::collect, 1ms);
  start_first("a", with);
  queue.enqueue("s", msg("b", "telegram:1"), with);
  queue.enqueue("s", msg("c", "telegram:1:thread:9"), with);
  queue.enqueue("s", msg("d", "telegram:1:thread:9"), with);
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"a", "b", "c+d"}));
}

// interrupt: the active run is aborted and the newest message runs next; queued ones are dropped.
TEST_F(QueueFixture, InterruptAbortsTheActiveRunAndRunsTheNewest) {
  runner.turn_time = 5s;  // would take 5 s if not aborted
  auto t0 = Clock::now();
  start_first("long", settings(QueueMode::followup));
  queue.enqueue("s", msg("queued"), settings(QueueMode::followup));
  EnqueueResult result = queue.enqueue("s", msg("newest"), settings(QueueMode::interrupt, 1s));
  EXPECT_EQ(result.outcome, EnqueueOutcome::interrupted);
  EXPECT_EQ(result.dropped, 1U);
  while (runner.turns.size() < 2) {
    io.run_one();
  }
  queue.abort_session("s");  // end "newest" too
  io.run();
  EXPECT_LT(Clock::now() - t0, 1s);  // no 5 s run, no 1 s debounce
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"long", "newest"}));
  EXPECT_EQ(runner.aborted, 2);
}

// steer: a message for a running turn lands in its mailbox instead of starting a turn.
TEST_F(QueueFixture, SteerHandsTheMessageToTheActiveRun) {
  runner.poll_steering = true;
  runner.turn_time = 15ms;
  start_first("first", settings(QueueMode::steer));
  EXPECT_EQ(queue.enqueue("s", msg("nudge"), settings(QueueMode::steer)).outcome,
            EnqueueOutcome::steered);
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"first"}));
  EXPECT_EQ(runner.steered, (std::vector<std::string>{"nudge"}));
}

// steer falls back to followup when the run cannot take steering or none is active.
TEST_F(QueueFixture, SteerFallsBackToFollowup) {
  runner.accept_steering = false;
  EXPECT_EQ(queue.enqueue("s", msg("first"), settings(QueueMode::steer)).outcome,
            EnqueueOutcome::queued);  // nothing running yet
  while (runner.turns.empty()) {
    io.run_one();
  }
  EXPECT_EQ(queue.enqueue("s", msg("second"), settings(QueueMode::steer)).outcome,
            EnqueueOutcome::queued);
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"first", "second"}));
}

// A steered message the run never read becomes a followup turn rather than being lost.
TEST_F(QueueFixture, UnreadSteeringBecomesAFollowup) {
  runner.poll_steering = false;  // accepts steering but never reads it
  start_first("first", settings(QueueMode::steer));
  EXPECT_EQ(queue.enqueue("s", msg("unread"), settings(QueueMode::steer)).outcome,
            EnqueueOutcome::steered);
  queue.enqueue("s", msg("later"), settings(QueueMode::followup));
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"first", "unread", "later"}));
}

// cap + drop "old": the oldest queued messages make room, silently.
TEST_F(QueueFixture, DropOldKeepsTheNewest) {
  auto with =
      QueueSettings{.mode = QueueMode::followup, .debounce = 0ms, .cap = 2, .drop = QueueDrop::old};
  start_first("run", with);
  for (int i = 0; i < 5; ++i) {
    queue.enqueue("s", msg("m" + std::to_string(i)), with);
  }
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"run", "m3", "m4"}));
  EXPECT_EQ(runner.inputs[1].dropped, 3U);
  EXPECT_TRUE(runner.inputs[1].dropped_summaries.empty());
}

// cap + drop "new": a full queue refuses the newcomer.
TEST_F(QueueFixture, DropNewRejectsTheNewcomer) {
  auto with = QueueSettings{
      .mode = QueueMode::followup, .debounce = 0ms, .cap = 2, .drop = QueueDrop::new_};
  start_first("run", with);
  std::vector<EnqueueOutcome> outcomes;
  for (int i = 0; i < 4; ++i) {
    outcomes.push_back(queue.enqueue("s", msg("m" + std::to_string(i)), with).outcome);
  }
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"run", "m0", "m1"}));
  EXPECT_EQ(outcomes,
            (std::vector<EnqueueOutcome>{EnqueueOutcome::queued, EnqueueOutcome::queued,
                                         EnqueueOutcome::rejected, EnqueueOutcome::rejected}));
}

// cap + drop "summarize": dropped messages reach the next turn as one-line summaries.
TEST_F(QueueFixture, DropSummarizeKeepsOneLinePerDroppedMessage) {
  auto with = QueueSettings{
      .mode = QueueMode::followup, .debounce = 0ms, .cap = 1, .drop = QueueDrop::summarize};
  start_first("run", with);
  queue.enqueue("s", msg("first line\nsecond line"), with);
  queue.enqueue("s", msg(std::string(300, 'x')), with);
  queue.enqueue("s", msg("kept"), with);
  io.run();
  ASSERT_EQ(runner.turns, (std::vector<std::string>{"run", "kept"}));
  EXPECT_EQ(runner.inputs[1].dropped, 2U);
  ASSERT_EQ(runner.inputs[1].dropped_summaries.size(), 2U);
  EXPECT_EQ(runner.inputs[1].dropped_summaries[0], "first line");
  EXPECT_EQ(runner.inputs[1].dropped_summaries[1], std::string(100, 'x') + "…");
}

// A run that throws is logged; the session's next message still runs and no lane stays held.
TEST_F(QueueFixture, ThrowingRunDoesNotStallTheSession) {
  asio::io_context local;
  LaneRegistry local_lanes{LaneCaps{.main = 1}};
  std::vector<std::string> turns;
  RunTurn flaky = [&](TurnInput& input, RunControl&) -> asio::awaitable<void> {
    turns.push_back(joined(input));
    co_await sleep_for(1ms);
    if (input.messages[0].text == "boom") {
      throw std::runtime_error("provider exploded");
    }
  };
  SessionQueue local_queue(local.get_executor(), local_lanes, flaky);
  local_queue.enqueue("s", msg("boom"), settings(QueueMode::followup));
  local_queue.enqueue("s", msg("ok"), settings(QueueMode::followup));
  local.run();
  EXPECT_EQ(turns, (std::vector<std::string>{"boom", "ok"}));
  EXPECT_TRUE(local_lanes.global(GlobalLane::main).idle());
  EXPECT_EQ(local_lanes.session_lane_count(), 0U);
}

// abort_session drops what is queued first, then aborts the run (chat.abort without runId).
TEST_F(QueueFixture, AbortSessionDropsQueueThenAbortsRun) {
  runner.turn_time = 5s;
  start_first("long", settings(QueueMode::followup));
  queue.enqueue("s", msg("queued1"), settings(QueueMode::followup));
  queue.enqueue("s", msg("queued2"), settings(QueueMode::followup));
  EXPECT_TRUE(queue.running("s"));
  EXPECT_EQ(queue.abort_session("s"), 2U);
  io.run();
  EXPECT_EQ(runner.turns, (std::vector<std::string>{"long"}));
  EXPECT_EQ(runner.aborted, 1);
  EXPECT_EQ(queue.session_count(), 0U);
}

// A sub-agent session (":subagent:" in its key) takes a subagent-lane slot, so it runs while
// every main-lane slot is busy, e.g. with the parent that waits for it.
TEST(SessionQueueLanes, SubagentSessionsUseTheSubagentLane) {
  asio::io_context io;
  LaneRegistry lanes{LaneCaps{.main = 1, .subagent = 2}};
  std::vector<std::string> started;
  bool child_ran_while_parent_held_main = false;
  RunTurn run = [&](TurnInput& input, RunControl&) -> asio::awaitable<void> {
    started.push_back(input.session_key);
    if (input.session_key == "agent:main:main") {
      // The parent holds the only main slot until its child has started.
      for (int i = 0; i < 200 && started.size() < 2; ++i) {
        co_await sleep_for(1ms);
      }
      child_ran_while_parent_held_main = started.size() == 2;
    } else {
      co_await sleep_for(1ms);
    }
  };
  SessionQueue queue{io.get_executor(), lanes, run};
  queue.enqueue("agent:main:main", msg("parent"), settings(QueueMode::followup));
  queue.enqueue("agent:main:subagent:1234", msg("child"), settings(QueueMode::followup));
  io.run();
  EXPECT_TRUE(child_ran_while_parent_held_main);
  ASSERT_EQ(started.size(), 2U);
  EXPECT_EQ(lanes.global(GlobalLane::subagent).stats().total_acquired, 1U);
  EXPECT_EQ(lanes.global(GlobalLane::main).stats().total_acquired, 1U);
}

}  // namespace
}  // namespace pincer::sessions
