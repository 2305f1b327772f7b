#include "tools/exec/exec_session.hpp"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace pincer::tools {

namespace asio = boost::asio;

namespace {

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

ExecSession::ExecSession(const asio::any_io_executor& executor, std::unique_ptr<ChildProcess> child,
                         ExecSessionInfo info, const ExecLimits& limits, SteadyNow now)
    : executor_(executor),
      child_(std::move(child)),
      info_(std::move(info)),
      limits_(limits),
      now_(std::move(now)),
      log_(limits.head_bytes, limits.tail_bytes),
      started_at_(now_()),
      timeout_timer_(executor),
      grace_timer_(executor),
      drain_timer_(executor),
      write_timer_(executor) {}

std::shared_ptr<ExecSession> ExecSession::start(const asio::any_io_executor& executor,
                                                std::unique_ptr<ChildProcess> child,
                                                ExecSessionInfo info, const ExecLimits& limits,
                                                SteadyNow now) {
  std::shared_ptr<ExecSession> session(
      new ExecSession(executor, std::move(child), std::move(info), limits, std::move(now)));
  asio::co_spawn(executor, read_output(session), asio::detached);
  asio::co_spawn(executor, watch_exit(session), asio::detached);
  if (limits.timeout.count() > 0) {
    asio::co_spawn(executor, enforce_timeout(session), asio::detached);
  }
  return session;
}

asio::awaitable<void> ExecSession::read_output(std::shared_ptr<ExecSession> self) {
  std::array<char, 16384> buffer{};
  for (;;) {
    auto [ec, n] = co_await self->child_->output().async_read_some(
        asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (n > 0) {
      self->log_.append(std::string_view(buffer.data(), n));
    }
    if (ec) {
      break;  // EOF, EIO from a terminal whose last writer closed, or closed after the drain
    }
  }
  self->output_closed_ = true;
  boost::system::error_code ignored;
  self->child_->output().close(ignored);
  self->maybe_finish();
}

asio::awaitable<void> ExecSession::watch_exit(std::shared_ptr<ExecSession> self) {
  while (!self->child_->reaped()) {
    co_await self->child_->wait_exit();
    // Kill what the command left in its group (`cmd &`) while the exited leader, still a
    // zombie, keeps the group id from being reused; then reap.
    self->child_->signal_group(SIGKILL);
    self->child_->reap();
  }
  self->grace_timer_.cancel();
  self->timeout_timer_.cancel();
  if (!self->output_closed_) {
    // Output still open: a descendant that left the group holds the pipe. Read what comes
    // within the drain time, then stop listening.
    self->drain_timer_.expires_after(self->limits_.drain);
    auto [ec] = co_await self->drain_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec && !self->output_closed_) {
      self->child_->output().cancel();
    }
  }
  self->maybe_finish();
}

asio::awaitable<void> ExecSession::enforce_timeout(std::shared_ptr<ExecSession> self) {
  self->timeout_timer_.expires_after(self->limits_.timeout);
  auto [ec] = co_await self->timeout_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!ec && !self->child_->reaped()) {
    self->timed_out_ = true;
    self->terminate("timeout");
  }
}

asio::awaitable<void> ExecSession::escalate(std::shared_ptr<ExecSession> self) {
  self->grace_timer_.expires_after(self->limits_.kill_grace);
  auto [ec] = co_await self->grace_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!ec && !self->child_->reaped()) {
    self->kill_signal_ = SIGKILL;
    self->child_->signal_group(SIGKILL);
  }
}

void ExecSession::terminate(std::string reason) {
  if (child_->reaped()) {
    return;
  }
  if (kill_reason_.empty()) {
    kill_reason_ = std::move(reason);
  }
  kill_signal_ = SIGTERM;
  child_->signal_group(SIGTERM);
  if (!escalating_) {
    escalating_ = true;
    asio::co_spawn(executor_, escalate(shared_from_this()), asio::detached);
  }
}

void ExecSession::kill_now(std::string reason) {
  if (child_->reaped()) {
    return;
  }
  if (kill_reason_.empty()) {
    kill_reason_ = std::move(reason);
  }
  kill_signal_ = SIGKILL;
  child_->signal_group(SIGKILL);
}

void ExecSession::maybe_finish() {
  if (finished_ || !output_closed_ || !child_->reaped()) {
    return;
  }
  finished_ = true;
  finished_at_ = now_();
  drain_timer_.cancel();
  write_timer_.cancel();
  close_input();
  for (auto* waiter : waiters_) {
    waiter->cancel();
  }
}

asio::awaitable<void> ExecSession::wait(std::chrono::milliseconds limit) {
  if (finished_ || limit.count() <= 0) {
    co_return;
  }
  auto self = shared_from_this();
  asio::steady_timer timer(executor_, limit);
  waiters_.push_back(&timer);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));  // finished, or time is up
  std::erase(waiters_, &timer);
}

asio::awaitable<void> ExecSession::write_deadline(std::shared_ptr<ExecSession> self) {
  auto [ec] = co_await self->write_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!ec) {
    self->child_->input().cancel();
  }
}

asio::awaitable<Status> ExecSession::write(const std::string& data) {
  if (!input_open()) {
    co_return fail(Errc::invalid_argument, "stdin of this session is closed");
  }
  auto self = shared_from_this();
  write_timer_.expires_after(limits_.write_timeout);
  asio::co_spawn(executor_, write_deadline(self), asio::detached);
  auto [ec, n] = co_await asio::async_write(child_->input(), asio::buffer(data),
                                            asio::as_tuple(asio::use_awaitable));
  write_timer_.cancel();
  if (ec == asio::error::operation_aborted) {
    co_return fail(Errc::unavailable, "the command did not read its input within " +
                                          std::to_string(limits_.write_timeout.count() / 1000) +
                                          " s (" + std::to_string(n) + " of " +
                                          std::to_string(data.size()) + " bytes written)");
  }
  if (ec) {
    co_return fail(Errc::io, "cannot write to the command: " + ec.message());
  }
  co_return Status{};
}

void ExecSession::close_input() {
  child_->close_input();
}

bool ExecSession::input_open() const {
  return child_->input().is_open();
}

bool ExecSession::succeeded() const {
  const auto& status = child_->status();
  return status && status->exit_code == 0 && !timed_out_;
}

std::string ExecSession::status_text() const {
  const auto& status = child_->status();
  if (!status) {
    return "running";
  }
  std::string by = status->signal ? " (" + signal_name(*status->signal) + ")" : "";
  if (timed_out_) {
    return "timed out after " + std::to_string(limits_.timeout.count() / 1000) + " s, killed" + by;
  }
  if (!kill_reason_.empty() && status->signal) {
    return "killed" + by + ": " + kill_reason_;
  }
  if (status->signal) {
    return "killed by " + signal_name(*status->signal);
  }
  return "exit code " + std::to_string(status->exit_code.value_or(-1));
}

}  // namespace pincer::tools
