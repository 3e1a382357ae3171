// Writing a resource's search index rows outside a version write (private to storage): used
// by $reindex, which re-extracts rows for resources whose content did not change.
// Thread-safety: runs on the caller's transaction.
#pragma once

#include <cstdint>

#include <pqxx/pqxx>

#include "hestia/search/index.h"

namespace hestia::storage {

// Deletes every index row of `pk` (all idx_* tables) and inserts `rows`. Throws pqxx errors.
void WriteIndexRows(pqxx::transaction_base& txn, int64_t pk, const search::IndexRows& rows);

}  // namespace hestia::storage
