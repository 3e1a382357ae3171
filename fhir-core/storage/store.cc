// PostgreSQL implementation of Store and Transaction. See store.h.
#include "hestia/storage/store.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>
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

// Writes the versions of a batch (distinct resources) with one statement, after reserving
// the pks of the new resources.
void ExecuteBatch(pqxx::transaction_base& txn, const std::vector<const NewVersion*>& versions) {
  int64_t fresh = 0;
  for (const NewVersion* v : versions) fresh += v->existing_pk.has_value() ? 0 : 1;
  std::vector<int64_t> reserved;
  if (fresh > 0) {
    reserved.reserve(static_cast<std::size_t>(fresh));
    for (const auto& row : txn.exec_prepared("reserve_pks", fresh)) {
      reserved.push_back(row[0].as<int64_t>());
    }
  }
  std::vector<BatchVersion> batch;
  batch.reserve(versions.size());
  std::size_t next = 0;
  for (const NewVersion* v : versions) {
    batch.push_back({v, v->existing_pk.has_value() ? *v->existing_pk : reserved.at(next++)});
  }
  const BatchWrite write = BuildBatchWrite(batch);
  EnsurePrepared(txn, *write.statement);
  txn.exec_prepared(write.statement->name, pqxx::prepare::make_dynamic_params(write.params));
}

// How many batches of combined creates (PgStore::WriteAutocommit) may be written at once:
// one per core (PostgreSQL works on each batch in one backend), at least two (one batch
// executes while another waits for its commit to be flushed), at most half the pool.
int CombiningWriters(int pool_size) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, std::min(std::max(2, cores), pool_size / 2));
}

// The Slot and Appointment versions that migration 5's row trigger turns into booking rows:
// written one statement each, so that each trigger sees the rows of every earlier write.
bool HasBookingTrigger(std::string_view type) { return type == "Slot" || type == "Appointment"; }

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
    const std::string key = Key(type, id);
    if (pending_keys_.count(key) > 0) {
      HESTIA_RETURN_IF_ERROR(Flush());
    } else if (auto it = prefetched_.find(key); it != prefetched_.end()) {
      std::optional<CurrentRow> out = std::move(it->second);
      prefetched_.erase(it);
      return out;
    }
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

  Status PrefetchCurrent(
      const std::vector<std::pair<std::string, std::string>>& type_ids) override {
    if (type_ids.empty()) return Status::Ok();
    HESTIA_RETURN_IF_ERROR(Flush());
    // Sorted, so that transactions prefetching overlapping sets lock in the same order.
    std::vector<std::pair<std::string, std::string>> keys = type_ids;
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    std::vector<std::string> types, ids;
    types.reserve(keys.size());
    ids.reserve(keys.size());
    for (const auto& [type, id] : keys) {
      types.push_back(type);
      ids.push_back(id);
    }
    return Guard([&] {
      auto rows = txn_->exec_prepared("lock_current_many", TextArray(types), TextArray(ids));
      for (const auto& [type, id] : type_ids) prefetched_[Key(type, id)] = std::nullopt;
      for (const auto& row : rows) {
        CurrentRow c;
        c.pk = row[2].as<int64_t>();
        c.version = row[3].as<long>();
        c.deleted = row[4].as<bool>();
        c.last_updated = row[5].as<int64_t>();
        c.body = row[6].as<std::string>();
        if (!c.deleted && c.body.empty()) {
          // As in LockCurrent: a version committed while we waited for its lock.
          c.body = txn_->exec_prepared1("version_body", c.pk, c.version)[0].as<std::string>();
        }
        prefetched_[Key(row[0].as<std::string>(), row[1].as<std::string>())] = std::move(c);
      }
    });
  }

  Status LockKey(int64_t key) override {
    HESTIA_RETURN_IF_ERROR(Flush());
    return Guard([&] { txn_->exec_prepared("advisory_lock", key); });
  }

  Status Write(const NewVersion& v) override {
    std::string key = Key(v.type, v.id);
    if (pending_keys_.count(key) > 0) HESTIA_RETURN_IF_ERROR(Flush());
    prefetched_.erase(key);  // its row changes now
    if (HasBookingTrigger(v.type)) {
      HESTIA_RETURN_IF_ERROR(Flush());
      return Guard([&] { ExecuteWrite(*txn_, v); });
    }
    pending_bytes_ += v.body.size();
    pending_.push_back(v);
    pending_keys_.insert(std::move(key));
    if (pending_.size() >= kMaxPending || pending_bytes_ >= kMaxPendingBytes) return Flush();
    return Status::Ok();
  }

  Result<std::vector<search::SqlRow>> Run(const search::Sql& sql) override {
    HESTIA_RETURN_IF_ERROR(Flush());
    return GuardedRun(lease_, *txn_, sql);
  }

  Result<std::string> Explain(const search::Sql& sql) override {
    HESTIA_RETURN_IF_ERROR(Flush());
    return GuardedExplain(lease_, *txn_, sql);
  }

  Result<std::vector<ReindexItem>> LockReindexBatch(const ReindexJob& job, int limit) override {
    HESTIA_RETURN_IF_ERROR(Flush());
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
    HESTIA_RETURN_IF_ERROR(Flush());
    return Guard([&] { WriteIndexRows(*txn_, pk, rows); });
  }

  Status AdvanceReindexJob(int64_t job_id, int64_t last_pk, int64_t processed,
                           bool finished) override {
    HESTIA_RETURN_IF_ERROR(Flush());
    return Guard([&] {
      txn_->exec_params(
          "UPDATE reindex_job SET last_pk = $2, done = done + $3, state = $4, updated_at = now() "
          "WHERE id = $1",
          job_id, last_pk, processed, std::string(finished ? "done" : "running"));
    });
  }

  Status Commit() override {
    HESTIA_RETURN_IF_ERROR(Flush());
    Status s = Guard([&] { txn_->commit(); });
    if (s.ok()) committed_ = true;
    return s;
  }

 private:
  // Deferred writes are sent when this many wait, or this many bytes of bodies.
  static constexpr std::size_t kMaxPending = 500;
  static constexpr std::size_t kMaxPendingBytes = std::size_t{16} << 20;

  static std::string Key(std::string_view type, std::string_view id) {
    std::string key(type);
    key += '/';
    key += id;
    return key;
  }

  // Sends the deferred writes: one alone as before, several as one batch statement.
  Status Flush() {
    if (pending_.empty()) return Status::Ok();
    const std::vector<NewVersion> versions = std::move(pending_);
    pending_.clear();
    pending_keys_.clear();
    pending_bytes_ = 0;
    if (versions.size() == 1) return Guard([&] { ExecuteWrite(*txn_, versions.front()); });
    std::vector<const NewVersion*> batch;
    batch.reserve(versions.size());
    for (const NewVersion& v : versions) batch.push_back(&v);
    return Guard([&] { ExecuteBatch(*txn_, batch); });
  }

  template <typename Fn>
  Status Guard(Fn&& fn) {
    return Guarded(lease_, std::forward<Fn>(fn));
  }

  Lease lease_;
  std::unique_ptr<pqxx::work> txn_;
  bool committed_ = false;
  std::vector<NewVersion> pending_;     // deferred writes, in order
  std::set<std::string> pending_keys_;  // their "Type/id"
  std::size_t pending_bytes_ = 0;       // their bodies' size
  // PrefetchCurrent's rows (nullopt: absent), until used by LockCurrent or written.
  std::unordered_map<std::string, std::optional<CurrentRow>> prefetched_;
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
      : pool_(options),
        booking_patient_exclusive_(options.booking_patient_exclusive),
        max_leaders_(CombiningWriters(options.pool_size)) {}

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

  // Concurrent plain creates are combined (group commit): a caller that finds fewer than
  // max_leaders_ writers at work becomes one and writes every waiting version — one alone as
  // the single autocommit statement, several as one batch statement in one transaction — then
  // hands each waiter its outcome; the others wait for theirs. Nobody returns before the
  // commit of its version. A batch that fails for another reason than an unreachable database
  // is written again one version at a time, so that each caller gets its own outcome (a lost
  // race stays kAborted for that caller alone). Slot and Appointment versions are written
  // directly: their booking trigger sees one version at a time.
  // Each waiter sleeps on its own condition variable and is woken when its version is written
  // or when it is first in the queue and may lead (a finished writer wakes the new first), so
  // a commit wakes the callers it concerns, not every waiting thread.
  Status WriteAutocommit(const NewVersion& version) override {
    if (HasBookingTrigger(version.type)) return WriteOne(version);
    Waiter me{&version};
    std::unique_lock<std::mutex> lock(combine_mu_);
    combine_queue_.push_back(&me);
    while (!me.done) {
      if (active_leaders_ >= max_leaders_ || combine_queue_.empty()) {
        me.cv.wait(lock);
        continue;
      }
      std::vector<Waiter*> batch;
      while (!combine_queue_.empty() && batch.size() < kMaxCombined) {
        batch.push_back(combine_queue_.front());
        combine_queue_.pop_front();
      }
      ++active_leaders_;
      WakeFirst();  // more than a batch waiting, and room for another writer
      lock.unlock();
      WriteCombined(batch);
      lock.lock();
      --active_leaders_;
      for (Waiter* w : batch) {
        w->done = true;
        if (w != &me) w->cv.notify_one();
      }
      WakeFirst();
    }
    return me.status;
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

 private:
  // A caller of WriteAutocommit waiting for its version to be written.
  struct Waiter {
    const NewVersion* version;
    Status status;
    bool done = false;
    std::condition_variable cv;  // under combine_mu_
  };

  // Under combine_mu_: wakes the first waiter to lead a batch when a writer may start.
  void WakeFirst() {
    if (active_leaders_ < max_leaders_ && !combine_queue_.empty()) {
      combine_queue_.front()->cv.notify_one();
    }
  }
  static constexpr std::size_t kMaxCombined = 64;

  Status WriteOne(const NewVersion& version) {
    auto r = WithConnection<bool>(pool_, [&](pqxx::connection& c) -> Result<bool> {
      pqxx::nontransaction txn(c);
      ExecuteWrite(txn, version);
      return true;
    });
    return r.ok() ? Status::Ok() : r.status();
  }

  // Writes the versions of `batch` (not under combine_mu_) and sets each waiter's status.
  void WriteCombined(const std::vector<Waiter*>& batch) {
    if (batch.size() == 1) {
      batch.front()->status = WriteOne(*batch.front()->version);
      return;
    }
    std::vector<const NewVersion*> versions;  // the callers' own, alive while they wait
    versions.reserve(batch.size());
    for (const Waiter* w : batch) versions.push_back(w->version);
    auto r = WithConnection<bool>(pool_, [&](pqxx::connection& c) -> Result<bool> {
      pqxx::work txn(c);
      ExecuteBatch(txn, versions);
      txn.commit();
      return true;
    });
    if (r.ok() || r.status().code() == StatusCode::kUnavailable) {
      // Committed together, or unknown together (never acknowledged as written).
      for (Waiter* w : batch) w->status = r.ok() ? Status::Ok() : r.status();
      return;
    }
    for (Waiter* w : batch) w->status = WriteOne(*w->version);
  }

 public:
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
  // WriteAutocommit's combining: waiting callers, and writers at work (at most max_leaders_,
  // so that PostgreSQL works on several batches at once).
  std::mutex combine_mu_;
  std::deque<Waiter*> combine_queue_;
  int active_leaders_ = 0;
  const int max_leaders_;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  auto store = std::make_unique<PgStore>(options);
  HESTIA_RETURN_IF_ERROR(store->Initialize(options.startup_timeout_ms));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace hestia::storage
