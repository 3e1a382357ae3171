// Connection pool. See pool.h.
#include "pool.h"

#include <chrono>
#include <string>
#include <string_view>

#include "hestia/base/log.h"

namespace hestia::storage {

void PrepareStatements(pqxx::connection& conn) {
  // Hot paths only; libpqxx prepares each lazily on first use, per connection.
  conn.prepare("read_current",
               "SELECT v.seq, v.res_type, v.res_id, v.version, v.last_updated, v.deleted, "
               "v.method, coalesce(v.body, '') FROM resource r JOIN resource_version v ON "
               "v.res_pk = r.pk AND v.version = r.version WHERE r.res_type = $1 AND r.res_id = $2");
  conn.prepare("read_version",
               "SELECT v.seq, v.res_type, v.res_id, v.version, v.last_updated, v.deleted, "
               "v.method, coalesce(v.body, '') FROM resource r JOIN resource_version v ON "
               "v.res_pk = r.pk WHERE r.res_type = $1 AND r.res_id = $2 AND v.version = $3");
  conn.prepare("lock_current",
               "SELECT r.pk, r.version, r.deleted, r.last_updated, coalesce(v.body, '') "
               "FROM resource r LEFT JOIN resource_version v ON v.res_pk = r.pk AND v.version = "
               "r.version WHERE r.res_type = $1 AND r.res_id = $2 FOR UPDATE OF r");
  // One index probe per key (a LATERAL lookup, whatever the table's statistics say), locked
  // in the order of the keys, which callers sort.
  conn.prepare("lock_current_many",
               "SELECT r.res_type, r.res_id, r.pk, r.version, r.deleted, r.last_updated, "
               "coalesce(v.body, '') FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS "
               "k(t, i, n) JOIN LATERAL (SELECT * FROM resource WHERE res_type = k.t AND res_id = "
               "k.i FOR UPDATE) r ON true LEFT JOIN resource_version v ON v.res_pk = r.pk AND "
               "v.version = r.version ORDER BY k.n");
  conn.prepare("reserve_pks",
               "SELECT nextval('resource_pk_seq') FROM generate_series(1, $1::bigint)");
  conn.prepare(
      "version_body",
      "SELECT coalesce(body, '') FROM resource_version WHERE res_pk = $1 AND version = $2");
  // Version writes (resource row, version row and index rows in one statement) are prepared
  // per set of index tables they touch, on first use: index_sql.h.
  conn.prepare("advisory_lock", "SELECT pg_advisory_xact_lock($1)");
}

Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->Release(std::move(conn_), broken_);
}

Result<std::unique_ptr<pqxx::connection>> Pool::Connect() {
  try {
    auto conn = std::make_unique<pqxx::connection>(options_.url);
    pqxx::nontransaction setup(*conn);
    setup.exec("SET statement_timeout = " + std::to_string(options_.statement_timeout_ms));
    setup.exec("SET synchronous_commit = on");
    // Short OLTP statements only: JIT compilation (triggered by high cost estimates, e.g. of
    // row-by-row search criteria) cost 250 ms on statements that run in 25.
    setup.exec("SET jit = off");
    setup.commit();
    PrepareStatements(*conn);
    return conn;
  } catch (const std::exception& e) {
    return UnavailableError(std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

Result<Lease> Pool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
  ++waiting_;
  while (idle_.empty() && open_ >= options_.pool_size) {
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      --waiting_;
      return UnavailableError("all " + std::to_string(options_.pool_size) +
                              " database connections are busy");
    }
  }
  --waiting_;
  ++in_use_;
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  auto conn = Connect();
  if (!conn.ok()) {
    std::lock_guard<std::mutex> relock(mu_);
    --open_;
    --in_use_;
    ++connect_failures_;
    cv_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(conn).value());
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  std::lock_guard<std::mutex> lock(mu_);
  --in_use_;
  if (broken || !conn->is_open()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

PoolStats Pool::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return {options_.pool_size, in_use_, waiting_, connect_failures_};
}

namespace {

// The first line of a server error without libpq's "ERROR:  " prefix (the CONTEXT lines that
// follow name our SQL functions, which clients need not see).
std::string PrimaryMessage(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  constexpr std::string_view kPrefix = "ERROR:  ";
  if (line.rfind(kPrefix, 0) == 0) line.erase(0, kPrefix.size());
  return line;
}

}  // namespace

Status StatusFromException(const std::exception& e, bool* connection_broken) {
  *connection_broken = false;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr ||
      dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr) {
    *connection_broken = true;
    return UnavailableError(std::string("database commit outcome unknown: ") + e.what());
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
    *connection_broken = true;
    return UnavailableError(std::string("database unavailable: ") + e.what());
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr ||
      dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
    return {StatusCode::kAborted, std::string("concurrent write: ") + e.what()};
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e); sql != nullptr) {
    const std::string state = sql->sqlstate();
    // The server sends a SQLSTATE with every error it reports; an error without one was made
    // by libpq itself — "server closed the connection unexpectedly" when postgres went away
    // in the middle of a statement (libpqxx 6.4 raises it as a plain sql_error). The
    // transaction is gone with the connection: unavailable, never a 500.
    if (state.empty()) {
      *connection_broken = true;
      return UnavailableError(std::string("database connection lost: ") + e.what());
    }
    if (state == "57014") return {StatusCode::kTimeout, "database statement timed out"};
    // The booking invariants of migration 5 (docs/adr/0010-scheduling.md): a refused booking
    // is a conflict (never retried as a lost race), unusable booking data a bad request. Their
    // messages are written for the client.
    if (state == "23P01") return {StatusCode::kConflict, PrimaryMessage(e.what())};
    if (state == "HSB01") return InvalidError(PrimaryMessage(e.what()));
    // 57P01..57P03 admin shutdown / crash shutdown / cannot connect now; 08xxx connection.
    if (state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0) {
      *connection_broken = true;
      return UnavailableError(std::string("database unavailable: ") + e.what());
    }
    return InternalError(std::string("database error: ") + e.what());
  }
  return InternalError(std::string("database error: ") + e.what());
}

}  // namespace hestia::storage
