#pragma once
// One spawned command: posix_spawn into a new session (so its process group can be signalled
// as a whole), stdout and stderr on one pipe (interleaved as the command wrote them) or on a
// pseudo-terminal, stdin on a pipe, and a pidfd that becomes readable when the process exits.
// All three are asio descriptors, so reading, writing and waiting never block the I/O thread;
// without pidfd (Linux < 5.3) exit is noticed by a 50 ms waitpid(WNOHANG) poll instead.
//
// The process is reaped only through reap(), after which no signal is sent to it again (its
// pid may be reused).

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "core/result.hpp"

namespace pincer::tools {

struct SpawnRequest {
  std::vector<std::string> argv;  // argv[0] is an absolute path (no PATH search)
  std::vector<std::string> env;   // "KEY=value"
  std::filesystem::path cwd;
  bool pty = false;
};

struct ExitStatus {
  std::optional<int> exit_code;  // set when the process exited
  std::optional<int> signal;     // set when a signal killed it
};

class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> spawn(const boost::asio::any_io_executor& executor,
                                                     const SpawnRequest& request);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // kills the group and reaps when still running

  pid_t pid() const { return pid_; }
  bool pty() const { return pty_; }
  bool reaped() const { return status_.has_value(); }
  const std::optional<ExitStatus>& status() const { return status_; }

  // Merged stdout+stderr (or the terminal's output). EOF (or EIO on a terminal) when every
  // writer has gone.
  boost::asio::posix::stream_descriptor& output() { return output_; }
  boost::asio::posix::stream_descriptor& input() { return input_; }
  void close_input();

  // Completes once the process has exited (it stays a zombie until reap()). Cancellable.
  boost::asio::awaitable<void> wait_exit();
  // Collects the exit status; true when the process was reaped now or before.
  bool reap();

  // Sends `signal` to the whole process group; a no-op once reaped.
  void signal_group(int signal);

 private:
  explicit ChildProcess(const boost::asio::any_io_executor& executor);

  pid_t pid_ = -1;
  bool pty_ = false;
  std::optional<ExitStatus> status_;
  boost::asio::posix::stream_descriptor output_;
  boost::asio::posix::stream_descriptor input_;
  boost::asio::posix::stream_descriptor pidfd_;
};

}  // namespace pincer::tools
