#pragma once
// A command lane: an awaitable FIFO with a concurrency cap. `co_await lane.acquire()` waits until
// fewer than `cap` permits are out and every earlier caller has been served, then returns a
// LanePermit; destroying the permit (normal end, exception, abort) frees the slot.
//
// Design notes
// - Single-threaded by contract: a lane, its permits and its waiters live on one io_context
//   thread (the gateway's I/O thread, DESIGN.md), so there is no lock. Calling it from another
//   thread is a bug.
// - Ordering: waiters are served strictly in arrival order. The fast path (a free slot and
//   nobody waiting) takes the slot at once, touches no clock and allocates nothing beyond the
//   coroutine frame, which Asio recycles per thread.
// - A waiter is granted its slot at the moment it reaches the front (the slot is counted as
//   taken then) and resumed through a post to its executor, never inline: a release therefore
//   never runs another turn on its own stack, and pump() has a guard so a nested release only
//   adjusts the count and leaves the draining to the outer call.
// - Cancellation: a waiter whose coroutine is cancelled (per-operation cancellation slot, any
//   type: the wait has no side effects) is unlinked and resumed with operation_aborted; it never
//   holds a permit. A grant that was already posted wins over a later cancellation; the
//   resumed acquire() returns a permit that the canceller's frame then destroys, which frees it.
// - Lifetime: the lane must outlive its permits and waiters. Destroy lanes only when the
//   io_context has no pending work for them (the registry drops idle lanes, which have none).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/system/error_code.hpp>

namespace pincer::sessions {

class Lane;

// One taken slot of a lane. Move-only; empty after a move or release().
class LanePermit {
 public:
  LanePermit() = default;
  LanePermit(const LanePermit&) = delete;
  LanePermit& operator=(const LanePermit&) = delete;
  LanePermit(LanePermit&& other) noexcept : lane_(std::exchange(other.lane_, nullptr)) {}
  LanePermit& operator=(LanePermit&& other) noexcept;
  ~LanePermit() { release(); }

  // Frees the slot now (idempotent).
  void release() noexcept;
  bool held() const noexcept { return lane_ != nullptr; }
  explicit operator bool() const noexcept { return held(); }

 private:
  friend class Lane;
  explicit LanePermit(Lane* lane) noexcept : lane_(lane) {}
  Lane* lane_ = nullptr;
};

// Counters for diagnostics.lanes; times are how long acquirers waited in the queue.
struct LaneStats {
  std::string name;
  std::size_t cap = 0;
  std::size_t active = 0;
  std::size_t queued = 0;
  std::uint64_t total_acquired = 0;
  std::chrono::microseconds max_wait{0};
  std::chrono::microseconds last_wait{0};
};

class Lane {
 public:
  // Called when the lane becomes idle (no permit out, nobody waiting). The hook may destroy the
  // lane: the lane touches none of its members after calling it.
  using IdleHook = void (*)(void* context, Lane& lane);

  Lane(std::string name, std::size_t cap);
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;
  ~Lane();

  // Waits for a slot in FIFO order. Throws system_error(operation_aborted) if cancelled while
  // waiting; in that case no slot is held.
  boost::asio::awaitable<LanePermit> acquire();

  // Takes a slot only if one is free and nobody is waiting (never jumps the queue).
  LanePermit try_acquire();

  // Changes the cap (values below 1 are read as 1). Raising it resumes waiters at once;
  // lowering it lets current holders finish and admits no one until active < cap.
  void set_cap(std::size_t cap);

  const std::string& name() const noexcept { return name_; }
  std::size_t cap() const noexcept { return cap_; }
  std::size_t active() const noexcept { return active_; }
  std::size_t queued() const noexcept { return waiters_.size(); }
  bool idle() const noexcept { return active_ == 0 && waiters_.empty(); }
  LaneStats stats() const;

  void set_idle_hook(IdleHook hook, void* context) noexcept {
    idle_hook_ = hook;
    idle_context_ = context;
  }

 private:
  friend class LanePermit;
  struct Waiter {
    boost::asio::any_completion_handler<void(boost::system::error_code)> handler;
    boost::asio::any_io_executor executor;  // the handler's, to resume it there
    boost::asio::cancellation_slot slot;
    std::chrono::steady_clock::time_point enqueued_at;
  };
  using WaiterList = std::list<Waiter>;
  class CancelWait;

  template <class Handler>
  void start_wait(Handler&& handler);
  void cancel_wait(WaiterList::iterator it);
  void release() noexcept;
  void pump();
  void note_acquired(std::chrono::microseconds waited) noexcept;
  void notify_if_idle();

  std::string name_;
  std::size_t cap_;
  std::size_t active_ = 0;
  WaiterList waiters_;
  bool pumping_ = false;
  std::uint64_t total_acquired_ = 0;
  std::chrono::microseconds max_wait_{0};
  std::chrono::microseconds last_wait_{0};
  IdleHook idle_hook_ = nullptr;
  void* idle_context_ = nullptr;
};

}  // namespace pincer::sessions
