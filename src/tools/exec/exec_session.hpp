#pragma once
// One running (or finished) command of the exec tool: the child process, its output log, its
// timeout and its end. The session supervises itself with detached coroutines on the I/O
// thread (read output, wait for exit, enforce the timeout), so it lives on when the exec call
// that started it returns early (background / yieldMs) and the process tool finds it later.
//
// Ending: when the command's process exits, whatever it left running in its process group
// (`cmd &`) is killed, the rest of its output is read (for at most the drain time), and the
// session is finished: waiters wake, stdin closes. A timeout or a kill sends SIGTERM to the
// group, then SIGKILL after the grace time.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/result.hpp"
#include "tools/exec/child_process.hpp"
#include "tools/exec/output_log.hpp"

namespace pincer::tools {

using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

struct ExecSessionInfo {
  std::string agent_id;
  std::string session_key;
  std::string command;
  std::string cwd;
  bool pty = false;
  bool sandboxed = false;
};

struct ExecLimits {
  std::size_t head_bytes = 50'000;             // kept from the start of the output
  std::size_t tail_bytes = 150'000;            // kept from the end
  std::chrono::milliseconds timeout{0};        // 0: none
  std::chrono::milliseconds kill_grace{2000};  // SIGTERM .. SIGKILL
  std::chrono::milliseconds drain{2000};       // exit .. giving up on output EOF
  std::chrono::milliseconds write_timeout{5000};
};

class ExecSession : public std::enable_shared_from_this<ExecSession> {
 public:
  // Starts supervising `child`; the returned session keeps itself alive until it finished.
  static std::shared_ptr<ExecSession> start(const boost::asio::any_io_executor& executor,
                                            std::unique_ptr<ChildProcess> child,
                                            ExecSessionInfo info, const ExecLimits& limits,
                                            SteadyNow now);
  ExecSession(const ExecSession&) = delete;
  ExecSession& operator=(const ExecSession&) = delete;

  const ExecSessionInfo& info() const { return info_; }
  pid_t pid() const { return child_->pid(); }
  bool finished() const { return finished_; }
  const OutputLog& log() const { return log_; }
  // How far `process poll` has read.
  uint64_t& poll_cursor() { return poll_cursor_; }

  std::optional<ExitStatus> exit_status() const { return child_->status(); }
  bool timed_out() const { return timed_out_; }
  const std::string& kill_reason() const { return kill_reason_; }  // empty: not killed by us
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }
  std::chrono::steady_clock::time_point finished_at() const { return finished_at_; }
  std::chrono::milliseconds timeout() const { return limits_.timeout; }

  // "running", "exit code 0", "killed by SIGKILL", "timed out after 5 s (killed by SIGTERM)".
  std::string status_text() const;
  // True for exit code 0 only.
  bool succeeded() const;

  // Until finished or `limit` passed. A cancelled caller returns at once; the session goes on.
  boost::asio::awaitable<void> wait(std::chrono::milliseconds limit);

  // SIGTERM to the group, SIGKILL after the grace time. `reason` is reported ("killed by
  // process kill", "turn aborted").
  void terminate(std::string reason);
  // SIGKILL to the group now.
  void kill_now(std::string reason);

  // Writes to the command's stdin (the terminal for a pty session); fails when stdin is closed
  // or the command does not read it within the write timeout.
  boost::asio::awaitable<Status> write(const std::string& data);
  void close_input();
  bool input_open() const;

 private:
  ExecSession(const boost::asio::any_io_executor& executor, std::unique_ptr<ChildProcess> child,
              ExecSessionInfo info, const ExecLimits& limits, SteadyNow now);

  static boost::asio::awaitable<void> read_output(std::shared_ptr<ExecSession> self);
  static boost::asio::awaitable<void> watch_exit(std::shared_ptr<ExecSession> self);
  static boost::asio::awaitable<void> enforce_timeout(std::shared_ptr<ExecSession> self);
  static boost::asio::awaitable<void> escalate(std::shared_ptr<ExecSession> self);
  static boost::asio::awaitable<void> write_deadline(std::shared_ptr<ExecSession> self);
  void maybe_finish();

  boost::asio::any_io_executor executor_;
  std::unique_ptr<ChildProcess> child_;
  ExecSessionInfo info_;
  ExecLimits limits_;
  SteadyNow now_;
  OutputLog log_;
  uint64_t poll_cursor_ = 0;
  bool output_closed_ = false;
  bool finished_ = false;
  bool timed_out_ = false;
  bool escalating_ = false;
  std::string kill_reason_;
  int kill_signal_ = 0;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::steady_clock::time_point finished_at_;
  boost::asio::steady_timer timeout_timer_;
  boost::asio::steady_timer grace_timer_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer write_timer_;
  std::vector<boost::asio::steady_timer*> waiters_;  // wait() calls, woken at the finish
};

}  // namespace pincer::tools
