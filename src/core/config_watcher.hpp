#pragma once
// Hot reload: watches pincer.json with inotify and, after a short debounce, reloads it off the
// I/O thread. A valid edit replaces the current config and is handed to every subscriber with
// the key paths that changed; an invalid edit is logged with its errors and the old config
// keeps running. Editors that save by rename, by truncate-and-write, or by deleting and
// recreating the file are all seen, because the directory is watched, not the inode.
//
// Subscribers run on the I/O thread, in subscription order.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.hpp"
#include "core/config_issue.hpp"
#include "core/paths.hpp"
#include "core/result.hpp"

namespace pincer::core {

class ConfigWatcher {
 public:
  using Listener =
      std::function<void(const Config& config, const std::vector<std::string>& changed_paths)>;
  // Told about an edit that was rejected (its errors), e.g. to log or count it.
  using RejectListener = std::function<void(const std::vector<ConfigIssue>& issues)>;

  ConfigWatcher(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                std::filesystem::path file, EnvLookup env, Config initial);
  ConfigWatcher(const ConfigWatcher&) = delete;
  ConfigWatcher& operator=(const ConfigWatcher&) = delete;
  ~ConfigWatcher();

  void subscribe(Listener listener);
  void on_rejected(RejectListener listener);

  // Starts watching; fails if inotify is unavailable or the directory cannot be watched.
  Status start(std::chrono::milliseconds debounce = std::chrono::milliseconds(200));
  // Stops watching; pending reloads are cancelled. Idempotent.
  void stop();

  const Config& current() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace pincer::core
