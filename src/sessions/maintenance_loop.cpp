#include "sessions/maintenance_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/executor.hpp"
#include "core/log.hpp"
#include "store/state_database.hpp"

namespace pincer::sessions {

namespace asio = boost::asio;

struct MaintenanceLoop::State {
  explicit State(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
  std::atomic<bool> stopping{false};
  bool running = false;
};

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MaintenanceLoop::MaintenanceLoop(asio::io_context& io, asio::thread_pool& pool,
                                 std::filesystem::path database_file, OptionsSource options)
    : io_(io),
      pool_(pool),
      database_file_(std::move(database_file)),
      options_(std::move(options)),
      state_(std::make_shared<State>(io)) {}

MaintenanceLoop::~MaintenanceLoop() {
  stop();
}

void MaintenanceLoop::start(std::chrono::milliseconds first_delay,
                            std::chrono::milliseconds interval) {
  auto loop = [](MaintenanceLoop* self, std::shared_ptr<State> state,
                 std::chrono::milliseconds delay,
                 std::chrono::milliseconds every) -> asio::awaitable<void> {
    while (!state->stopping) {
      state->timer.expires_after(delay);
      boost::system::error_code ec;
      co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (ec || state->stopping) {
        co_return;
      }
      co_await self->run_once();
      delay = every;
    }
  };
  asio::co_spawn(io_, loop(this, state_, first_delay, interval), asio::detached);
}

void MaintenanceLoop::stop() {
  state_->stopping = true;
  state_->timer.cancel();
}

asio::awaitable<Result<MaintenanceReport>> MaintenanceLoop::run_once() {
  auto state = state_;
  if (state->running) {
    co_return fail(Errc::unavailable, "session maintenance is already running");
  }
  state->running = true;
  MaintenanceOptions options = options_();
  options.between_batches = [state] { return !state->stopping.load(); };
  auto file = database_file_;
  auto run = [file, options]() -> Result<MaintenanceReport> {
    auto db = store::open_state_database(file);
    if (!db) {
      return std::unexpected(db.error());
    }
    return run_session_maintenance(*db, options, now_ms());
  };
  auto report = co_await core::run_blocking(pool_, run);
  state->running = false;
  if (!report) {
    log::warn("sessions", "session maintenance failed: {} (it retries in {} minutes)",
              report.error().describe(), kInterval.count());
  } else if (report->pruned_sessions > 0 || report->capped_sessions > 0) {
    log::info("sessions",
              "session maintenance{}: pruned {} archived sessions ({} transcript entries), "
              "archived {} over the session cap",
              options.enforce ? "" : " (warn mode, nothing changed)", report->pruned_sessions,
              report->pruned_entries, report->capped_sessions);
  }
  co_return report;
}

}  // namespace pincer::sessions
