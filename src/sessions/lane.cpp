#include "sessions/lane.hpp"

#include <cassert>
#include <iterator>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pincer::sessions {

namespace asio = boost::asio;
using std::chrono::microseconds;
using std::chrono::steady_clock;

namespace {

// Resumes a waiter through its own executor, never inline (see the design note in lane.hpp).
void post_completion(const asio::any_io_executor& executor,
                     asio::any_completion_handler<void(boost::system::error_code)> handler,
                     boost::system::error_code ec) {
  asio::post(executor, [h = std::move(handler), ec]() mutable { std::move(h)(ec); });
}

}  // namespace

LanePermit& LanePermit::operator=(LanePermit&& other) noexcept {
  if (this != &other) {
    release();
    lane_ = std::exchange(other.lane_, nullptr);
  }
  return *this;
}

void LanePermit::release() noexcept {
  if (Lane* lane = std::exchange(lane_, nullptr)) {
    lane->release();
  }
}

// Installed in a waiter's cancellation slot. The slot may be emitted more than once (a parallel
// group cancels every branch), so it unlinks the waiter only the first time; a grant clears
// the slot before the waiter's iterator goes stale.
class Lane::CancelWait {
 public:
  CancelWait(Lane* lane, WaiterList::iterator waiter) : lane_(lane), waiter_(waiter) {}
  void operator()(asio::cancellation_type /*type*/) {
    if (done_) {
      return;
    }
    done_ = true;
    lane_->cancel_wait(waiter_);
  }

 private:
  Lane* lane_;
  WaiterList::iterator waiter_;
  bool done_ = false;
};

Lane::Lane(std::string name, std::size_t cap) : name_(std::move(name)), cap_(cap < 1 ? 1 : cap) {}

Lane::~Lane() {
  // A permit outliving its lane would write through a dangling pointer when released.
  assert(active_ == 0 && "a lane was destroyed while a permit was still held");
}

asio::awaitable<LanePermit> Lane::acquire() {
  if (active_ < cap_ && waiters_.empty()) {
    ++active_;
    note_acquired(microseconds{0});
    co_return LanePermit(this);
  }
  auto wait_turn = [this](auto handler) { start_wait(std::move(handler)); };
  // On success the slot was already counted as ours when we reached the front (pump()).
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(boost::system::error_code)>(
      wait_turn, asio::use_awaitable);
  co_return LanePermit(this);
}

LanePermit Lane::try_acquire() {
  if (active_ < cap_ && waiters_.empty()) {
    ++active_;
    note_acquired(microseconds{0});
    return LanePermit(this);
  }
  return LanePermit();
}

template <class Handler>
void Lane::start_wait(Handler&& handler) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  asio::any_io_executor executor = asio::get_associated_executor(handler);
  waiters_.push_back(
      Waiter{std::forward<Handler>(handler), std::move(executor), slot, steady_clock::now()});
  if (slot.is_connected()) {
    slot.template emplace<CancelWait>(this, std::prev(waiters_.end()));
  }
}

void Lane::cancel_wait(WaiterList::iterator it) {
  auto handler = std::move(it->handler);
  auto executor = std::move(it->executor);
  waiters_.erase(it);
  post_completion(executor, std::move(handler), asio::error::operation_aborted);
  pump();
  notify_if_idle();  // last: the hook may destroy this lane
}

void Lane::set_cap(std::size_t cap) {
  cap_ = cap < 1 ? 1 : cap;
  pump();
}

void Lane::release() noexcept {
  assert(active_ > 0 && "a permit was released twice");
  --active_;
  pump();
  notify_if_idle();  // last: the hook may destroy this lane
}

void Lane::pump() {
  // Grants only post completions, so nothing below re-enters pump() today; the guard keeps it
  // that way should a completion ever run inline (a nested call just returns and this loop
  // picks up the new state).
  if (pumping_) {
    return;
  }
  pumping_ = true;
  while (active_ < cap_ && !waiters_.empty()) {
    Waiter waiter = std::move(waiters_.front());
    waiters_.pop_front();
    if (waiter.slot.is_connected()) {
      waiter.slot.clear();  // the iterator in CancelWait is stale from here on
    }
    ++active_;
    note_acquired(
        std::chrono::duration_cast<microseconds>(steady_clock::now() - waiter.enqueued_at));
    post_completion(waiter.executor, std::move(waiter.handler), {});
  }
  pumping_ = false;
}

void Lane::note_acquired(microseconds waited) noexcept {
  ++total_acquired_;
  last_wait_ = waited;
  if (waited > max_wait_) {
    max_wait_ = waited;
  }
}

void Lane::notify_if_idle() {
  if (idle() && idle_hook_ != nullptr) {
    idle_hook_(idle_context_, *this);
  }
}

LaneStats Lane::stats() const {
  return LaneStats{name_, cap_, active_, waiters_.size(), total_acquired_, max_wait_, last_wait_};
}

}  // namespace pincer::sessions
