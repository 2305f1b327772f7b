#include "store/transaction.hpp"

#include <utility>

#include "store/database.hpp"

namespace pincer::store {

namespace {

Status run_control(Database& db, std::string_view sql, std::string_view what) {
  auto stmt = db.prepare(sql);
  if (!stmt) {
    return std::unexpected(stmt.error());
  }
  auto status = stmt->run();
  if (!status) {
    Error error = std::move(status.error());
    error.message = std::string(what) + ": " + error.message;
    return std::unexpected(std::move(error));
  }
  return {};
}

}  // namespace

Result<Transaction> Transaction::begin(Database& db) {
  if (db.in_transaction()) {
    return fail(Errc::internal,
                "cannot begin a transaction: one is already open on this connection",
                "nested transactions are not supported; this is a bug in Pincer");
  }
  if (auto status = run_control(db, "BEGIN IMMEDIATE", "cannot begin a transaction"); !status) {
    return std::unexpected(status.error());
  }
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_), active_(std::exchange(other.active_, false)) {}

Transaction::~Transaction() {
  if (active_) {
    (void)rollback();  // nothing to report to from a destructor; SQLite undoes it at close anyway
  }
}

Status Transaction::commit() {
  if (!active_) {
    return fail(Errc::internal, "cannot commit: the transaction is no longer active",
                "this is a bug in Pincer; please report it");
  }
  auto status = run_control(*db_, "COMMIT", "cannot commit");
  // On some errors (I/O, disk full) SQLite has already rolled back; on others (busy) the
  // transaction is still open and the destructor rolls it back.
  if (status || !db_->in_transaction()) {
    active_ = false;
  }
  return status;
}

Status Transaction::rollback() {
  if (!active_) {
    return {};
  }
  active_ = false;
  if (!db_->in_transaction()) {
    return {};  // SQLite rolled back by itself after an error
  }
  return run_control(*db_, "ROLLBACK", "cannot roll back");
}

}  // namespace pincer::store
