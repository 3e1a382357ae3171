// The search index part of the write statements (private to storage): the SQL that writes a
// resource's index rows (search/include/hestia/search/index.h) into the idx_* tables of
// migration 3, and the bound parameters that carry them.
//
// Rows travel as parallel arrays, one bound PostgreSQL array literal per column, unnested by
// INSERT … SELECT in data-modifying CTEs of the one statement that also writes the version:
// one round trip whatever the number of rows. Values are always bound, never SQL text.
// A statement has CTEs only for the tables the rows touch (each CTE costs PostgreSQL the
// opening of a table and its indexes even when it inserts nothing), so there is one statement
// per kind and table mask, prepared on a connection the first time it is used there.
// Used by store.cc (version writes, one or a batch) and WriteIndexRows (index_writer.h,
// $reindex).
// Thread-safety: the statement cache is guarded by a mutex; the rest is stateless.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "hestia/search/index.h"
#include "hestia/storage/store.h"

namespace hestia::storage {

// A write statement with its name on the connection.
struct IndexedStatement {
  std::string name;
  std::string sql;
};

enum class WriteKind {
  kInsert,   // new resource row: $1 type, $2 id, $3 version, $4 deleted, $5 last_updated,
             // $6 method, $7 body, index parameters from $8; returns the pk
  kUpdate,   // as kInsert plus $8 = pk of the resource row, index parameters from $9; first
             // deletes every index row of the resource
  kReplace,  // $reindex: $1 = pk, index parameters from $2; deletes, then inserts the rows
};

// Bit per idx_* table that `rows` has rows for (idx_text when there is narrative or content).
// 0 for a tombstone (`deleted`): it has no index rows.
unsigned IndexMask(const search::IndexRows& rows, bool deleted);

// The statement of `kind` for the tables in `mask` (built once per process, then cached).
const IndexedStatement& IndexedWrite(WriteKind kind, unsigned mask);

// The bound index values for IndexedWrite(kind, mask), in order.
std::vector<std::string> IndexParams(const search::IndexRows& rows, unsigned mask);

// One version of a batch and the pk of its resource: existing_pk for an update, one reserved
// from resource_pk_seq for a new resource.
struct BatchVersion {
  const NewVersion* version = nullptr;
  int64_t pk = 0;
};

// One statement that writes every version of a batch: new resource rows, updated resource
// rows, the version rows (in the batch's order, so seq follows it), the old index rows of the
// updated resources deleted and every new index row inserted. The versions must name distinct
// resources. The statement is built once per combination of tables and kinds, then cached.
struct BatchWrite {
  const IndexedStatement* statement = nullptr;
  std::vector<std::string> params;
};
BatchWrite BuildBatchWrite(const std::vector<BatchVersion>& versions);

// Registers `statement` on the connection of `txn` (libpqxx prepares it on first use).
void EnsurePrepared(pqxx::transaction_base& txn, const IndexedStatement& statement);

}  // namespace hestia::storage
