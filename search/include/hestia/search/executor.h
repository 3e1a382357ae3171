// Running a parsed search: the page of matches in order, the total, the includes, the next
// page's cursor, and _explain — over any SqlRunner (sql.h).
//
// Owns: paging semantics. Pages are keyset pages: the cursor carries the last row's sort key
// values and its resource pk, so a page sequence never skips or repeats a resource while
// other clients create, update or delete others (ADR 0008). Cursors are opaque, versioned
// and checked (a tampered cursor → kInvalid naming _cursor).
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/search/parameter_registry.h"
#include "hestia/search/query.h"
#include "hestia/search/sql.h"

namespace hestia::search {

struct Hit {
  int64_t pk = 0;
  std::string type;
  std::string id;
  std::string body;                   // current version's JSON text, as stored
  std::optional<double> distance_km;  // near searches
};

struct PageRequest {
  int count = 20;                     // matches per page; 0 = none (totals only)
  std::optional<std::string> cursor;  // from a previous SearchResult::next_cursor
};

struct SearchResult {
  std::vector<Hit> matches;
  std::vector<Hit> included;  // _include / _revinclude results, each once, not in matches
  std::optional<std::string> next_cursor;
  std::optional<long long> total;  // accurate, or estimate when asked; absent for none
  bool total_is_estimate = false;
  std::string explain;  // _explain: {"query":…, "statements":[{"sql":…, "params":…, "plan":…}]}
};

// Runs `query`. kInvalid for a bad cursor; errors of the runner otherwise.
Result<SearchResult> ExecuteSearch(const Query& query, const ParameterRegistry& registry,
                                   const PageRequest& page, SqlRunner& runner);

struct MatchRef {
  int64_t pk = 0;
  std::string type;
  std::string id;
  long version = 0;
};

// Current, non-deleted resources matching the filters of `query` (no paging, no includes);
// at most `limit` rows. For conditional interactions and transaction references.
Result<std::vector<MatchRef>> FindMatches(const Query& query, const ParameterRegistry& registry,
                                          int limit, SqlRunner& runner);

}  // namespace hestia::search
