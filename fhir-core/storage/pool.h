// Connection pool (private to hestia_storage).
//
// Owns: up to `size` pqxx connections, created lazily and re-created after they break, each
// with statement_timeout set and the hot statements prepared. Acquire() blocks up to the
// acquire timeout. A Lease returns its connection on destruction, or discards it when the
// holder marked it broken.
// Thread-safety: Pool is thread-safe; a Lease is used by one thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "hestia/base/status.h"
#include "hestia/storage/store.h"

namespace hestia::storage {

class Pool;

class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<pqxx::connection> conn) : pool_(pool), conn_(std::move(conn)) {}
  Lease(Lease&&) = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  pqxx::connection& conn() { return *conn_; }
  void MarkBroken() { broken_ = true; }

 private:
  Pool* pool_;
  std::unique_ptr<pqxx::connection> conn_;
  bool broken_ = false;
};

class Pool {
 public:
  explicit Pool(StoreOptions options) : options_(std::move(options)) {}
  // kUnavailable when no connection can be had within the acquire timeout or connecting fails.
  Result<Lease> Acquire();
  PoolStats Stats();

 private:
  friend class Lease;
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  Result<std::unique_ptr<pqxx::connection>> Connect();

  StoreOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;  // connections that exist (idle or leased)
  int in_use_ = 0;
  int waiting_ = 0;
  long long connect_failures_ = 0;
};

// Registers the prepared statements of store.cc on a new connection.
void PrepareStatements(pqxx::connection& conn);

// Maps a libpqxx/std exception to our Status vocabulary (see store.h for the categories).
Status StatusFromException(const std::exception& e, bool* connection_broken);

// Runs `fn(connection)` with a pooled connection, mapping exceptions to Status and discarding
// a connection that broke.
template <typename T, typename Fn>
Result<T> WithConnection(Pool& pool, Fn&& fn) {
  HESTIA_ASSIGN_OR_RETURN(Lease lease, pool.Acquire());
  try {
    return fn(lease.conn());
  } catch (const std::exception& e) {
    bool broken = false;
    Status s = StatusFromException(e, &broken);
    if (broken) lease.MarkBroken();
    return s;
  }
}

}  // namespace hestia::storage
