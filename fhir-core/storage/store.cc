// PostgreSQL implementation of Store and Transaction. See store.h.
#include "hestia/storage/store.h"

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "hestia/base/log.h"
#include "index_sql.h"
#include "index_writer.h"
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
  const unsigned mask = IndexMask(v.index, v.deleted);
  const std::vector<std::string> index = IndexParams(v.index, mask);
  const IndexedStatement& statement =
      IndexedWrite(v.existing_pk.has_value() ? WriteKind::kUpdate : WriteKind::kInsert, mask);
  EnsurePrepared(txn, statement);
  if (v.existing_pk.has_value()) {
    txn.exec_prepared1(statement.name, v.type, v.id, v.version, v.deleted, v.last_updated, v.method,
                       body, *v.existing_pk, pqxx::prepare::make_dynamic_params(index));
  } else {
    txn.exec_prepared1(statement.name, v.type, v.id, v.version, v.deleted, v.last_updated, v.method,
                       body, pqxx::prepare::make_dynamic_params(index));
  }
}

constexpr const char* kJobColumns =
    "id, res_type, res_id, state, last_pk, done, total, error, array_to_json(activated)::text, "
    "(extract(epoch FROM created_at) * 1000000)::bigint, "
    "(extract(epoch FROM updated_at) * 1000000)::bigint";

ReindexJob ToJob(const pqxx::row& row) {
  ReindexJob j;
  j.id = row[0].as<int64_t>();
  j.type = row[1].as<std::string>();
  j.id_in_type = row[2].as<std::string>();
  j.state = row[3].as<std::string>();
  j.last_pk = row[4].as<int64_t>();
  j.done = row[5].as<int64_t>();
  j.total = row[6].as<int64_t>();
  j.error = row[7].as<std::string>();
  // activated arrives as a JSON array of ids (which are [A-Za-z0-9.-]{1,64}: no escapes).
  const std::string ids = row[8].as<std::string>();
  std::string current;
  bool in_string = false;
  for (char ch : ids) {
    if (ch == '"') {
      if (in_string) j.activated.push_back(current);
      current.clear();
      in_string = !in_string;
    } else if (in_string) {
      current.push_back(ch);
    }
  }
  j.created = row[9].as<int64_t>();
  j.updated = row[10].as<int64_t>();
  return j;
}

// Runs a search statement: parameters bound, NULLs as nullopt.
std::vector<search::SqlRow> RunSql(pqxx::transaction_base& txn, const search::Sql& sql) {
  auto rows = txn.exec_params(sql.text, pqxx::prepare::make_dynamic_params(sql.params));
  std::vector<search::SqlRow> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    search::SqlRow r;
    r.reserve(row.size());
    for (const auto& field : row) {
      if (field.is_null()) {
        r.emplace_back(std::nullopt);
      } else {
        r.emplace_back(field.as<std::string>());
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string ExplainSql(pqxx::transaction_base& txn, const search::Sql& sql) {
  auto rows = txn.exec_params("EXPLAIN (FORMAT JSON) " + sql.text,
                              pqxx::prepare::make_dynamic_params(sql.params));
  std::string plan;
  for (const auto& row : rows) plan += row[0].as<std::string>();
  return plan;
}

// Runs `fn` on `lease`'s connection, mapping libpqxx exceptions to Status and marking the
// lease broken when the connection is.
template <typename Fn>
Status Guarded(Lease& lease, Fn&& fn) {
  try {
    fn();
    return Status::Ok();
  } catch (const std::exception& e) {
    bool broken = false;
    Status s = StatusFromException(e, &broken);
    if (broken) lease.MarkBroken();
    return s;
  }
}

// SqlRunner::Run and Explain on a libpqxx transaction, for both runners below.
template <typename Txn>
Result<std::vector<search::SqlRow>> GuardedRun(Lease& lease, Txn& txn, const search::Sql& sql) {
  std::vector<search::SqlRow> out;
  HESTIA_RETURN_IF_ERROR(Guarded(lease, [&] { out = RunSql(txn, sql); }));
  return out;
}
template <typename Txn>
Result<std::string> GuardedExplain(Lease& lease, Txn& txn, const search::Sql& sql) {
  std::string out;
  HESTIA_RETURN_IF_ERROR(Guarded(lease, [&] { out = ExplainSql(txn, sql); }));
  return out;
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
      if (!c.deleted && c.body.empty()) {
        // We waited for the lock behind a writer that committed a new version: the row lock
        // re-reads the resource row, but the join still saw the statement's snapshot, older
        // than that version. Read its body now, under the lock (a new statement, a new
        // snapshot). Without a race this costs nothing: a live version always has a body.
        c.body = txn_->exec_prepared1("version_body", c.pk, c.version)[0].as<std::string>();
      }
      out = std::move(c);
    }));
    return out;
  }

  Status LockKey(int64_t key) override {
    return Guard([&] { txn_->exec_prepared("advisory_lock", key); });
  }

  Status Write(const NewVersion& v) override {
    return Guard([&] { ExecuteWrite(*txn_, v); });
  }

  Result<std::vector<search::SqlRow>> Run(const search::Sql& sql) override {
    return GuardedRun(lease_, *txn_, sql);
  }

  Result<std::string> Explain(const search::Sql& sql) override {
    return GuardedExplain(lease_, *txn_, sql);
  }

  Result<std::vector<ReindexItem>> LockReindexBatch(const ReindexJob& job, int limit) override {
    std::vector<ReindexItem> out;
    HESTIA_RETURN_IF_ERROR(Guard([&] {
      // Lock first, then read the bodies in a second statement: a join in the locking
      // statement would see the snapshot taken before it waited for a concurrent writer, and
      // drop (inner join) the resource that writer just gave a new version.
      auto locked = txn_->exec_params(
          "SELECT pk FROM resource WHERE NOT deleted AND pk > $1 AND ($2 = '' OR res_type = $2) "
          "AND ($3 = '' OR res_id = $3) ORDER BY pk LIMIT $4 FOR UPDATE",
          job.last_pk, job.type, job.id_in_type, limit);
      if (locked.empty()) return;
      std::string pks;
      for (const auto& row : locked) pks += (pks.empty() ? "" : ",") + row[0].as<std::string>();
      auto rows = txn_->exec_params(
          "SELECT r.pk, r.res_type, v.body FROM resource r JOIN resource_version v ON "
          "v.res_pk = r.pk AND v.version = r.version WHERE r.pk = ANY($1::bigint[]) AND NOT "
          "r.deleted ORDER BY r.pk",
          "{" + pks + "}");
      for (const auto& row : rows) {
        out.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>()});
      }
    }));
    return out;
  }

  Status ReplaceIndex(int64_t pk, const search::IndexRows& rows) override {
    return Guard([&] { WriteIndexRows(*txn_, pk, rows); });
  }

  Status AdvanceReindexJob(int64_t job_id, int64_t last_pk, int64_t processed,
                           bool finished) override {
    return Guard([&] {
      txn_->exec_params(
          "UPDATE reindex_job SET last_pk = $2, done = done + $3, state = $4, updated_at = now() "
          "WHERE id = $1",
          job_id, last_pk, processed, std::string(finished ? "done" : "running"));
    });
  }

  Status Commit() override {
    Status s = Guard([&] { txn_->commit(); });
    if (s.ok()) committed_ = true;
    return s;
  }

 private:
  template <typename Fn>
  Status Guard(Fn&& fn) {
    return Guarded(lease_, std::forward<Fn>(fn));
  }

  Lease lease_;
  std::unique_ptr<pqxx::work> txn_;
  bool committed_ = false;
};

// A read-only REPEATABLE READ snapshot for one search.
class PgReader final : public search::SqlRunner {
 public:
  explicit PgReader(Lease lease) : lease_(std::move(lease)) {}
  ~PgReader() override {
    if (txn_ == nullptr) return;
    try {
      txn_->abort();
    } catch (const std::exception&) {
      lease_.MarkBroken();
    }
  }

  Status Start(int statement_timeout_ms) {
    return Guard([&] {
      txn_ = std::make_unique<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>>(
          lease_.conn());
      if (statement_timeout_ms > 0) {
        txn_->exec("SET LOCAL statement_timeout = " + std::to_string(statement_timeout_ms));
      }
    });
  }

  Result<std::vector<search::SqlRow>> Run(const search::Sql& sql) override {
    return GuardedRun(lease_, *txn_, sql);
  }

  Result<std::string> Explain(const search::Sql& sql) override {
    return GuardedExplain(lease_, *txn_, sql);
  }

 private:
  template <typename Fn>
  Status Guard(Fn&& fn) {
    return Guarded(lease_, std::forward<Fn>(fn));
  }

  Lease lease_;
  std::unique_ptr<pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>> txn_;
};

class PgStore final : public Store {
 public:
  explicit PgStore(const StoreOptions& options)
      : pool_(options), booking_patient_exclusive_(options.booking_patient_exclusive) {}

  Result<std::unique_ptr<Transaction>> Begin() override {
    HESTIA_ASSIGN_OR_RETURN(Lease lease, pool_.Acquire());
    auto txn = std::make_unique<PgTransaction>(std::move(lease));
    HESTIA_RETURN_IF_ERROR(txn->Start());
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  Result<std::unique_ptr<search::SqlRunner>> Reader(int statement_timeout_ms) override {
    HESTIA_ASSIGN_OR_RETURN(Lease lease, pool_.Acquire());
    auto reader = std::make_unique<PgReader>(std::move(lease));
    HESTIA_RETURN_IF_ERROR(reader->Start(statement_timeout_ms));
    return std::unique_ptr<search::SqlRunner>(std::move(reader));
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

  Result<ReindexJob> CreateReindexJob(const std::string& type, const std::string& id,
                                      const std::vector<std::string>& activated) override {
    return WithConnection<ReindexJob>(pool_, [&](pqxx::connection& c) -> Result<ReindexJob> {
      pqxx::work txn(c);
      auto row = txn.exec_params1(
          "INSERT INTO reindex_job (res_type, res_id, state, total, activated) SELECT $1, $2, "
          "'queued', count(*), $3::text[] FROM resource r WHERE NOT r.deleted AND ($1 = '' OR "
          "r.res_type = $1) AND ($2 = '' OR r.res_id = $2) RETURNING " +
              std::string(kJobColumns),
          type, id, TextArray(activated));
      ReindexJob job = ToJob(row);
      txn.commit();
      return job;
    });
  }

  Result<std::vector<ReindexJob>> ReindexJobs() override {
    return WithConnection<std::vector<ReindexJob>>(
        pool_, [&](pqxx::connection& c) -> Result<std::vector<ReindexJob>> {
          pqxx::read_transaction txn(c);
          auto rows =
              txn.exec(std::string("SELECT ") + kJobColumns + " FROM reindex_job ORDER BY id DESC");
          std::vector<ReindexJob> out;
          for (const auto& row : rows) out.push_back(ToJob(row));
          return out;
        });
  }

  Status FailReindexJob(int64_t job_id, const std::string& error) override {
    auto r = WithConnection<bool>(pool_, [&](pqxx::connection& c) -> Result<bool> {
      pqxx::nontransaction txn(c);
      txn.exec_params(
          "UPDATE reindex_job SET state = 'failed', error = $2, updated_at = now() WHERE id = $1",
          job_id, error);
      return true;
    });
    return r.ok() ? Status::Ok() : r.status();
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
        HESTIA_RETURN_IF_ERROR(ApplyMigrations(lease->conn()));
        return Guarded(*lease, [&] {
          pqxx::work txn(lease->conn());
          txn.exec_params("UPDATE booking_policy SET patient_exclusive = $1",
                          booking_patient_exclusive_);
          txn.commit();
        });
      }
      last = lease.status();
      if (std::chrono::steady_clock::now() > deadline) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

 private:
  Pool pool_;
  bool booking_patient_exclusive_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto store = std::make_unique<PgStore>(options);
  HESTIA_RETURN_IF_ERROR(store->Initialize(options.startup_timeout_ms));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace hestia::storage
