// PostgreSQL implementation of Store and Transaction. See store.h.
#include "hestia/storage/store.h"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "hestia/base/log.h"
#include "migrations.h"
#include "pool.h"

namespace hestia::storage {
namespace {

constexpr const char* kVersionColumns =
    "seq, res_type, res_id, version, last_updated, deleted, method, coalesce(body, '')";

VersionRecord ToRecord(const pqxx::row& row) {
  VersionRecord r;
  r.seq = row[0].as<int64_t>();
  r.type = row[1].as<std::string>();
  r.id = row[2].as<std::string>();
  r.version = row[3].as<long>();
  r.last_updated = row[4].as<int64_t>();
  r.deleted = row[5].as<bool>();
  r.method = row[6].as<std::string>();
  r.body = row[7].as<std::string>();
  return r;
}

// Runs `fn` with a pooled connection, mapping exceptions to Status and discarding connections
// that broke.
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

// A PostgreSQL array literal of text elements, bound as one parameter (never SQL text):
// every element quoted, with '"' and '\\' escaped.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Writes one version (resource row, version row, index rows) with one statement.
void ExecuteWrite(pqxx::transaction_base& txn, const NewVersion& v) {
  // A NULL body marks a deletion (tombstone version), which has no index rows.
  const std::optional<std::string> body =
      v.deleted ? std::nullopt : std::optional<std::string>(v.body);
  std::string hashes = "{";
  std::vector<std::string> systems;
  std::vector<std::string> codes;
  if (!v.deleted) {
    for (const auto& t : v.index.tokens) {
      if (hashes.size() > 1) hashes += ',';
      hashes += std::to_string(t.param_hash);
      systems.push_back(t.system);
      codes.push_back(t.code);
    }
  }
  hashes += '}';
  if (v.existing_pk.has_value()) {
    txn.exec_prepared1("update_resource", v.type, v.id, v.version, v.deleted, v.last_updated,
                       v.method, body, hashes, TextArray(systems), TextArray(codes),
                       *v.existing_pk);
  } else {
    txn.exec_prepared1("insert_resource", v.type, v.id, v.version, v.deleted, v.last_updated,
                       v.method, body, hashes, TextArray(systems), TextArray(codes));
  }
}

class PgTransaction final : public Transaction {
 public:
  explicit PgTransaction(Lease lease) : lease_(std::move(lease)) {}

  Status Start() {
    return Guard([&] { txn_ = std::make_unique<pqxx::work>(lease_.conn()); });
  }

  ~PgTransaction() override {
    if (txn_ != nullptr && !committed_) {
      try {
        txn_->abort();
      } catch (const std::exception&) {
        lease_.MarkBroken();
      }
    }
  }

  Result<std::optional<CurrentRow>> LockCurrent(std::string_view type,
                                                std::string_view id) override {
    std::optional<CurrentRow> out;
    HESTIA_RETURN_IF_ERROR(Guard([&] {
      auto rows = txn_->exec_prepared("lock_current", std::string(type), std::string(id));
      if (rows.empty()) return;
      CurrentRow c;
      c.pk = rows[0][0].as<int64_t>();
      c.version = rows[0][1].as<long>();
      c.deleted = rows[0][2].as<bool>();
      c.last_updated = rows[0][3].as<int64_t>();
      c.body = rows[0][4].as<std::string>();
      out = std::move(c);
    }));
    return out;
  }

  Status LockKey(int64_t key) override {
    return Guard([&] { txn_->exec_prepared("advisory_lock", key); });
  }

  Result<std::vector<Match>> Find(const search::Criteria& criteria, int limit) override {
    std::vector<Match> out;
    HESTIA_RETURN_IF_ERROR(Guard([&] {
      search::SqlFilter f = search::BuildFilter(criteria);
      const std::string sql = "SELECT r.pk, r.res_id, r.version FROM resource r WHERE " + f.where +
                              " ORDER BY r.pk LIMIT " + std::to_string(limit);
      auto rows = txn_->exec_params(sql, pqxx::prepare::make_dynamic_params(f.params));
      for (const auto& row : rows) {
        out.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<long>()});
      }
    }));
    return out;
  }

  Status Write(const NewVersion& v) override {
    return Guard([&] { ExecuteWrite(*txn_, v); });
  }

  Status Commit() override {
    Status s = Guard([&] { txn_->commit(); });
    if (s.ok()) committed_ = true;
    return s;
  }

 private:
  template <typename Fn>
  Status Guard(Fn&& fn) {
    try {
      fn();
      return Status::Ok();
    } catch (const std::exception& e) {
      bool broken = false;
      Status s = StatusFromException(e, &broken);
      if (broken) lease_.MarkBroken();
      return s;
    }
  }

  Lease lease_;
  std::unique_ptr<pqxx::work> txn_;
  bool committed_ = false;
};

class PgStore final : public Store {
 public:
  explicit PgStore(const StoreOptions& options) : pool_(options) {}

  Result<std::unique_ptr<Transaction>> Begin() override {
    HESTIA_ASSIGN_OR_RETURN(Lease lease, pool_.Acquire());
    auto txn = std::make_unique<PgTransaction>(std::move(lease));
    HESTIA_RETURN_IF_ERROR(txn->Start());
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  // Single statements outside an explicit transaction: one round trip each.
  Result<VersionRecord> ReadCurrent(std::string_view type, std::string_view id) override {
    return WithConnection<VersionRecord>(pool_, [&](pqxx::connection& c) -> Result<VersionRecord> {
      pqxx::nontransaction txn(c);
      auto rows = txn.exec_prepared("read_current", std::string(type), std::string(id));
      if (rows.empty()) {
        return NotFoundError(std::string(type) + "/" + std::string(id) + " is not known");
      }
      return ToRecord(rows[0]);
    });
  }

  Result<VersionRecord> ReadVersion(std::string_view type, std::string_view id,
                                    long version) override {
    return WithConnection<VersionRecord>(pool_, [&](pqxx::connection& c) -> Result<VersionRecord> {
      pqxx::nontransaction txn(c);
      auto rows = txn.exec_prepared("read_version", std::string(type), std::string(id), version);
      if (rows.empty()) {
        return NotFoundError(std::string(type) + "/" + std::string(id) + "/_history/" +
                             std::to_string(version) + " is not known");
      }
      return ToRecord(rows[0]);
    });
  }

  Result<std::vector<VersionRecord>> History(const HistoryQuery& q) override {
    return WithConnection<std::vector<VersionRecord>>(
        pool_, [&](pqxx::connection& c) -> Result<std::vector<VersionRecord>> {
          std::vector<std::string> params;
          auto param = [&](std::string v) {
            params.push_back(std::move(v));
            return "$" + std::to_string(params.size());
          };
          std::string sql =
              std::string("SELECT ") + kVersionColumns + " FROM resource_version v WHERE true";
          if (!q.type.empty()) sql += " AND v.res_type = " + param(q.type);
          if (!q.id.empty()) sql += " AND v.res_id = " + param(q.id);
          if (q.since)
            sql += " AND v.last_updated >= " + param(std::to_string(*q.since)) + "::bigint";
          if (q.before_seq)
            sql += " AND v.seq < " + param(std::to_string(*q.before_seq)) + "::bigint";
          if (q.at) {
            sql += " AND v.last_updated < " + param(std::to_string(q.at->high)) +
                   "::bigint AND NOT EXISTS (SELECT 1 FROM resource_version n WHERE n.res_pk = "
                   "v.res_pk AND n.version > v.version AND n.last_updated <= " +
                   param(std::to_string(q.at->low)) + "::bigint)";
          }
          sql += " ORDER BY v.seq DESC LIMIT " + std::to_string(q.count + 1);
          pqxx::read_transaction txn(c);
          auto rows = txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
          std::vector<VersionRecord> out;
          out.reserve(rows.size());
          for (const auto& row : rows) out.push_back(ToRecord(row));
          return out;
        });
  }

  Status WriteAutocommit(const NewVersion& version) override {
    auto r = WithConnection<bool>(pool_, [&](pqxx::connection& c) -> Result<bool> {
      pqxx::nontransaction txn(c);
      ExecuteWrite(txn, version);
      return true;
    });
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<SearchPage> Search(const search::Criteria& criteria, int count,
                            std::optional<int64_t> after_pk, bool with_total) override {
    return WithConnection<SearchPage>(pool_, [&](pqxx::connection& c) -> Result<SearchPage> {
      SearchPage page;
      search::SqlFilter f = search::BuildFilter(criteria);
      pqxx::read_transaction txn(c);
      if (with_total) {
        page.total = txn.exec_params("SELECT count(*) FROM resource r WHERE " + f.where,
                                     pqxx::prepare::make_dynamic_params(f.params))[0][0]
                         .as<long long>();
      }
      if (count > 0) {
        std::string where = f.where;
        if (after_pk) {
          f.params.push_back(std::to_string(*after_pk));
          where += " AND r.pk > $" + std::to_string(f.params.size()) + "::bigint";
        }
        auto rows = txn.exec_params(
            "SELECT r.pk, v.body FROM resource r JOIN resource_version v ON v.res_pk = r.pk AND "
            "v.version = r.version WHERE " +
                where + " ORDER BY r.pk LIMIT " + std::to_string(count + 1),
            pqxx::prepare::make_dynamic_params(f.params));
        for (std::size_t i = 0; i < rows.size() && static_cast<int>(i) < count; ++i) {
          page.bodies.push_back(rows[i][1].as<std::string>());
          if (static_cast<int>(rows.size()) > count && static_cast<int>(i) == count - 1) {
            page.next_after = rows[i][0].as<int64_t>();
          }
        }
      }
      return page;
    });
  }

  Status Ping() override {
    auto r = WithConnection<bool>(pool_, [](pqxx::connection& c) -> Result<bool> {
      pqxx::nontransaction txn(c);
      txn.exec("SELECT 1");
      return true;
    });
    return r.ok() ? Status::Ok() : r.status();
  }

  PoolStats Stats() override { return pool_.Stats(); }

  Status Initialize(int startup_timeout_ms) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(startup_timeout_ms);
    Status last;
    for (;;) {
      auto lease = pool_.Acquire();
      if (lease.ok()) {
        try {
          pqxx::nontransaction txn(lease->conn());
          for (const char* setting : {"fsync", "full_page_writes"}) {
            const std::string value =
                txn.exec(std::string("SHOW ") + setting)[0][0].as<std::string>();
            if (value != "on") {
              return InternalError(std::string("refusing to start: PostgreSQL has ") + setting +
                                   "=" + value + "; acknowledged writes could be lost");
            }
          }
          txn.commit();
        } catch (const std::exception& e) {
          bool broken = false;
          return StatusFromException(e, &broken);
        }
        return ApplyMigrations(lease->conn());
      }
      last = lease.status();
      if (std::chrono::steady_clock::now() > deadline) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

 private:
  Pool pool_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto store = std::make_unique<PgStore>(options);
  HESTIA_RETURN_IF_ERROR(store->Initialize(options.startup_timeout_ms));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace hestia::storage
