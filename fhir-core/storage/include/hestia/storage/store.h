// The resource store on PostgreSQL.
//
// Owns: the schema (through migrations.cc), the connection pool, and every SQL statement that
// reads or writes resources. Interactions compose FHIR semantics out of a Transaction's
// primitives (lock the current row, find matches, write a version, commit); this layer knows
// tables and transactions, not FHIR rules.
//
// Errors: a broken or unreachable database → kUnavailable (503, the pool reconnects on the next
// use); a commit whose outcome is unknown → kUnavailable, so no write is ever acknowledged
// unless it committed; a lost race (unique violation, serialization failure, deadlock) →
// kAborted, which callers may retry; a statement over the configured timeout → kTimeout.
// Thread-safety: Store is thread-safe. A Transaction belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/search/index.h"
#include "hestia/search/sql.h"

namespace hestia::storage {

struct StoreOptions {
  std::string url;  // libpq connection string or URI
  int pool_size = 8;
  int acquire_timeout_ms = 5000;     // waiting for a free connection → kUnavailable
  int statement_timeout_ms = 30000;  // PostgreSQL statement_timeout on every connection
  int startup_timeout_ms = 30000;    // Open() retries connecting this long
  // Whether a Patient, like a practitioner or location, may not have two overlapping bookings
  // (migration 5's booking_policy; every node of a cluster should agree).
  bool booking_patient_exclusive = true;
};

// One stored version of a resource, exactly as served.
struct VersionRecord {
  int64_t seq = 0;  // global write order (history paging)
  std::string type;
  std::string id;
  long version = 0;
  Micros last_updated = 0;
  bool deleted = false;
  std::string method;  // POST, PUT or DELETE
  std::string body;    // JSON text; empty for a deletion
};

// The current row of a resource, locked by Transaction::LockCurrent.
struct CurrentRow {
  int64_t pk = 0;
  long version = 0;
  bool deleted = false;
  Micros last_updated = 0;
  std::string body;  // body of the current version; empty when deleted
};

struct NewVersion {
  std::optional<int64_t> existing_pk;  // from LockCurrent; nullopt creates the resource row
  std::string type;
  std::string id;
  long version = 1;
  Micros last_updated = 0;
  bool deleted = false;
  std::string method;
  std::string body;
  search::IndexRows index;  // replaces the resource's index rows (ignored for deletions)
};

struct Match {
  int64_t pk = 0;
  std::string id;
  long version = 0;
};

struct HistoryQuery {
  std::string type;             // "" = system history
  std::string id;               // "" = type (or system) history
  std::optional<Micros> since;  // _since: last_updated >= since
  std::optional<TimeRange> at;  // _at: versions current at some point in the range
  int count = 50;
  std::optional<int64_t> before_seq;  // page cursor: only entries with seq < before_seq
};

// A $reindex job (reindex_job table): re-extracts the index rows of the resources in its
// scope (every type, one type, or one resource) in pk order, resumable from last_pk.
struct ReindexJob {
  int64_t id = 0;
  std::string type;        // "" = every type
  std::string id_in_type;  // "" = every resource of `type`
  std::string state;       // queued | running | done | failed
  int64_t last_pk = 0;
  int64_t done = 0;
  int64_t total = 0;
  std::string error;
  std::vector<std::string> activated;  // SearchParameter ids this job made active
  Micros created = 0;
  Micros updated = 0;
};

struct ReindexItem {
  int64_t pk = 0;
  std::string type;
  std::string body;
};

struct PoolStats {
  int size = 0;
  int in_use = 0;
  int waiting = 0;
  long long connect_failures = 0;
};

// A write transaction. As a search::SqlRunner it runs search statements inside the
// transaction (conditional matches see the transaction's own writes and locks).
//
// Writes are deferred: Write keeps the version and the transaction sends the waiting ones
// together, as one statement, before any call that could observe them (Run, Explain, LockKey,
// the reindex calls, LockCurrent of a waiting resource) and at Commit. An error of a deferred
// write — kAborted when a concurrent writer created the same type/id first — is therefore
// reported by the call that sent it; either way the transaction is lost and nothing of it is
// committed. Versions of Slot and Appointment (which database triggers turn into booking rows,
// one version at a time) are sent at once, each in its own statement.
class Transaction : public search::SqlRunner {
 public:
  ~Transaction() override = default;  // rolls back when not committed

  // The current row of type/id, locked FOR UPDATE until the transaction ends; nullopt when
  // the resource never existed.
  virtual Result<std::optional<CurrentRow>> LockCurrent(std::string_view type,
                                                        std::string_view id) = 0;
  // LockCurrent for many resources in one statement (locked in type/id order): the rows are kept,
  // so that LockCurrent of one of these resources later needs no statement of its own (a
  // resource that does not exist is kept as absent until this transaction writes it).
  virtual Status PrefetchCurrent(
      const std::vector<std::pair<std::string, std::string>>& type_ids) = 0;
  // Transaction-scoped advisory lock on `key` (serialises conditional creates of one criteria).
  virtual Status LockKey(int64_t key) = 0;
  // Inserts the version row, creates or updates the resource row and replaces index rows
  // (deferred, see above). kAborted when a concurrent writer created the same type/id first.
  virtual Status Write(const NewVersion& version) = 0;
  // The next `limit` current resources in `job`'s scope after job.last_pk, locked FOR UPDATE
  // (so a concurrent write of one of them waits, then writes fresh rows after us).
  virtual Result<std::vector<ReindexItem>> LockReindexBatch(const ReindexJob& job, int limit) = 0;
  // Replaces the index rows of resource `pk` (no new version).
  virtual Status ReplaceIndex(int64_t pk, const search::IndexRows& rows) = 0;
  // Records progress: last_pk, done += processed, state running or done.
  virtual Status AdvanceReindexJob(int64_t job_id, int64_t last_pk, int64_t processed,
                                   bool finished) = 0;
  // Commits. kUnavailable when the database is gone or the outcome is in doubt.
  virtual Status Commit() = 0;
};

class Store {
 public:
  // Connects (retrying up to startup_timeout_ms), refuses clusters with fsync or
  // full_page_writes off (kInternal), and applies pending migrations.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  virtual ~Store() = default;

  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;

  // A read-only snapshot (REPEATABLE READ) for the statements of one search, so that the
  // page, its total and its includes agree. `statement_timeout_ms` bounds each statement
  // (0 = the connection's default); over it → kTimeout. The runner holds a pooled connection
  // until destroyed.
  virtual Result<std::unique_ptr<search::SqlRunner>> Reader(int statement_timeout_ms) = 0;

  // Writes and commits one version that needs no lock or read first (a plain create). Calls
  // made while others are being written are combined: the waiting versions are written with
  // one statement and one commit (group commit), a lone one as a single autocommit statement.
  // Returns after the version's commit. Same errors as Transaction::Write plus Commit, for this
  // version alone (a combined batch that fails is written again one version at a time); a
  // connection lost mid-statement is kUnavailable (the outcome is unknown, so it is never
  // reported as success).
  virtual Status WriteAutocommit(const NewVersion& version) = 0;

  // The current version (deleted ones too, with deleted = true); kNotFound if never existed.
  virtual Result<VersionRecord> ReadCurrent(std::string_view type, std::string_view id) = 0;
  // One version; kNotFound when the resource or that version does not exist.
  virtual Result<VersionRecord> ReadVersion(std::string_view type, std::string_view id,
                                            long version) = 0;
  // Newest first; returns up to count + 1 records so callers can tell whether a next page exists.
  virtual Result<std::vector<VersionRecord>> History(const HistoryQuery& query) = 0;
  // Creates a queued job for the scope (type/id may be ""), counting the resources in it.
  virtual Result<ReindexJob> CreateReindexJob(const std::string& type, const std::string& id,
                                              const std::vector<std::string>& activated) = 0;
  // Every job, newest first.
  virtual Result<std::vector<ReindexJob>> ReindexJobs() = 0;
  // Marks a job failed with `error`.
  virtual Status FailReindexJob(int64_t job_id, const std::string& error) = 0;

  virtual Status Ping() = 0;
  virtual PoolStats Stats() = 0;
};

}  // namespace hestia::storage
