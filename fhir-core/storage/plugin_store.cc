// PostgreSQL implementation of PluginStore. See plugin_store.h; the tables are migration 4.
#include "hestia/storage/plugin_store.h"

#include <limits>
#include <vector>

#include <pqxx/pqxx>

#include "pool.h"

namespace hestia::storage {
namespace {

// The oldest transaction still running: rows with a smaller xid are final.
constexpr const char* kSnapshotXmin = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

class PgPluginStore final : public PluginStore {
 public:
  explicit PgPluginStore(const StoreOptions& options) : pool_(options) {}

  Status EnsureSubscriber(const std::string& subscriber) override {
    auto r = WithConnection<bool>(pool_, [&](pqxx::connection& conn) {
      pqxx::work txn(conn);
      txn.exec_params(std::string("INSERT INTO plugin_event_position (subscriber, last_xid, "
                                  "last_seq) VALUES ($1, ") +
                          kSnapshotXmin + " - 1, $2) ON CONFLICT (subscriber) DO NOTHING",
                      subscriber, std::numeric_limits<int64_t>::max());
      txn.commit();
      return true;
    });
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<int> DeliverEvents(const std::string& subscriber, int limit,
                            const std::function<Delivery(const OutboxEvent&)>& deliver) override {
    return WithConnection<int>(pool_, [&](pqxx::connection& conn) -> Result<int> {
      pqxx::work txn(conn);
      // Idle rounds (every 250 ms per subscription) only read: the position row is locked and
      // written only when there is something past it to deliver.
      auto pending = txn.exec_params(
          std::string("SELECT 1 FROM plugin_event_position p WHERE p.subscriber = $1 AND EXISTS "
                      "(SELECT 1 FROM resource_event e WHERE (e.xid, e.version_seq) > "
                      "(p.last_xid, p.last_seq) AND e.xid < ") +
              kSnapshotXmin + ")",
          subscriber);
      if (pending.empty()) {
        txn.commit();
        return 0;
      }
      auto position = txn.exec_params(
          "SELECT last_xid, last_seq FROM plugin_event_position WHERE subscriber = $1 "
          "FOR UPDATE SKIP LOCKED",
          subscriber);
      if (position.empty()) return 0;
      int64_t last_xid = position[0][0].as<int64_t>();
      int64_t last_seq = position[0][1].as<int64_t>();
      auto rows = txn.exec_params(
          std::string("SELECT e.xid, e.version_seq, v.res_type, v.res_id, v.version, v.method, "
                      "v.deleted, v.last_updated, coalesce(v.body, '') FROM resource_event e "
                      "JOIN resource_version v ON v.seq = e.version_seq "
                      "WHERE (e.xid, e.version_seq) > ($1, $2) AND e.xid < ") +
              kSnapshotXmin + " ORDER BY e.xid, e.version_seq LIMIT $3",
          last_xid, last_seq, limit);
      int offered = 0;
      for (const auto& row : rows) {
        OutboxEvent e;
        e.xid = row[0].as<int64_t>();
        e.seq = row[1].as<int64_t>();
        e.type = row[2].as<std::string>();
        e.id = row[3].as<std::string>();
        e.version = row[4].as<long>();
        e.method = row[5].as<std::string>();
        e.deleted = row[6].as<bool>();
        e.last_updated = row[7].as<int64_t>();
        e.body = row[8].as<std::string>();
        ++offered;
        if (deliver(e) == Delivery::kRetry) break;
        last_xid = e.xid;
        last_seq = e.seq;
      }
      txn.exec_params(
          "UPDATE plugin_event_position SET last_xid = $2, last_seq = $3 WHERE subscriber = $1",
          subscriber, last_xid, last_seq);
      txn.commit();
      return offered;
    });
  }

  Result<long long> PruneEvents(Micros before) override {
    return WithConnection<long long>(pool_, [&](pqxx::connection& conn) -> Result<long long> {
      pqxx::work txn(conn);
      auto r = txn.exec_params(
          "DELETE FROM resource_event e USING resource_version v WHERE v.seq = e.version_seq "
          "AND v.last_updated < $1 AND NOT EXISTS (SELECT 1 FROM plugin_event_position p "
          "WHERE (p.last_xid, p.last_seq) < (e.xid, e.version_seq))",
          before);
      txn.commit();
      return static_cast<long long>(r.affected_rows());
    });
  }

  Result<bool> ClaimJobRun(const std::string& job, int64_t lock_key, Micros since,
                           Micros now) override {
    return WithConnection<bool>(pool_, [&](pqxx::connection& conn) -> Result<bool> {
      pqxx::work txn(conn);
      if (!txn.exec_params1("SELECT pg_try_advisory_xact_lock($1)", lock_key)[0].as<bool>()) {
        return false;
      }
      auto last = txn.exec_params("SELECT last_run FROM plugin_job_run WHERE job = $1", job);
      if (!last.empty() && last[0][0].as<int64_t>() >= since) return false;
      txn.exec_params(
          "INSERT INTO plugin_job_run (job, last_run) VALUES ($1, $2) "
          "ON CONFLICT (job) DO UPDATE SET last_run = excluded.last_run",
          job, now);
      txn.commit();
      return true;
    });
  }

 private:
  Pool pool_;
};

}  // namespace

Result<std::unique_ptr<PluginStore>> PluginStore::Open(const StoreOptions& options) {
  StoreOptions own = options;
  own.pool_size = 2;
  // Connections are made on first use; the Store has already proved the database reachable.
  return std::unique_ptr<PluginStore>(std::make_unique<PgPluginStore>(own));
}

}  // namespace hestia::storage
