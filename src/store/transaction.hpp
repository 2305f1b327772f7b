#pragma once
// Transaction: BEGIN IMMEDIATE ... COMMIT as an RAII guard.
//
// begin() takes the write lock at once (IMMEDIATE), so a transaction never fails halfway with
// "database is locked" when it first writes; waiting for another writer happens in begin(), up
// to the connection's busy_timeout. When commit() returns success the transaction is durable
// (WAL, synchronous=FULL). A Transaction that dies uncommitted — early return, error, exception
// — rolls back.
//
// Nesting is refused: begin() on a connection that already has a transaction open fails with
// Errc::internal. SAVEPOINTs would make an inner commit() look durable when it is not, and every
// store operation is meant to be exactly one transaction.

#include "core/result.hpp"

namespace pincer::store {

class Database;

class Transaction {
 public:
  // BEGIN IMMEDIATE on `db`, which must outlive the Transaction.
  static Result<Transaction> begin(Database& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();  // rolls back if still active

  // COMMIT. On failure the transaction is rolled back (by SQLite or by the destructor).
  Status commit();

  // ROLLBACK now instead of at destruction. A no-op once committed or rolled back.
  Status rollback();

  bool active() const { return active_; }

 private:
  explicit Transaction(Database& db) : db_(&db) {}

  Database* db_;
  bool active_ = true;
};

}  // namespace pincer::store
