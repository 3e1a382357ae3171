// Conditional interactions' shared step (private): criteria from a conditional URL, a database
// lock that serialises writers using the same criteria, and the matches under that lock.
// FHIR R4: http://hl7.org/fhir/R4/http.html#ccreate, #cond-update, #cdelete
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "context.h"

namespace hestia::interactions {

// Parses `query`, takes a transaction-scoped advisory lock keyed by (type, normalised query),
// and returns up to two matches (two means "more than one"). Writers holding the lock see each
// other's committed rows, so equal criteria can never create two resources.
Result<std::vector<storage::Match>> LockAndMatch(const Context& ctx, storage::Transaction& txn,
                                                 const std::string& type, std::string_view query);

}  // namespace hestia::interactions
