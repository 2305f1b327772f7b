#include "tools/exec/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pincer::tools {

namespace asio = boost::asio;

namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

// Closes whatever it holds unless released.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// posix_spawn attributes and file actions, destroyed together.
struct SpawnSetup {
  posix_spawnattr_t attr{};
  posix_spawn_file_actions_t actions{};
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

ChildProcess::ChildProcess(const asio::any_io_executor& executor)
    : output_(executor), input_(executor), pidfd_(executor) {}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped()) {
    signal_group(SIGKILL);
    int status = 0;
    // The process was just SIGKILLed, so this returns at once (only teardown gets here).
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const asio::any_io_executor& executor,
                                                          const SpawnRequest& request) {
  if (request.argv.empty()) {
    return fail(Errc::internal, "spawn: empty argv");
  }
  std::unique_ptr<ChildProcess> child(new ChildProcess(executor));
  child->pty_ = request.pty;

  Fd parent_out;  // the end we read
  Fd parent_in;   // the end we write
  Fd child_out;
  Fd child_in;
  std::string terminal_name;
  if (request.pty) {
    parent_out.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (parent_out.get() < 0 || ::grantpt(parent_out.get()) != 0 ||
        ::unlockpt(parent_out.get()) != 0) {
      return fail(Errc::io, "cannot open a pseudo-terminal: " + errno_text(errno),
                  "run the command without pty");
    }
    std::array<char, 128> name{};
    if (::ptsname_r(parent_out.get(), name.data(), name.size()) != 0) {
      return fail(Errc::io, "cannot name the pseudo-terminal: " + errno_text(errno));
    }
    terminal_name = name.data();
    parent_in.reset(::fcntl(parent_out.get(), F_DUPFD_CLOEXEC, 0));
    if (parent_in.get() < 0) {
      return fail(Errc::io, "cannot duplicate the terminal: " + errno_text(errno));
    }
  } else {
    std::array<int, 2> out_pipe{};
    std::array<int, 2> in_pipe{};
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
      return fail(Errc::io, "cannot create a pipe: " + errno_text(errno));
    }
    parent_out.reset(out_pipe[0]);
    child_out.reset(out_pipe[1]);
    if (::pipe2(in_pipe.data(), O_CLOEXEC) != 0) {
      return fail(Errc::io, "cannot create a pipe: " + errno_text(errno));
    }
    child_in.reset(in_pipe[0]);
    parent_in.reset(in_pipe[1]);
  }

  SpawnSetup setup;
  // A new session: the command leads its own process group (signalled as a whole on timeout
  // or kill) and, with a pty, the terminal opened below becomes its controlling terminal
  // (glibc runs setsid before the file actions). Signals come back to their defaults: the
  // daemon ignores SIGPIPE, a shell pipeline must not.
  sigset_t defaults;
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  sigset_t empty;
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setflags(&setup.attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  if (request.pty) {
    posix_spawn_file_actions_addopen(&setup.actions, 0, terminal_name.c_str(), O_RDWR, 0);
    posix_spawn_file_actions_adddup2(&setup.actions, 0, 1);
    posix_spawn_file_actions_adddup2(&setup.actions, 0, 2);
  } else {
    posix_spawn_file_actions_adddup2(&setup.actions, child_in.get(), 0);
    posix_spawn_file_actions_adddup2(&setup.actions, child_out.get(), 1);
    posix_spawn_file_actions_adddup2(&setup.actions, child_out.get(), 2);
  }
  if (!request.cwd.empty()) {
    posix_spawn_file_actions_addchdir_np(&setup.actions, request.cwd.c_str());
  }

  std::vector<std::string> words = request.argv;
  std::vector<char*> argv;
  for (auto& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_words = request.env;
  std::vector<char*> envp;
  for (auto& word : env_words) {
    envp.push_back(word.data());
  }
  envp.push_back(nullptr);

  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, argv[0], &setup.actions, &setup.attr, argv.data(), envp.data());
  if (rc != 0) {
    return fail(Errc::io, "cannot start " + request.argv[0] + ": " + errno_text(rc),
                rc == ENOENT ? "check workdir: it must be an existing folder" : "");
  }
  child->pid_ = pid;
  child_out.reset();
  child_in.reset();

  boost::system::error_code ec;
  child->output_.assign(parent_out.release(), ec);
  if (!ec) {
    child->input_.assign(parent_in.release(), ec);
  }
  if (!ec) {
    if (int pidfd = open_pidfd(pid); pidfd >= 0) {
      child->pidfd_.assign(pidfd, ec);
    }
  }
  if (ec) {
    return fail(Errc::io, "cannot watch the command: " + ec.message());  // destructor kills it
  }
  return child;
}

void ChildProcess::close_input() {
  boost::system::error_code ignored;
  input_.close(ignored);
}

asio::awaitable<void> ChildProcess::wait_exit() {
  if (reaped()) {
    co_return;
  }
  if (pidfd_.is_open()) {
    auto [ec] = co_await pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                                           asio::as_tuple(asio::use_awaitable));
    (void)ec;  // readable (exited) or cancelled: the caller looks at reap()
    co_return;
  }
  // No pidfd: look every 50 ms without reaping (WNOWAIT), so signals stay safe to send.
  asio::steady_timer timer(pidfd_.get_executor());
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != 0) {
      co_return;
    }
    timer.expires_after(std::chrono::milliseconds(50));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      co_return;
    }
  }
}

bool ChildProcess::reap() {
  if (reaped()) {
    return true;
  }
  int status = 0;
  pid_t got = ::waitpid(pid_, &status, WNOHANG);
  if (got == 0) {
    return false;
  }
  ExitStatus exit;
  if (got < 0) {
    exit.exit_code = -1;  // ECHILD: someone else reaped it; the status is lost
  } else if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
  } else {
    exit.exit_code = WEXITSTATUS(status);
  }
  status_ = exit;
  boost::system::error_code ignored;
  pidfd_.close(ignored);
  return true;
}

void ChildProcess::signal_group(int signal) {
  if (pid_ <= 0 || reaped()) {
    return;
  }
  if (::kill(-pid_, signal) != 0) {
    ::kill(pid_, signal);  // the group is gone but the leader is a zombie: harmless
  }
}

}  // namespace pincer::tools
