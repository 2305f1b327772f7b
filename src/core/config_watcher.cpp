#include "core/config_watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/config_diff.hpp"
#include "core/config_loader.hpp"
#include "core/executor.hpp"
#include "core/log.hpp"

namespace pincer::core {

namespace asio = boost::asio;

struct ConfigWatcher::Impl : std::enable_shared_from_this<ConfigWatcher::Impl> {
  Impl(asio::io_context& io, asio::thread_pool& pool_, std::filesystem::path file_, EnvLookup env_,
       Config initial)
      : pool(pool_),
        file(std::move(file_)),
        env(std::move(env_)),
        current(std::move(initial)),
        descriptor(io),
        debounce_timer(io) {}

  asio::thread_pool& pool;
  std::filesystem::path file;
  EnvLookup env;
  Config current;
  std::vector<Listener> listeners;
  std::vector<RejectListener> reject_listeners;
  asio::posix::stream_descriptor descriptor;
  asio::steady_timer debounce_timer;
  std::chrono::milliseconds debounce{200};
  bool stopped = false;
  uint64_t generation = 0;  // bumps on every event so only the last debounce reloads

  asio::awaitable<void> watch_loop() {
    auto self = shared_from_this();
    alignas(inotify_event) std::array<char, 4096> buffer{};
    std::string name = file.filename().string();
    while (!stopped) {
      auto [ec, n] = co_await descriptor.async_read_some(asio::buffer(buffer),
                                                         asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec != asio::error::operation_aborted) {
          log::warn("config", "watch stopped: {}", ec.message());
        }
        co_return;
      }
      bool relevant = false;
      for (size_t offset = 0; offset + sizeof(inotify_event) <= n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer.data() + offset);
        if (event->len > 0 && name == event->name) {
          relevant = true;
        }
        offset += sizeof(inotify_event) + event->len;
      }
      if (relevant) {
        asio::co_spawn(descriptor.get_executor(), debounced_reload(++generation), asio::detached);
      }
    }
  }

  asio::awaitable<void> debounced_reload(uint64_t my_generation) {
    auto self = shared_from_this();
    asio::steady_timer timer(descriptor.get_executor(), debounce);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec || stopped || my_generation != generation) {
      co_return;  // a newer event restarts the wait: editors write in several steps
    }
    // A named function object: GCC 12 destroys a lambda temporary inside a co_await
    // expression twice (a compiler bug), so never pass one straight to run_blocking.
    auto read_config_file = [path = file, lookup = env] { return load_config(path, lookup); };
    ConfigLoad load = co_await run_blocking(pool, read_config_file);
    if (stopped || my_generation != generation) {
      co_return;
    }
    if (!load.config) {
      log::error("config", "reload rejected, keeping the running config:\n{}",
                 load.describe_errors());
      for (auto& listener : reject_listeners) {
        listener(load.issues);
      }
      co_return;
    }
    auto changed = changed_config_paths(current.raw, load.config->raw);
    if (changed.empty()) {
      co_return;
    }
    current = std::move(*load.config);
    log::info("config", "reloaded: {} key(s) changed", changed.size());
    for (auto& listener : listeners) {
      listener(current, changed);
    }
  }
};

ConfigWatcher::ConfigWatcher(asio::io_context& io, asio::thread_pool& pool,
                             std::filesystem::path file, EnvLookup env, Config initial)
    : impl_(std::make_shared<Impl>(io, pool, std::move(file), std::move(env), std::move(initial))) {
}

ConfigWatcher::~ConfigWatcher() {
  stop();
}

void ConfigWatcher::subscribe(Listener listener) {
  impl_->listeners.push_back(std::move(listener));
}

void ConfigWatcher::on_rejected(RejectListener listener) {
  impl_->reject_listeners.push_back(std::move(listener));
}

Status ConfigWatcher::start(std::chrono::milliseconds debounce) {
  impl_->debounce = debounce;
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::io,
                std::string("cannot watch the config file: inotify: ") +
                    std::generic_category().message(errno),
                "raise fs.inotify.max_user_instances, or restart the gateway after edits");
  }
  std::filesystem::path dir = impl_->file.parent_path();
  if (dir.empty()) {
    dir = ".";
  }
  constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE;
  if (::inotify_add_watch(fd, dir.c_str(), kMask) < 0) {
    int err = errno;
    ::close(fd);
    return fail(Errc::io,
                "cannot watch " + dir.string() + ": " + std::generic_category().message(err),
                "check that the directory exists and is readable");
  }
  impl_->descriptor.assign(fd);
  asio::co_spawn(impl_->descriptor.get_executor(), impl_->watch_loop(), asio::detached);
  return {};
}

void ConfigWatcher::stop() {
  if (!impl_ || impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->descriptor.cancel(ec);
  impl_->descriptor.close(ec);
}

const Config& ConfigWatcher::current() const {
  return impl_->current;
}

}  // namespace pincer::core
