#pragma once
// MaintenanceLoop: runs session maintenance (session_maintenance.hpp) in the daemon's
// background — once shortly after start, then every 30 minutes, like the reference's periodic
// recheck — so archived sessions age out and the active count stays under its cap without any
// request paying for it.
//
// Each run opens its own connection to state.db on the blocking pool (never the gateway's
// shared one: maintenance must not hold the handlers' database lock for a whole run). Batches
// are short transactions, so chat writers wait at most one batch. stop() makes a run in progress
// end after its current batch; the next run continues where it left off.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/result.hpp"
#include "sessions/session_maintenance.hpp"

namespace pincer::sessions {

class MaintenanceLoop {
 public:
  using OptionsSource = std::function<MaintenanceOptions()>;  // read on the I/O thread
  static constexpr std::chrono::minutes kInterval{30};
  static constexpr std::chrono::seconds kFirstRunDelay{60};

  MaintenanceLoop(boost::asio::io_context& io, boost::asio::thread_pool& pool,
                  std::filesystem::path database_file, OptionsSource options);
  ~MaintenanceLoop();
  MaintenanceLoop(const MaintenanceLoop&) = delete;
  MaintenanceLoop& operator=(const MaintenanceLoop&) = delete;

  // Starts the timer loop on the I/O thread.
  void start(std::chrono::milliseconds first_delay = kFirstRunDelay,
             std::chrono::milliseconds interval = kInterval);
  // Ends the loop; a run in progress stops after its current batch.
  void stop();

  // One run now (also what the loop does on each tick). Logs what it did.
  boost::asio::awaitable<Result<MaintenanceReport>> run_once();

 private:
  struct State;
  boost::asio::io_context& io_;
  boost::asio::thread_pool& pool_;
  std::filesystem::path database_file_;
  OptionsSource options_;
  std::shared_ptr<State> state_;
};

}  // namespace pincer::sessions
